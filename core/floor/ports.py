"""What the floor's use cases (executors, missions) need from storage, and the records
they pass. `data.floor.executors` and `data.floor.missions` implement them.

A mission's unit of work is the ledger's too: recording a line posts a TRANSFER through
`core.stock.movements.post_movement` in the same transaction that raises the line's
`done_quantity`, so the two commit together or not at all.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.floor.locations import RequestKey
from core.model import Movement, ProductRef
from core.ports import UnitOfWork
from core.stock.ports import StockUnitOfWork
from core.users.accounts import UserRecord

# --- Executors ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutorData:
    code: str
    name: str
    is_active: bool = True
    user_id: int | None = None  # the user who acts as this executor on a tablet


@dataclass(frozen=True)
class ExecutorRecord(ExecutorData):
    id: int = 0


class ExecutorStore(Protocol):
    def get(self, executor_id: int) -> ExecutorRecord | None: ...
    def by_user(self, user_id: int) -> ExecutorRecord | None: ...
    def user(self, user_id: int) -> UserRecord | None: ...
    def insert(self, data: ExecutorData) -> ExecutorRecord:
        """Raises Conflict when the code or the user is taken (also by a concurrent twin)."""

    def update(self, executor_id: int, data: ExecutorData) -> ExecutorRecord:
        """Raises Conflict as `insert` does."""


# --- Missions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A location as a mission line sees it."""

    id: int
    code: str
    name: str
    kind: str  # core.floor.locations.LocationKind
    warehouse: str | None  # MAIN / DEFECT; None for the outside world
    is_active: bool


@dataclass(frozen=True)
class LineDraft:
    product_id: int | None  # None: a whole-unit line
    quantity: int
    from_location_id: int
    to_location_id: int
    handling_unit_id: int | None = None
    whole_unit: bool = False  # the line moves the unit with everything in it (quantity 1)


@dataclass(frozen=True)
class MissionLine:
    id: int
    sequence: int  # 1, 2, … in the order the lines were given
    product_id: int | None  # None: a whole-unit line
    quantity: int
    done_quantity: int
    from_location_id: int
    to_location_id: int
    handling_unit_id: int | None
    # What a person reads (and a scanner is checked against).
    sku: str = ""
    barcode: str = ""
    gtin: str | None = None
    product_name: str = ""
    from_code: str = ""
    to_code: str = ""
    from_kind: str = ""  # core.floor.locations.LocationKind
    to_kind: str = ""
    unit_code: str = ""  # the handling unit's code when the line names one (reads fill it)
    unit_kind: str = ""  # pallet / box, likewise
    # The line moves its handling unit whole (quantity 1: the unit), not a product.
    whole_unit: bool = False

    @property
    def rest(self) -> int:
        return self.quantity - self.done_quantity


@dataclass(frozen=True)
class Mission:
    id: int
    kind: str
    status: str
    priority: str
    executor_id: int | None
    created_by: int | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    lines: tuple[MissionLine, ...]
    executor_name: str | None = None


@dataclass(frozen=True)
class MissionHead:
    """What a transition or a recorded line decides on."""

    id: int
    status: str
    executor_id: int | None
    executor_user_id: int | None  # the user linked to the executor, if any
    executor_active: bool = False


@dataclass(frozen=True)
class Step:
    """One row of a mission's history."""

    mission_id: int
    action: str
    status: str  # the mission's status after the step
    user_id: int | None
    at: datetime
    details: str = ""
    idempotency_key: str | None = None
    movement_id: int | None = None
    line_id: int | None = None  # a recorded line: which one


@dataclass(frozen=True)
class MissionFields:
    kind: str
    priority: str
    created_by: int | None
    created_at: datetime


class MissionRepository(Protocol):
    # Look-ups a draft's lines are checked against.
    def place(self, location_id: int) -> Place | None: ...
    def product(self, product_id: int) -> ProductRef | None: ...
    def handling_unit_open(self, handling_unit_id: int) -> bool | None:
        """True: the unit exists and is open; False: closed; None: no such unit."""

    def handling_unit(self, handling_unit_id: int) -> "UnitRecord | None": ...

    def executor(self, executor_id: int) -> ExecutorRecord | None: ...

    # Reads.
    def mission(self, mission_id: int) -> Mission | None: ...
    def head(self, mission_id: int, *, hold: bool = False) -> MissionHead | None:
        """`hold`: keep the mission's status from changing until this transaction ends
        (a transition waits for the recording, and the recording for a transition)."""

    def line(self, mission_id: int, line_id: int) -> MissionLine | None: ...
    def step_by_key(self, idempotency_key: str, user_id: int | None) -> Step | None:
        """The history row `user_id` wrote under this key: keys are each user's own."""

    def movement(self, movement_id: int) -> Movement | None: ...

    # Writes.
    def insert_mission(self, fields: MissionFields) -> int: ...
    def replace_lines(self, mission_id: int, lines: list[LineDraft]) -> None: ...
    def update_draft(self, mission_id: int, kind: str, priority: str) -> bool:
        """Change a draft, in one conditional statement; False when it is no draft."""

    def set_status(
        self,
        mission_id: int,
        expected: str,
        status: str,
        *,
        at: datetime,
        executor_id: int | None = None,
        cancel_reason: str | None = None,
    ) -> bool:
        """Move the mission from `expected` to `status` (stamping the time that status
        keeps: started, completed, cancelled), in one conditional statement; False when
        it was no longer `expected`. `executor_id`: the new executor (assign)."""

    def add_done(self, mission_id: int, line_id: int, quantity: int) -> MissionLine | None:
        """Raise the line's done quantity by `quantity` unless that passes its quantity,
        in one conditional statement; the line as it is then, or None (nothing changed:
        no such line in this mission, or not that much left of it)."""

    def add_step(self, step: Step) -> bool:
        """False, writing nothing, when the user's idempotency key is already taken."""


class MissionWork(UnitOfWork, Protocol):
    """One transaction: the missions and the ledger (post_movement runs in it), and the
    handling units (a whole-unit line moves its unit: core.floor.handling_units)."""

    @property
    def missions(self) -> MissionRepository: ...

    @property
    def units(self) -> "HandlingUnitRepository": ...


# --- Handling units ----------------------------------------------------------------------


@dataclass(frozen=True)
class UnitRecord:
    """A pallet or a box (`kind`), where it is and what it sits on."""

    id: int
    code: str
    kind: str
    location_id: int
    parent_id: int | None
    created_at: datetime
    closed_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class UnitContent:
    """Stock of one product in one unit (a quant), as a unit move reads it."""

    product_id: int
    handling_unit_id: int
    quantity: int
    reserved: int


class HandlingUnitRepository(Protocol):
    def get(self, unit_id: int) -> UnitRecord | None: ...
    def by_code(self, code: str) -> UnitRecord | None: ...
    def lock(self, unit_ids: list[int]) -> list[UnitRecord]:
        """The units as they are now, held for update until the transaction ends
        (PostgreSQL: locked in id order, so two unit moves cannot deadlock)."""

    def tree(self, unit_id: int) -> list[UnitRecord]:
        """The unit and every open unit nested in it, at any depth."""

    def insert(
        self, kind: str, location_id: int, parent_id: int | None, at: datetime, code_of: Any
    ) -> UnitRecord:
        """A new open unit; `code_of(id)` is its code (it depends on the new id)."""

    def claim_key(self, key: RequestKey) -> bool:
        """Take the request's key in this transaction; False when it is taken."""

    def created_under(self, key: RequestKey) -> tuple[str, int] | None:
        """(fingerprint, unit id) of an earlier request under this user's key."""

    def remember(self, key: RequestKey, unit_id: int) -> None: ...
    def contents(self, unit_ids: list[int], location_id: int) -> list[UnitContent]:
        """Stock (> 0) in these units at the location, by product then unit."""

    def relocate(self, unit_ids: list[int], from_location_id: int, to_location_id: int) -> int:
        """Move the units that are still at `from_location_id`; how many moved."""

    def set_parent(self, unit_id: int, parent_id: int | None) -> None: ...
    def close(self, unit_id: int, at: datetime) -> bool:
        """Close the unit in one conditional statement, only while it is open, holds no
        stock and no open unit sits on it; False when nothing changed."""

    def stock_units(self, unit_id: int) -> int:
        """Units of stock in the unit itself."""

    def open_children(self, unit_id: int) -> int: ...


class HandlingUnitWork(StockUnitOfWork, Protocol):
    """One transaction: the handling units and the ledger (a unit move posts TRANSFERs)."""

    @property
    def units(self) -> HandlingUnitRepository: ...
