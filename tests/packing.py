"""Packing helpers for tests: an order picked whole to the station, its packing task's
steps in the domain's words, and where units lie (loose or in a package's box)."""

from typing import Any

import sqlalchemy as sa

from core.orders.packing import ItemRequest, PackageRequest, add_package, pack_task, start_task
from core.orders.packing_ports import PackTask
from core.orders.picks import pick_item
from core.orders.ports import Order
from core.orders.shipping import ship_task
from data.database import Database
from data.packing.queries import task as read_task
from tests.floor import make_bin, worker_with_executor
from tests.orders import fresh, place
from tests.picking import complete, started_task, stock_bin

BOX = {"weight_kg": 1.2, "length_cm": 30, "width_cm": 20, "height_cm": 10}
_workers = iter(range(1, 10**9))


def picked_order(db: Database, lines: list[tuple[int, int]], **kw: Any) -> Order:
    """An order whose units are all picked to PACK-1 and whose picking is complete."""
    bin_id = make_bin(db, f"B-{next(_workers)}")
    spare = kw.pop("spare", 0)
    for product, quantity in lines:
        stock_bin(db, product, quantity + spare, bin_id)
    order = place(db, lines, **kw)
    t = started_task(db, order.picking_task_id or 0, f"picker{next(_workers)}")
    for item in t.items:
        pick_item(db.unit_of_work(), t.id, item.id, item.quantity_required, None)
    complete(db, t.id)
    return fresh(db, order.id)


def task(db: Database, task_id: int) -> PackTask:
    found = read_task(db.engine, task_id)
    assert found is not None
    return found


def packer(db: Database) -> int:
    return worker_with_executor(db, f"packer{next(_workers)}")[1]


def started(db: Database, task_id: int) -> PackTask:
    return start_task(db.unit_of_work(), task_id, packer(db), None).task


def package(db: Database, task_id: int, items: list[tuple[int, int]], *,
            kind: str = "box", key: str | None = None, **measures: Any) -> PackTask:  # fmt: skip
    sizes = {**BOX, **measures}
    request = PackageRequest(kind, [ItemRequest(q, product_id=p) for p, q in items], **sizes)
    return add_package(db.unit_of_work(), task_id, request, None, idempotency_key=key).task


def packed(db: Database, task_id: int) -> PackTask:
    return pack_task(db.unit_of_work(), task_id, None).task


def ship(db: Database, task_id: int, carrier: str = "manual", tracking: str | None = "TRK-1",
         **kw: Any) -> PackTask:  # fmt: skip
    return ship_task(db.unit_of_work(), task_id, carrier, tracking, None, **kw).task


def ready_to_ship(db: Database, lines: list[tuple[int, int]], **kw: Any) -> tuple[Order, int]:
    """An order packed in one box: (the order, its packing task's id)."""
    order = picked_order(db, lines, **kw)
    task_id = order.packing_task_id or 0
    started(db, task_id)
    package(db, task_id, lines)
    packed(db, task_id)
    return order, task_id


def at_station(db: Database, product: int) -> tuple[int, int, int]:
    """Units of a product at packing stations: (loose, in boxes, reserved)."""
    with db.engine.connect() as conn:
        row = conn.execute(sa.text(
            "SELECT coalesce(sum(CASE WHEN q.handling_unit_id IS NULL THEN q.quantity END), 0), "
            "coalesce(sum(CASE WHEN q.handling_unit_id IS NOT NULL THEN q.quantity END), 0), "
            "coalesce(sum(q.reserved), 0) FROM quant q JOIN location l ON l.id = q.location_id "
            "WHERE l.kind = 'packing' AND q.product_id = :p"), {"p": product}).one()  # fmt: skip
    return int(row[0]), int(row[1]), int(row[2])


def movements_of(db: Database, order_id: int) -> list[tuple[str, int, str]]:
    """The order's movements: (operation, quantity, to location's code), oldest first."""
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT m.operation_type, m.quantity, l.code FROM movement m JOIN location l "
            "ON l.id = m.to_location_id WHERE m.document = :d ORDER BY m.id"),
            {"d": f"order:{order_id}"}).all()  # fmt: skip
    return [(r[0], int(r[1]), r[2]) for r in rows]
