"""Честный ЗНАК marking codes (issue 16): the product's `requires_marking` flag and the
codes scanned at packing, per unit, package and order; a code is in use (packed or
shipped) at most once, and free again after a return or a cancel.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_USE = "status IN ('packed', 'shipped')"


def upgrade() -> None:
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("requires_marking", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "marking_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("packing_task_id", sa.Integer(), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("gtin", sqlmodel.sql.sqltypes.AutoString(length=14), nullable=False),
        sa.Column("serial", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('packed', 'shipped', 'returned', 'cancelled')",
            name=op.f("ck_marking_code_status_known"),
        ),
        sa.ForeignKeyConstraint(["order_id"], ["sale_order.id"],
                                name=op.f("fk_marking_code_order_id_sale_order")),
        sa.ForeignKeyConstraint(["packing_task_id"], ["packing_task.id"],
                                name=op.f("fk_marking_code_packing_task_id_packing_task")),
        sa.ForeignKeyConstraint(["package_id"], ["package.id"],
                                name=op.f("fk_marking_code_package_id_package")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"],
                                name=op.f("fk_marking_code_product_id_product")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_marking_code_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_marking_code")),
    )  # fmt: skip
    with op.batch_alter_table("marking_code", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_marking_code_order_id"), ["order_id"])
        batch_op.create_index(batch_op.f("ix_marking_code_packing_task_id"), ["packing_task_id"])
        batch_op.create_index(batch_op.f("ix_marking_code_package_id"), ["package_id"])
        batch_op.create_index("ix_marking_code_created_at", ["created_at"])
        batch_op.create_index(
            "uq_marking_code_in_use", ["gtin", "serial"], unique=True,
            postgresql_where=sa.text(IN_USE), sqlite_where=sa.text(IN_USE),
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("marking_code", schema=None) as batch_op:
        batch_op.drop_index("uq_marking_code_in_use")
        batch_op.drop_index("ix_marking_code_created_at")
        batch_op.drop_index(batch_op.f("ix_marking_code_package_id"))
        batch_op.drop_index(batch_op.f("ix_marking_code_packing_task_id"))
        batch_op.drop_index(batch_op.f("ix_marking_code_order_id"))
    op.drop_table("marking_code")
    with op.batch_alter_table("product", schema=None) as batch_op:
        batch_op.drop_column("requires_marking")
