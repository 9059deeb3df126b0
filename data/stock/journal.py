"""The journal: every movement, filtered and paged, and streamed for exports."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import (
    EXPORT_CHUNK,
    Page,
    Row,
    dc_t,
    location_t,
    movement_t,
    page_bounds,
    product_t,
    source_t,
    typed,
    user_t,
)
from data.users.queries import USER_DISPLAY_NAME


@dataclass(frozen=True, eq=False)
class JournalRow(Row):
    """A movement with the names a person needs to read it."""

    id: int
    operation_type: str
    product_id: int
    quantity: int
    source_id: int | None
    distribution_center_id: int | None
    from_location_id: int
    to_location_id: int
    user: str | None  # the login (the API's `user`)
    user_name: str | None  # the full name, or the login
    notes: str | None
    created_at: datetime
    reversal_of: int | None
    document: str | None
    handling_unit_id: int | None  # TRANSFER into a pallet or box
    from_handling_unit_id: int | None  # TRANSFER out of one
    sku: str
    barcode: str
    product_name: str
    source_name: str | None
    distribution_center_name: str | None
    from_location: str
    to_location: str
    is_reversed: bool = False  # `journal` only: a later movement reverses this one


@dataclass(frozen=True)
class JournalFilter:
    operation_type: str | None = None
    product_id: int | None = None
    user_id: int | None = None
    source_id: int | None = None
    distribution_center_id: int | None = None
    date_from: datetime | None = None  # inclusive, aware
    date_to: datetime | None = None  # exclusive, aware
    movement_id: int | None = None  # one movement (the API returns it with names)
    document: str | None = None  # e.g. one unit move's TRANSFERs

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        m = movement_t.c
        wanted: list[sa.ColumnElement[bool]] = []
        for column, value in (
            (m.operation_type, self.operation_type),
            (m.product_id, self.product_id),
            (m.user_id, self.user_id),
            (m.source_id, self.source_id),
            (m.distribution_center_id, self.distribution_center_id),
            (m.id, self.movement_id),
            (m.document, self.document),
        ):
            if value is not None:
                wanted.append(column == value)
        if self.date_from is not None:
            wanted.append(m.created_at >= self.date_from)
        if self.date_to is not None:
            wanted.append(m.created_at < self.date_to)
        return wanted


def _journal_rows(conditions: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """The journal's movements with the names a person needs, newest first."""
    m = movement_t.c
    from_loc = location_t.alias("from_loc")
    to_loc = location_t.alias("to_loc")
    return (
        sa.select(
            m.id,
            m.operation_type,
            m.product_id,
            m.quantity,
            m.source_id,
            m.distribution_center_id,
            m.from_location_id,
            m.to_location_id,
            user_t.c.username.label("user"),
            USER_DISPLAY_NAME.label("user_name"),
            m.notes,
            m.created_at,
            m.reversal_of,
            m.document,
            m.handling_unit_id,
            m.from_handling_unit_id,
            product_t.c.sku,
            product_t.c.barcode,
            product_t.c.name.label("product_name"),
            source_t.c.name.label("source_name"),
            dc_t.c.name.label("distribution_center_name"),
            from_loc.c.code.label("from_location"),
            to_loc.c.code.label("to_location"),
        )
        .select_from(
            movement_t.join(product_t, product_t.c.id == m.product_id)
            .join(from_loc, from_loc.c.id == m.from_location_id)
            .join(to_loc, to_loc.c.id == m.to_location_id)
            .outerjoin(user_t, user_t.c.id == m.user_id)
            .outerjoin(source_t, source_t.c.id == m.source_id)
            .outerjoin(dc_t, dc_t.c.id == m.distribution_center_id)
        )
        .where(*conditions)
        .order_by(m.created_at.desc(), m.id.desc())
    )


def journal(
    engine: Engine, flt: JournalFilter | None = None, *, limit: int = 50, offset: int = 0
) -> Page:
    """Movements, newest first, with the names a person needs to read them."""
    limit, offset = page_bounds(limit, offset)
    conditions = (flt or JournalFilter()).conditions()
    m = movement_t.c
    query = _journal_rows(conditions).limit(limit).offset(offset)
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(movement_t).where(*conditions)
        ).scalar_one()
        reversed_ids = sa.select(m.reversal_of).where(m.reversal_of.is_not(None))
        rows = conn.execute(query).all()
        done: set[int] = set()
        if rows:
            ids = [row.id for row in rows]
            done = set(conn.execute(reversed_ids.where(m.reversal_of.in_(ids))).scalars())
        items = [JournalRow(**row._mapping, is_reversed=row.id in done) for row in rows]
        return Page(items, total)


def journal_entry(engine: Engine, movement_id: int) -> JournalRow | None:
    """One movement as the journal shows it (with names), or None."""
    items = journal(engine, JournalFilter(movement_id=movement_id), limit=1).items
    return items[0] if items else None


def journal_chunks(
    engine: Engine, flt: JournalFilter | None = None, *, chunk_size: int = EXPORT_CHUNK
) -> Iterator[list[JournalRow]]:
    """The journal in `journal`'s order (newest first), `chunk_size` movements at a time.

    Keyset pagination: each query continues after the last (created_at, id) it returned,
    so every chunk is one short index range read (no OFFSET rescanning what came before,
    no transaction held open for the whole export). Movements posted meanwhile are newer
    than the first chunk and do not shift the rest.
    """
    size = max(1, chunk_size)
    m = movement_t.c
    base = _journal_rows((flt or JournalFilter()).conditions()).limit(size)
    after: tuple[datetime, int] | None = None
    while True:
        query = base
        if after is not None:
            at, last_id = after
            # Spelled as a range on created_at first, so its indexes serve the query.
            query = query.where(m.created_at <= at, sa.or_(m.created_at < at, m.id < last_id))
        with engine.connect() as conn:
            chunk = [typed(JournalRow, row) for row in conn.execute(query)]
        if not chunk:
            return
        yield chunk
        if len(chunk) < size:
            return
        after = (chunk[-1].created_at, chunk[-1].id)
