"""What waves and batches (core.orders.waves, core.orders.batches) need from storage, and
the records they pass. `data.waves.repository.SqlWaves` implements `WavesRepository` as
`uow.waves`.

A task joins a wave or a batch by one conditional statement (it is not in one yet and its
picking has not started), one task at a time in id order: two managers releasing
overlapping waves take turns on each row, and the second finds it taken.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from core.orders.picking_ports import PickingUnitOfWork, PickItem


@dataclass(frozen=True)
class WaveCriteria:
    """Which released orders a wave takes; None: any."""

    cutoff: datetime | None = None  # orders received by then (the carrier's cut-off)
    carrier: str | None = None
    source_id: int | None = None  # the marketplace
    priority: str | None = None  # this priority or a more urgent one
    zone: str | None = None  # every item's bin in this zone
    limit: int = 500


@dataclass(frozen=True)
class Candidate:
    """A released order's task not in a wave or batch yet."""

    task_id: int
    order_id: int
    units: int
    first_route: int  # the route sequence of its first bin: batches of neighbours
    assigned: bool = False  # a picker has it already: never batched nor split
    zones: int = 1  # how many zones its bins lie in (no zone counts as one)
    zone: str | None = None  # its bins' zone, when they lie in one


@dataclass(frozen=True)
class ZoneTask:
    """One zone's task after a wave split an order's task per zone."""

    task_id: int
    order_id: int
    zone: str | None
    units: int
    first_route: int
    split_from_id: int | None  # None: the order's task itself (the zone first on the route)
    order_external_id: str = ""
    warehouse_code: str = ""  # its bins' warehouse (picking.created names it)


@dataclass(frozen=True)
class BatchLine:
    """One pick item of a batch, with what the merged walk needs."""

    task_id: int
    task_status: str
    order_id: int
    order_external_id: str
    slot: int
    route: int
    item: PickItem


@dataclass(frozen=True)
class Batch:
    id: int
    wave_id: int | None
    executor_id: int | None
    executor_name: str | None
    created_at: datetime
    lines: tuple[BatchLine, ...] = ()
    puts: tuple[tuple[int, int, int], ...] = ()  # (task_id, product_id, units put)

    @property
    def task_ids(self) -> list[int]:
        return sorted({line.task_id for line in self.lines}, key=self.slot_of)

    def slot_of(self, task_id: int) -> int:
        return next(line.slot for line in self.lines if line.task_id == task_id)


class WavesRepository(Protocol):
    def candidates(self, criteria: WaveCriteria) -> list[Candidate]:
        """Released orders (reserved, picking not started) matching, oldest first."""

    def add_wave(self, name: str, criteria: str, batch_size: int, user_id: int | None,
                 at: datetime, key: str | None = None) -> int | None:  # fmt: skip
        """None when the user's idempotency key is taken (by a request still in flight)."""

    def wave_by_key(self, key: str, user_id: int | None) -> tuple[int, int, int] | None:
        """(wave id, orders, batches) of the wave released with this key."""

    def batch_by_key(self, key: str, user_id: int | None) -> int | None: ...
    def put_by_key(self, key: str, user_id: int | None) -> tuple[int, int, int] | None:
        """(batch id, task id, product id) of the unit put with this key."""

    def claim_for_wave(self, wave_id: int, task_ids: list[int]) -> list[int]:
        """Each task joins the wave only while in none and not started: one conditional
        statement per task, in the given order; the ids claimed."""

    def hold_orders(self, order_ids: list[int]) -> None:
        """Lock these orders' rows in id order (PostgreSQL), before any of their tasks: the
        lock order of an order's floor work (core.orders.picking.order_and_task)."""

    def split_by_zone(self, task_ids: list[int]) -> list[ZoneTask]:
        """Split each claimed task into one task per zone of its bins (no zone is one too):
        the zone first on the route keeps the task, each other zone's items move to a new
        task of the same wave, split from it; each item's sequence follows its new task's
        route. Statements sent together, not one round trip per task. The resulting tasks
        of each, first the kept one; a task a picker was given meanwhile stays whole and
        is left out."""

    def set_wave_counts(self, wave_id: int, orders: int, batches: int) -> None: ...
    def add_batch(self, wave_id: int | None, user_id: int | None, at: datetime,
                  key: str | None = None) -> int | None: ...  # fmt: skip
    def claim_for_batch(self, batch_id: int, task_id: int, slot: int,
                        wave_id: int | None) -> bool:  # fmt: skip
        """The task joins the batch only while in none, with no picker yet and (given a wave)
        in that wave (one statement)."""

    def claim_many_for_batch(self, batch_id: int, task_ids: list[int], wave_id: int) -> int:
        """`claim_for_batch` for each task of the wave, slots 1, 2, …; how many joined."""

    def batch(self, batch_id: int) -> Batch | None: ...
    def take_batch(self, batch_id: int, executor_id: int) -> bool:
        """The batch becomes the executor's, only while it is no one else's."""

    def dissolve(self, batch_id: int) -> int:
        """Its tasks not started leave it (one statement); how many."""

    def put(self, batch_id: int, task_id: int, product_id: int, user_id: int | None,
            at: datetime, key: str | None = None) -> bool:  # fmt: skip
        """One unit into the task's slot, only while fewer were put than were picked."""


class WavesUnitOfWork(PickingUnitOfWork, Protocol):
    @property
    def waves(self) -> WavesRepository: ...
