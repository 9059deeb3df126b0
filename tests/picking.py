"""Picking helpers for tests: a reserved order with stock in bins, and the task's steps."""

from datetime import UTC, datetime

from core.orders.picking import assign_task, complete_task, start_task
from core.orders.picking_ports import PickTask
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from data.database import Database
from data.picking.queries import task as read_task
from tests.floor import location_id, worker_with_executor

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def stock_bin(db: Database, product: int, quantity: int, bin_id: int) -> None:
    """Stock received and put away into a bin."""
    post_movement(db.unit_of_work(), MovementRequest("RECEIPT", quantity, product_id=product),
                  user_id=None, at=T0)  # fmt: skip
    main = location_id(db, "MAIN")
    move = MovementRequest("TRANSFER", quantity, product_id=product, from_location_id=main,
                           to_location_id=bin_id)  # fmt: skip
    post_movement(db.unit_of_work(), move, user_id=None, at=T0)


def task(db: Database, task_id: int) -> PickTask:
    found = read_task(db.engine, task_id)
    assert found is not None
    return found


def started_task(db: Database, task_id: int, username: str = "picker") -> PickTask:
    """Assigned to a new worker's executor and started."""
    actor, executor_id = worker_with_executor(db, username)
    assign_task(db.unit_of_work(), task_id, executor_id, None)
    return start_task(db.unit_of_work(), task_id, actor.user_id).task


def complete(db: Database, task_id: int) -> PickTask:
    return complete_task(db.unit_of_work(), task_id, None).task
