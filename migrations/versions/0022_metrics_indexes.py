"""Indexes for /metrics' 24-hour windows (data.metrics.queries): picking tasks by
`completed_at`, packing tasks by `packed_at`, packages by `created_at`. Without them each
scrape scans the three tables whole (bench/metrics.py: about 80 of 230 ms at 200,000
orders); the pick steps (ix_picking_history_at, 0020) and the order steps
(ix_order_history_status_at) were indexed already.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("picking_task", "ix_picking_task_completed_at", "completed_at"),
    ("packing_task", "ix_packing_task_packed_at", "packed_at"),
    ("package", "ix_package_created_at", "created_at"),
)


def upgrade() -> None:
    for table, name, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, [column], unique=False)


def downgrade() -> None:
    for table, name, _ in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
