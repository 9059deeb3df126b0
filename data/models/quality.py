"""Quality control after picking (issue 15; core.orders.quality; migration 0026)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime, created_at_column, utc_now


class QcTask(SQLModel, table=True):
    """The check of what one picking task brought to the station, before packing."""

    __tablename__ = "qc_task"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'in_progress', 'passed', 'failed', 'cancelled')",
            name="status_known",
        ),
        sa.Index("ix_qc_task_status_created_at", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sale_order.id", index=True)
    picking_task_id: int = Field(foreign_key="picking_task.id", unique=True)
    station_id: int = Field(foreign_key="location.id")
    status: str = Field(default="pending", max_length=16)
    executor_id: int | None = Field(default=None, foreign_key="executor.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)


class QcItem(SQLModel, table=True):
    """Units of one order line picked from one bin: how many were checked, how many
    of those were defective."""

    __tablename__ = "qc_item"
    __table_args__ = (
        sa.CheckConstraint(
            "quantity > 0 AND checked >= 0 AND checked <= quantity AND defect >= 0 "
            "AND defect <= checked",
            name="counts_within",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="qc_task.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id")
    product_id: int = Field(foreign_key="product.id")
    location_id: int = Field(foreign_key="location.id")  # the bin it was picked from
    quantity: int
    checked: int = Field(default=0)
    defect: int = Field(default=0)


class QcDefect(SQLModel, table=True):
    """One defective unit: its reason, and once the check is finished its WRITE_OFF and
    what became of the line (re-picked from another bin, or shorted)."""

    __tablename__ = "qc_defect"
    __table_args__ = (
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('repicked', 'shorted')", name="outcome_known"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="qc_task.id", index=True)
    item_id: int = Field(foreign_key="qc_item.id")
    reason: str = Field(max_length=500)
    # Not at the station at all: booked as a loss, not as defect stock (core.orders.qc_failures).
    missing: bool = False
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    outcome: str | None = Field(default=None, max_length=16)
    movement_id: int | None = Field(default=None, foreign_key="movement.id")
    repick_location_id: int | None = Field(default=None, foreign_key="location.id")


class QcPhoto(SQLModel, table=True):
    """A photo taken at the check, stored under the data dir by a generated name."""

    __tablename__ = "qc_photo"

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="qc_task.id", index=True)
    file_name: str = Field(max_length=64, unique=True)
    content_type: str = Field(max_length=32)
    size_bytes: int
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())


class QcHistory(SQLModel, table=True):
    """Every step of a check; the request's idempotency key makes a retry a replay."""

    __tablename__ = "qc_history"
    __table_args__ = (
        sa.Index(
            "uq_qc_history_user_idempotency_key",
            sa.func.coalesce(sa.column("user_id"), 0),
            sa.column("idempotency_key"),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_id: int = Field(foreign_key="qc_task.id", index=True)
    at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    details: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=128)
