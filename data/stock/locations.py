"""Locations as the stock pages read them: the internal ones to choose from, and the
warehouse each location belongs to."""

from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import Row, location_t, typed_all, warehouse_t


@dataclass(frozen=True, eq=False)
class LocationRow(Row):
    id: int
    code: str
    name: str
    warehouse: str  # its warehouse's code


def internal_locations(engine: Engine) -> list[LocationRow]:
    query = (
        sa.select(
            location_t.c.id,
            location_t.c.code,
            location_t.c.name,
            warehouse_t.c.code.label("warehouse"),
        )
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(location_t.c.is_active.is_(True))
        .order_by(location_t.c.route_sequence, location_t.c.code)
    )
    with engine.connect() as conn:
        return typed_all(LocationRow, conn.execute(query))


def warehouses_of(engine: Engine, location_ids: Iterable[int]) -> dict[int, str]:
    """The warehouse code (MAIN, DEFECT) of each of these locations that has one, active or
    not; virtual ones are left out. For a page of movements: reading every location (5,000
    bins) took three quarters of the product card's reads (bench/positions.py)."""
    ids = sorted(set(location_ids))
    if not ids:
        return {}
    query = (
        sa.select(location_t.c.id, warehouse_t.c.code)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(location_t.c.id.in_(ids))
    )
    with engine.connect() as conn:
        return {location_id: code for location_id, code in conn.execute(query).all()}
