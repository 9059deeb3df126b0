"""Packing and shipping (DESIGN.md §2b.3–4, §6 "Packing and shipping"): packing tasks
(made when picking completes), packages (each a handling unit of kind box holding the
packed units), their items and the task's history.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HISTORY_KEY = "uq_packing_history_user_idempotency_key"
_S = sqlmodel.sql.sqltypes.AutoString


def _at(name: str, *, nullable: bool = True) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "packing_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("picking_task_id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=False),
        sa.Column("status", _S(length=16), nullable=False),
        sa.Column("executor_id", sa.Integer(), nullable=True),
        sa.Column("carrier", _S(length=32), nullable=True),
        sa.Column("tracking_number", _S(length=64), nullable=True),
        _at("created_at", nullable=False), _at("started_at"), _at("packed_at"),
        _at("shipped_at"), _at("cancelled_at"),
        sa.Column("cancel_reason", _S(length=500), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'packed', 'shipped', 'cancelled')",
            name=op.f("ck_packing_task_status_known"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["sale_order.id"],
                                name=op.f("fk_packing_task_order_id_sale_order")),
        sa.ForeignKeyConstraint(["picking_task_id"], ["picking_task.id"],
                                name=op.f("fk_packing_task_picking_task_id_picking_task")),
        sa.ForeignKeyConstraint(["station_id"], ["location.id"],
                                name=op.f("fk_packing_task_station_id_location")),
        sa.ForeignKeyConstraint(["executor_id"], ["executor.id"],
                                name=op.f("fk_packing_task_executor_id_executor")),
        sa.ForeignKeyConstraint(["carrier"], ["carrier.code"],
                                name=op.f("fk_packing_task_carrier_carrier")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packing_task")),
    )  # fmt: skip
    with op.batch_alter_table("packing_task", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_packing_task_order_id"), ["order_id"], unique=False)
        batch_op.create_index(
            "ix_packing_task_status_created_at", ["status", "created_at"], unique=False
        )
    op.create_table(
        "package",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("packing_task_id", sa.Integer(), nullable=False),
        sa.Column("sequence_number", sa.Integer(), nullable=False),
        sa.Column("packaging_type", _S(length=16), nullable=False),
        sa.Column("weight_kg", sa.Float(), nullable=True),
        sa.Column("length_cm", sa.Float(), nullable=True),
        sa.Column("width_cm", sa.Float(), nullable=True),
        sa.Column("height_cm", sa.Float(), nullable=True),
        sa.Column("barcode", _S(length=64), nullable=False),
        sa.Column("handling_unit_id", sa.Integer(), nullable=False),
        _at("created_at", nullable=False),
        sa.CheckConstraint(
            "packaging_type IN ('box', 'bag', 'envelope', 'pallet', 'custom')",
            name=op.f("ck_package_packaging_type_known"),
        ),
        sa.CheckConstraint(
            "coalesce(weight_kg, 1) > 0 AND coalesce(length_cm, 1) > 0 "
            "AND coalesce(width_cm, 1) > 0 AND coalesce(height_cm, 1) > 0",
            name=op.f("ck_package_measures_positive"),
        ),
        sa.ForeignKeyConstraint(["packing_task_id"], ["packing_task.id"],
                                name=op.f("fk_package_packing_task_id_packing_task")),
        sa.ForeignKeyConstraint(["handling_unit_id"], ["handling_unit.id"],
                                name=op.f("fk_package_handling_unit_id_handling_unit")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package")),
        sa.UniqueConstraint("barcode", name=op.f("uq_package_barcode")),
        sa.UniqueConstraint("handling_unit_id", name=op.f("uq_package_handling_unit_id")),
        sa.UniqueConstraint("packing_task_id", "sequence_number",
                            name=op.f("uq_package_packing_task_id_sequence_number")),
    )  # fmt: skip
    op.create_table(
        "package_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_package_item_quantity_positive")),
        sa.ForeignKeyConstraint(["package_id"], ["package.id"],
                                name=op.f("fk_package_item_package_id_package")),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_line.id"],
                                name=op.f("fk_package_item_order_line_id_order_line")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"],
                                name=op.f("fk_package_item_product_id_product")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_item")),
    )  # fmt: skip
    with op.batch_alter_table("package_item", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_package_item_package_id"), ["package_id"],
                              unique=False)  # fmt: skip
    op.create_table(
        "packing_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        _at("at", nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", _S(length=32), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=True),
        sa.Column("details", _S(length=1000), nullable=False),
        sa.Column("idempotency_key", _S(length=128), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["packing_task.id"],
                                name=op.f("fk_packing_history_task_id_packing_task")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_packing_history_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_packing_history")),
    )  # fmt: skip
    with op.batch_alter_table("packing_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_packing_history_task_id"), ["task_id"], unique=False)
    op.execute(
        f"CREATE UNIQUE INDEX {HISTORY_KEY} ON packing_history "
        "(coalesce(user_id, 0), idempotency_key)"
    )


def downgrade() -> None:
    op.drop_index(HISTORY_KEY, table_name="packing_history")
    op.drop_table("packing_history")
    op.drop_table("package_item")
    op.drop_table("package")
    op.drop_table("packing_task")
