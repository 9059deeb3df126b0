"""Returns of shipped orders (core.orders.returns): the units that came back per order
line, good or defective, each with its movement.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "order_return",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("condition", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("movement_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_return_quantity_positive")),
        sa.CheckConstraint(
            "condition IN ('good', 'defect')", name=op.f("ck_order_return_condition_known")
        ),
        sa.ForeignKeyConstraint(["movement_id"], ["movement.id"],
                                name=op.f("fk_order_return_movement_id_movement")),
        sa.ForeignKeyConstraint(["order_id"], ["sale_order.id"],
                                name=op.f("fk_order_return_order_id_sale_order")),
        sa.ForeignKeyConstraint(["order_line_id"], ["order_line.id"],
                                name=op.f("fk_order_return_order_line_id_order_line")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"],
                                name=op.f("fk_order_return_product_id_product")),
        sa.ForeignKeyConstraint(["source_id"], ["source.id"],
                                name=op.f("fk_order_return_source_id_source")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_order_return_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_return")),
        sa.UniqueConstraint("movement_id", name=op.f("uq_order_return_movement_id")),
    )  # fmt: skip
    with op.batch_alter_table("order_return", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_return_order_id"), ["order_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("order_return", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_return_order_id"))
    op.drop_table("order_return")
