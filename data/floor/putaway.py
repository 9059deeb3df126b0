"""Putaway's reads: `core.floor.putaway.PutawayStore` over the database, and the managers'
list of what still waits at MAIN."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.floor.locations import LocationKind
from core.floor.ports import Place
from core.floor.putaway import RECEIVING
from data.catalog.queries import product_search
from data.floor.store import something_there
from data.reads import location_t, page_bounds, product_t, quant_t, warehouse_t
from data.stock.queries import quants_of

_PLACE = sa.select(
    location_t.c.id,
    location_t.c.code,
    location_t.c.name,
    location_t.c.kind,
    warehouse_t.c.code.label("warehouse"),
    location_t.c.is_active,
).join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id, isouter=True)

# Active bins of the good-stock warehouse, in the order a worker walks them.
_BINS = (
    _PLACE.where(
        location_t.c.kind == LocationKind.BIN,
        location_t.c.is_active.is_(True),
        warehouse_t.c.code == RECEIVING,
    )
    .order_by(location_t.c.route_sequence, location_t.c.code)
    .limit(1)
)


def _place(row: Any) -> Place | None:
    return Place(**{**row, "is_active": bool(row["is_active"])}) if row else None


def _receiving_quants() -> sa.ColumnElement[bool]:
    """Loose stock at MAIN's own place (its location has the warehouse's code)."""
    main = sa.select(location_t.c.id).where(location_t.c.code == RECEIVING).scalar_subquery()
    return sa.and_(quant_t.c.location_id == main, quant_t.c.handling_unit_id.is_(None))


class SqlPutawayStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def place_by_code(self, code: str) -> Place | None:
        with self._engine.connect() as conn:
            row = conn.execute(_PLACE.where(location_t.c.code == code)).mappings().first()
        return _place(row)

    def waiting(self, product_id: int) -> int:
        query = sa.select(quant_t.c.quantity - quant_t.c.reserved).where(
            _receiving_quants(), quant_t.c.product_id == product_id
        )
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def bin_holding(self, product_id: int) -> Place | None:
        held = sa.exists().where(
            quant_t.c.location_id == location_t.c.id,
            quants_of(quant_t.c.product_id == product_id),
            quant_t.c.quantity > 0,
        )
        with self._engine.connect() as conn:
            return _place(conn.execute(_BINS.where(held)).mappings().first())

    def first_empty_bin(self) -> Place | None:
        with self._engine.connect() as conn:
            row = conn.execute(_BINS.where(~something_there(location_t.c.id))).mappings().first()
        return _place(row)


@dataclass(frozen=True)
class Waiting:
    product_id: int
    sku: str
    name: str
    barcode: str
    units: int  # unreserved, to be put away
    since: datetime  # when the oldest of them arrived (the quant's arrival)


@dataclass(frozen=True)
class WaitingPage:
    items: list[Waiting]
    total: int  # products waiting
    units: int  # units waiting, all pages


def waiting_for_putaway(
    engine: Engine, q: str | None = None, *, limit: int = 50, offset: int = 0
) -> WaitingPage:
    """Products with stock at MAIN not yet put away, the longest waiting first."""
    limit, offset = page_bounds(limit, offset)
    units = quant_t.c.quantity - quant_t.c.reserved
    conditions = [_receiving_quants(), units > 0]
    if (search := product_search(q)) is not None:
        conditions.append(search)
    query = (
        sa.select(
            quant_t.c.product_id, product_t.c.sku, product_t.c.name, product_t.c.barcode,
            units.label("units"), quant_t.c.received_at.label("since"),
        )
        .join(product_t, product_t.c.id == quant_t.c.product_id)
        .where(*conditions)
        .order_by(quant_t.c.received_at, quant_t.c.product_id)
        .limit(limit)
        .offset(offset)
    )  # fmt: skip
    matching = (
        sa.select(units.label("u"))
        .join(product_t, product_t.c.id == quant_t.c.product_id)
        .where(*conditions)
        .subquery()
    )
    totals = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(matching.c.u), 0))
    with engine.connect() as conn:
        count, all_units = conn.execute(totals).one()
        rows = conn.execute(query).mappings().all()
    return WaitingPage([Waiting(**row) for row in rows], int(count), int(all_units))
