"""Indexes for the dashboard's reads of order and picking history by time
(data.dashboard.orders): the lead time reads the steps with status `shipped` in a period
(`order_history (status, at)`), the shortage rate the pick and skip steps of a period
(`picking_history (at)`). Without them both scanned the whole table.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.create_index("ix_order_history_status_at", ["status", "at"], unique=False)
    with op.batch_alter_table("picking_history", schema=None) as batch_op:
        batch_op.create_index("ix_picking_history_at", ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("picking_history", schema=None) as batch_op:
        batch_op.drop_index("ix_picking_history_at")
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.drop_index("ix_order_history_status_at")
