"""Where stock lies: warehouses, locations and handling units (pallets, boxes)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime, created_at_column, utc_now


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
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
