"""Packing and shipping (DESIGN.md §2b.3–4, §6 "Packing and shipping")."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime, created_at_column, utc_now


class PackingTask(SQLModel, table=True):
    """An order's packing, made when its picking completes: the picked units at the
    station go into packages, then leave with a carrier."""

    __tablename__ = "packing_task"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'packed', 'shipped', 'cancelled')",
            name="status_known",
        ),
        sa.Index("ix_packing_task_status_created_at", "status", "created_at"),
        # /metrics: the tasks packed in the last 24 h (data.metrics.queries, 0022).
        sa.Index("ix_packing_task_packed_at", "packed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sale_order.id", index=True)
    picking_task_id: int = Field(foreign_key="picking_task.id")
    station_id: int = Field(foreign_key="location.id")
    status: str = Field(default="pending", max_length=16)
    executor_id: int | None = Field(default=None, foreign_key="executor.id")
    carrier: str | None = Field(default=None, foreign_key="carrier.code", max_length=32)
    tracking_number: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    packed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    shipped_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)


class Package(SQLModel, table=True):
    """One parcel of a packing task: a handling unit of kind box holding its units, with
    its type, weight and dimensions (volumetric weight is computed in core)."""

    __table_args__ = (
        sa.CheckConstraint(
            "packaging_type IN ('box', 'bag', 'envelope', 'pallet', 'custom')",
            name="packaging_type_known",
        ),
        sa.CheckConstraint(
            "coalesce(weight_kg, 1) > 0 AND coalesce(length_cm, 1) > 0 "
            "AND coalesce(width_cm, 1) > 0 AND coalesce(height_cm, 1) > 0",
            name="measures_positive",
        ),
        sa.UniqueConstraint("packing_task_id", "sequence_number"),
        # /metrics: the packages made in the last 24 h (data.metrics.queries, 0022).
        sa.Index("ix_package_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    packing_task_id: int = Field(foreign_key="packing_task.id")
    sequence_number: int
    packaging_type: str = Field(max_length=16)
    weight_kg: float | None = Field(default=None)
    length_cm: float | None = Field(default=None)
    width_cm: float | None = Field(default=None)
    height_cm: float | None = Field(default=None)
    barcode: str = Field(max_length=64, unique=True)
    handling_unit_id: int = Field(foreign_key="handling_unit.id", unique=True)
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())


class PackageItem(SQLModel, table=True):
    """Units of one order line put into a package."""

    __tablename__ = "package_item"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    package_id: int = Field(foreign_key="package.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id")
    product_id: int = Field(foreign_key="product.id")
    quantity: int


class PackingHistory(SQLModel, table=True):
    """A packing task's steps, who and when; the request's idempotency key (the user's
    own) makes a retried request a replay."""

    __tablename__ = "packing_history"
    __table_args__ = (
        sa.Index(
            "uq_packing_history_user_idempotency_key",
            sa.func.coalesce(sa.column("user_id"), 0),
            sa.column("idempotency_key"),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="packing_task.id", index=True)
    at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    package_id: int | None = Field(default=None)
    details: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=128)
