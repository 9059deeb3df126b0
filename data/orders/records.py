"""Orders read into core's records on any connection: the repository (in its unit of
work's transaction) and the read queries (data.orders.queries) share these."""

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.orders.ports import Order, OrderLine, Reservation, ShipTo
from data.models import OrderHistory, PackingTask, PickingTask, SaleOrder, UtcDateTime
from data.models import OrderLine as OrderLineRow
from data.models import Reservation as ReservationRow
from data.reads import location_t, product_t, quant_t, source_t
from data.transaction import Transaction

order_t = SaleOrder.__table__
line_t = OrderLineRow.__table__
reservation_t = ReservationRow.__table__
history_t = OrderHistory.__table__
_task_t = PickingTask.__table__
_packing_t = PackingTask.__table__
# The order's latest picking task (a cancelled one stays its history).
_PICKING_TASK = (
    sa.select(sa.func.max(_task_t.c.id)).where(_task_t.c.order_id == order_t.c.id)
).scalar_subquery()
_PACKING_TASK = (
    sa.select(sa.func.max(_packing_t.c.id)).where(_packing_t.c.order_id == order_t.c.id)
).scalar_subquery()

ORDER_COLUMNS = (
    order_t.c.id, order_t.c.external_id, order_t.c.source_id, order_t.c.kind,
    order_t.c.priority, order_t.c.status, order_t.c.carrier, order_t.c.distribution_center_id,
    order_t.c.ship_to, order_t.c.tracking_number, order_t.c.created_by, order_t.c.created_at,
    order_t.c.confirmed_at, order_t.c.reserved_until, order_t.c.cancelled_at,
    order_t.c.cancel_reason, source_t.c.name.label("source_name"),
    _PICKING_TASK.label("picking_task_id"), _PACKING_TASK.label("packing_task_id"),
)  # fmt: skip
ORDERS = sa.select(*ORDER_COLUMNS).select_from(
    order_t.outerjoin(source_t, source_t.c.id == order_t.c.source_id)
)
# A line's reserved units: the sum of its active reservations still in bins (never a
# stored copy); those at a packing station are its `picked` units (§6).
_RESERVED = (
    sa.select(sa.func.coalesce(sa.func.sum(reservation_t.c.quantity), 0))
    .where(
        reservation_t.c.order_line_id == line_t.c.id,
        reservation_t.c.status == "active",
        reservation_t.c.stage == "bin",
    )
    .scalar_subquery()
)
LINES = (
    sa.select(
        line_t.c.id,
        line_t.c.order_id,
        line_t.c.sequence,
        line_t.c.product_id,
        line_t.c.quantity,
        _RESERVED.label("reserved"),
        line_t.c.picked,
        line_t.c.packed,
        line_t.c.shipped,
        product_t.c.sku,
        product_t.c.barcode,
        product_t.c.name.label("product_name"),
    )
    .join(product_t, product_t.c.id == line_t.c.product_id)
    .order_by(line_t.c.order_id, line_t.c.sequence, line_t.c.id)
)
RESERVATIONS = (
    sa.select(
        reservation_t.c.id,
        reservation_t.c.order_id,
        reservation_t.c.order_line_id,
        reservation_t.c.quant_id,
        line_t.c.product_id,
        location_t.c.id.label("location_id"),
        reservation_t.c.quantity,
        reservation_t.c.status,
        reservation_t.c.created_at,
        reservation_t.c.expires_at,
        location_t.c.code.label("location_code"),
        reservation_t.c.stage,
        quant_t.c.handling_unit_id,
    )
    .join(line_t, line_t.c.id == reservation_t.c.order_line_id)
    .join(quant_t, quant_t.c.id == reservation_t.c.quant_id)
    .join(location_t, location_t.c.id == quant_t.c.location_id)
    # Per order in the order a picker walks: by route, then by code.
    .order_by(
        reservation_t.c.order_id, location_t.c.route_sequence, location_t.c.code, reservation_t.c.id
    )
)


# The same reads written out for one order in a unit of work on PostgreSQL, sent on the
# driver's cursor (data.transaction): what placing an order reads back costs no more than
# the statements themselves. Its times come back in the session's zone: made UTC below.
ORDER_ROW = sa.text(
    "SELECT o.id, o.external_id, o.source_id, o.kind, o.priority, o.status, o.carrier, "
    "o.distribution_center_id, o.ship_to, o.tracking_number, o.created_by, o.created_at, "
    "o.confirmed_at, o.reserved_until, o.cancelled_at, o.cancel_reason, "
    "s.name AS source_name, (SELECT max(t.id) FROM picking_task t WHERE t.order_id = o.id) "
    "AS picking_task_id, (SELECT max(k.id) FROM packing_task k WHERE k.order_id = o.id) "
    "AS packing_task_id FROM sale_order o LEFT JOIN source s ON s.id = o.source_id "
    "WHERE o.id = :o"
)
ORDER_COLUMNS_OUT = tuple(c.name for c in ORDER_COLUMNS)
# Its lines and active reservations as LINES and RESERVATIONS read them (the use cases
# read these in their unit of work too: data.orders.repository).
LINES_OF = sa.text(
    "SELECT l.id, l.sequence, l.product_id, l.quantity, coalesce((SELECT sum(r.quantity) "
    "FROM reservation r WHERE r.order_line_id = l.id AND r.status = 'active' "
    "AND r.stage = 'bin'), 0) AS reserved, l.picked, l.packed, l.shipped, p.sku, p.barcode, "
    "p.name AS product_name FROM order_line l JOIN product p ON p.id = l.product_id "
    "WHERE l.order_id = :o ORDER BY l.sequence, l.id"
)
LINE_COLUMNS = ("id", "sequence", "product_id", "quantity", "reserved", "picked", "packed",
                "shipped", "sku", "barcode", "product_name")  # fmt: skip
# Per order in the order a picker walks: by route, then by code.
ACTIVE_RESERVATIONS = sa.text(
    "SELECT r.id, r.order_line_id, r.quant_id, l.product_id, loc.id AS location_id, "
    "r.quantity, r.status, r.created_at, r.expires_at, loc.code AS location_code, r.stage, "
    "q.handling_unit_id FROM reservation r JOIN order_line l ON l.id = r.order_line_id "
    "JOIN quant q ON q.id = r.quant_id JOIN location loc ON loc.id = q.location_id "
    "WHERE r.order_id = :o AND r.status = 'active' ORDER BY loc.route_sequence, loc.code, r.id"
)
ACTIVE_RESERVATIONS_TYPED = ACTIVE_RESERVATIONS.columns(
    created_at=UtcDateTime(), expires_at=UtcDateTime()
)
# These reservations (just written: SQLite's reserve), as ACTIVE_RESERVATIONS lists them.
_THESE = ACTIVE_RESERVATIONS.text.replace("r.order_id = :o AND r.status = 'active'", "r.id IN :ids")
RESERVATIONS_TYPED = (
    sa.text(_THESE)
    .bindparams(sa.bindparam("ids", expanding=True))
    .columns(created_at=UtcDateTime(), expires_at=UtcDateTime())
)
RESERVATION_COLUMNS = ("id", "order_line_id", "quant_id", "product_id", "location_id",
                       "quantity", "status", "created_at", "expires_at", "location_code",
                       "stage", "handling_unit_id")  # fmt: skip


def utc(value: Any) -> Any:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def reservation_of(row: Sequence[Any]) -> Reservation:
    return Reservation(**{k: utc(v) for k, v in zip(RESERVATION_COLUMNS, row, strict=True)})


def order_on_driver(tx: Transaction, order_id: int) -> Order | None:
    """`read_order` (active reservations) on the driver, its three reads in one round
    trip: PostgreSQL only."""
    o = {"o": order_id}
    heads, line_rows, held_rows = tx.read_together(
        [(ORDER_ROW, o), (LINES_OF, o), (ACTIVE_RESERVATIONS, o)]
    )
    if not heads:
        return None
    head = {k: utc(v) for k, v in zip(ORDER_COLUMNS_OUT, heads[0], strict=True)}
    lines = [OrderLine(**dict(zip(LINE_COLUMNS, r, strict=True))) for r in line_rows]
    held = [reservation_of(r) for r in held_rows]
    return Order(**{**head, "ship_to": _ship_to(head["ship_to"])}, lines=tuple(lines),
                 reservations=tuple(held))  # fmt: skip


def ship_to_json(ship_to: ShipTo | None) -> str | None:
    if ship_to is None:
        return None
    values = {k: v for k, v in ship_to.__dict__.items() if v is not None}
    return json.dumps(values, ensure_ascii=False) if values else None


def _ship_to(text: str | None) -> ShipTo | None:
    return ShipTo(**json.loads(text)) if text else None


def read_orders(
    conn: Connection, where: Sequence[Any], order_by: Sequence[Any], *,
    limit: int | None = None, offset: int = 0, active_only: bool = True,
) -> list[Order]:  # fmt: skip
    """Orders with their lines and (active, unless told) reservations."""
    query = ORDERS.where(*where).order_by(*order_by).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    heads = conn.execute(query).mappings().all()
    ids = [h["id"] for h in heads]
    if not ids:
        return []
    lines: dict[int, list[OrderLine]] = defaultdict(list)
    for row in conn.execute(LINES.where(line_t.c.order_id.in_(ids))).mappings():
        values = dict(row)
        lines[values.pop("order_id")].append(OrderLine(**values))
    held: dict[int, list[Reservation]] = defaultdict(list)
    conditions = [reservation_t.c.order_id.in_(ids)]
    if active_only:
        conditions.append(reservation_t.c.status == "active")
    for row in conn.execute(RESERVATIONS.where(*conditions)).mappings():
        values = dict(row)
        held[values.pop("order_id")].append(Reservation(**values))
    return [
        Order(
            **{**dict(h), "ship_to": _ship_to(h["ship_to"])},
            lines=tuple(lines[h["id"]]),
            reservations=tuple(held[h["id"]]),
        )
        for h in heads
    ]


def read_order(conn: Connection, order_id: int, *, active_only: bool = True) -> Order | None:
    found = read_orders(conn, [order_t.c.id == order_id], [], active_only=active_only)
    return found[0] if found else None
