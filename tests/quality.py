"""Quality-control helpers for tests: the setting turned on, an order picked into its
check, and the check's steps in the domain's words."""

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from core.orders.picks import pick_item
from core.orders.ports import Order
from core.orders.quality import Done, UnitRequest, finish_check, record_unit, start_check
from core.orders.quality_ports import QcTask
from core.settings import get_settings
from data.database import Database
from data.orders.quality import check, order_checks
from tests.floor import worker_with_executor
from tests.orders import fresh, place
from tests.picking import complete, started_task

_workers = iter(range(1, 10**9))


@pytest.fixture
def qc_for_customers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Customer orders (FBS) are checked before packing."""
    monkeypatch.setenv("WMS_QC_ORDER_KINDS", "customer")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def pick_all(db: Database, picking_task_id: int) -> None:
    """Every item of the task picked whole, and the task completed."""
    t = started_task(db, picking_task_id, f"qcpicker{next(_workers)}")
    for item in t.items:
        pick_item(db.unit_of_work(), t.id, item.id, item.quantity_required, None)
    complete(db, t.id)


def picked_into_check(
    db: Database, lines: list[tuple[int, int]], **kw: Any
) -> tuple[Order, QcTask]:
    """A placed order picked whole; its (first) check."""
    order = place(db, lines, **kw)
    pick_all(db, order.picking_task_id or 0)
    [qc] = order_checks(db.engine, order.id)
    return fresh(db, order.id), qc


def checker(db: Database) -> int:
    return worker_with_executor(db, f"checker{next(_workers)}")[1]


def started(db: Database, task_id: int) -> QcTask:
    return start_check(db.unit_of_work(), task_id, checker(db), None).task


def unit(db: Database, task_id: int, product: int, condition: str = "good",
         reason: str | None = None, key: str | None = None) -> Done:  # fmt: skip
    request = UnitRequest(condition, product_id=product, reason=reason)
    return record_unit(db.unit_of_work(), task_id, request, None, idempotency_key=key)


def finish(db: Database, task_id: int) -> QcTask:
    return finish_check(db.unit_of_work(), task_id, None).task


def read(db: Database, task_id: int) -> QcTask:
    found = check(db.engine, task_id)
    assert found is not None
    return found


def history(db: Database, order_id: int) -> list[tuple[str, str]]:
    with db.engine.connect() as conn:
        steps = sa.text("SELECT action, details FROM order_history WHERE order_id = :o ORDER BY id")
        rows = conn.execute(steps, {"o": order_id})
        return [(r[0], r[1]) for r in rows]
