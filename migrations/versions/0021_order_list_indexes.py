"""Indexes for the orders page's filters (data.orders.queries.orders): by marketplace
(`sale_order (source_id)`; the unique key on (coalesce(source_id, 0), external_id) is
an expression index a plain `source_id = ?` does not read) and, on PostgreSQL, the
number search by prefix (`external_id LIKE 'WB-1%'` reads a b-tree only with the pattern
operator class under a non-C collation). The period and overdue filters read
`ix_sale_order_created_at` and `ix_sale_order_status_created_at` (0015).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX_INDEX = "ix_sale_order_external_id_prefix"  # data.migrate.MIGRATION_ONLY_INDEXES


def upgrade() -> None:
    with op.batch_alter_table("sale_order", schema=None) as batch_op:
        batch_op.create_index("ix_sale_order_source_id", ["source_id"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"CREATE INDEX {PREFIX_INDEX} ON sale_order (external_id text_pattern_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX {PREFIX_INDEX}")
    with op.batch_alter_table("sale_order", schema=None) as batch_op:
        batch_op.drop_index("ix_sale_order_source_id")
