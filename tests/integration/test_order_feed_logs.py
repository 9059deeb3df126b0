"""The order feed's log lines (ui.logs) against a real Redis: each entry's lines carry
its stream entry id, event_id and the marketplace's order id (bound per entry); the
order placed and cancelled from it carry the WMS order's id; a malformed entry is an
ERROR (a person retries it from the dead letters)."""

from typing import Any

import pytest
import redis

from core.orders.feed import FeedRound, run_round
from data.database import Database
from data.events.feed import RedisOrderFeed, connect
from tests.conftest import make_product
from tests.helpers import post
from tests.log_capture import captured_logs
from tests.redis_feed import cancelled, confirmed, publish, redis_url  # noqa: F401


@pytest.fixture
def client(redis_url: str) -> Any:  # noqa: F811
    c = connect(redis_url)
    yield c
    c.close()


def round_(db: Database, client: "redis.Redis[str]") -> FeedRound:
    return run_round(RedisOrderFeed(client, "wms-logs"), db.unit_of_work, claim_idle_ms=0,
                     max_deliveries=5, block_ms=0)  # fmt: skip


def test_feed_lines_carry_the_entry_and_the_order(db: Database, client: "redis.Redis[str]") -> None:
    post(db, "RECEIPT", make_product(db, barcode="4600000900001"), 5)
    with captured_logs() as out:
        first, second, third = publish(
            client,
            confirmed("LOG-F1", [("4600000900001", 2)], event_id="ev-1"),
            cancelled("LOG-F1") | {"event_id": "ev-2"},
            {"type": "order.confirmed", "event_id": "ev-3"},  # no order id: malformed
        )
        assert round_(db, client) == FeedRound(done=2, dead=1)
    (placed,) = out.events("order placed")
    assert (placed["entry_id"], placed["event_id"], placed["external_id"]) == (
        first, "ev-1", "LOG-F1")  # fmt: skip
    assert isinstance(placed["order_id"], int) and placed["event_type"] == "order.confirmed"
    (gone,) = out.events("order cancelled")
    assert (gone["entry_id"], gone["event_id"], gone["order_id"]) == (
        second, "ev-2", placed["order_id"])  # fmt: skip
    (dead,) = [line for line in out.lines() if line["event"].startswith("order feed entry dead")]
    assert (dead["level"], dead["entry_id"], dead["event_id"]) == ("error", third, "ev-3")
    assert all(line["entry_id"] in (first, second, third) for line in out.lines()
               if line["logger"] == "core.orders.feed")  # fmt: skip
