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
from data.orders.records import line_t, order_t
from data.reads import location_t, product_t

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
