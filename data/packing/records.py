"""Packing tasks read into core's records on any connection: the repository (in its unit
of work's transaction) and the read queries (data.packing.queries) share these.

A task's items are its order's lines that came to packing: `quantity` = picked + shipped,
`packed_quantity` = packed + shipped (shipping moves picked and packed units to shipped).
"""

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.orders.packing_ports import Package, PackageLine, PackItem, PackTask
from data.models import Package as PackageRow
from data.models import PackageItem, PackingHistory, PackingTask
from data.orders.records import line_t, order_t, utc
from data.reads import location_t, product_t
from data.transaction import Transaction

task_t = PackingTask.__table__
package_t = PackageRow.__table__
package_item_t = PackageItem.__table__
history_t = PackingHistory.__table__
station_t = location_t.alias("station")

TASKS = sa.select(
    *task_t.c,
    order_t.c.external_id.label("order_external_id"),
    order_t.c.kind.label("order_kind"),
    station_t.c.code.label("station_code"),
).select_from(
    task_t.join(order_t, order_t.c.id == task_t.c.order_id).join(
        station_t, station_t.c.id == task_t.c.station_id
    )
)
ITEMS = (
    sa.select(
        line_t.c.order_id,
        line_t.c.product_id,
        sa.func.sum(line_t.c.picked + line_t.c.shipped).label("quantity"),
        sa.func.sum(line_t.c.packed + line_t.c.shipped).label("packed_quantity"),
        product_t.c.barcode,
        product_t.c.sku,
        product_t.c.name.label("product_name"),
        product_t.c.gtin,
        product_t.c.requires_marking,
    )
    .join(product_t, product_t.c.id == line_t.c.product_id)
    .where(line_t.c.picked + line_t.c.shipped > 0)
    .group_by(
        line_t.c.order_id,
        line_t.c.product_id,
        product_t.c.barcode,
        product_t.c.sku,
        product_t.c.name,
        product_t.c.gtin,
        product_t.c.requires_marking,
    )
    .order_by(line_t.c.order_id, sa.func.min(line_t.c.sequence), line_t.c.product_id)
)
PACKAGES = sa.select(*package_t.c).order_by(
    package_t.c.packing_task_id, package_t.c.sequence_number
)
PACKAGE_LINES = (
    sa.select(
        package_item_t.c.package_id,
        package_item_t.c.product_id,
        sa.func.sum(package_item_t.c.quantity).label("quantity"),
        product_t.c.barcode,
        product_t.c.sku,
    )
    .join(product_t, product_t.c.id == package_item_t.c.product_id)
    .group_by(
        package_item_t.c.package_id,
        package_item_t.c.product_id,
        product_t.c.barcode,
        product_t.c.sku,
    )
    .order_by(package_item_t.c.package_id, package_item_t.c.product_id)
)


def _packages(conn: Connection, task_ids: list[int]) -> dict[int, list[Package]]:
    rows = conn.execute(PACKAGES.where(package_t.c.packing_task_id.in_(task_ids))).mappings()
    heads = [dict(r) for r in rows]
    lines: dict[int, list[PackageLine]] = defaultdict(list)
    if heads:
        ids = [h["id"] for h in heads]
        query = PACKAGE_LINES.where(package_item_t.c.package_id.in_(ids))
        for row in conn.execute(query).mappings():
            values = dict(row)
            package_id = values.pop("package_id")
            values["barcode"] = values["barcode"] or ""
            lines[package_id].append(PackageLine(**values))
    found: dict[int, list[Package]] = defaultdict(list)
    for h in heads:
        h.pop("created_at", None)
        found[h["packing_task_id"]].append(Package(**h, items=tuple(lines[h["id"]])))
    return found


def read_tasks(conn: Connection, where: Sequence[Any], order_by: Sequence[Any], *,
               limit: int | None = None, offset: int = 0) -> list[PackTask]:  # fmt: skip
    query = TASKS.where(*where).order_by(*order_by).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    heads = conn.execute(query).mappings().all()
    if not heads:
        return []
    order_ids = sorted({h["order_id"] for h in heads})
    items: dict[int, list[PackItem]] = defaultdict(list)
    for row in conn.execute(ITEMS.where(line_t.c.order_id.in_(order_ids))).mappings():
        values = dict(row)
        order_id = values.pop("order_id")
        values.update(quantity=int(values["quantity"]),
                      packed_quantity=int(values["packed_quantity"]),
                      barcode=values["barcode"] or "",
                      requires_marking=bool(values["requires_marking"]))  # fmt: skip
        items[order_id].append(PackItem(**values))
    packages = _packages(conn, [h["id"] for h in heads])
    return [
        PackTask(**dict(h), items=tuple(items[h["order_id"]]), packages=tuple(packages[h["id"]]))
        for h in heads
    ]


def read_task(conn: Connection, task_id: int) -> PackTask | None:
    found = read_tasks(conn, [task_t.c.id == task_id], [])
    return found[0] if found else None


# One task written out for a unit of work on PostgreSQL, sent on the driver's cursor
# (data.transaction): the task's lock (when held) and its four reads go in one round trip,
# in this order, so the reads see the task as it is once its row is ours.
TASK_COLUMNS = (*(c.name for c in task_t.c), "order_external_id", "order_kind", "station_code")
TASK_ROW = sa.text(
    "SELECT " + ", ".join(f"t.{c.name}" for c in task_t.c) + ", o.external_id, o.kind, "
    "s.code FROM packing_task t JOIN sale_order o ON o.id = t.order_id "
    "JOIN location s ON s.id = t.station_id WHERE t.id = :id"
)
ITEM_ROWS = sa.text(
    "SELECT l.product_id, sum(l.picked + l.shipped), sum(l.packed + l.shipped), p.barcode, "
    "p.sku, p.name, p.gtin, p.requires_marking FROM order_line l "
    "JOIN product p ON p.id = l.product_id "
    "WHERE l.order_id = (SELECT order_id FROM packing_task WHERE id = :id) "
    "AND l.picked + l.shipped > 0 "
    "GROUP BY l.product_id, p.barcode, p.sku, p.name, p.gtin, p.requires_marking "
    "ORDER BY min(l.sequence), l.product_id"
)
PACKAGE_COLUMNS = tuple(c.name for c in package_t.c if c.name != "created_at")
PACKAGE_ROWS = sa.text(
    "SELECT " + ", ".join(PACKAGE_COLUMNS) + " FROM package WHERE packing_task_id = :id "
    "ORDER BY sequence_number"
)
LINE_ROWS = sa.text(
    "SELECT i.package_id, i.product_id, sum(i.quantity), p.barcode, p.sku "
    "FROM package_item i JOIN package k ON k.id = i.package_id "
    "JOIN product p ON p.id = i.product_id WHERE k.packing_task_id = :id "
    "GROUP BY i.package_id, i.product_id, p.barcode, p.sku ORDER BY i.package_id, i.product_id"
)


def task_on_driver(tx: Transaction, task_id: int, *,
                   lock: sa.TextClause | None = None) -> PackTask | None:  # fmt: skip
    """`read_task` on the driver, after `lock` (the task's row locked) when given:
    PostgreSQL only."""
    o = {"id": task_id}
    reads = [(TASK_ROW, o), (ITEM_ROWS, o), (PACKAGE_ROWS, o), (LINE_ROWS, o)]
    found = tx.read_together([(lock, o), *reads] if lock is not None else reads)
    heads, item_rows, package_rows, line_rows = found[-4:]
    if not heads:
        return None
    items = [
        PackItem(
            product_id, int(quantity), int(packed), barcode or "", sku, name, gtin, bool(marked)
        )
        for product_id, quantity, packed, barcode, sku, name, gtin, marked in item_rows
    ]
    lines: dict[int, list[PackageLine]] = defaultdict(list)
    for package_id, product_id, quantity, barcode, sku in line_rows:
        lines[package_id].append(PackageLine(product_id, int(quantity), barcode=barcode or "",
                                             sku=sku))  # fmt: skip
    packages = [Package(**dict(zip(PACKAGE_COLUMNS, row, strict=True)),
                        items=tuple(lines[row[0]])) for row in package_rows]  # fmt: skip
    head = {k: utc(v) for k, v in zip(TASK_COLUMNS, heads[0], strict=True)}
    return PackTask(**head, items=tuple(items), packages=tuple(packages))
