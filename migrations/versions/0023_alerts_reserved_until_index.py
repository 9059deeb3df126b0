"""An index for reservations that expired (`sale_order (status, reserved_until)`): the
expiry sweep (core.orders.expiry: `status = 'reserved' AND reserved_until <= now ORDER BY
reserved_until`) and the alert "expired but not released" (data.dashboard.alerts, counted
for the header's bell) read only the due orders instead of every reserved one.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sale_order", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sale_order_status_reserved_until", ["status", "reserved_until"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("sale_order", schema=None) as batch_op:
        batch_op.drop_index("ix_sale_order_status_reserved_until")
