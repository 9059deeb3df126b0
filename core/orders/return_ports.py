"""What returns of shipped orders need from storage (core.orders.returns), and the
records they pass. `data.orders.returns.SqlReturns` implements `ReturnStore` as
`uow.returns`."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.model import ProductRef
from core.orders.picking_ports import FulfillmentUnitOfWork


@dataclass(frozen=True)
class ReturnedUnits:
    """Units of one order line that came back, as one booking (one movement)."""

    id: int
    order_id: int
    order_line_id: int
    product_id: int
    quantity: int
    condition: str  # good | defect
    reason: str | None
    movement_id: int
    user_id: int | None
    created_at: datetime
    sku: str = ""
    barcode: str = ""
    product_name: str = ""
    username: str | None = None


@dataclass(frozen=True)
class ReturnDraft:
    order_id: int
    order_line_id: int
    product_id: int
    quantity: int
    condition: str
    reason: str | None
    movement_id: int
    source_id: int | None
    user_id: int | None
    created_at: datetime


class ReturnStore(Protocol):
    def returned(self, order_id: int) -> list[ReturnedUnits]:
        """The order's returns, oldest first."""

    def add(self, draft: ReturnDraft) -> int: ...
    def product_by_code(self, code: str) -> ProductRef | None:
        """A product (deleted too) whose barcode or GTIN is exactly `code`."""

    def shipped_orders(self, code: str, limit: int) -> list[int]:
        """Shipped customer orders whose tracking number or external id is `code`
        (case ignored), the newest first."""


class ReturnsUnitOfWork(FulfillmentUnitOfWork, Protocol):
    @property
    def returns(self) -> ReturnStore: ...
