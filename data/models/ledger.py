"""Stock and its ledger: quants (balances) and movements (append-only)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime


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
