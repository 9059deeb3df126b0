"""The order feed's batches (core.orders.feed.place_batch) against a real Redis, on SQLite
and PostgreSQL: the confirms of a round commit in one transaction, each in a savepoint of
its own. An entry that fails keeps nothing of its work and is left pending (not
acknowledged) while the others commit and are acknowledged; one that failed on a row
another transaction held is applied again alone, after the batch's commit, and its
order is placed once, whole."""

import threading
from typing import Any

import pytest
import redis
import sqlalchemy as sa

from core.orders.feed import DEAD_LETTERS, GROUP, STREAM, FeedRound, run_round
from core.orders.orders import LineRequest, OrderRequest, Placed, place_new
from core.orders.ports import Order
from data.database import Database
from data.events.feed import RedisOrderFeed, connect, dead_letters
from data.orders.queries import orders
from tests.conftest import make_product
from tests.helpers import post, stock
from tests.redis_feed import confirmed, publish, redis_url  # noqa: F401

MAX = 5


@pytest.fixture
def client(redis_url: str) -> Any:  # noqa: F811
    c = connect(redis_url)
    yield c
    c.close()


def round_(db: Database, client: "redis.Redis[str]") -> FeedRound:
    return run_round(RedisOrderFeed(client, "wms-batch"), db.unit_of_work, claim_idle_ms=0,
                     max_deliveries=MAX, block_ms=0)  # fmt: skip


def placed(db: Database, external_id: str) -> list[Order]:
    return orders(db.engine, external_id=external_id, limit=10, offset=0).items


def pending(client: "redis.Redis[str]") -> dict[str, int]:
    """Each pending entry's id and its deliveries so far."""
    rows = client.xpending_range(STREAM, GROUP, min="-", max="+", count=100)
    return {r["message_id"]: int(r["times_delivered"]) for r in rows}


def product(db: Database, barcode: str, units: int = 10) -> int:
    pid = make_product(db, barcode=barcode)
    post(db, "RECEIPT", pid, units)
    return pid


def events_naming(db: Database, external_id: str) -> int:
    """Outbox events whose payload names the order."""
    with db.engine.connect() as conn:
        payloads = conn.execute(sa.text("SELECT payload FROM outbox_event")).scalars()
        return sum(1 for p in payloads if f'"{external_id}"' in str(p).replace("'", '"'))


def test_a_failing_entry_in_a_batch_is_left_pending_and_the_others_commit(
    db: Database, client: "redis.Redis[str]"
) -> None:
    a, c = product(db, "4600000300001"), product(db, "4600000300003")
    first, bad, last = publish(client, confirmed("BT-1", [("4600000300001", 2)]),
                               confirmed("BT-2", [("4600000300001", 1), ("4600000399999", 1)]),
                               confirmed("BT-3", [("4600000300003", 3)]))  # fmt: skip
    assert round_(db, client) == FeedRound(done=2, retry=1)
    assert [o.status for o in placed(db, "BT-1") + placed(db, "BT-3")] == ["reserved"] * 2
    assert placed(db, "BT-2") == []
    assert stock(db, a)["reserved"] == 2 and stock(db, c)["reserved"] == 3
    assert pending(client) == {bad: 1}  # the two placed acknowledged, the failure not
    assert events_naming(db, "BT-2") == 0 and events_naming(db, "BT-1") > 0
    # Its later deliveries fail alone; the last sends it to the dead letters.
    for delivery in range(2, MAX + 1):
        result = round_(db, client)
        assert (result.done, result.retry + result.dead) == (0, 1), delivery
    (letter,) = dead_letters(client)
    assert (letter.entry_id, letter.error) == (bad, "Товар не найден")
    assert pending(client) == {} and client.xlen(DEAD_LETTERS) == 1
    assert (len(placed(db, "BT-1")), len(placed(db, "BT-3"))) == (1, 1)
    assert first != last


def test_an_entry_twice_in_one_batch_places_one_order(
    db: Database, client: "redis.Redis[str]"
) -> None:
    pid = product(db, "4600000300011")
    entry = confirmed("BT-11", [("4600000300011", 4)])
    publish(client, entry, confirmed("BT-12", [("4600000300011", 1)]), entry)
    assert round_(db, client).done == 3
    assert len(placed(db, "BT-11")) == 1 and stock(db, pid)["reserved"] == 5
    assert pending(client) == {}


def test_an_entry_whose_stock_another_transaction_holds_is_placed_alone_after_the_batch(
    db: Database, client: "redis.Redis[str]"
) -> None:
    """PostgreSQL: the batch does not wait on another transaction's rows; the entry's
    savepoint (its order and lines already written) is rolled back, the others commit,
    and the entry is applied again alone once the rows are free: one order, whole."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("row locks: PostgreSQL")
    a, b, c = (product(db, f"460000030002{n}") for n in range(3))
    publish(client, confirmed("BT-21", [("4600000300020", 1)]),
            confirmed("BT-22", [("4600000300021", 2)]),
            confirmed("BT-23", [("4600000300022", 1)]))  # fmt: skip
    holder = db.engine.connect()
    holder.begin()
    holder.execute(sa.text("SELECT id FROM quant WHERE product_id = :p FOR UPDATE"), {"p": b})
    committed_meanwhile: list[list[str]] = []

    def release() -> None:
        # Before letting go: the batch's two orders are committed already.
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT external_id FROM sale_order WHERE "
                                        "external_id LIKE 'BT-2%' ORDER BY 1"))  # fmt: skip
            committed_meanwhile.append([r[0] for r in rows])
        holder.commit()

    timer = threading.Timer(1.0, release)
    timer.start()
    try:
        assert round_(db, client) == FeedRound(done=3)
    finally:
        timer.join()
        holder.close()
    assert committed_meanwhile == [["BT-21", "BT-23"]]
    (order,) = placed(db, "BT-22")
    assert order.status == "reserved" and [r.quantity for r in order.reservations] == [2]
    assert [line.quantity for line in order.lines] == [2]
    assert stock(db, b)["reserved"] == 2 and stock(db, a)["reserved"] == 1
    assert stock(db, c)["reserved"] == 1
    assert events_naming(db, "BT-22") == events_naming(db, "BT-21")
    assert pending(client) == {}


def test_failures_between_placed_entries_roll_back_only_their_own_work(
    db: Database, client: "redis.Redis[str]"
) -> None:
    """The savepoints nest (none is released before the commit): a rollback must go to the
    failing entry's own, keeping the entries placed before it and after it."""
    a, b = product(db, "4600000300031"), product(db, "4600000300032")
    unknown = ("4600000399998", 1)
    _, bad1, _, bad2, _ = publish(
        client, confirmed("BT-31", [("4600000300031", 1)]),
        confirmed("BT-32", [("4600000300032", 1), unknown]),
        confirmed("BT-33", [("4600000300032", 2)]),
        confirmed("BT-34", [("4600000300031", 1), unknown]),
        confirmed("BT-35", [("4600000300031", 3)]),
    )  # fmt: skip
    assert round_(db, client) == FeedRound(done=3, retry=2)
    assert [len(placed(db, f"BT-3{n}")) for n in range(1, 6)] == [1, 0, 1, 0, 1]
    assert stock(db, a)["reserved"] == 4 and stock(db, b)["reserved"] == 2
    assert pending(client) == {bad1: 1, bad2: 1}


def test_what_placing_says_of_an_order_is_the_order_read_back(db: Database) -> None:
    """The feed logs an order from what placing it returned, without reading it back."""
    product(db, "4600000300041", units=3)
    with db.unit_of_work() as uow:
        source_id = uow.catalog.source_id_named("Wildberries")
        requests = {
            external_id: OrderRequest(external_id, "customer", lines, source_id)
            for external_id, lines in (
                ("BT-41", (LineRequest(2, barcode="4600000300041"),)),
                ("BT-42", (LineRequest(5, barcode="4600000300041"),)),  # 1 left: waits
            )
        }  # fmt: skip
        said = {key: place_new(uow, request) for key, request in requests.items()}
        assert place_new(uow, requests["BT-41"]) is None  # placed before
        uow.commit()
    for external_id, summary in said.items():
        (order,) = placed(db, external_id)
        assert summary == Placed(order.id, order.external_id, order.status, order.units)
    assert [said[k].status for k in ("BT-41", "BT-42")] == ["reserved", "awaiting_stock"]  # type: ignore[union-attr]
