"""Picking per zone (core.orders.waves): a wave splits an order whose bins lie in several
zones into one picking task per zone; each task names its zone and the task it was split
from, so the order goes on to packing once all of them are picked.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("picking_task", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(sa.Column("split_from_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_picking_task_split_from_id_picking_task"),
                                    "picking_task", ["split_from_id"], ["id"])  # fmt: skip
        batch_op.create_index(batch_op.f("ix_picking_task_split_from_id"), ["split_from_id"],
                              unique=False)  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("picking_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_picking_task_split_from_id"))
        batch_op.drop_constraint(batch_op.f("fk_picking_task_split_from_id_picking_task"),
                                 type_="foreignkey")  # fmt: skip
        batch_op.drop_column("split_from_id")
        batch_op.drop_column("zone")
