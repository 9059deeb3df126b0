"""Picking tasks read into core's records on any connection: the repository (in its unit
of work's transaction) and the read queries (data.picking.queries) share these."""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.orders.picking_ports import PickItem, PickTask
from data.models import Executor, PickingHistory, PickingItem, PickingTask
from data.orders.records import order_t, utc
from data.reads import location_t, product_t
from data.transaction import Transaction

task_t = PickingTask.__table__
item_t = PickingItem.__table__
history_t = PickingHistory.__table__
executor_t = Executor.__table__
station_t = location_t.alias("station")

TASKS = sa.select(
    *task_t.c,
    order_t.c.external_id.label("order_external_id"),
    station_t.c.code.label("station_code"),
    executor_t.c.name.label("executor_name"),
).select_from(
    task_t.join(order_t, order_t.c.id == task_t.c.order_id)
    .join(station_t, station_t.c.id == task_t.c.station_id)
    .outerjoin(executor_t, executor_t.c.id == task_t.c.executor_id)
)
ITEMS = (
    sa.select(
        *item_t.c,
        location_t.c.code.label("location_code"),
        product_t.c.barcode,
        product_t.c.sku,
        product_t.c.name.label("product_name"),
    )
    .join(location_t, location_t.c.id == item_t.c.location_id)
    .join(product_t, product_t.c.id == item_t.c.product_id)
    .order_by(item_t.c.task_id, item_t.c.sequence, item_t.c.id)
)


def read_tasks(conn: Connection, where: Sequence[Any], order_by: Sequence[Any], *,
               limit: int | None = None, offset: int = 0) -> list[PickTask]:  # fmt: skip
    query = TASKS.where(*where).order_by(*order_by).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    heads = conn.execute(query).mappings().all()
    if not heads:
        return []
    items: dict[int, list[PickItem]] = defaultdict(list)
    ids = [h["id"] for h in heads]
    for row in conn.execute(ITEMS.where(item_t.c.task_id.in_(ids))).mappings():
        values = dict(row)
        values["barcode"] = values["barcode"] or ""
        items[values["task_id"]].append(PickItem(**values))
    return [PickTask(**dict(h), items=tuple(items[h["id"]])) for h in heads]


def read_task(conn: Connection, task_id: int) -> PickTask | None:
    found = read_tasks(conn, [task_t.c.id == task_id], [])
    return found[0] if found else None


# One task written out for a unit of work on PostgreSQL, sent on the driver's cursor
# (data.transaction): the task's lock (when held) and its two reads go in one round trip,
# in this order, so the reads see the task as it is once its row is ours.
TASK_COLUMNS = (*(c.name for c in task_t.c), "order_external_id", "station_code", "executor_name")
TASK_ROW = sa.text(
    "SELECT " + ", ".join(f"t.{c.name}" for c in task_t.c) + ", o.external_id, s.code, e.name "
    "FROM picking_task t JOIN sale_order o ON o.id = t.order_id "
    "JOIN location s ON s.id = t.station_id LEFT JOIN executor e ON e.id = t.executor_id "
    "WHERE t.id = :id"
)
ITEM_COLUMNS = (*(c.name for c in item_t.c), "location_code", "barcode", "sku", "product_name")
ITEM_ROWS = sa.text(
    "SELECT " + ", ".join(f"i.{c.name}" for c in item_t.c) + ", l.code, p.barcode, p.sku, "
    "p.name FROM picking_item i JOIN location l ON l.id = i.location_id "
    "JOIN product p ON p.id = i.product_id WHERE i.task_id = :id ORDER BY i.sequence, i.id"
)


def task_on_driver(tx: Transaction, task_id: int, *,
                   lock: sa.TextClause | None = None) -> PickTask | None:  # fmt: skip
    """`read_task` on the driver, after `lock` (the task's row locked) when given:
    PostgreSQL only."""
    reads = [(TASK_ROW, {"id": task_id}), (ITEM_ROWS, {"id": task_id})]
    found = tx.read_together([(lock, {"id": task_id}), *reads] if lock is not None else reads)
    heads, item_rows = found[-2:]
    if not heads:
        return None
    items = []
    for row in item_rows:
        values = dict(zip(ITEM_COLUMNS, row, strict=True))
        values["barcode"] = values["barcode"] or ""
        items.append(PickItem(**values))
    head = {k: utc(v) for k, v in zip(TASK_COLUMNS, heads[0], strict=True)}
    return PickTask(**head, items=tuple(items))
