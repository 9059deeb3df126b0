"""Daily aggregates of the ledger, written in the same transaction as each movement.

`day` is the local calendar day (settings.time_zone) of movement.created_at. A key with
no source or DC stores 0 there, so the upsert key has no NULLs. A reversal counts −1
movement and −quantity units; the deltas are the signed change of good (MAIN) and
defect (DEFECT) stock the movement caused, so Σ deltas per product = its stock."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import data.models.base  # noqa: F401  (its naming convention must be set before any table)


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
