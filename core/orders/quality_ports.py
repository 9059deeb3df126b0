"""What quality control (core.orders.quality) needs from storage, and the records it
passes. `data.orders.quality.SqlQuality` implements `QualityRepository` as `uow.quality`;
`data.files.photos.PhotoFiles` implements `PhotoStore`.

A defective unit leaves its order the way a pick came in, reversed (invariant 6): the
line's `picked` reservation at the station gives the unit up (released when none is
left) and the station quant's `reserved` falls by one in one conditional statement; then
a WRITE_OFF takes the now unreserved unit from the station into DEFECT.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from core.orders.picking_ports import FulfillmentUnitOfWork


@dataclass(frozen=True)
class QcItem:
    """Units of one order line picked from one bin."""

    id: int
    task_id: int
    order_line_id: int
    product_id: int
    location_id: int
    quantity: int
    checked: int
    defect: int
    barcode: str = ""
    sku: str = ""
    product_name: str = ""
    location_code: str = ""

    @property
    def left(self) -> int:
        return self.quantity - self.checked


@dataclass(frozen=True)
class QcDefect:
    id: int
    task_id: int
    item_id: int
    reason: str
    missing: bool  # not at the station at all: a loss, not defect stock
    user_id: int | None
    created_at: datetime
    outcome: str | None  # None until the check ends; repicked | shorted
    movement_id: int | None
    repick_location_id: int | None
    product_id: int = 0
    sku: str = ""
    repick_location_code: str | None = None


@dataclass(frozen=True)
class QcPhoto:
    id: int
    task_id: int
    file_name: str  # generated; never the uploader's name
    content_type: str
    size_bytes: int
    user_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class QcTask:
    id: int
    order_id: int
    picking_task_id: int
    station_id: int
    status: str
    executor_id: int | None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    items: tuple[QcItem, ...] = ()
    defects: tuple[QcDefect, ...] = ()
    photos: tuple[QcPhoto, ...] = ()
    order_external_id: str = ""
    station_code: str = ""
    executor_name: str | None = None

    @property
    def total_units(self) -> int:
        return sum(i.quantity for i in self.items)

    @property
    def checked_units(self) -> int:
        return sum(i.checked for i in self.items)

    @property
    def defect_units(self) -> int:
        return sum(i.defect for i in self.items)


@dataclass(frozen=True)
class QcItemDraft:
    order_line_id: int
    product_id: int
    location_id: int
    quantity: int


@dataclass(frozen=True)
class QcStep:
    task_id: int
    action: str
    user_id: int | None
    at: datetime
    details: str = ""
    idempotency_key: str | None = field(default=None, compare=False)


class QualityRepository(Protocol):
    def picked_units(self, picking_task_id: int) -> list[QcItemDraft]:
        """What the picking task — and the tasks a wave split from it per zone — brought
        to its station: per order line and bin."""

    def create_task(self, order_id: int, picking_task_id: int, station_id: int, at: datetime,
                    items: list[QcItemDraft]) -> int: ...  # fmt: skip
    def task(self, task_id: int, *, hold: bool = False) -> QcTask | None:
        """`hold`: lock the task's row until the transaction ends (PostgreSQL)."""

    def open_task_of(self, order_id: int) -> int | None:
        """The order's check still pending or in progress, if any."""

    def set_status(self, task_id: int, seen: str, status: str, at: datetime, *,
                   executor_id: int | None = None, reason: str | None = None) -> bool:  # fmt: skip
        """Move the task from `seen` to `status`; False when it is no longer `seen`."""

    def check_unit(self, item_id: int, defect: bool) -> bool:
        """One more unit of the item checked (and defective): only while some are left
        (one conditional statement)."""

    def add_defect(self, task_id: int, item_id: int, reason: str, user_id: int | None,
                   at: datetime, *, missing: bool = False) -> int:  # fmt: skip
        """`missing`: the unit is not at the station at all (a loss, not defect stock)."""

    def settle_defect(self, defect_id: int, outcome: str, movement_id: int,
                      repick_location_id: int | None) -> None: ...  # fmt: skip
    def give_up_picked(self, order_line_id: int, station_id: int, quantity: int,
                       at: datetime) -> int | None:  # fmt: skip
        """Lower the line's `picked` reservation at the station's loose quant and that
        quant's `reserved` by `quantity` (conditional); the quant's id, None when the
        reservation no longer holds that much."""

    def add_photo(self, photo: QcPhoto) -> int: ...
    def photo(self, photo_id: int) -> QcPhoto | None: ...
    def add_step(self, step: QcStep) -> bool:
        """False when the step's idempotency key is taken."""

    def step_by_key(self, key: str, user_id: int | None) -> QcStep | None: ...


class PhotoStore(Protocol):
    def save(self, file_name: str, content: bytes) -> None: ...
    def remove(self, file_name: str) -> None: ...


class QualityUnitOfWork(FulfillmentUnitOfWork, Protocol):
    @property
    def quality(self) -> QualityRepository: ...
