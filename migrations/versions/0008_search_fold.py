"""The product text search reads «ё» as «е» («черн» finds «Чёрный плед»): on PostgreSQL
the trigram index of migration 0004 is rebuilt on the folded expression,
`replace(lower(sku || ' ' || name), 'ё', 'е')`, exactly what
data.queries.PRODUCT_SEARCH_TEXT now searches (an index on another expression is never
read). SQLite has no such index; nothing to do there.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_product_search_trgm"


def _rebuild(expression: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).first()
    if available is None:  # as in 0004: without pg_trgm the search is a scan
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.execute(f"CREATE INDEX {INDEX} ON product USING gin (({expression}) gin_trgm_ops)")
    op.execute("ANALYZE product")  # the planner needs the new expression's statistics


def upgrade() -> None:
    _rebuild("replace(lower(sku || ' ' || name), 'ё', 'е')")


def downgrade() -> None:
    _rebuild("lower(sku || ' ' || name)")
