"""Import reads: the history of imported files."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import Page, Row, page_bounds, user_t
from data.users.queries import USER_DISPLAY_NAME


@dataclass(frozen=True, eq=False)
class ImportRow(Row):
    """An imported (or refused, or failed) file of the history."""

    id: int
    file_name: str
    file_sha256: str
    kind: str
    operation_type: str | None
    user: str | None  # shown to people: the name, not the login
    created_at: datetime
    rows_total: int
    rows_ok: int
    applied: bool
    error_count: int
    status: str
    reason: str | None


def import_history(
    engine: Engine, *, limit: int = 50, offset: int = 0, batch_id: int | None = None
) -> Page:
    """Confirmed imports, newest first: file, sha256, kind, user, time, rows and result
    (status applied, refused or failed, and a failure's reason; `batch_id`: that import
    only, the one a journal row links to)."""
    from data.models import ImportBatch  # here, not above: keeps this addition self-contained

    limit, offset = page_bounds(limit, offset)
    b = ImportBatch.__table__.c
    wanted = [] if batch_id is None else [b.id == batch_id]
    query = (
        sa.select(
            b.id,
            b.file_name,
            b.file_sha256,
            b.kind,
            b.operation_type,
            USER_DISPLAY_NAME.label("user"),  # shown to people: the name, not the login
            b.created_at,
            b.rows_total,
            b.rows_ok,
            b.applied,
            b.error_count,
            b.status,
            b.reason,
        )
        .select_from(ImportBatch.__table__.outerjoin(user_t, user_t.c.id == b.user_id))
        .where(*wanted)
        .order_by(b.created_at.desc(), b.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(ImportBatch.__table__).where(*wanted)
        )
        items = [
            ImportRow(**{**r._mapping, "applied": bool(r.applied)}) for r in conn.execute(query)
        ]
        return Page(items, total.scalar_one())
