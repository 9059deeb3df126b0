"""Waves and batches (issue 15): a wave groups released orders' picking tasks, a batch
lets one worker pick several small orders in one walk, and the put wall records which
unit went to which order at the packing table."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import created_at_column, utc_now


class PickWave(SQLModel, table=True):
    """Orders released together (by cut-off, carrier, marketplace, priority or zone); its
    tasks name it (picking_task.wave_id), its progress is read from them."""

    __tablename__ = "pick_wave"
    __table_args__ = (
        sa.Index(
            "uq_pick_wave_user_idempotency_key",
            sa.func.coalesce(sa.column("created_by"), 0),
            sa.column("idempotency_key"),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    criteria: str = Field(default="{}", max_length=2000)  # JSON: what the manager chose
    batch_size: int = Field(default=1)
    order_count: int = Field(default=0)
    batch_count: int = Field(default=0)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    idempotency_key: str | None = Field(default=None, max_length=128)


class PickBatch(SQLModel, table=True):
    """Several orders' picking tasks walked at once; each task names it and its slot on the
    put wall (picking_task.batch_id, batch_slot), claimed one task at a time."""

    __tablename__ = "pick_batch"
    __table_args__ = (
        sa.Index(
            "uq_pick_batch_user_idempotency_key",
            sa.func.coalesce(sa.column("created_by"), 0),
            sa.column("idempotency_key"),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    wave_id: int | None = Field(default=None, foreign_key="pick_wave.id", index=True)
    executor_id: int | None = Field(default=None, foreign_key="executor.id", index=True)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    idempotency_key: str | None = Field(default=None, max_length=128)


class PickBatchPut(SQLModel, table=True):
    """One unit put into its order's slot at the packing table (put-to-order)."""

    __tablename__ = "pick_batch_put"
    __table_args__ = (
        sa.Index("ix_pick_batch_put_task_id_product_id", "task_id", "product_id"),
        sa.Index(
            "uq_pick_batch_put_user_idempotency_key",
            sa.func.coalesce(sa.column("user_id"), 0),
            sa.column("idempotency_key"),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    batch_id: int = Field(foreign_key="pick_batch.id", index=True)
    task_id: int = Field(foreign_key="picking_task.id")
    product_id: int = Field(foreign_key="product.id")
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    idempotency_key: str | None = Field(default=None, max_length=128)
