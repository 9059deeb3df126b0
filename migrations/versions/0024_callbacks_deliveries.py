"""Callbacks to other services (data.events.callbacks): each consumer's deliveries of
outbox events and its watermark, the delivery service's label on an order, and an index
by event type on the outbox (a consumer reads only its own kinds).

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "callback_consumer",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("since_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "callback_delivery",
        sa.Column("consumer", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('delivered', 'rejected', 'skipped')",
            name=op.f("ck_callback_delivery_outcome_known"),
        ),
        sa.PrimaryKeyConstraint("consumer", "outbox_id"),
    )
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_event_type_id", ["event_type", "id"], unique=False)
    with op.batch_alter_table("sale_order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("shipping_label_url", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sale_order", schema=None) as batch_op:
        batch_op.drop_column("shipping_label_url")
    with op.batch_alter_table("outbox_event", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_event_type_id")
    op.drop_table("callback_delivery")
    op.drop_table("callback_consumer")
