"""Picking (DESIGN.md §2b.2, §6 "Picking") on SQLite and PostgreSQL: the task an order
gets when reserved, its machine, picks that move units and reservation to the packing
station, short picks and skips that release, the order's status following the task, an
order's cancel cancelling its task and bringing picked units back — and invariant 6
after every step."""

import pytest
import sqlalchemy as sa

from core.errors import Conflict, NotFound, ValidationError
from core.orders.picking import assign_task, cancel_task, start_task
from core.orders.picks import pick_item, skip_item
from data.database import Database
from tests.conftest import make_product
from tests.floor import location_id, make_bin, worker_with_executor
from tests.helpers import post, stock
from tests.order_checks import check_reservations
from tests.orders import cancel, fresh, place
from tests.picking import complete, started_task, stock_bin, task


@pytest.fixture(autouse=True)
def invariant_6_holds_after_each_test(db: Database):  # type: ignore[no-untyped-def]
    yield
    check_reservations(db)


def on_hand(db: Database, product: int, code: str) -> tuple[int, int]:
    with db.engine.connect() as conn:
        row = conn.execute(
            sa.text("SELECT q.quantity, q.reserved FROM quant q JOIN location l ON "
                    "l.id = q.location_id WHERE q.product_id = :p AND l.code = :c"),
            {"p": product, "c": code},
        ).first()  # fmt: skip
    return (int(row[0]), int(row[1])) if row else (0, 0)


def pick(db: Database, task_id: int, item_id: int, quantity: int, **kw: object) -> None:
    pick_item(db.unit_of_work(), task_id, item_id, quantity, None, **kw)  # type: ignore[arg-type]
    check_reservations(db)


def test_a_reserved_order_gets_a_task_with_items_in_route_order(db: Database) -> None:
    product = make_product(db)
    far, near = make_bin(db, "Z-09", route=90), make_bin(db, "A-01", route=10)
    stock_bin(db, product, 3, far)
    stock_bin(db, product, 2, near)
    order = place(db, [(product, 5)])
    assert order.status == "reserved" and order.picking_task_id is not None
    t = task(db, order.picking_task_id)
    assert t.status == "pending" and t.order_id == order.id and t.station_code == "PACK-1"
    assert [(i.location_code, i.quantity_required, i.sequence) for i in t.items] == [
        ("A-01", 2, 1), ("Z-09", 3, 2),
    ]  # fmt: skip
    assert t.total_items == 2 and t.picked_items == 0


def test_a_waiting_order_has_no_task_until_stock_arrives(db: Database) -> None:
    product = make_product(db)
    order = place(db, [(product, 4)])
    assert order.status == "awaiting_stock" and order.picking_task_id is None
    post(db, "RECEIPT", product, 4)  # the waiting order is retried after the commit
    again = fresh(db, order.id)
    assert again.status == "reserved" and again.picking_task_id is not None
    assert [i.location_code for i in task(db, again.picking_task_id).items] == ["MAIN"]


def test_a_full_pick_moves_the_units_and_the_reservation_to_the_station(db: Database) -> None:
    product = make_product(db)
    stock_bin(db, product, 10, make_bin(db, "A-01"))
    order = place(db, [(product, 4)])
    t = started_task(db, order.picking_task_id or 0)
    assert fresh(db, order.id).status == "picking"
    pick(db, t.id, t.items[0].id, 4, barcode=t.items[0].barcode)
    assert on_hand(db, product, "A-01") == (6, 0)
    assert on_hand(db, product, "PACK-1") == (4, 4)  # still reserved for the order
    line = fresh(db, order.id).lines[0]
    assert (line.reserved, line.picked) == (0, 4)
    assert task(db, t.id).items[0].status == "picked"
    with db.engine.connect() as conn:
        moved = conn.execute(sa.text(
            "SELECT operation_type, quantity, to_location_id, document FROM movement "
            "WHERE document = :d"), {"d": f"order:{order.id}"}).all()  # fmt: skip
    assert moved == [("TRANSFER", 4, location_id(db, "PACK-1"), f"order:{order.id}")]
    # Reserved stock at the station is not for anyone else.
    assert stock(db, product)["available"] == 6
    done = complete(db, t.id)
    # The order stays `picking` until its packing task starts (DESIGN.md §2b).
    assert done.status == "completed" and fresh(db, order.id).status == "picking"


def test_a_short_pick_releases_the_rest_to_a_waiting_order(db: Database) -> None:
    product = make_product(db)
    stock_bin(db, product, 5, make_bin(db, "A-01"))
    first = place(db, [(product, 5)])
    waiting = place(db, [(product, 2)])
    assert waiting.status == "awaiting_stock"
    t = started_task(db, first.picking_task_id or 0)
    pick(db, t.id, t.items[0].id, 3)
    assert task(db, t.id).items[0].status == "short"
    assert task(db, t.id).items[0].quantity_picked == 3
    # The 2 not found are released, and the waiting order takes them after the commit.
    assert fresh(db, waiting.id).status == "reserved"
    assert on_hand(db, product, "A-01") == (2, 2)


def test_skip_releases_and_complete_needs_every_item_done(db: Database) -> None:
    product, other = make_product(db), make_product(db)
    bin_id = make_bin(db, "A-01")
    stock_bin(db, product, 2, bin_id)
    stock_bin(db, other, 2, bin_id)
    order = place(db, [(product, 2), (other, 1)])
    t = started_task(db, order.picking_task_id or 0)
    with pytest.raises(Conflict) as refused:
        complete(db, t.id)
    assert refused.value.code == "invalid_transition"
    with pytest.raises(ValidationError) as no_reason:
        skip_item(db.unit_of_work(), t.id, t.items[0].id, "  ", None)
    assert no_reason.value.code == "reason_required"
    skip_item(db.unit_of_work(), t.id, t.items[0].id, "Повреждена упаковка", None)
    check_reservations(db)
    pick(db, t.id, t.items[1].id, t.items[1].quantity_required)
    assert [i.status for i in task(db, t.id).items] == ["skipped", "picked"]
    assert complete(db, t.id).status == "completed"


def test_picks_refuse_wrong_products_too_many_units_and_repeats(db: Database) -> None:
    product = make_product(db)
    stock_bin(db, product, 5, make_bin(db, "A-01"))
    order = place(db, [(product, 3)])
    task_id = order.picking_task_id or 0
    item_id = task(db, task_id).items[0].id
    with pytest.raises(Conflict) as not_started:
        pick(db, task_id, item_id, 3)
    assert not_started.value.code == "invalid_transition"
    started_task(db, task_id)
    with pytest.raises(ValidationError) as wrong:
        pick(db, task_id, item_id, 3, barcode="0000000000000")
    assert wrong.value.code == "wrong_product"
    with pytest.raises(ValidationError) as too_many:
        pick(db, task_id, item_id, 4)
    assert too_many.value.code == "quantity_exceeds"
    with pytest.raises(NotFound):
        pick(db, task_id, 10**6, 1)
    pick(db, task_id, item_id, 3, idempotency_key="k-1")
    again = pick_item(db.unit_of_work(), task_id, item_id, 3, None, idempotency_key="k-1")
    assert again.replayed and on_hand(db, product, "PACK-1") == (3, 3)
    with pytest.raises(Conflict) as twice:
        pick(db, task_id, item_id, 3)
    assert twice.value.code == "invalid_transition"


def test_the_task_machine_refuses_illegal_steps(db: Database) -> None:
    product = make_product(db)
    stock_bin(db, product, 5, make_bin(db, "A-01"))
    task_id = place(db, [(product, 1)]).picking_task_id or 0
    with pytest.raises(Conflict) as early:
        start_task(db.unit_of_work(), task_id, None)
    assert early.value.code == "invalid_transition"
    _, off = worker_with_executor(db, "off", active=False)
    with pytest.raises(Conflict) as inactive:
        assign_task(db.unit_of_work(), task_id, off, None)
    assert inactive.value.code == "executor_inactive"
    cancelled = cancel_task(db.unit_of_work(), task_id, "Пересоздадим", None).task
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "Пересоздадим"
    with pytest.raises(Conflict):
        cancel_task(db.unit_of_work(), task_id, None, None)


def test_cancelling_the_order_cancels_its_task_and_brings_picked_units_back(
    db: Database,
) -> None:
    product = make_product(db)
    stock_bin(db, product, 6, make_bin(db, "A-01"))
    order = place(db, [(product, 5)])
    t = started_task(db, order.picking_task_id or 0)
    pick(db, t.id, t.items[0].id, 5)
    cancelled = cancel(db, order.id)
    assert cancelled.status == "cancelled"
    assert task(db, t.id).status == "cancelled"
    assert on_hand(db, product, "PACK-1") == (0, 0)
    assert on_hand(db, product, "A-01") == (6, 0)
    assert stock(db, product)["available"] == 6
    assert fresh(db, order.id).lines[0].picked == 0  # back in the bin, not picked any more


def test_cancelling_a_packing_order_returns_the_picked_units(db: Database) -> None:
    product = make_product(db)
    stock_bin(db, product, 2, make_bin(db, "A-01"))
    order = place(db, [(product, 2)])
    t = started_task(db, order.picking_task_id or 0)
    pick(db, t.id, t.items[0].id, 2)
    complete(db, t.id)
    cancel(db, order.id)
    assert task(db, t.id).status == "completed"
    assert on_hand(db, product, "A-01") == (2, 0)
