"""Returns of shipped orders (issue 15; core.orders.returns; migration 0025)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import created_at_column, utc_now


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
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
