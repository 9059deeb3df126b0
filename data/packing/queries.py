"""Reads of packing tasks for pages and the API: the list with filters (server-paged) and
one task, and the one column the API's own-task check needs."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.labels.package import PackageLabel
from core.orders.labels import destination_of
from core.orders.labels import task_labels as core_labels
from core.orders.packing_ports import PackTask
from core.orders.ports import Order
from data.db import single_read
from data.orders.queries import carrier_t
from data.orders.records import order_on_driver, order_t, read_order
from data.packing.records import read_task, read_tasks, task_on_driver, task_t
from data.picking.queries import Ownership, ownership_sql
from data.reads import dc_t, location_t, page_bounds
from data.transaction import Transaction


@dataclass(frozen=True)
class TaskPage:
    items: list[PackTask]
    total: int


def tasks(engine: Engine, *, statuses: Sequence[str] = (), order_id: int | None = None,
          limit: int = 50, offset: int = 0) -> TaskPage:  # fmt: skip
    """Tasks, newest first."""
    limit, offset = page_bounds(limit, offset)
    where: list[Any] = []
    if statuses:
        where.append(task_t.c.status.in_(list(statuses)))
    if order_id is not None:
        where.append(task_t.c.order_id == order_id)
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(task_t).where(*where)
        ).scalar_one()
        items = read_tasks(conn, where, [task_t.c.id.desc()], limit=limit, offset=offset)
    return TaskPage(items, int(total))


def task(engine: Engine, task_id: int) -> PackTask | None:
    with engine.connect() as conn:
        return read_task(conn, task_id)


@dataclass(frozen=True)
class TaskLabels:
    task: PackTask
    labels: list[PackageLabel]
    printer_address: str | None  # the packing station's label printer (None: none set)


# The carrier's name, the supply's DC and the station's printer: one statement.
LABEL_NAMES = sa.select(
    sa.select(carrier_t.c.name).where(carrier_t.c.code == sa.bindparam("carrier"))
    .scalar_subquery(),
    sa.select(dc_t.c.name).where(dc_t.c.id == sa.bindparam("dc")).scalar_subquery(),
    sa.select(location_t.c.printer_address).where(location_t.c.id == sa.bindparam("station"))
    .scalar_subquery(),
)  # fmt: skip


def _task_and_order(conn: Connection, task_id: int) -> tuple[PackTask | None, Order | None]:
    """On PostgreSQL each read in one round trip on the driver (data.transaction)."""
    if conn.dialect.name != "postgresql":
        found = read_task(conn, task_id)
        return found, read_order(conn, found.order_id) if found else None
    tx = Transaction(conn)
    try:
        found = task_on_driver(tx, task_id)
        return found, order_on_driver(tx, found.order_id) if found else None
    finally:
        tx.close()


def task_labels(engine: Engine, task_id: int) -> TaskLabels | None:
    """The task's package labels (core.orders.labels.task_labels) with the carrier's name,
    the destination (the customer's address, or the marketplace DC) and its station's
    printer; None when there is no such task."""
    with engine.connect() as conn:
        found, order = _task_and_order(conn, task_id)
        if found is None or order is None:
            return None
        code = found.carrier or order.carrier
        supply = order.kind == "supply" and order.distribution_center_id is not None
        carrier, dc, printer = conn.execute(LABEL_NAMES, {
            "carrier": code, "dc": order.distribution_center_id if supply else None,
            "station": found.station_id,
        }).one()  # fmt: skip
    destination = dc if supply else destination_of(order.ship_to)
    labels = core_labels(found, order, carrier or code, destination)
    return TaskLabels(found, labels, printer)


OPEN = ("pending", "in_progress", "packed")


def queue(engine: Engine, limit: int = 50) -> list[PackTask]:
    """The packing table's queue: tasks not yet shipped nor cancelled, oldest first."""
    with engine.connect() as conn:
        return read_tasks(conn, [task_t.c.status.in_(OPEN)], [task_t.c.id], limit=limit)


def find_task(engine: Engine, code: str) -> int | None:
    """The task a scan names: its order's external id (the latest task of that order), or
    the task's number."""
    code = code.strip()
    if not code:
        return None
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(task_t.c.id)
            .join(order_t, order_t.c.id == task_t.c.order_id)
            .where(order_t.c.external_id == code)
            .order_by(task_t.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if found is None and code.isdigit() and len(code) < 10:
            found = conn.execute(
                sa.select(task_t.c.id).where(task_t.c.id == int(code))
            ).scalar_one_or_none()
    return found


OWNERSHIP = ownership_sql(task_t.name)


def ownership(engine: Engine, task_id: int, user_id: int) -> Ownership | None:
    """One statement, one row: the packing task's executor_id and the user's executor;
    None when there is no such task (the full task is not read for the own-task check)."""
    with single_read(engine) as conn:
        row = conn.execute(OWNERSHIP, {"id": task_id, "user": user_id}).first()
    return Ownership(row[0], row[1]) if row else None
