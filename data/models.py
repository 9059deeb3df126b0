"""SQLModel tables. The schema itself lives in Alembic migrations; a test keeps them equal.

Quantities are integers. Times are stored in UTC and always come back timezone-aware.
"""

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE on PostgreSQL; on SQLite a naive UTC value, made aware on read."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store times in UTC with tzinfo")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _created_at() -> sa.Column[datetime]:
    return sa.Column(UtcDateTime(), nullable=False, default=utc_now)


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'manager', 'worker')", name="role_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    # Raised by every password change: sessions and API tokens given before it stop working.
    credentials_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per name at an address, per address (any name) and per name
    (any address); `username` or `address` is '' for "any". Names are counted whether or not
    such a user exists, so a lock says nothing about who exists (core/users/auth.py)."""

    __tablename__ = "login_throttle"

    username: str = Field(max_length=64, primary_key=True)
    address: str = Field(max_length=64, primary_key=True)
    failures: int = Field(default=0)
    # Below the limit: when the count starts over; at the limit: the end of the lock.
    until: datetime = Field(sa_type=UtcDateTime)


class Source(SQLModel, table=True):
    """Where returns and self-purchases come from: a marketplace."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    is_active: bool = Field(default=True)


class DistributionCenter(SQLModel, table=True):
    __tablename__ = "distribution_center"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    source_id: int = Field(foreign_key="source.id", index=True)
    is_active: bool = Field(default=True)


class Product(SQLModel, table=True):
    __table_args__ = (
        sa.CheckConstraint("min_stock >= 0", name="min_stock_not_negative"),
        sa.Index("ix_product_name", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(max_length=100, index=True)
    name: str = Field(max_length=500)
    barcode: str = Field(max_length=64, unique=True)
    gtin: str | None = Field(default=None, max_length=14, unique=True)
    min_stock: int = Field(default=0)
    weight_g: int | None = Field(default=None)
    length_mm: int | None = Field(default=None)
    width_mm: int | None = Field(default=None)
    height_mm: int | None = Field(default=None)
    is_deleted: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
    updated_at: datetime = Field(
        default_factory=utc_now,
        sa_column=sa.Column(UtcDateTime(), nullable=False, default=utc_now, onupdate=utc_now),
    )


class Warehouse(SQLModel, table=True):
    """MAIN (good stock) and DEFECT; each has a default location with the same code."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)


class Location(SQLModel, table=True):
    """Internal locations belong to a warehouse and hold quants: its default location ("not
    yet put away"), bins, packing stations and outbound docks. Virtual ones stand for the
    outside world (vendors, customers, marketplace DCs, scrap, inventory loss)."""

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('default', 'bin', 'packing', 'outbound', 'virtual')", name="kind_known"
        ),
        sa.CheckConstraint(
            "(kind <> 'virtual') = (warehouse_id IS NOT NULL)", name="internal_has_warehouse"
        ),
        sa.Index("ix_location_kind_route_sequence", "kind", "route_sequence"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=16)
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="location.id")
    zone: str | None = Field(default=None, max_length=32)
    route_sequence: int = Field(default=0)  # picking walks bins in this order
    is_active: bool = Field(default=True)
    # A packing station's label printer: `host` or `host:port` (raw ZPL, port 9100 if left
    # out); None elsewhere and where labels are downloaded instead.
    printer_address: str | None = Field(default=None, max_length=255)


class HandlingUnit(SQLModel, table=True):
    """A pallet or a box; quants may sit in one, and boxes on a pallet. Moving a unit moves
    its contents. A closed unit is empty and takes nothing more."""

    __tablename__ = "handling_unit"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('pallet', 'box')", name="kind_known"),
        sa.Index("ix_handling_unit_parent_id", "parent_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)
    location_id: int = Field(foreign_key="location.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="handling_unit.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class Quant(SQLModel, table=True):
    """Balance of one product at one location (optionally in one handling unit): the
    materialised sum of the ledger. Changed only by the atomic statements in data.uow."""

    __table_args__ = (
        sa.CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        sa.CheckConstraint("reserved >= 0 AND reserved <= quantity", name="reserved_within"),
        # NULL handling units are distinct in a plain unique key, hence two partial indexes.
        sa.Index(
            "uq_quant_loose",
            "product_id",
            "location_id",
            unique=True,
            sqlite_where=sa.text("handling_unit_id IS NULL"),
            postgresql_where=sa.text("handling_unit_id IS NULL"),
        ),
        sa.Index(
            "uq_quant_in_unit",
            "product_id",
            "location_id",
            "handling_unit_id",
            unique=True,
            sqlite_where=sa.text("handling_unit_id IS NOT NULL"),
            postgresql_where=sa.text("handling_unit_id IS NOT NULL"),
        ),
        sa.Index("ix_quant_location_id", "location_id"),
        sa.Index("ix_quant_handling_unit_id", "handling_unit_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id")
    location_id: int = Field(foreign_key="location.id")
    handling_unit_id: int | None = Field(default=None, foreign_key="handling_unit.id")
    quantity: int = Field(default=0)
    reserved: int = Field(default=0)
    received_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    # Raised by every change: a count names the version it saw (version_conflict).
    version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


LOCATIONS_DIFFER = (
    "from_location_id <> to_location_id "
    "OR coalesce(from_handling_unit_id, 0) <> coalesce(handling_unit_id, 0)"
)


class Movement(SQLModel, table=True):
    """The ledger. Append-only: database triggers refuse UPDATE and DELETE."""

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        # Within one place stock may go into or out of a handling unit (migration 0014).
        sa.CheckConstraint(LOCATIONS_DIFFER, name="locations_differ"),
        sa.Index("ix_movement_created_at", "created_at"),
        sa.Index("ix_movement_product_id_created_at", "product_id", "created_at"),
        sa.Index("ix_movement_operation_type_created_at", "operation_type", "created_at"),
        sa.Index("ix_movement_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_movement_source_id", "source_id"),
        sa.Index("ix_movement_distribution_center_id", "distribution_center_id"),
        sa.Index("ix_movement_document", "document"),
        # An idempotency key is the user's own: another user's equal key is another
        # request (0 stands for "no user", so keyed movements without one still collide).
        sa.Index(
            "uq_movement_user_idempotency_key",
            sa.func.coalesce(sa.column("user_id"), 0),
            sa.column("idempotency_key"),
            unique=True,
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    operation_type: str = Field(max_length=32)
    product_id: int = Field(foreign_key="product.id")
    quantity: int
    from_location_id: int = Field(foreign_key="location.id")
    to_location_id: int = Field(foreign_key="location.id")
    source_id: int | None = Field(default=None, foreign_key="source.id")
    distribution_center_id: int | None = Field(default=None, foreign_key="distribution_center.id")
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    notes: str | None = Field(default=None, max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=128)
    # A document or import this movement belongs to, e.g. "import:12" or "order:845".
    document: str | None = Field(default=None, max_length=64)
    # Unique: a movement can be reversed once, enforced by the database under concurrency.
    reversal_of: int | None = Field(default=None, foreign_key="movement.id", unique=True)
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    # The handling unit the stock came out of (at from_location) and went into (at
    # to_location); NULL is loose stock.
    from_handling_unit_id: int | None = Field(default=None, foreign_key="handling_unit.id")
    handling_unit_id: int | None = Field(default=None, foreign_key="handling_unit.id")


class OutboxEvent(SQLModel, table=True):
    """Events for other systems, written in the same transaction as their cause."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        sa.Index("ix_outbox_event_unpublished", "published_at", "id"),
        sa.Index("ix_outbox_event_type_id", "event_type", "id"),  # a callback's kinds
    )

    id: int | None = Field(default=None, primary_key=True)
    event_type: str = Field(max_length=64)
    payload: str  # JSON
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    published_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class CallbackConsumer(SQLModel, table=True):
    """A callback consumer (data.events.callbacks): outbox events up to `since_id` are all
    handled or older than it was first started (history is not called back)."""

    __tablename__ = "callback_consumer"

    name: str = Field(primary_key=True, max_length=32)
    since_id: int


class CallbackDelivery(SQLModel, table=True):
    """One outbox event handled by one consumer: recorded only after the service
    answered (delivered), refused it for good (rejected) or it did not concern it."""

    __tablename__ = "callback_delivery"
    __table_args__ = (
        sa.CheckConstraint("outcome IN ('delivered', 'rejected', 'skipped')", name="outcome_known"),
    )

    consumer: str = Field(primary_key=True, max_length=32)
    outbox_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    outcome: str = Field(max_length=16)
    detail: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))


class ImportBatch(SQLModel, table=True):
    """One confirmed import of a file (applied, refused for its errors, or failed). Its
    movements carry document = "import:<id>"."""

    __tablename__ = "import_batch"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('products', 'movements', 'opening_balances', 'orders')", name="kind_known"
        ),
        sa.CheckConstraint("status IN ('applied', 'refused', 'failed')", name="status_known"),
        sa.Index("ix_import_batch_created_at", "created_at"),
        sa.Index("ix_import_batch_file_sha256", "file_sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=255)
    file_sha256: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    operation_type: str | None = Field(default=None, max_length=32)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
    rows_total: int = Field(default=0)
    rows_ok: int = Field(default=0)
    applied: bool = Field(default=False)
    error_count: int = Field(default=0)
    # applied | refused (the file has errors) | failed (the confirmation failed: `reason`)
    status: str = Field(
        default="applied", max_length=16, sa_column_kwargs={"server_default": "applied"}
    )
    reason: str | None = Field(default=None, max_length=500)


# --- Daily aggregates of the ledger, written in the same transaction as each movement ---
# `day` is the local calendar day (settings.time_zone) of movement.created_at. A key with
# no source or DC stores 0 there, so the upsert key has no NULLs. A reversal counts −1
# movement and −quantity units; the deltas are the signed change of good (MAIN) and
# defect (DEFECT) stock the movement caused, so Σ deltas per product = its stock.


class ProductDayFlow(SQLModel, table=True):
    """Per product and day. The primary key leads with `day`: it serves day ranges."""

    __tablename__ = "product_day_flow"
    __table_args__ = (sa.Index("ix_product_day_flow_product_id_day", "product_id", "day"),)

    day: date = Field(primary_key=True)
    product_id: int = Field(primary_key=True, foreign_key="product.id")
    operation_type: str = Field(primary_key=True, max_length=32)
    source_id: int = Field(primary_key=True)  # 0: none
    distribution_center_id: int = Field(primary_key=True)  # 0: none
    movements: int = Field(default=0)
    units: int = Field(default=0)
    good_delta: int = Field(default=0)
    defect_delta: int = Field(default=0)


class ProductMonthFlow(SQLModel, table=True):
    """Per product and month (`month` = its first day): long periods read 12 rows a
    product here instead of 365."""

    __tablename__ = "product_month_flow"

    month: date = Field(primary_key=True)
    # The operation before the product: a month's (or all-time) rows of one operation,
    # e.g. the shipments for the top list, are one range of the key.
    operation_type: str = Field(primary_key=True, max_length=32)
    product_id: int = Field(primary_key=True, foreign_key="product.id")
    movements: int = Field(default=0)
    units: int = Field(default=0)
    good_delta: int = Field(default=0)
    defect_delta: int = Field(default=0)


class DayFlow(SQLModel, table=True):
    """All products per day. Today's rows are spread over shards (product_id % 16) so
    that concurrent movements of different products rarely wait on one another; past days
    are folded into shard 0 (data.daily_job.fold_past_days)."""

    __tablename__ = "day_flow"

    day: date = Field(primary_key=True)
    operation_type: str = Field(primary_key=True, max_length=32)
    source_id: int = Field(primary_key=True)  # 0: none
    distribution_center_id: int = Field(primary_key=True)  # 0: none
    shard: int = Field(primary_key=True)
    movements: int = Field(default=0)
    units: int = Field(default=0)
    good_delta: int = Field(default=0)
    defect_delta: int = Field(default=0)


class DayStock(SQLModel, table=True):
    """Counts at the end of a past day, taken once the day is two days old (no posting of
    it can still be on its way): products with good stock, and products below their
    minimum (by the minimums and reservations when taken). A posting booked on a day this
    old or older deletes the counts from that day on; missing days are computed from the
    aggregates when asked (data.dashboard.queries)."""

    __tablename__ = "day_stock"

    day: date = Field(primary_key=True)
    skus_in_stock: int
    low_stock_skus: int


class Executor(SQLModel, table=True):
    """Who carries out floor work: a person or a device. A worker user acts as the executor
    linked to them."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    is_active: bool = Field(default=True)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", unique=True)
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())


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
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)


class MissionLine(SQLModel, table=True):
    """One line of a mission: move `quantity` of a product from one location to another;
    `done_quantity` grows with each recorded TRANSFER."""

    __tablename__ = "mission_line"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("done_quantity >= 0 AND done_quantity <= quantity", name="done_within"),
    )

    id: int | None = Field(default=None, primary_key=True)
    mission_id: int = Field(foreign_key="mission.id", index=True)
    sequence: int = Field(default=0)
    product_id: int = Field(foreign_key="product.id")
    quantity: int
    done_quantity: int = Field(default=0)
    from_location_id: int = Field(foreign_key="location.id")
    to_location_id: int = Field(foreign_key="location.id")
    handling_unit_id: int | None = Field(default=None, foreign_key="handling_unit.id")


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
    at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    status: str = Field(max_length=16)
    details: str = Field(default="", max_length=500)
    idempotency_key: str | None = Field(default=None, max_length=128)
    # A recorded line: the TRANSFER it posted.
    movement_id: int | None = Field(default=None, foreign_key="movement.id")


class RequestKey(SQLModel, table=True):
    """An API request's Idempotency-Key where no ledger row carries one (a new location):
    the same key again, from the same user, returns what the first request created. The
    key is written in the same transaction as what it created, so a retry never sees one
    without the other; `fingerprint` tells a retry from another request under that key."""

    __tablename__ = "request_key"

    user_id: int = Field(primary_key=True, foreign_key="app_user.id")
    scope: str = Field(primary_key=True, max_length=32)  # e.g. "locations"
    idempotency_key: str = Field(primary_key=True, max_length=128)
    fingerprint: str = Field(max_length=64)
    resource_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())


# --- Orders (DESIGN.md §2b, §6 "Orders") ---


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
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
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
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
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
    at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    status: str = Field(max_length=16)
    details: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=128)


# --- Picking (DESIGN.md §2b.2, §6 "Picking") ---


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
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
    assigned_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)


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
    at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    item_id: int | None = Field(default=None)
    details: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=128)


# --- Packing and shipping (DESIGN.md §2b.3–4, §6 "Packing and shipping") ---


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
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
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
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())


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
    at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    action: str = Field(max_length=32)
    package_id: int | None = Field(default=None)
    details: str = Field(default="", max_length=1000)
    idempotency_key: str | None = Field(default=None, max_length=128)


# --- Returns of shipped orders (issue 15; core.orders.returns; migration 0025) ---
# Kept as one block at the end of the file so that it moves as a whole.


class OrderReturn(SQLModel, table=True):
    """Units of a shipped order's line that came back, good or defective: one booking,
    one movement (RETURN_PICKUP or RETURN_DEFECT naming the order). Never updated."""

    __tablename__ = "order_return"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("condition IN ('good', 'defect')", name="condition_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sale_order.id", index=True)
    order_line_id: int = Field(foreign_key="order_line.id")
    product_id: int = Field(foreign_key="product.id")
    quantity: int
    condition: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    movement_id: int = Field(foreign_key="movement.id", unique=True)
    source_id: int | None = Field(default=None, foreign_key="source.id")
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())
