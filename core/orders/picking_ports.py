"""What the picking use cases need from storage, and the records they pass.
`data.picking.repository.SqlPicking` implements `PickingRepository` as `uow.picking`.

A pick moves reserved units and their reservation together (DESIGN.md §2b.2, invariant
6): the repository lowers the bin quant's `quantity` and `reserved` in one conditional
statement, raises the station quant's `quantity` and `reserved` in one upsert, and moves
the reservation's units to a `picked` row at the station — all in the caller's
transaction, with the TRANSFER's ledger row.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from core.marking.ports import MarkingRepository
from core.orders.own_tasks import TaskHead
from core.orders.packing_ports import PackingRepository
from core.orders.ports import OrderRepository, OrdersUnitOfWork
from core.ports import UnitOfWork
from core.stock.ports import Ledger, Stock


@dataclass(frozen=True)
class PickItem:
    id: int
    task_id: int
    sequence: int
    order_line_id: int
    reservation_id: int
    product_id: int
    location_id: int
    quantity_required: int
    quantity_picked: int
    status: str  # pending | picked | short | skipped
    reason: str | None = None
    location_code: str = ""
    barcode: str = ""
    sku: str = ""
    product_name: str = ""

    @property
    def rest(self) -> int:
        return self.quantity_required - self.quantity_picked


@dataclass(frozen=True)
class PickTask:
    id: int
    order_id: int
    status: str
    priority: str
    executor_id: int | None
    station_id: int
    created_at: datetime
    assigned_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    items: tuple[PickItem, ...] = ()
    order_external_id: str = ""
    station_code: str = ""
    executor_name: str | None = None
    # Waves and batches (core.orders.waves, core.orders.batches).
    wave_id: int | None = None
    batch_id: int | None = None
    batch_slot: int | None = None
    # Picking per zone (core.orders.waves): its zone, and the task it was split from.
    zone: str | None = None
    split_from_id: int | None = None

    @property
    def root_id(self) -> int:
        """The first task of its order's split (itself when it was never split)."""
        return self.split_from_id or self.id

    @property
    def total_items(self) -> int:
        return len(self.items)

    @property
    def picked_items(self) -> int:
        """Items done (picked, short or skipped)."""
        return sum(1 for item in self.items if item.status != "pending")


@dataclass(frozen=True)
class ItemDraft:
    sequence: int
    order_line_id: int
    reservation_id: int
    product_id: int
    location_id: int
    quantity: int


@dataclass(frozen=True)
class PickStep:
    task_id: int
    action: str
    user_id: int | None
    at: datetime
    item_id: int | None = None
    details: str = ""
    idempotency_key: str | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ExecutorRef:
    id: int
    is_active: bool
    user_id: int | None


class PickingRepository(Protocol):
    def create_task(self, order_id: int, priority: str, at: datetime, items: list[ItemDraft],
                    station_id: int | None = None) -> int | None:  # fmt: skip
        """The new task's id, at `station_id` when given (a re-pick goes where the order
        already is), else at the first active packing station (by route, then code); None,
        and nothing written, when there is none."""

    def task(self, task_id: int, *, hold: bool = False) -> PickTask | None:
        """`hold`: lock the task's row until the transaction ends (PostgreSQL)."""

    def task_ids_of(self, order_id: int) -> list[int]:
        """The order's picking tasks, oldest first: one, or one per zone when a wave split
        it (core.orders.waves), and a re-pick's after a failed quality check."""

    def split_of(self, root_id: int) -> list[tuple[int, str, str | None]]:
        """(id, status, zone) of the task `root_id` and of the tasks split from it."""

    def executor(self, executor_id: int) -> ExecutorRef | None: ...
    def set_status(self, task_id: int, seen: str, status: str, at: datetime, *,
                   executor_id: int | None = None, reason: str | None = None) -> bool:  # fmt: skip
        """Move the task from `seen` to `status`; False when it is no longer `seen`."""

    def take_reserved(self, quant_id: int, quantity: int) -> bool:
        """Lower the quant's `quantity` and `reserved` together, only while it holds that
        much reserved (one conditional statement)."""

    def put_reserved(self, product_id: int, location_id: int, quantity: int,
                     at: datetime) -> int:  # fmt: skip
        """Raise the loose quant's `quantity` and `reserved` together (one upsert); its id."""

    def move_reservation(self, reservation_id: int, quantity: int, at: datetime) -> int | None:
        """Take `quantity` off an active bin reservation (the row turns `released` when
        nothing is left): its quant's id; None when it no longer holds that much."""

    def add_picked(self, order_line_id: int, quant_id: int, quantity: int,
                   at: datetime) -> bool:  # fmt: skip
        """A `picked` reservation at the station and the line's `picked` raised (never past
        its quantity)."""

    def unpick(self, order_line_id: int, quantity: int) -> bool:
        """Lower the line's `picked` (units brought back from the station by a cancel)."""

    def set_item(self, item_id: int, seen: str, status: str, picked: int,
                 reason: str | None) -> bool:  # fmt: skip
        """Record the item's outcome, only while it is still `seen`."""

    def add_step(self, step: PickStep) -> bool:
        """False when the step's idempotency key is taken."""

    def step_by_key(self, key: str, user_id: int | None) -> PickStep | None: ...
    def order_of(self, task_id: int) -> int | None:
        """The task's order (it never changes); None when there is no such task."""

    def task_head(self, task_id: int, user_id: int) -> TaskHead | None:
        """The task's order and executor with the user's active executor, unlocked, in
        one statement (core.orders.own_tasks); None when there is no such task."""


class PickingUnitOfWork(UnitOfWork, Protocol):
    @property
    def orders(self) -> OrderRepository: ...
    @property
    def picking(self) -> PickingRepository: ...
    @property
    def packing(self) -> PackingRepository: ...
    @property
    def marking(self) -> MarkingRepository: ...
    @property
    def stock(self) -> Stock: ...
    @property
    def ledger(self) -> Ledger: ...


class FulfillmentUnitOfWork(OrdersUnitOfWork, Protocol):
    """Orders with their floor work: what reserving, packing, shipping and cancelling an
    order run in."""

    @property
    def picking(self) -> PickingRepository: ...
    @property
    def packing(self) -> PackingRepository: ...
    @property
    def marking(self) -> MarkingRepository: ...
    @property
    def stock(self) -> Stock: ...
    @property
    def ledger(self) -> Ledger: ...
