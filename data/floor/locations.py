"""Read side of the storage map: locations with their occupancy, a location's contents, and
where a product lies (per location and handling unit) for the product card and balances."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.floor.locations import INTERNAL_KINDS
from data.floor.store import handling_unit_t, something_there
from data.reads import (
    Page,
    like_pattern,
    location_t,
    page_bounds,
    page_with_total,
    product_t,
    quant_t,
    retry_in_other_layout,
    warehouse_t,
)
from data.stock.queries import quants_of

LISTED_KINDS = tuple(sorted(INTERNAL_KINDS))
LOCATION_SORTS = ("route_sequence", "code", "name", "zone", "kind", "warehouse", "units")
_OCCUPANCY = ("units", "reserved", "products", "handling_units")


@dataclass(frozen=True)
class LocationFilter:
    q: str = ""  # a part of the code or the name
    kind: str | None = None
    zone: str | None = None
    warehouse: str | None = None  # MAIN or DEFECT
    active: bool | None = None
    occupied: bool | None = None  # True: stock or an open handling unit lies there


def _stock_by_location() -> sa.Subquery:
    return (
        sa.select(
            quant_t.c.location_id,
            sa.func.sum(quant_t.c.quantity).label("units"),
            sa.func.sum(quant_t.c.reserved).label("reserved"),
            sa.func.count(
                sa.distinct(sa.case((quant_t.c.quantity > 0, quant_t.c.product_id)))
            ).label("products"),
        )
        .group_by(quant_t.c.location_id)
        .subquery("stock")
    )


def _base(flt: LocationFilter, q: str | None) -> sa.Select[Any]:
    query = (
        sa.select(
            location_t.c.id,
            location_t.c.code,
            location_t.c.name,
            location_t.c.kind,
            warehouse_t.c.code.label("warehouse"),
            location_t.c.zone,
            location_t.c.route_sequence,
            location_t.c.is_active,
            location_t.c.printer_address,
        )
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(location_t.c.kind.in_(LISTED_KINDS))
    )
    if q:
        pattern = like_pattern(q)
        query = query.where(
            sa.or_(
                sa.func.lower(location_t.c.code).like(pattern, escape="\\"),
                sa.func.replace(sa.func.lower(location_t.c.name), "ё", "е").like(
                    pattern, escape="\\"
                ),
            )
        )
    if flt.kind:
        query = query.where(location_t.c.kind == flt.kind)
    if flt.zone:
        query = query.where(location_t.c.zone == flt.zone)
    if flt.warehouse:
        query = query.where(warehouse_t.c.code == flt.warehouse)
    if flt.active is not None:
        query = query.where(location_t.c.is_active == flt.active)
    if flt.occupied is not None:
        there = something_there(location_t.c.id)
        query = query.where(there if flt.occupied else ~there)
    return query


def locations(
    engine: Engine,
    flt: LocationFilter = LocationFilter(),
    *,
    limit: int = 50,
    offset: int = 0,
    sort: str = "route_sequence",
    descending: bool = False,
) -> Page:
    """One page of internal locations with their occupancy (`units`, `reserved`,
    `products`: how many different products, `handling_units`: open ones there).
    A text that finds nothing is tried in the other keyboard layout (a scanner typing
    `A-01` as «Ф-01»)."""
    limit, offset = page_bounds(limit, offset)
    sort = sort if sort in LOCATION_SORTS else "route_sequence"

    def search(q: str | None) -> Page:
        query = _base(flt, q)
        if sort == "units":  # only this order needs every location's stock summed
            stock = _stock_by_location()
            query = query.outerjoin(stock, stock.c.location_id == location_t.c.id).add_columns(
                sa.func.coalesce(stock.c.units, 0).label("units")
            )
        order = [(sort, descending), ("code", False), ("id", False)]
        count = sa.select(sa.func.count()).select_from(_base(flt, q).subquery())
        with engine.connect() as conn:
            rows, total = page_with_total(
                conn, query, order, count, filtered=bool(q), limit=limit, offset=offset
            )
            _add_occupancy(conn, rows)
        return Page(rows, total)

    q = flt.q.strip() if flt.q else None
    return retry_in_other_layout(q, search)


def _add_occupancy(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """The occupancy of the page's locations only (the location index, a few rows each)."""
    ids = [row["id"] for row in rows]
    found: dict[int, dict[str, int]] = {}
    if ids:
        stock = (
            sa.select(
                quant_t.c.location_id,
                sa.func.sum(quant_t.c.quantity).label("units"),
                sa.func.sum(quant_t.c.reserved).label("reserved"),
                sa.func.count(
                    sa.distinct(sa.case((quant_t.c.quantity > 0, quant_t.c.product_id)))
                ).label("products"),
            )
            .where(quant_t.c.location_id.in_(ids))
            .group_by(quant_t.c.location_id)
        )
        for row in conn.execute(stock).mappings():
            found[row["location_id"]] = {
                "units": int(row["units"] or 0),
                "reserved": int(row["reserved"] or 0),
                "products": int(row["products"] or 0),
            }
        units = (
            sa.select(handling_unit_t.c.location_id, sa.func.count().label("n"))
            .where(handling_unit_t.c.location_id.in_(ids), handling_unit_t.c.closed_at.is_(None))
            .group_by(handling_unit_t.c.location_id)
        )
        for location_id, n in conn.execute(units).all():
            found.setdefault(location_id, {})["handling_units"] = int(n)
    for row in rows:
        row["is_active"] = bool(row["is_active"])
        mine = found.get(row["id"], {})
        for key in _OCCUPANCY:
            row[key] = mine.get(key, 0)


def location_row(engine: Engine, location_id: int) -> dict[str, Any] | None:
    """One internal location as `locations` lists it."""
    query = _base(LocationFilter(), None).where(location_t.c.id == location_id)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
        if row is None:
            return None
        rows = [dict(row)]
        _add_occupancy(conn, rows)
    return rows[0]


def contents(engine: Engine, location_id: int) -> list[dict[str, Any]]:
    """What lies at a location: per product and handling unit, `quantity` and `reserved`;
    open handling units with nothing in them are listed too (product fields None)."""
    stock = (
        sa.select(
            quant_t.c.product_id,
            product_t.c.sku,
            product_t.c.name,
            product_t.c.barcode,
            quant_t.c.handling_unit_id,
            handling_unit_t.c.code.label("handling_unit"),
            quant_t.c.quantity,
            quant_t.c.reserved,
        )
        .join(product_t, product_t.c.id == quant_t.c.product_id)
        .outerjoin(handling_unit_t, handling_unit_t.c.id == quant_t.c.handling_unit_id)
        .where(quant_t.c.location_id == location_id, quant_t.c.quantity > 0)
        .order_by(handling_unit_t.c.code.is_not(None), handling_unit_t.c.code, product_t.c.name)
    )
    stocked = sa.select(quant_t.c.handling_unit_id).where(
        quant_t.c.handling_unit_id == handling_unit_t.c.id, quant_t.c.quantity > 0
    )
    empty_units = (
        sa.select(handling_unit_t.c.id, handling_unit_t.c.code)
        .where(
            handling_unit_t.c.location_id == location_id,
            handling_unit_t.c.closed_at.is_(None),
            ~sa.exists(stocked),
        )
        .order_by(handling_unit_t.c.code)
    )
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(stock).mappings()]
        for unit_id, code in conn.execute(empty_units).all():
            rows.append(
                {"product_id": None, "sku": None, "name": None, "barcode": None,
                 "handling_unit_id": unit_id, "handling_unit": code, "quantity": 0,
                 "reserved": 0}
            )  # fmt: skip
    return rows


def zones(engine: Engine) -> list[str]:
    query = (
        sa.select(location_t.c.zone)
        .where(location_t.c.zone.is_not(None), location_t.c.kind.in_(LISTED_KINDS))
        .distinct()
        .order_by(location_t.c.zone)
    )
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


def _positions(products: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return (
        sa.select(
            quant_t.c.product_id,
            quant_t.c.location_id,
            location_t.c.code,
            location_t.c.name,
            location_t.c.kind,
            warehouse_t.c.code.label("warehouse"),
            quant_t.c.handling_unit_id,
            handling_unit_t.c.code.label("handling_unit"),
            quant_t.c.quantity,
            quant_t.c.reserved,
        )
        .join(location_t, location_t.c.id == quant_t.c.location_id)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .outerjoin(handling_unit_t, handling_unit_t.c.id == quant_t.c.handling_unit_id)
        .where(quants_of(products), quant_t.c.quantity > 0)
        .order_by(
            warehouse_t.c.code.desc(),  # MAIN (good stock) before DEFECT
            location_t.c.route_sequence,
            location_t.c.code,
            handling_unit_t.c.code.is_not(None),
            handling_unit_t.c.code,
        )
    )


def product_positions(engine: Engine, product_id: int) -> list[dict[str, Any]]:
    """Where a product lies: each location and handling unit holding it, good stock first,
    in route order (the order a picker walks)."""
    with engine.connect() as conn:
        rows = conn.execute(_positions(quant_t.c.product_id == product_id)).mappings()
        return [dict(r) for r in rows]


def places_of(engine: Engine, product_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """For a page of products: their positions, per product (as `product_positions`)."""
    ids = sorted(set(product_ids))
    found: dict[int, list[dict[str, Any]]] = {pid: [] for pid in ids}
    if not ids:
        return found
    with engine.connect() as conn:
        for row in conn.execute(_positions(quant_t.c.product_id.in_(ids))).mappings():
            found[row["product_id"]].append(dict(row))
    return found
