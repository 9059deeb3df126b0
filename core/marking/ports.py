"""What marking codes need from storage (data.marking.repository implements it as
`uow.marking`, in the unit of work's transaction), and the records it passes."""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class CodeStatus:
    PACKED = "packed"  # in a box of an order not yet shipped
    SHIPPED = "shipped"
    RETURNED = "returned"  # came back: may go out again
    CANCELLED = "cancelled"  # the packing was cancelled: free again


@dataclass(frozen=True)
class CodeDraft:
    order_id: int
    packing_task_id: int
    package_id: int
    product_id: int
    gtin: str
    serial: str
    code: str
    user_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class CodeRecord:
    id: int
    order_id: int
    packing_task_id: int
    package_id: int
    product_id: int
    gtin: str
    serial: str
    code: str
    status: str
    order_external_id: str = ""


@dataclass(frozen=True)
class Unmarked:
    """Units of a marked product in a task's packages without a code."""

    product_id: int
    sku: str
    missing: int


class MarkingRepository(Protocol):
    def add(self, draft: CodeDraft) -> int | None:
        """The code's row; None when the code is already in use (packed or shipped) — the
        unique index decides, so two scans of one code at once cannot both win."""

    def in_use(self, gtin: str, serial: str) -> CodeRecord | None:
        """The packed or shipped row of this code, with its order's external id."""

    def code(self, code_id: int) -> CodeRecord | None: ...
    def delete(self, code_id: int, task_id: int) -> bool:
        """Remove a `packed` code of this task (an undone scan)."""

    def coded(self, package_id: int, product_id: int) -> int:
        """Codes already recorded for this product in this package."""

    def unmarked(self, task_id: int) -> list[Unmarked]:
        """Units of marked products in the task's packages that have no code yet."""

    def give_back(self, order_id: int, gtin: str, serial: str, at: datetime) -> bool:
        """A shipped code of this order marked returned (free to ship again); False when
        the order shipped no such code."""
