"""Quality control after picking (core.orders.quality): checks, their items, defective
units, photos and history.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "qc_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("picking_task_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("executor_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'passed', 'failed', 'cancelled')",
            name=op.f("ck_qc_task_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["executor_id"], ["executor.id"], name=op.f("fk_qc_task_executor_id_executor")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sale_order.id"], name=op.f("fk_qc_task_order_id_sale_order")
        ),
        sa.ForeignKeyConstraint(
            ["picking_task_id"],
            ["picking_task.id"],
            name=op.f("fk_qc_task_picking_task_id_picking_task"),
        ),
        sa.ForeignKeyConstraint(
            ["station_id"], ["location.id"], name=op.f("fk_qc_task_station_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_task")),
        sa.UniqueConstraint("picking_task_id", name=op.f("uq_qc_task_picking_task_id")),
    )
    with op.batch_alter_table("qc_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qc_task_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_qc_task_status_created_at", ["status", "created_at"], unique=False
        )

    op.create_table(
        "qc_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("details", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["qc_task.id"], name=op.f("fk_qc_history_task_id_qc_task")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_qc_history_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_history")),
    )
    with op.batch_alter_table("qc_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qc_history_task_id"), ["task_id"], unique=False)
    op.execute(
        "CREATE UNIQUE INDEX uq_qc_history_user_idempotency_key "
        "ON qc_history (coalesce(user_id, 0), idempotency_key)"
    )

    op.create_table(
        "qc_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("checked", sa.Integer(), nullable=False),
        sa.Column("defect", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "quantity > 0 AND checked >= 0 AND checked <= quantity AND defect >= 0 "
            "AND defect <= checked",
            name=op.f("ck_qc_item_counts_within"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_qc_item_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"], ["order_line.id"], name=op.f("fk_qc_item_order_line_id_order_line")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_qc_item_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["qc_task.id"], name=op.f("fk_qc_item_task_id_qc_task")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_item")),
    )
    with op.batch_alter_table("qc_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qc_item_task_id"), ["task_id"], unique=False)

    op.create_table(
        "qc_photo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["task_id"], ["qc_task.id"], name=op.f("fk_qc_photo_task_id_qc_task")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_qc_photo_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_photo")),
        sa.UniqueConstraint("file_name", name=op.f("uq_qc_photo_file_name")),
    )
    with op.batch_alter_table("qc_photo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qc_photo_task_id"), ["task_id"], unique=False)

    op.create_table(
        "qc_defect",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("missing", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("movement_id", sa.Integer(), nullable=True),
        sa.Column("repick_location_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('repicked', 'shorted')",
            name=op.f("ck_qc_defect_outcome_known"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["qc_item.id"], name=op.f("fk_qc_defect_item_id_qc_item")
        ),
        sa.ForeignKeyConstraint(
            ["movement_id"], ["movement.id"], name=op.f("fk_qc_defect_movement_id_movement")
        ),
        sa.ForeignKeyConstraint(
            ["repick_location_id"],
            ["location.id"],
            name=op.f("fk_qc_defect_repick_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["qc_task.id"], name=op.f("fk_qc_defect_task_id_qc_task")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_qc_defect_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_qc_defect")),
    )
    with op.batch_alter_table("qc_defect", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_qc_defect_task_id"), ["task_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("qc_defect", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qc_defect_task_id"))

    op.drop_table("qc_defect")
    with op.batch_alter_table("qc_photo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qc_photo_task_id"))

    op.drop_table("qc_photo")
    with op.batch_alter_table("qc_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qc_item_task_id"))

    op.drop_table("qc_item")
    op.execute("DROP INDEX uq_qc_history_user_idempotency_key")
    with op.batch_alter_table("qc_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_qc_history_task_id"))

    op.drop_table("qc_history")
    with op.batch_alter_table("qc_task", schema=None) as batch_op:
        batch_op.drop_index("ix_qc_task_status_created_at")
        batch_op.drop_index(batch_op.f("ix_qc_task_order_id"))

    op.drop_table("qc_task")
