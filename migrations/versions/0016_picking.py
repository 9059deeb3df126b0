"""Picking (DESIGN.md §2b.2, §6 "Picking"): picking tasks, their items (one per
reservation, in route order) and history; a reservation's `stage` (`bin` or `picked`:
moved to a packing station with its units).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY_KEY = "uq_picking_history_user_idempotency_key"


def upgrade() -> None:
    with op.batch_alter_table("reservation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "stage", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                server_default="bin",
            )
        )  # fmt: skip
    op.create_table(
        "picking_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("executor_id", sa.Integer(), nullable=True),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'assigned', 'in_progress', 'completed', 'cancelled')",
            name=op.f("ck_picking_task_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["executor_id"], ["executor.id"], name=op.f("fk_picking_task_executor_id_executor")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sale_order.id"], name=op.f("fk_picking_task_order_id_sale_order")
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["location.id"], name=op.f("fk_picking_task_station_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_picking_task")),
    )
    with op.batch_alter_table("picking_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_picking_task_executor_id"), ["executor_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_picking_task_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_picking_task_status_created_at", ["status", "created_at"], unique=False
        )
    op.create_table(
        "picking_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("reservation_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity_required", sa.Integer(), nullable=False),
        sa.Column("quantity_picked", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint(
            "quantity_picked >= 0 AND quantity_picked <= quantity_required",
            name=op.f("ck_picking_item_picked_within"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'picked', 'short', 'skipped')",
            name=op.f("ck_picking_item_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_picking_item_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_line.id"],
            name=op.f("fk_picking_item_order_line_id_order_line"),
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_picking_item_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["reservation_id"], ["reservation.id"],
            name=op.f("fk_picking_item_reservation_id_reservation"),
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["task_id"], ["picking_task.id"], name=op.f("fk_picking_item_task_id_picking_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_picking_item")),
    )
    with op.batch_alter_table("picking_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_picking_item_task_id"), ["task_id"], unique=False)
    op.create_table(
        "picking_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("details", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["picking_task.id"],
            name=op.f("fk_picking_history_task_id_picking_task"),
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_picking_history_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_picking_history")),
    )
    with op.batch_alter_table("picking_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_picking_history_task_id"), ["task_id"], unique=False)
    op.execute(
        f"CREATE UNIQUE INDEX {HISTORY_KEY} ON picking_history "
        "(coalesce(user_id, 0), idempotency_key)"
    )


def downgrade() -> None:
    op.drop_index(HISTORY_KEY, table_name="picking_history")
    op.drop_table("picking_history")
    op.drop_table("picking_item")
    op.drop_table("picking_task")
    with op.batch_alter_table("reservation", schema=None) as batch_op:
        batch_op.drop_column("stage")
