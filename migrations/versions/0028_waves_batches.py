"""Waves and batch picking (core.orders.waves, core.orders.batches): waves, batches, the
put wall's units, and the task's claim on a wave, a batch and its slot.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "pick_wave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("criteria", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("batch_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"],
                                name=op.f("fk_pick_wave_created_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_wave")),
    )  # fmt: skip
    op.execute(
        "CREATE UNIQUE INDEX uq_pick_wave_user_idempotency_key ON pick_wave (coalesce(created_by, 0), idempotency_key)"
    )
    op.create_table(
        "pick_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("wave_id", sa.Integer(), nullable=True),
        sa.Column("executor_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", _AT, nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.ForeignKeyConstraint(["wave_id"], ["pick_wave.id"],
                                name=op.f("fk_pick_batch_wave_id_pick_wave")),
        sa.ForeignKeyConstraint(["executor_id"], ["executor.id"],
                                name=op.f("fk_pick_batch_executor_id_executor")),
        sa.ForeignKeyConstraint(["created_by"], ["app_user.id"],
                                name=op.f("fk_pick_batch_created_by_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_batch")),
    )  # fmt: skip
    with op.batch_alter_table("pick_batch", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pick_batch_wave_id"), ["wave_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_pick_batch_executor_id"), ["executor_id"],
                              unique=False)  # fmt: skip
    op.execute(
        "CREATE UNIQUE INDEX uq_pick_batch_user_idempotency_key ON pick_batch (coalesce(created_by, 0), idempotency_key)"
    )
    op.create_table(
        "pick_batch_put",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("at", _AT, nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["pick_batch.id"],
                                name=op.f("fk_pick_batch_put_batch_id_pick_batch")),
        sa.ForeignKeyConstraint(["task_id"], ["picking_task.id"],
                                name=op.f("fk_pick_batch_put_task_id_picking_task")),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"],
                                name=op.f("fk_pick_batch_put_product_id_product")),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_pick_batch_put_user_id_app_user")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pick_batch_put")),
    )  # fmt: skip
    with op.batch_alter_table("pick_batch_put", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pick_batch_put_batch_id"), ["batch_id"],
                              unique=False)  # fmt: skip
        batch_op.create_index("ix_pick_batch_put_task_id_product_id", ["task_id", "product_id"],
                              unique=False)  # fmt: skip
    op.execute(
        "CREATE UNIQUE INDEX uq_pick_batch_put_user_idempotency_key ON pick_batch_put (coalesce(user_id, 0), idempotency_key)"
    )
    with op.batch_alter_table("picking_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("wave_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("batch_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("batch_slot", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_picking_task_wave_id_pick_wave"),
                                    "pick_wave", ["wave_id"], ["id"])  # fmt: skip
        batch_op.create_foreign_key(batch_op.f("fk_picking_task_batch_id_pick_batch"),
                                    "pick_batch", ["batch_id"], ["id"])  # fmt: skip
        batch_op.create_index(batch_op.f("ix_picking_task_wave_id"), ["wave_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_picking_task_batch_id"), ["batch_id"],
                              unique=False)  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("picking_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_picking_task_batch_id"))
        batch_op.drop_index(batch_op.f("ix_picking_task_wave_id"))
        batch_op.drop_constraint(batch_op.f("fk_picking_task_batch_id_pick_batch"),
                                 type_="foreignkey")  # fmt: skip
        batch_op.drop_constraint(batch_op.f("fk_picking_task_wave_id_pick_wave"),
                                 type_="foreignkey")  # fmt: skip
        batch_op.drop_column("batch_slot")
        batch_op.drop_column("batch_id")
        batch_op.drop_column("wave_id")
    with op.batch_alter_table("pick_batch_put", schema=None) as batch_op:
        batch_op.drop_index("ix_pick_batch_put_task_id_product_id")
        batch_op.drop_index(batch_op.f("ix_pick_batch_put_batch_id"))
    op.drop_index("uq_pick_batch_put_user_idempotency_key", table_name="pick_batch_put")
    op.drop_table("pick_batch_put")
    with op.batch_alter_table("pick_batch", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pick_batch_executor_id"))
        batch_op.drop_index(batch_op.f("ix_pick_batch_wave_id"))
    op.drop_index("uq_pick_batch_user_idempotency_key", table_name="pick_batch")
    op.drop_table("pick_batch")
    op.drop_index("uq_pick_wave_user_idempotency_key", table_name="pick_wave")
    op.drop_table("pick_wave")
