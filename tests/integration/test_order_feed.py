"""The order feed (DESIGN.md §7; core.orders.feed over data.events.feed) against a real
Redis, on SQLite and PostgreSQL: a confirmed entry places and reserves the order and is
acknowledged; a repeat changes nothing; a malformed entry is dead-lettered at once and the
next one is still processed; an unknown barcode fails and is dead-lettered on its fifth
delivery; a cancel cancels and releases; a cancel before its confirm is retried, then
dead-lettered; a dead consumer's pending entries are claimed by another; Redis down never
stops the consumer's thread."""

import socket
import time
from typing import Any

import pytest
import redis
from sqlalchemy import exc as sa_exc

from core.orders.feed import DEAD_LETTERS, GROUP, STREAM, FeedRound, run_round
from core.orders.ports import Order
from core.settings import Settings
from data.database import Database
from data.events.feed import RedisOrderFeed, connect, dead_letters, retry_dead_letter
from data.orders.queries import orders
from tests.conftest import make_product
from tests.helpers import post, stock
from tests.redis_feed import cancelled, confirmed, publish, redis_url  # noqa: F401
from ui.failures import database_away

MAX = 5


@pytest.fixture
def client(redis_url: str) -> Any:  # noqa: F811
    c = connect(redis_url)
    yield c
    c.close()


def feed(client: "redis.Redis[str]", name: str = "wms-1") -> RedisOrderFeed:
    return RedisOrderFeed(client, name)


def round_(db: Database, consumer: RedisOrderFeed, idle_ms: int = 0) -> FeedRound:
    return run_round(consumer, db.unit_of_work, claim_idle_ms=idle_ms, max_deliveries=MAX,
                     block_ms=0)  # fmt: skip


def placed(db: Database, external_id: str) -> list[Order]:
    return orders(db.engine, external_id=external_id, limit=10, offset=0).items


def pending(client: "redis.Redis[str]") -> int:
    return int(client.xpending(STREAM, GROUP)["pending"])


def product(db: Database, barcode: str, units: int = 10) -> int:
    pid = make_product(db, barcode=barcode)
    post(db, "RECEIPT", pid, units)
    return pid


def test_a_confirmed_entry_places_and_reserves_the_order_and_is_acknowledged(
    db: Database, client: "redis.Redis[str]"
) -> None:
    a, b = product(db, "4600000100001"), product(db, "4600000100002")
    ship_to = '{"name": "Иван", "city": "Москва", "unknown": 1}'
    publish(client, confirmed("WB-1", [("4600000100001", 2), ("4600000100002", 3)],
                              priority="high", carrier="manual", ship_to=ship_to))  # fmt: skip
    assert round_(db, feed(client)).done == 1
    (order,) = placed(db, "WB-1")
    assert (order.status, order.priority, order.kind) == ("reserved", "high", "customer")
    assert order.ship_to is not None and order.ship_to.city == "Москва"
    assert stock(db, a)["reserved"] == 2 and stock(db, b)["reserved"] == 3
    assert pending(client) == 0
    assert client.xlen(DEAD_LETTERS) == 0


def test_a_supply_entry_names_its_distribution_center(
    db: Database, client: "redis.Redis[str]"
) -> None:
    product(db, "4600000100011")
    publish(client, confirmed("WB-S1", [("4600000100011", 4)], kind="supply",
                              distribution_center="WB Коледино"))  # fmt: skip
    assert round_(db, feed(client)).done == 1
    (order,) = placed(db, "WB-S1")
    assert order.kind == "supply" and order.distribution_center_id is not None


def test_a_repeated_entry_changes_nothing(db: Database, client: "redis.Redis[str]") -> None:
    pid = product(db, "4600000100003")
    entry = confirmed("WB-2", [("4600000100003", 4)])
    publish(client, entry)
    round_(db, feed(client))
    publish(client, entry, entry)
    assert round_(db, feed(client)).done == 2  # acknowledged, as done
    assert len(placed(db, "WB-2")) == 1
    assert stock(db, pid)["reserved"] == 4
    assert pending(client) == 0


def test_a_malformed_entry_is_dead_lettered_at_once_and_the_next_one_is_processed(
    db: Database, client: "redis.Redis[str]"
) -> None:
    product(db, "4600000100004")
    bad = {**confirmed("WB-3", []), "items": "[{not json"}
    (bad_id, _) = publish(client, bad, confirmed("WB-4", [("4600000100004", 1)]))
    result = round_(db, feed(client))
    assert (result.dead, result.done) == (1, 1)
    (letter,) = dead_letters(client)
    assert letter.entry_id == bad_id and letter.order_id == "WB-3"
    assert "не JSON" in letter.error and letter.fields["items"] == "[{not json"
    assert placed(db, "WB-3") == [] and len(placed(db, "WB-4")) == 1
    assert pending(client) == 0


def test_an_unknown_type_or_a_missing_field_is_malformed(
    db: Database, client: "redis.Redis[str]"
) -> None:
    publish(client, {"type": "order.shipped", "order_id": "X", "source": "Wildberries"},
            {"type": "order.cancelled", "source": "Wildberries"})  # fmt: skip
    assert round_(db, feed(client)).dead == 2
    errors = sorted(x.error for x in dead_letters(client))
    assert errors == ["Неизвестный тип события 'order.shipped'", "Нет поля order_id"]


def test_an_unknown_barcode_is_dead_lettered_on_its_fifth_delivery(
    db: Database, client: "redis.Redis[str]"
) -> None:
    (entry_id,) = publish(client, confirmed("WB-5", [("4600000199999", 1)]))
    consumer = feed(client)
    for delivery in range(1, MAX):
        assert round_(db, consumer).retry == 1, delivery
        assert pending(client) == 1 and client.xlen(DEAD_LETTERS) == 0
    assert round_(db, consumer).dead == 1
    (letter,) = dead_letters(client)
    assert (letter.entry_id, letter.error) == (entry_id, "Товар не найден")
    assert pending(client) == 0 and placed(db, "WB-5") == []
    # The product created, a manager's retry goes through.
    product(db, "4600000199999")
    assert retry_dead_letter(client, letter.id) is not None
    assert retry_dead_letter(client, letter.id) is None  # the letter is gone
    assert round_(db, consumer).done == 1
    assert [o.status for o in placed(db, "WB-5")] == ["reserved"]
    assert client.xlen(DEAD_LETTERS) == 0


def test_a_cancel_cancels_the_order_and_releases_its_stock_once(
    db: Database, client: "redis.Redis[str]"
) -> None:
    pid = product(db, "4600000100006")
    publish(client, confirmed("WB-6", [("4600000100006", 3)]))
    round_(db, feed(client))
    assert stock(db, pid)["reserved"] == 3
    publish(client, cancelled("WB-6"), cancelled("WB-6"))
    assert round_(db, feed(client)).done == 2  # the repeat is done, not a failure
    (order,) = placed(db, "WB-6")
    assert (order.status, order.cancel_reason) == ("cancelled", "Передумал")
    assert stock(db, pid) == {"good": 10, "defect": 0, "reserved": 0, "available": 10}
    assert pending(client) == 0 and client.xlen(DEAD_LETTERS) == 0


def test_a_cancel_before_its_confirm_is_retried_then_dead_lettered_and_retried_by_hand(
    db: Database, client: "redis.Redis[str]"
) -> None:
    product(db, "4600000100007")
    publish(client, cancelled("WB-7"))
    consumer = feed(client)
    assert round_(db, consumer).retry == 1
    for _ in range(MAX - 1):
        round_(db, consumer)
    (letter,) = dead_letters(client)
    assert "WB-7" in letter.error and letter.type == "order.cancelled"
    publish(client, confirmed("WB-7", [("4600000100007", 1)]))
    round_(db, consumer)
    retry_dead_letter(client, letter.id)
    assert round_(db, consumer).done == 1
    assert [o.status for o in placed(db, "WB-7")] == ["cancelled"]


def test_a_dead_consumers_pending_entries_are_claimed_by_another(
    db: Database, client: "redis.Redis[str]"
) -> None:
    for n in range(3):
        product(db, f"460000010008{n}")
    publish(client, *(confirmed(f"WB-8{n}", [(f"460000010008{n}", 1)]) for n in range(3)))
    killed = feed(client, "killed")
    assert len(killed.read(10, 0)) == 3  # read, then the process died before applying them
    live = feed(client, "live")
    assert round_(db, live, idle_ms=60_000).done == 0  # not idle long enough yet
    time.sleep(0.2)
    assert round_(db, live, idle_ms=100).done == 3
    assert all(len(placed(db, f"WB-8{n}")) == 1 for n in range(3))
    assert pending(client) == 0


def test_the_apps_consumer_thread_applies_the_feed_as_it_comes(
    db: Database,
    client: "redis.Redis[str]",
    redis_url: str,  # noqa: F811
) -> None:
    from ui.order_feed import FeedConsumer

    product(db, "4600000100091")
    consumer = FeedConsumer(db, Settings(redis_url=redis_url, feed_consumer="app-1"),
                            block_ms=50)  # fmt: skip
    consumer.start()
    try:
        publish(client, confirmed("WB-91", [("4600000100091", 1)]))
        deadline = time.monotonic() + 10
        while not placed(db, "WB-91") or pending(client):
            assert time.monotonic() < deadline, "the consumer did not apply the entry"
            time.sleep(0.05)
    finally:
        consumer.stop()
    assert [o.status for o in placed(db, "WB-91")] == ["reserved"]
    assert [c["name"] for c in client.xinfo_consumers(STREAM, GROUP)] == ["app-1"]


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_redis_down_the_consumer_backs_off_and_keeps_running(db: Database) -> None:
    from ui.order_feed import FeedConsumer

    settings = Settings(redis_url=f"redis://127.0.0.1:{_closed_port()}/0")
    consumer = FeedConsumer(db, settings)
    with pytest.raises(redis.ConnectionError):
        consumer.run_once()
    consumer.start()
    time.sleep(0.3)
    assert consumer._thread is not None and consumer._thread.is_alive()
    consumer.stop()
    assert not consumer._thread.is_alive()


def test_an_outage_of_the_database_sends_nothing_to_the_dead_letters(
    db: Database, client: "redis.Redis[str]"
) -> None:
    """Valid entries must not be lost to the dead letters because the database was away
    for longer than five claims: an outage stops the round and leaves the entry pending."""
    product(db, "4600000188888")
    publish(client, confirmed("WB-OUT", [("4600000188888", 1)]))
    consumer = feed(client)

    def database_down() -> Any:
        raise sa_exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("down"))

    for _ in range(MAX + 2):
        with pytest.raises(sa_exc.OperationalError):
            run_round(consumer, database_down, claim_idle_ms=0, max_deliveries=MAX,
                      block_ms=0, is_outage=database_away)  # fmt: skip
    assert pending(client) == 1 and client.xlen(DEAD_LETTERS) == 0
    # The database back: the entry's next delivery places the order.
    assert run_round(consumer, db.unit_of_work, claim_idle_ms=0, max_deliveries=MAX,
                     block_ms=0, is_outage=database_away).done == 1  # fmt: skip
    assert [o.status for o in placed(db, "WB-OUT")] == ["reserved"]
