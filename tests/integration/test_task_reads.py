"""A picking or packing task as a step's unit of work reads it (on PostgreSQL its lock and
reads in one round trip on the driver) and as a step answers it (a pick's and a skip's
task built from the one read under the lock) equal the task the pages and the API read,
at every stage of an order's floor work, on SQLite and PostgreSQL."""

from typing import Any

from core.orders.picks import pick_item, skip_item
from data.database import Database
from data.packing.queries import task as packing_task
from data.picking.queries import task as picking_task
from tests.conftest import make_product
from tests.floor import make_bin
from tests.orders import fresh, place
from tests.packing import package, packed, ship, started
from tests.picking import complete, started_task, stock_bin


def in_unit_of_work(db: Database, repository: str, task_id: int) -> list[Any]:
    """The task read by the repository, unlocked and held, and its order as it names it."""
    with db.unit_of_work() as uow:
        found = getattr(uow, repository)
        return [found.task(task_id), found.task(task_id, hold=True), found.order_of(task_id)]


def check_picking(db: Database, task_id: int) -> None:
    read = picking_task(db.engine, task_id)
    assert read is not None
    assert in_unit_of_work(db, "picking", task_id) == [read, read, read.order_id]


def check_packing(db: Database, task_id: int) -> None:
    read = packing_task(db.engine, task_id)
    assert read is not None
    assert in_unit_of_work(db, "packing", task_id) == [read, read, read.order_id]


def test_a_task_reads_the_same_in_a_step_as_on_a_page(db: Database) -> None:
    products = [make_product(db) for _ in range(3)]
    bin_id = make_bin(db, "B-READS")
    for product in products:
        stock_bin(db, product, 10, bin_id)
    order = place(db, [(products[0], 3), (products[1], 2), (products[2], 4)])
    tid = order.picking_task_id or 0
    check_picking(db, tid)
    task = started_task(db, tid)
    check_picking(db, tid)
    first, second, third = task.items
    done = pick_item(db.unit_of_work(), tid, first.id, first.quantity_required, None).task
    assert done == picking_task(db.engine, tid)  # the answer: built, not read again
    done = pick_item(db.unit_of_work(), tid, second.id, 1, None).task  # short
    assert done == picking_task(db.engine, tid)
    done = skip_item(db.unit_of_work(), tid, third.id, "Нет в ячейке", None).task
    assert done == picking_task(db.engine, tid)
    assert [i.status for i in done.items] == ["picked", "short", "skipped"]
    complete(db, tid)
    check_picking(db, tid)
    pid = fresh(db, order.id).packing_task_id or 0
    check_packing(db, pid)
    started(db, pid)
    package(db, pid, [(products[0], 2)])
    check_packing(db, pid)
    package(db, pid, [(products[0], 1), (products[1], 1)], weight_kg=2.5)
    check_packing(db, pid)
    packed(db, pid)
    ship(db, pid)
    check_packing(db, pid)
    with db.unit_of_work() as uow:
        assert uow.picking.task(10**9) is None and uow.picking.order_of(10**9) is None
        assert uow.packing.task(10**9, hold=True) is None and uow.packing.order_of(10**9) is None
