"""What the order use cases need from storage, and the records they pass.
`data.orders.repository.SqlOrders` implements `OrderRepository` as `uow.orders`.

Reservation is a use case over these ports (core.orders.reservation): the repository
locks the reservable quants of an order's products in one fixed order and raises each
quant's `reserved` with one conditional statement; core chooses which quants (FIFO).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from core.catalog.ports import CatalogLookups
from core.ports import UnitOfWork


@dataclass(frozen=True)
class ShipTo:
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class LineDraft:
    product_id: int
    quantity: int
    # The product as the request's check read it: what the line reads back as.
    sku: str = ""
    barcode: str = ""
    product_name: str = ""


@dataclass(frozen=True)
class OrderDraft:
    external_id: str
    source_id: int | None
    kind: str  # customer | supply
    priority: str
    carrier: str | None
    ship_to: ShipTo | None
    distribution_center_id: int | None
    lines: tuple[LineDraft, ...]
    created_by: int | None
    created_at: datetime


@dataclass(frozen=True)
class OrderLine:
    id: int
    sequence: int
    product_id: int
    quantity: int
    reserved: int  # Σ active reservations of the line
    picked: int = 0
    packed: int = 0
    shipped: int = 0
    sku: str = ""
    barcode: str = ""
    product_name: str = ""


@dataclass(frozen=True)
class Reservation:
    id: int
    order_line_id: int
    quant_id: int
    product_id: int
    location_id: int
    quantity: int
    status: str  # active | released
    created_at: datetime
    expires_at: datetime | None = None
    location_code: str = ""
    stage: str = "bin"  # bin | picked (at a packing station) | packed (in a package's box)
    handling_unit_id: int | None = None  # the package's box of a `packed` reservation


@dataclass(frozen=True)
class Order:
    id: int
    external_id: str
    source_id: int | None
    kind: str
    priority: str
    status: str
    carrier: str | None
    distribution_center_id: int | None
    ship_to: ShipTo | None
    tracking_number: str | None
    created_by: int | None
    created_at: datetime
    confirmed_at: datetime | None
    reserved_until: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    lines: tuple[OrderLine, ...] = ()
    reservations: tuple[Reservation, ...] = ()
    source_name: str | None = None
    picking_task_id: int | None = None  # the order's latest picking task
    packing_task_id: int | None = None

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)


@dataclass(frozen=True)
class OrderHead:
    """What a transition decides on."""

    id: int
    status: str
    external_id: str
    priority: str


@dataclass(frozen=True)
class Slot:
    """A quant an order may take stock from: good stock in a default location or a bin."""

    quant_id: int
    product_id: int
    location_id: int
    available: int  # quantity - reserved, as locked
    received_at: datetime
    route_sequence: int


@dataclass(frozen=True)
class Hold:
    """One reservation to make: `quantity` of a quant for an order line."""

    order_line_id: int
    quant_id: int
    product_id: int
    location_id: int
    quantity: int


@dataclass(frozen=True)
class Step:
    """One row of an order's history (its timeline), with who and when."""

    order_id: int
    action: str
    status: str  # the order's status after the step
    user_id: int | None
    at: datetime
    details: str = ""
    idempotency_key: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    is_active: bool


class OrderRepository(Protocol):
    def carrier(self, code: str) -> Carrier | None: ...
    def by_external_id(self, source_id: int | None, external_id: str) -> int | None: ...
    def insert_order(self, draft: OrderDraft, step: Step) -> tuple[int, list[int]] | None:
        """The new order's id and its lines' ids (in the draft's order), and `step` (its
        first history row, for the new order whatever its `order_id`) written with it;
        None when (source, external id) or the step's idempotency key is taken (a twin)."""

    def head(self, order_id: int, *, hold: bool = False) -> OrderHead | None:
        """`hold`: lock the order's row until the transaction ends (confirm vs cancel)."""

    def order(self, order_id: int) -> Order | None: ...
    def lines(self, order_id: int) -> list[OrderLine]: ...
    def lock_slots(self, product_ids: list[int]) -> list[Slot]:
        """The reservable quants of these products with stock left, locked in (product,
        location) order — the order every writer touches quants in — so two orders never
        wait on each other in a cycle."""

    def reserve(self, holds: list[Hold], at: datetime,
                expires_at: datetime | None) -> list[Reservation] | None:  # fmt: skip
        """For each hold, in the given order: raise its quant's `reserved` by the hold's
        quantity only while that much is unreserved (one conditional statement per hold)
        and write the reservation row. The rows written, as `active_reservations` lists
        them (route order); None when some hold could not be taken."""

    def active_reservations(self, order_id: int) -> list[Reservation]: ...
    def release(self, reservation: Reservation, at: datetime) -> bool:
        """Mark the reservation released and lower its quant's `reserved` (conditional)."""

    def set_status(self, order_id: int, seen: str, status: str, at: datetime,
                   *, reason: str | None = None, step: Step | None = None) -> bool:  # fmt: skip
        """Move the order from `seen` to `status`; False when it is no longer `seen`.
        `step` (without an idempotency key): the history row of the move, written with
        it (one statement where the database can), only when it moved."""

    def hold_until(self, order_id: int, until: datetime | None) -> None:
        """Record when the order's reservation expires (`reserved_until`); None: never."""

    def wait_briefly(self) -> None:
        """From now on this transaction gives up a lock it waits for after a moment (an
        error) instead of waiting on: a background job yields to people's requests rather
        than joining a deadlock with them."""

    def expired(self, now: datetime, limit: int) -> list[int]:
        """Reserved orders whose reservation expired by `now`, the longest expired first."""

    def add_step(self, step: Step) -> bool:
        """False when the step's idempotency key is taken (a twin committed first)."""

    def step_by_key(self, key: str, user_id: int | None) -> Step | None: ...
    def steps(self, order_id: int) -> list[Step]: ...
    def waiting(self, product_ids: list[int] | None, limit: int) -> list[int]:
        """Orders awaiting stock that need any of these products (None: any), by
        priority (urgent first) then age."""


class OrdersUnitOfWork(UnitOfWork, Protocol):
    @property
    def catalog(self) -> CatalogLookups: ...
    @property
    def orders(self) -> OrderRepository: ...
