"""What the packing and shipping use cases need from storage and from a carrier, and the
records they pass. `data.packing.repository.SqlPacking` implements `PackingRepository` as
`uow.packing`.

Packing moves picked units and their reservation together (DESIGN.md §2b.3, invariant
6): the station's loose quant gives up `quantity` and `reserved` in one conditional
statement, the package's box quant takes both in one upsert, and the `picked`
reservation's units move to a `packed` row on the box quant. Shipping lowers each box
quant's `quantity` and `reserved` in one conditional statement and marks the reservation
`shipped` — never read-then-write.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from core.orders.own_tasks import TaskHead
from core.orders.ports import Order

# DESIGN.md §2b.3: volumetric weight = L×W×H / 5000 (cm → kg).
VOLUMETRIC_DIVISOR = 5000


def volumetric_weight(length_cm: float | None, width_cm: float | None,
                      height_cm: float | None) -> float | None:  # fmt: skip
    """The one place volumetric weight is computed; None until every dimension is known."""
    if length_cm is None or width_cm is None or height_cm is None:
        return None
    return round(length_cm * width_cm * height_cm / VOLUMETRIC_DIVISOR, 3)


def chargeable_weight(weight_kg: float | None, volumetric_kg: float | None) -> float | None:
    """The larger of the actual and the volumetric weight (None while either is unknown)."""
    if weight_kg is None or volumetric_kg is None:
        return None
    return max(weight_kg, volumetric_kg)


@dataclass(frozen=True)
class PackageLine:
    product_id: int
    quantity: int
    order_line_id: int = 0
    barcode: str = ""
    sku: str = ""


@dataclass(frozen=True)
class Package:
    id: int
    packing_task_id: int
    sequence_number: int
    packaging_type: str
    weight_kg: float | None
    length_cm: float | None
    width_cm: float | None
    height_cm: float | None
    barcode: str
    handling_unit_id: int
    items: tuple[PackageLine, ...] = ()

    @property
    def volumetric_weight_kg(self) -> float | None:
        return volumetric_weight(self.length_cm, self.width_cm, self.height_cm)

    @property
    def chargeable_weight_kg(self) -> float | None:
        return chargeable_weight(self.weight_kg, self.volumetric_weight_kg)

    @property
    def measured(self) -> bool:
        return self.weight_kg is not None and self.volumetric_weight_kg is not None


@dataclass(frozen=True)
class PackItem:
    """One product of the task: units brought to packing and how many are in packages."""

    product_id: int
    quantity: int
    packed_quantity: int
    barcode: str = ""
    sku: str = ""
    product_name: str = ""
    gtin: str | None = None
    requires_marking: bool = False  # each unit is counted by its DataMatrix (core.marking)


@dataclass(frozen=True)
class PackTask:
    id: int
    order_id: int
    picking_task_id: int
    station_id: int
    status: str
    executor_id: int | None
    carrier: str | None
    tracking_number: str | None
    created_at: datetime
    started_at: datetime | None = None
    packed_at: datetime | None = None
    shipped_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    items: tuple[PackItem, ...] = ()
    packages: tuple[Package, ...] = ()
    order_external_id: str = ""
    order_kind: str = ""
    station_code: str = ""

    @property
    def all_packed(self) -> bool:
        return all(i.packed_quantity >= i.quantity for i in self.items)


@dataclass(frozen=True)
class PackageDraft:
    packaging_type: str
    weight_kg: float | None
    length_cm: float | None
    width_cm: float | None
    height_cm: float | None


@dataclass(frozen=True)
class PackStep:
    task_id: int
    action: str
    user_id: int | None
    at: datetime
    package_id: int | None = None
    details: str = ""
    idempotency_key: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PickedUnits:
    """A `picked` reservation at the station: units of one order line not yet packed."""

    reservation_id: int
    order_line_id: int
    product_id: int
    quant_id: int
    quantity: int


class PackingRepository(Protocol):
    def create_task(self, order_id: int, picking_task_id: int, station_id: int,
                    at: datetime) -> int: ...  # fmt: skip
    def task(self, task_id: int, *, hold: bool = False) -> PackTask | None:
        """`hold`: lock the task's row until the transaction ends (PostgreSQL)."""

    def latest_task_of(self, order_id: int) -> int | None: ...
    def set_status(self, task_id: int, seen: str, status: str, at: datetime, *,
                   executor_id: int | None = None, reason: str | None = None,
                   carrier: str | None = None,
                   tracking_number: str | None = None) -> bool:  # fmt: skip
        """Move the task from `seen` to `status`; False when it is no longer `seen`. Its
        packed marking codes follow: shipped with it, or freed by a cancel."""

    def set_measures(self, package_id: int, kind: str | None, weight: float | None,
                     length: float | None, width: float | None,
                     height: float | None) -> bool:  # fmt: skip
        """The package's given values (None: kept as is); False when there is no such
        package."""

    def add_package(self, task_id: int, station_id: int, draft: PackageDraft,
                    at: datetime) -> Package:  # fmt: skip
        """The next package (sequence 1, 2, …) with its box handling unit at the station."""

    def picked_units(self, order_id: int) -> list[PickedUnits]:
        """The order's active `picked` reservations, by line then id."""

    def pack_units(self, units: PickedUnits, quantity: int, package: Package,
                   at: datetime) -> bool:  # fmt: skip
        """`quantity` of these units from the station into the package's box: the loose
        quant and the box quant, the reservation, the line's `packed` and the package's
        item, each one conditional statement; False when the units are no longer there."""

    def ship_units(self, reservation_id: int, order_line_id: int, quant_id: int,
                   quantity: int, at: datetime) -> bool:  # fmt: skip
        """The reservation marked shipped, the box quant's `quantity` and `reserved`
        lowered together, the line's picked/packed moved to shipped (conditional)."""

    def unpack(self, order_line_id: int, quantity: int) -> bool:
        """Lower the line's `picked` and `packed` (packed units brought back by a cancel)."""

    def close_units(self, task_id: int, at: datetime) -> None:
        """The task's (now empty) package boxes closed."""

    def order_shipped(self, order_id: int, carrier: str, tracking_number: str) -> None: ...
    def add_step(self, step: PackStep) -> bool:
        """False when the step's idempotency key is taken."""

    def step_by_key(self, key: str, user_id: int | None) -> PackStep | None: ...
    def order_of(self, task_id: int) -> int | None:
        """The task's order (it never changes); None when there is no such task."""

    def task_head(self, task_id: int, user_id: int) -> TaskHead | None:
        """The task's order and executor with the user's active executor, unlocked, in
        one statement (core.orders.own_tasks); None when there is no such task."""


class CarrierService(Protocol):
    """A carrier's service that issues tracking numbers (none is wired yet: `manual` and
    carriers without a service need the number typed or scanned)."""

    def issue_tracking_number(self, order: Order, packages: tuple[Package, ...]) -> str: ...
