"""The catalog: products, marketplaces (sources) and their distribution centers."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime, created_at_column, utc_now


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
    # Честный ЗНАК: each unit is scanned as its DataMatrix at packing (0026).
    requires_marking: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})
    is_deleted: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    updated_at: datetime = Field(
        default_factory=utc_now,
        sa_column=sa.Column(UtcDateTime(), nullable=False, default=utc_now, onupdate=utc_now),
    )
