"""Reads of handling units for the pages and the API: a page of units (where, on what,
how much is in each) and one unit with its contents and the units nested in it."""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.catalog.products import other_keyboard_layout
from core.floor.unit_codes import read_scan
from data.floor.store import handling_unit_t
from data.reads import Page, like_pattern, location_t, page_bounds, product_t, quant_t

u = handling_unit_t.c
parent_t = handling_unit_t.alias("parent")


@dataclass(frozen=True)
class UnitFilter:
    q: str = ""  # part of the code, or a scanned label
    kind: str | None = None
    location_id: int | None = None
    parent_id: int | None = None
    is_open: bool | None = True  # None: open and closed


_COLUMNS = (
    u.id,
    u.code,
    u.kind,
    u.location_id,
    location_t.c.code.label("location_code"),
    u.parent_id,
    parent_t.c.code.label("parent_code"),
    u.created_at,
    u.closed_at,
)


def _base() -> sa.Select[Any]:
    return sa.select(*_COLUMNS).select_from(
        handling_unit_t.join(location_t, location_t.c.id == u.location_id).outerjoin(
            parent_t, parent_t.c.id == u.parent_id
        )
    )


def _where(flt: UnitFilter) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if flt.q.strip():
        text = flt.q.strip()
        scanned = read_scan(text)
        partial = sa.func.lower(u.code).like(like_pattern(text), escape="\\")
        conditions.append(sa.or_(u.code == scanned, partial))
    if flt.kind:
        conditions.append(u.kind == flt.kind)
    if flt.location_id is not None:
        conditions.append(u.location_id == flt.location_id)
    if flt.parent_id is not None:
        conditions.append(u.parent_id == flt.parent_id)
    if flt.is_open is not None:
        conditions.append(u.closed_at.is_(None) if flt.is_open else u.closed_at.is_not(None))
    return conditions


def _with_stock(conn: Connection, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each unit's own stock (`units`) and how many open units sit in it (`children`)."""
    ids = [r["id"] for r in rows]
    if not ids:
        return rows
    stock = dict(
        conn.execute(
            sa.select(quant_t.c.handling_unit_id, sa.func.sum(quant_t.c.quantity))
            .where(quant_t.c.handling_unit_id.in_(ids))
            .group_by(quant_t.c.handling_unit_id)
        ).all()
    )
    child = handling_unit_t.alias("child")
    children = dict(
        conn.execute(
            sa.select(child.c.parent_id, sa.func.count())
            .where(child.c.parent_id.in_(ids), child.c.closed_at.is_(None))
            .group_by(child.c.parent_id)
        ).all()
    )
    for row in rows:
        row["units"] = int(stock.get(row["id"]) or 0)
        row["children"] = int(children.get(row["id"]) or 0)
        row["is_open"] = row["closed_at"] is None
    return rows


def units(engine: Engine, flt: UnitFilter = UnitFilter(), *, limit: int = 50,
          offset: int = 0) -> Page:  # fmt: skip
    """Units, newest first."""
    limit, offset = page_bounds(limit, offset)
    conditions = _where(flt)
    query = _base().where(*conditions).order_by(u.id.desc()).limit(limit).offset(offset)
    count = sa.select(sa.func.count()).select_from(handling_unit_t).where(*conditions)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
        total = int(conn.execute(count).scalar_one())
        return Page(_with_stock(conn, rows), total)


def unit_contents(conn: Connection, unit_id: int) -> list[dict[str, Any]]:
    """The unit's own stock per product (nested units' stock is theirs)."""
    query = (
        sa.select(
            quant_t.c.product_id,
            product_t.c.sku,
            product_t.c.name,
            product_t.c.barcode,
            quant_t.c.quantity,
            quant_t.c.reserved,
            quant_t.c.version,
        )
        .join(product_t, product_t.c.id == quant_t.c.product_id)
        .where(quant_t.c.handling_unit_id == unit_id, quant_t.c.quantity > 0)
        .order_by(product_t.c.name, quant_t.c.product_id)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def _scanned_codes(code: str | None) -> list[str]:
    """What a scan may mean: as typed, and in the other keyboard layout (a scanner that
    types `HU-000001` into a Russian layout sends «РГ-000001»)."""
    text = (code or "").strip()
    other = other_keyboard_layout(text)
    return [read_scan(text)] + ([read_scan(other)] if other else [])


def unit_row(engine: Engine, unit_id: int | None = None, *, code: str | None = None
             ) -> dict[str, Any] | None:  # fmt: skip
    """One unit (by id or by a scanned code) with `contents` and `nested` units."""
    condition = u.id == unit_id if unit_id is not None else u.code.in_(_scanned_codes(code))
    with engine.connect() as conn:
        found = conn.execute(_base().where(condition)).mappings().first()
        if found is None:
            return None
        row = _with_stock(conn, [dict(found)])[0]
        row["contents"] = unit_contents(conn, row["id"])
        nested = _base().where(u.parent_id == row["id"], u.closed_at.is_(None)).order_by(u.id)
        row["nested"] = _with_stock(conn, [dict(r) for r in conn.execute(nested).mappings()])
        for child in row["nested"]:
            child["contents"] = unit_contents(conn, child["id"])
    return row


def place_by_code(engine: Engine, code: str) -> dict[str, Any] | None:
    """An internal location by its (scanned) code: id, code, kind, is_active."""
    query = sa.select(
        location_t.c.id, location_t.c.code, location_t.c.kind, location_t.c.is_active
    ).where(
        location_t.c.code.in_([c.upper() for c in _scanned_codes(code)]),
        location_t.c.kind != "virtual",
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    return dict(row) if row else None
