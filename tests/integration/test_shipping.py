"""Shipping and cancelling (DESIGN.md §2b.4–5, §6 "Packing and shipping") on SQLite and
PostgreSQL: stock leaves as SHIPMENT_ORDER or SHIPMENT_RC naming the order, reservations
end shipped, the carrier and tracking number are checked; an order cancelled at any stage
of packing brings every unit back to its bin — and invariant 6 after every test."""

import pytest
import sqlalchemy as sa

from core.errors import Conflict, ValidationError
from core.orders.packing_ports import Package
from core.orders.ports import Order
from core.orders.shipping import cancel_task, ship_task
from core.stock.movements import reverse_movement
from data.database import Database
from tests.conftest import make_product
from tests.helpers import dc_id, stock
from tests.order_checks import check_reservations
from tests.orders import cancel, fresh
from tests.packing import (
    at_station,
    movements_of,
    package,
    packed,
    picked_order,
    ready_to_ship,
    ship,
    started,
    task,
)


@pytest.fixture(autouse=True)
def invariant_6_holds_after_each_test(db: Database):  # type: ignore[no-untyped-def]
    yield
    check_reservations(db)


def set_carrier(db: Database, code: str, active: bool) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE carrier SET is_active = :a WHERE code = :c"),
                     {"a": active, "c": code})  # fmt: skip


class IssuingService:
    def __init__(self) -> None:
        self.asked: list[int] = []

    def issue_tracking_number(self, order: Order, packages: tuple[Package, ...]) -> str:
        self.asked.append(len(packages))
        return f"CDEK-{order.external_id}"


def test_shipping_a_customer_order_sends_its_stock_to_customers(db: Database) -> None:
    product = make_product(db)
    order, task_id = ready_to_ship(db, [(product, 3)], spare=1)
    done = ship(db, task_id, "manual", " TRK-42 ")
    assert (done.status, done.carrier, done.tracking_number) == ("shipped", "manual", "TRK-42")
    assert done.shipped_at is not None
    after = fresh(db, order.id)
    assert (after.status, after.tracking_number, after.carrier) == ("shipped", "TRK-42", "manual")
    line = after.lines[0]
    assert (line.reserved, line.picked, line.packed, line.shipped) == (0, 0, 0, 3)
    assert movements_of(db, order.id)[-1] == ("SHIPMENT_ORDER", 3, "CUSTOMERS")
    assert at_station(db, product) == (0, 0, 0)
    assert stock(db, product) == {"good": 1, "defect": 0, "reserved": 0, "available": 1}
    with db.engine.connect() as conn:
        marked = conn.execute(sa.text(
            "SELECT status, stage FROM reservation WHERE order_id = :o AND stage = 'shipped'"),
            {"o": order.id}).all()  # fmt: skip
        closed = conn.execute(sa.text(
            "SELECT count(*) FROM handling_unit h JOIN package p ON p.handling_unit_id = h.id "
            "WHERE p.packing_task_id = :t AND h.closed_at IS NOT NULL"),
            {"t": task_id}).scalar()  # fmt: skip
    assert marked == [("released", "shipped")] and closed == 1
    # items stay readable after the ship: brought to packing and packed
    assert [(i.quantity, i.packed_quantity) for i in task(db, task_id).items] == [(3, 3)]


def test_shipping_a_supply_sends_its_stock_to_the_dc(db: Database) -> None:
    product = make_product(db)
    dc = dc_id(db)
    order, task_id = ready_to_ship(db, [(product, 2)], kind="supply", distribution_center_id=dc)
    ship(db, task_id, "manual", "SUPPLY-1")
    assert movements_of(db, order.id)[-1] == ("SHIPMENT_RC", 2, "MARKETPLACE_DC")
    with db.engine.connect() as conn:
        to_dc = conn.execute(sa.text(
            "SELECT distribution_center_id FROM movement WHERE document = :d "
            "AND operation_type = 'SHIPMENT_RC'"), {"d": f"order:{order.id}"}).scalar()  # fmt: skip
    assert to_dc == dc and stock(db, product)["good"] == 0


def test_ship_checks_the_state_the_carrier_and_the_tracking_number(db: Database) -> None:
    product = make_product(db)
    order = picked_order(db, [(product, 1)])
    task_id = order.packing_task_id or 0
    with pytest.raises(Conflict) as early:
        ship(db, task_id)
    assert early.value.code == "invalid_transition"
    started(db, task_id)
    package(db, task_id, [(product, 1)])
    with pytest.raises(Conflict) as unpacked:
        ship(db, task_id)
    assert unpacked.value.code == "invalid_transition"
    packed(db, task_id)
    for carrier, tracking, code in (
        ("nobody", "T", "carrier_not_found"),
        ("cdek", "T", "carrier_not_found"),  # seeded, but off
        ("manual", None, "tracking_number_required"),
        ("manual", "   ", "tracking_number_required"),
        ("manual", "x" * 65, "text_too_long"),
    ):
        with pytest.raises(ValidationError) as refused:
            ship(db, task_id, carrier, tracking)
        assert refused.value.code == code, carrier
    set_carrier(db, "cdek", True)
    service = IssuingService()
    done = ship(db, task_id, "cdek", None, services={"cdek": service})
    assert done.tracking_number == f"CDEK-{order.external_id}" and service.asked == [1]
    with pytest.raises(Conflict) as again:
        ship(db, task_id)
    assert again.value.code == "invalid_transition"
    with pytest.raises(Conflict) as too_late:
        cancel(db, order.id)
    assert too_late.value.code == "invalid_transition"
    with pytest.raises(Conflict) as task_too_late:
        cancel_task(db.unit_of_work(), task_id, "поздно", None)
    assert task_too_late.value.code == "invalid_transition"


def test_a_retried_ship_is_applied_once(db: Database) -> None:
    product = make_product(db)
    order, task_id = ready_to_ship(db, [(product, 2)])
    first = ship_task(db.unit_of_work(), task_id, "manual", "T-1", None, idempotency_key="sh")
    again = ship_task(db.unit_of_work(), task_id, "manual", "T-1", None, idempotency_key="sh")
    assert not first.replayed and again.replayed and again.task.status == "shipped"
    assert [m for m in movements_of(db, order.id) if m[0] == "SHIPMENT_ORDER"] == [
        ("SHIPMENT_ORDER", 2, "CUSTOMERS")
    ]


@pytest.mark.parametrize("stage", ["pending", "in_progress", "partly_packed", "packed"])
def test_a_cancel_at_any_stage_of_packing_brings_every_unit_back(db: Database, stage: str) -> None:
    product, other = make_product(db), make_product(db)
    order = picked_order(db, [(product, 3), (other, 2)], spare=1)
    task_id = order.packing_task_id or 0
    if stage != "pending":
        started(db, task_id)
    if stage in ("partly_packed", "packed"):
        package(db, task_id, [(product, 2)])
    if stage == "packed":
        package(db, task_id, [(product, 1), (other, 2)])
        packed(db, task_id)
    if stage == "packed":  # through the task's own cancel
        done = cancel_task(db.unit_of_work(), task_id, "Покупатель отказался", None)
        assert done.task.status == "cancelled"
    else:
        cancel(db, order.id, "Покупатель отказался")
    check_reservations(db)
    after = fresh(db, order.id)
    assert after.status == "cancelled" and after.reservations == ()
    t = task(db, task_id)
    assert t.status == "cancelled" and t.cancel_reason == "Покупатель отказался"
    assert all((line.picked, line.packed, line.shipped) == (0, 0, 0) for line in after.lines)
    for p, total in ((product, 4), (other, 3)):
        assert at_station(db, p) == (0, 0, 0)
        assert stock(db, p) == {"good": total, "defect": 0, "reserved": 0, "available": total}
    back = [m for m in movements_of(db, order.id) if m[2].startswith("B-")]
    assert sum(q for _, q, _ in back) == 5 and {m[0] for m in back} == {"TRANSFER"}
    with db.engine.connect() as conn:
        open_units = conn.execute(sa.text(
            "SELECT count(*) FROM handling_unit h JOIN package p ON p.handling_unit_id = h.id "
            "WHERE p.packing_task_id = :t AND h.closed_at IS NULL"),
            {"t": task_id}).scalar()  # fmt: skip
    assert open_units == 0


def _refused_reversals(db: Database, order_id: int) -> set[str]:
    """The order's movements, each reversed by hand: the codes core refuses them with."""
    with db.engine.connect() as conn:
        ids = conn.execute(sa.text("SELECT id FROM movement WHERE document = :d"),
                           {"d": f"order:{order_id}"}).scalars().all()  # fmt: skip
    codes = set()
    for movement_id in ids:
        with pytest.raises(Conflict) as refused:
            reverse_movement(db.unit_of_work(), movement_id, user_id=None)
        codes.add(refused.value.code)
    return codes


def test_an_orders_movements_are_not_reversed_by_hand(db: Database) -> None:
    product = make_product(db)
    supply, task_id = ready_to_ship(db, [(product, 2)], kind="supply",
                                    distribution_center_id=dc_id(db))  # fmt: skip
    ship(db, task_id)
    cancelled, _ = ready_to_ship(db, [(product, 1)])
    cancel(db, cancelled.id)  # its units go back to the bin: one TRANSFER naming it
    assert [m[0] for m in movements_of(db, supply.id)] == ["TRANSFER", "TRANSFER", "SHIPMENT_RC"]
    assert _refused_reversals(db, supply.id) == {"reversal_not_allowed"}
    assert _refused_reversals(db, cancelled.id) == {"reversal_not_allowed"}
    assert stock(db, product)["good"] == 1  # nothing moved: the cancelled order's unit
    check_reservations(db)
