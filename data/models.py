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
    such a user exists, so a lock says nothing about who exists (core/auth.py)."""

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
    """Internal locations belong to a warehouse and hold quants; virtual ones stand for the
    outside world (vendors, customers, marketplace DCs, scrap, inventory loss)."""

    __table_args__ = (
        sa.CheckConstraint("kind IN ('internal', 'virtual')", name="kind_known"),
        sa.CheckConstraint(
            "(kind = 'internal') = (warehouse_id IS NOT NULL)", name="internal_has_warehouse"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=100)
    kind: str = Field(max_length=16)
    warehouse_id: int | None = Field(default=None, foreign_key="warehouse.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="location.id")
    route_sequence: int = Field(default=0)  # picking walks bins in this order
    is_active: bool = Field(default=True)


class HandlingUnit(SQLModel, table=True):
    """A pallet or a box; quants may sit in one. Moving a unit moves its contents."""

    __tablename__ = "handling_unit"
    __table_args__ = (sa.CheckConstraint("kind IN ('pallet', 'box')", name="kind_known"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    kind: str = Field(max_length=16)
    location_id: int = Field(foreign_key="location.id", index=True)
    parent_id: int | None = Field(default=None, foreign_key="handling_unit.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=_created_at())


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
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id")
    location_id: int = Field(foreign_key="location.id")
    handling_unit_id: int | None = Field(default=None, foreign_key="handling_unit.id")
    quantity: int = Field(default=0)
    reserved: int = Field(default=0)
    received_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))


class Movement(SQLModel, table=True):
    """The ledger. Append-only: database triggers refuse UPDATE and DELETE."""

    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("from_location_id <> to_location_id", name="locations_differ"),
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


class OutboxEvent(SQLModel, table=True):
    """Events for other systems, written in the same transaction as their cause."""

    __tablename__ = "outbox_event"
    __table_args__ = (sa.Index("ix_outbox_event_unpublished", "published_at", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    event_type: str = Field(max_length=64)
    payload: str  # JSON
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    published_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ImportBatch(SQLModel, table=True):
    """One confirmed import of a file (applied, refused for its errors, or failed). Its
    movements carry document = "import:<id>"."""

    __tablename__ = "import_batch"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('products', 'movements', 'opening_balances')", name="kind_known"
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
    aggregates when asked (data.dashboard)."""

    __tablename__ = "day_stock"

    day: date = Field(primary_key=True)
    skus_in_stock: int
    low_stock_skus: int
