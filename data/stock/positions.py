"""Inventory positions (DESIGN.md §2a): the quants as the API shows them, each with the
version an adjustment must name."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import page_bounds, quant_t
from data.stock.queries import quants_of


@dataclass(frozen=True)
class PositionFilter:
    product_id: int | None = None
    location_id: int | None = None
    handling_unit_id: int | None = None

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        q = quant_t.c
        wanted = ((q.location_id, self.location_id), (q.handling_unit_id, self.handling_unit_id))
        found = [column == value for column, value in wanted if value is not None]
        if self.product_id is not None:
            # Through the two partial unique indexes: quant has no plain index on
            # product_id, and a product's positions were a scan of every quant.
            found.append(quants_of(q.product_id == self.product_id))
        return found


@dataclass(frozen=True)
class Position:
    id: int
    product_id: int
    location_id: int
    handling_unit_id: int | None
    quantity: int
    reserved: int
    available: int
    received_at: datetime
    version: int


@dataclass(frozen=True)
class PositionPage:
    items: list[Position]
    total: int


_COLUMNS = (
    quant_t.c.id,
    quant_t.c.product_id,
    quant_t.c.location_id,
    quant_t.c.handling_unit_id,
    quant_t.c.quantity,
    quant_t.c.reserved,
    (quant_t.c.quantity - quant_t.c.reserved).label("available"),
    quant_t.c.received_at,
    quant_t.c.version,
)


def positions(
    engine: Engine, flt: PositionFilter | None = None, *, limit: int = 50, offset: int = 0
) -> PositionPage:
    """Quants in id order (stable pages), with how many match the filter."""
    limit, offset = page_bounds(limit, offset)
    conditions = (flt or PositionFilter()).conditions()
    query = sa.select(*_COLUMNS).where(*conditions).order_by(quant_t.c.id)
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(quant_t).where(*conditions)
        ).scalar_one()
        rows = conn.execute(query.limit(limit).offset(offset)).mappings()
        return PositionPage([Position(**row) for row in rows], total)


def position(engine: Engine, position_id: int) -> Position | None:
    with engine.connect() as conn:
        row = conn.execute(sa.select(*_COLUMNS).where(quant_t.c.id == position_id)).mappings()
        found = row.first()
        return Position(**found) if found else None
