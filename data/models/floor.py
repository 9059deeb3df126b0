"""Floor work: executors and missions (DESIGN.md §2a)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime, created_at_column, utc_now


class Executor(SQLModel, table=True):
    """Who carries out floor work: a person or a device. A worker user acts as the executor
    linked to them."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    is_active: bool = Field(default=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())


class Mission(SQLModel, table=True):
    """A unit of floor work (putaway, move, replenishment) with lines; DESIGN.md §2a."""

    __table_args__ = (
        sa.CheckConstraint("kind IN ('putaway', 'move', 'replenishment')", name="kind_known"),
        sa.CheckConstraint(
            "status IN ('draft', 'assigned', 'in_progress', 'completed', 'cancelled')",
            name="status_known",
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name="priority_known"
        ),
        sa.Index("ix_mission_status_executor_id", "status", "executor_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    status: str = Field(default="draft", max_length=16)
    priority: str = Field(default="normal", max_length=8)
    executor_id: int | None = Field(default=None, foreign_key="executor.id")
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)


# A line moves a product, or a whole handling unit (one unit: quantity 1).
UNIT_OR_PRODUCT = (
    "(NOT whole_unit AND product_id IS NOT NULL) OR (whole_unit AND product_id IS NULL "
    "AND handling_unit_id IS NOT NULL AND quantity = 1)"
)


class MissionLine(SQLModel, table=True):
    """One line of a mission: move `quantity` of a product from one location to another;
    `done_quantity` grows with each recorded TRANSFER. A `whole_unit` line names a handling
    unit instead of a product: the unit moves with everything in it (quantity 1, the unit;
    migration 0029)."""

    __tablename__ = "mission_line"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("done_quantity >= 0 AND done_quantity <= quantity", name="done_within"),
        sa.CheckConstraint(UNIT_OR_PRODUCT, name="unit_or_product"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mission_id: int = Field(foreign_key="mission.id", index=True)
    sequence: int = Field(default=0)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    quantity: int
    done_quantity: int = Field(default=0)
    from_location_id: int = Field(foreign_key="location.id")
    to_location_id: int = Field(foreign_key="location.id")
    handling_unit_id: int | None = Field(default=None, foreign_key="handling_unit.id")
    whole_unit: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class MissionHistory(SQLModel, table=True):
    """What happened to a mission, who did it and when: transitions and recorded lines."""

    __tablename__ = "mission_history"
    __table_args__ = (
        # Every request that changes a mission writes one row: its idempotency key, the
        # user's own (as on movements), makes a retried request a replay (migration 0013).
        sa.Index(
            "uq_mission_history_user_idempotency_key",
            sa.func.coalesce(sa.column("user_id"), 0),
            sa.column("idempotency_key"),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    mission_id: int = Field(foreign_key="mission.id", index=True)
    at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    status: str = Field(max_length=16)
    details: str = Field(default="", max_length=500)
    idempotency_key: str | None = Field(default=None, max_length=128)
    # A recorded line: the TRANSFER it posted (a whole unit's: the first of its document;
    # none for an empty unit) and the line (migration 0029; a retried request finds it).
    movement_id: int | None = Field(default=None, foreign_key="movement.id")
    line_id: int | None = Field(default=None)
