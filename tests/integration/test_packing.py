"""Packing (DESIGN.md §2b.3, §6 "Packing and shipping") on SQLite and PostgreSQL: the task
an order gets when its picking completes, its machine, packages that move units and their
reservation from the station into a box, the refusals of pack — and invariant 6 after
every test."""

import pytest

from core.errors import Conflict, NotFound, ValidationError
from core.orders.packing import ItemRequest, PackageRequest, add_package, start_task
from core.orders.packing_ports import chargeable_weight, volumetric_weight
from data.database import Database
from tests.conftest import make_product
from tests.floor import worker_with_executor
from tests.helpers import stock
from tests.order_checks import check_reservations
from tests.orders import fresh
from tests.packing import (
    at_station,
    movements_of,
    package,
    packed,
    packer,
    picked_order,
    started,
    task,
)


@pytest.fixture(autouse=True)
def invariant_6_holds_after_each_test(db: Database):  # type: ignore[no-untyped-def]
    yield
    check_reservations(db)


def test_volumetric_weight_is_l_w_h_over_5000_and_chargeable_the_larger() -> None:
    assert volumetric_weight(50, 40, 30) == 12.0
    assert volumetric_weight(50, None, 30) is None
    assert chargeable_weight(3.5, 12.0) == 12.0
    assert chargeable_weight(15.0, 12.0) == 15.0
    assert chargeable_weight(None, 12.0) is None


def test_completing_the_picking_makes_a_pending_packing_task(db: Database) -> None:
    product, other = make_product(db), make_product(db)
    order = picked_order(db, [(product, 3), (other, 1)])
    # DESIGN.md §2b: the order stays `picking` until its packing task starts.
    assert order.status == "picking" and order.packing_task_id is not None
    t = task(db, order.packing_task_id)
    assert (t.status, t.order_id, t.picking_task_id) == ("pending", order.id, order.picking_task_id)
    assert t.station_code == "PACK-1" and t.packages == ()
    assert [(i.product_id, i.quantity, i.packed_quantity) for i in t.items] == [
        (product, 3, 0), (other, 1, 0),
    ]  # fmt: skip


def test_start_needs_an_active_executor_and_a_pending_task(db: Database) -> None:
    product = make_product(db)
    task_id = picked_order(db, [(product, 1)]).packing_task_id or 0
    _, off = worker_with_executor(db, "off", active=False)
    with pytest.raises(Conflict) as inactive:
        start_task(db.unit_of_work(), task_id, off, None)
    assert inactive.value.code == "executor_inactive"
    with pytest.raises(ValidationError) as unknown:
        start_task(db.unit_of_work(), task_id, 10**6, None)
    assert unknown.value.code == "executor_not_found"
    executor = packer(db)
    t = start_task(db.unit_of_work(), task_id, executor, None, idempotency_key="s-1").task
    assert t.status == "in_progress" and t.executor_id == executor and t.started_at
    again = start_task(db.unit_of_work(), task_id, executor, None, idempotency_key="s-1")
    assert again.replayed
    assert fresh(db, t.order_id).status == "packing"  # the packing task started
    with pytest.raises(Conflict) as twice:
        start_task(db.unit_of_work(), task_id, executor, None)
    assert twice.value.code == "invalid_transition"
    with pytest.raises(NotFound):
        start_task(db.unit_of_work(), 10**6, executor, None)
    assert fresh(db, t.order_id).status == "packing"


def test_a_package_moves_units_and_reservation_into_its_box(db: Database) -> None:
    product = make_product(db)
    order = picked_order(db, [(product, 5)], spare=2)
    task_id = order.packing_task_id or 0
    started(db, task_id)
    assert at_station(db, product) == (5, 0, 5)
    first = package(db, task_id, [(product, 3)], weight_kg=2.0, length_cm=50, width_cm=40,
                    height_cm=30)  # fmt: skip
    check_reservations(db)
    assert at_station(db, product) == (2, 3, 5)  # still reserved for the order, in the box
    box = first.packages[0]
    assert (box.sequence_number, box.packaging_type, box.barcode) == (1, "box", f"PKG-{task_id}-1")
    assert (box.volumetric_weight_kg, box.chargeable_weight_kg) == (12.0, 12.0)
    assert [(i.product_id, i.quantity) for i in box.items] == [(product, 3)]
    assert first.items[0].packed_quantity == 3 and not first.all_packed
    request = PackageRequest("bag", [ItemRequest(2, barcode=box.items[0].barcode)],
                             weight_kg=0.5, length_cm=10, width_cm=10, height_cm=5)  # fmt: skip
    second = add_package(db.unit_of_work(), task_id, request, None).task
    assert [p.sequence_number for p in second.packages] == [1, 2] and second.all_packed
    assert at_station(db, product) == (0, 5, 5)
    assert stock(db, product) == {"good": 7, "defect": 0, "reserved": 5, "available": 2}
    assert movements_of(db, order.id)[-2:] == [("TRANSFER", 3, "PACK-1"), ("TRANSFER", 2, "PACK-1")]
    line = fresh(db, order.id).lines[0]
    assert (line.reserved, line.picked, line.packed, line.shipped) == (0, 5, 5, 0)


def test_a_package_refuses_what_was_not_picked(db: Database) -> None:
    product, stranger = make_product(db), make_product(db)
    task_id = picked_order(db, [(product, 2)]).packing_task_id or 0
    with pytest.raises(Conflict) as not_started:
        package(db, task_id, [(product, 1)])
    assert not_started.value.code == "invalid_transition"
    started(db, task_id)
    for items, code in (
        ([(product, 3)], "quantity_exceeds_picked"),
        ([(product, 1), (product, 2)], "quantity_exceeds_picked"),
        ([(stranger, 1)], "product_not_picked"),
        ([(10**6, 1)], "product_not_found"),
        ([(product, 0)], "invalid_quantity"),
        ([], "items_required"),
    ):
        with pytest.raises(ValidationError) as refused:
            package(db, task_id, items)
        assert refused.value.code == code, items
    with pytest.raises(ValidationError) as kind:
        package(db, task_id, [(product, 1)], kind="crate")
    assert kind.value.code == "invalid_packaging_type"
    with pytest.raises(ValidationError) as weight:
        package(db, task_id, [(product, 1)], weight_kg=-1)
    assert weight.value.code == "invalid_measure"
    assert task(db, task_id).packages == () and at_station(db, product) == (2, 0, 2)
    package(db, task_id, [(product, 2)], key="p-1")
    same = PackageRequest("box", [ItemRequest(2, product)])
    replay = add_package(db.unit_of_work(), task_id, same, None, idempotency_key="p-1")
    assert replay.replayed and replay.package is not None and replay.package.sequence_number == 1
    assert len(task(db, task_id).packages) == 1


def test_pack_needs_in_progress_then_everything_packed_then_measures(db: Database) -> None:
    product = make_product(db)
    order = picked_order(db, [(product, 3)])
    task_id = order.packing_task_id or 0
    with pytest.raises(Conflict) as pending:
        packed(db, task_id)
    assert pending.value.code == "invalid_transition"
    started(db, task_id)
    with pytest.raises(Conflict) as empty:
        packed(db, task_id)
    assert empty.value.code == "not_all_packed"
    package(db, task_id, [(product, 2)], weight_kg=None)
    with pytest.raises(Conflict) as left:
        packed(db, task_id)
    assert left.value.code == "not_all_packed"
    package(db, task_id, [(product, 1)])
    with pytest.raises(Conflict) as unmeasured:
        packed(db, task_id)
    assert unmeasured.value.code == "dimensions_missing"
    assert "1" in unmeasured.value.message
    assert fresh(db, order.id).status == "packing"


def test_packed_task_moves_the_order_to_packed(db: Database) -> None:
    product = make_product(db)
    order = picked_order(db, [(product, 2)])
    task_id = order.packing_task_id or 0
    started(db, task_id)
    package(db, task_id, [(product, 2)])
    done = packed(db, task_id)
    assert done.status == "packed" and done.packed_at is not None
    assert fresh(db, order.id).status == "packed"
    with pytest.raises(Conflict) as more:
        package(db, task_id, [(product, 1)])
    assert more.value.code == "invalid_transition"
