"""Picking (DESIGN.md §2b.2, §6 "Picking")."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime, created_at_column, utc_now


class PickingTask(SQLModel, table=True):
    """An order's picking: its reservations as items in route order, taken to a station."""

    __tablename__ = "picking_task"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'assigned', 'in_progress', 'completed', 'cancelled')",
            name="status_known",
        ),
        sa.Index("ix_picking_task_status_created_at", "status", "created_at"),
        # /metrics: the tasks completed in the last 24 h (data.metrics.queries, 0022).
        sa.Index("ix_picking_task_completed_at", "completed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sale_order.id", index=True)
    status: str = Field(default="pending", max_length=16)
    priority: str = Field(default="normal", max_length=8)
    executor_id: int | None = Field(default=None, foreign_key="executor.id", index=True)
    station_id: int = Field(foreign_key="location.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    assigned_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)
    # Waves and batches (core.orders.waves, core.orders.batches): set by one conditional
    # claim each, so a task is never in two waves or two batches.
    wave_id: int | None = Field(default=None, foreign_key="pick_wave.id", index=True)
    batch_id: int | None = Field(default=None, foreign_key="pick_batch.id", index=True)
    batch_slot: int | None = Field(default=None)  # its slot on the batch's put wall
    # Picking per zone (core.orders.waves): the zone of its bins when a wave split the
    # order's task by zone, and the task it was split from (None: the first of them).
    zone: str | None = Field(default=None, max_length=32)
    split_from_id: int | None = Field(default=None, foreign_key="picking_task.id", index=True)


class PickingItem(SQLModel, table=True):
    """One reservation to pick: from its bin, `quantity_required` units."""

    __tablename__ = "picking_item"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'picked', 'short', 'skipped')", name="status_known"
        ),
        sa.CheckConstraint(
            "quantity_picked >= 0 AND quantity_picked <= quantity_required",
            name="picked_within",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="picking_task.id", index=True)
    sequence: int
    order_line_id: int = Field(foreign_key="order_line.id")
    reservation_id: int = Field(foreign_key="reservation.id")
    product_id: int = Field(foreign_key="product.id")
    location_id: int = Field(foreign_key="location.id")
    quantity_required: int
    quantity_picked: int = Field(default=0)
    status: str = Field(default="pending", max_length=16)
    reason: str | None = Field(default=None, max_length=500)


class PickingHistory(SQLModel, table=True):
    """A picking task's steps, who and when; the request's idempotency key (the user's own)
    makes a retried request a replay."""

    __tablename__ = "picking_history"
    __table_args__ = (
        sa.Index(
            "uq_picking_history_user_idempotency_key",
            sa.func.coalesce(sa.column("user_id"), 0),
            sa.column("idempotency_key"),
            unique=True,
        ),
        # The dashboard's shortage rate: the pick and skip steps of a period (0020).
        sa.Index("ix_picking_history_at", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="picking_task.id", index=True)
    at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    item_id: int | None = Field(default=None)
    details: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=128)
