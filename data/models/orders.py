"""Orders (DESIGN.md §2b, §6 "Orders"): carriers, orders, lines, reservations, history."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime, created_at_column, utc_now


class Carrier(SQLModel, table=True):
    """Who takes a customer order away; `manual` (typed tracking numbers) and the common
    Russian carriers are seeded (migration 0015), all but `manual` off until turned on."""

    code: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=100)
    is_active: bool = Field(default=False)


class SaleOrder(SQLModel, table=True):
    """An order to send goods out: a customer order (FBS) or a supply to a DC (FBO).
    ("order" is reserved in SQL.) One (source, external id) is one order."""

    __tablename__ = "sale_order"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('customer', 'supply')", name="kind_known"),
        sa.CheckConstraint(
            "status IN ('new', 'awaiting_stock', 'reserved', 'picking', 'packing', 'packed', "
            "'shipped', 'cancelled')",
            name="status_known",
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')", name="priority_known"
        ),
        # 0 stands for "no source", so orders without one still have unique external ids.
        sa.Index(
            "uq_sale_order_source_external_id",
            sa.func.coalesce(sa.column("source_id"), 0),
            sa.column("external_id"),
            unique=True,
        ),
        sa.Index("ix_sale_order_status_created_at", "status", "created_at"),
        sa.Index("ix_sale_order_created_at", "created_at"),
        sa.Index("ix_sale_order_source_id", "source_id"),
        # Expired reservations: the expiry sweep and its alert (0022).
        sa.Index("ix_sale_order_status_reserved_until", "status", "reserved_until"),
    )

    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=128)
    source_id: int | None = Field(default=None, foreign_key="source.id")
    kind: str = Field(max_length=16)
    priority: str = Field(default="normal", max_length=8)
    status: str = Field(default="new", max_length=16)
    carrier: str | None = Field(default=None, foreign_key="carrier.code", max_length=32)
    distribution_center_id: int | None = Field(default=None, foreign_key="distribution_center.id")
    ship_to: str | None = Field(default=None, max_length=2000)  # JSON: name, phone, address…
    tracking_number: str | None = Field(default=None, max_length=64)
    # The delivery service's label of the shipment it created (data.events.carriers).
    shipping_label_url: str | None = Field(default=None, max_length=1000)
    created_by: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    confirmed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    reserved_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)


class OrderLine(SQLModel, table=True):
    """One product of an order. Reserved units are the line's active reservations;
    picked, packed and shipped are counted here by the floor's steps."""

    __tablename__ = "order_line"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint(
            "picked >= 0 AND packed >= 0 AND shipped >= 0 AND packed <= picked "
            "AND picked + shipped <= quantity",
            name="buckets_within",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sale_order.id", index=True)
    sequence: int = Field(default=0)
    product_id: int = Field(foreign_key="product.id", index=True)
    quantity: int
    picked: int = Field(default=0)
    packed: int = Field(default=0)
    shipped: int = Field(default=0)


class Reservation(SQLModel, table=True):
    """Units of one quant held for one order line (invariant 6: a quant's `reserved` is
    the sum of its active reservations). Released rows stay as history."""

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("status IN ('active', 'released')", name="status_known"),
        sa.Index("ix_reservation_order_id_status", "order_id", "status"),
        sa.Index("ix_reservation_quant_id_status", "quant_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sale_order.id")
    order_line_id: int = Field(foreign_key="order_line.id", index=True)
    quant_id: int = Field(foreign_key="quant.id")
    quantity: int
    status: str = Field(default="active", max_length=16)
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    expires_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    released_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # `bin`: held where it lies; `picked`: moved to a packing station with the units
    # (DESIGN.md §2b.2). A fully picked bin row turns `released`: its units moved on.
    stage: str = Field(default="bin", max_length=16, sa_column_kwargs={"server_default": "bin"})


class OrderHistory(SQLModel, table=True):
    """An order's timeline: every step, who and when. The request's idempotency key, the
    user's own, makes a retried request a replay."""

    __tablename__ = "order_history"
    __table_args__ = (
        sa.Index(
            "uq_order_history_user_idempotency_key",
            sa.func.coalesce(sa.column("user_id"), 0),
            sa.column("idempotency_key"),
            unique=True,
        ),
        # The dashboard's lead time: the steps with status `shipped` in a period (0020).
        sa.Index("ix_order_history_status_at", "status", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sale_order.id", index=True)
    at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    status: str = Field(max_length=16)
    details: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=128)
