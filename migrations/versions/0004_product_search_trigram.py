"""On PostgreSQL, a trigram index for the product text search (SKU and name containing
each word typed): `lower(sku || ' ' || name)`, the expression data.queries.PRODUCT_SEARCH_TEXT
searches, so a search reads the index instead of every product. SQLite has no such index
type; there the search stays a scan.

pg_trgm ships with PostgreSQL's contrib and is a trusted extension (a database owner may
create it). Where it is not installed, the index is left out: searches still answer, only
slower.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_product_search_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    available = bind.execute(
        sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).first()
    if available is None:
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON product "
        "USING gin (lower(sku || ' ' || name) gin_trgm_ops)"
    )
    op.execute("ANALYZE product")  # the planner needs the expression's statistics


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")
