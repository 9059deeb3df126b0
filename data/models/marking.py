"""Честный ЗНАК marking codes scanned at packing (issue 16; core.marking; migration 0027)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime, created_at_column, utc_now

# A code is "in use" while it is in a box or gone with a shipment; a return or a cancel
# frees it, so the same physical unit may be shipped again.
IN_USE = "status IN ('packed', 'shipped')"


class MarkingCode(SQLModel, table=True):
    """One unit of a marked product, by its DataMatrix: the order, the task, the package
    (box) it went into and the full code as scanned (GS as \\x1d, crypto tail included)."""

    __tablename__ = "marking_code"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('packed', 'shipped', 'returned', 'cancelled')", name="status_known"
        ),
        # A code cannot be in two boxes, nor shipped twice, until it comes back.
        sa.Index(
            "uq_marking_code_in_use",
            "gtin",
            "serial",
            unique=True,
            postgresql_where=sa.text(IN_USE),
            sqlite_where=sa.text(IN_USE),
        ),
        sa.Index("ix_marking_code_created_at", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="sale_order.id", index=True)
    packing_task_id: int = Field(foreign_key="packing_task.id", index=True)
    package_id: int = Field(foreign_key="package.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    gtin: str = Field(max_length=14)
    serial: str = Field(max_length=20)
    code: str = Field(max_length=255)
    status: str = Field(default="packed", max_length=16)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    shipped_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    returned_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
