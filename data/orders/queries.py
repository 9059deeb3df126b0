"""Reads of orders for pages and the API: the list with filters (server-paged), one
order with its lines and reservations, its history, and the carriers."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.orders.ports import Carrier, Order, Step
from core.orders.rules import FINISHED
from data.models import Carrier as CarrierRow
from data.orders.records import history_t, order_t, read_order, read_orders
from data.reads import page_bounds, product_t, user_t

carrier_t = CarrierRow.__table__


@dataclass(frozen=True)
class OrderPage:
    items: list[Order]
    total: int


def orders(
    engine: Engine,
    *,
    statuses: Sequence[str] = (),
    kind: str | None = None,
    external_id: str | None = None,
    source_id: int | None = None,
    number_prefix: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
    overdue_since: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> OrderPage:
    """Orders, newest first, with their lines and active reservations. `created_from`
    is inclusive, `created_to` exclusive; `overdue_since` (core.orders.rules.overdue_since)
    keeps the orders not finished and created before it; `number_prefix` matches the
    start of the external id (migration 0021 indexes all three reads)."""
    limit, offset = page_bounds(limit, offset)
    where: list[Any] = []
    if statuses:
        where.append(order_t.c.status.in_(list(statuses)))
    if kind:
        where.append(order_t.c.kind == kind)
    if external_id:
        where.append(order_t.c.external_id == external_id)
    if source_id is not None:
        where.append(order_t.c.source_id == source_id)
    if number_prefix:
        escaped = number_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(order_t.c.external_id.like(f"{escaped}%", escape="\\"))
    if created_from is not None:
        where.append(order_t.c.created_at >= created_from)
    if created_to is not None:
        where.append(order_t.c.created_at < created_to)
    if overdue_since is not None:
        where.append(order_t.c.status.not_in([str(s) for s in FINISHED]))
        where.append(order_t.c.created_at < overdue_since)
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(order_t).where(*where)
        ).scalar_one()
        items = read_orders(conn, where, [order_t.c.id.desc()], limit=limit, offset=offset)
    return OrderPage(items, int(total))


def order(engine: Engine, order_id: int) -> Order | None:
    with engine.connect() as conn:
        return read_order(conn, order_id)


@dataclass(frozen=True)
class HistoryRow:
    step: Step
    username: str | None


def history(engine: Engine, order_id: int) -> list[HistoryRow]:
    """The order's timeline, oldest first, with who did each step."""
    query = (
        sa.select(history_t, user_t.c.username)
        .select_from(history_t.outerjoin(user_t, user_t.c.id == history_t.c.user_id))
        .where(history_t.c.order_id == order_id)
        .order_by(history_t.c.at, history_t.c.id)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    fields = ("order_id", "action", "status", "user_id", "at", "details", "idempotency_key")
    return [HistoryRow(Step(**{f: r[f] for f in fields}), r["username"]) for r in rows]


def carriers(engine: Engine, *, active_only: bool = False) -> list[Carrier]:
    query = sa.select(carrier_t).order_by(carrier_t.c.is_active.desc(), carrier_t.c.name)
    if active_only:
        query = query.where(carrier_t.c.is_active)
    with engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    return [Carrier(r["code"], r["name"], bool(r["is_active"])) for r in rows]


def product_row(engine: Engine, product_id: int) -> dict[str, Any] | None:
    """A live product as the order form lists it (picked by name rather than scanned)."""
    query = sa.select(product_t.c.id, product_t.c.name, product_t.c.sku, product_t.c.barcode)
    query = query.where(product_t.c.id == product_id, product_t.c.is_deleted.is_(False))
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None
