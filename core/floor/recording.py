"""Recording a mission line (DESIGN.md §6 POST /missions/{id}/record-movement): the
executor moved `quantity` of the line's product from its bin to its target.

One transaction does both halves: the line's done quantity rises in one conditional
statement (never past the line's quantity, whoever records beside it) and the TRANSFER
is posted by the ledger's own use case (`post_movement`: its checks, its atomic
decrement, its idempotency), with the mission as its document. Either both commit or
neither does. A worker on a tablet walks a line's `stops` and scans each place and the
product; `check_location_scan` and `check_product_scan` are those checks. A whole-unit
line moves its pallet or box instead (core.floor.unit_recording), in the same way: the
line's done mark and the unit's move commit together.
"""

from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, cast

from core.errors import Conflict, NotFound, ValidationError
from core.floor.locations import LocationKind
from core.floor.mission_rules import (
    STATUS_LABELS,
    Actor,
    Status,
    check_id,
    clean_key,
    illegal,
    may_work_on,
)
from core.floor.ports import (
    HandlingUnitWork,
    Mission,
    MissionLine,
    MissionRepository,
    MissionWork,
    Step,
)
from core.floor.unit_recording import check_unit_scan, move_line_unit, unit_name
from core.model import Movement, MovementNames
from core.periods import now_utc
from core.ports import UnitOfWork
from core.stock.movements import post_movement
from core.stock.ports import StockUnitOfWork
from core.stock.requests import MovementRequest, check_quantity


@dataclass(frozen=True)
class RecordRequest:
    line_id: object
    quantity: object
    # What the worker scanned, when the page or the client sends it: checked against the
    # line (a wrong place or product is refused, nothing is recorded). The location is
    # where the goods were put.
    location_code: str | None = None
    barcode: str | None = None
    idempotency_key: str | None = None
    unit_code: str | None = None  # a whole-unit line: the scanned unit (else `barcode`)


@dataclass(frozen=True)
class Recorded:
    mission: Mission
    line: MissionLine  # as it is after the recording
    # The TRANSFER posted; a whole-unit line: the first of its document (None: an empty
    # unit moved, no stock in it).
    movement: Movement | None
    # The new movement's names as its transaction read them (None: a replay, or a unit).
    names: MovementNames | None
    replayed: bool
    movements: tuple[Movement, ...] = ()  # a whole-unit line's move, just made: all of it


def mission_document(mission_id: int) -> str:
    """The `document` of every movement a mission posts."""
    return f"mission:{mission_id}"


@dataclass(frozen=True)
class Stop:
    """A place the executor walks to for a line, and scans: where the goods are taken
    (a bin) and where they are put. A warehouse's receiving zone (MAIN, DEFECT: stock not
    yet put away) is an area without a bin label, so goods are taken there unscanned."""

    code: str
    put: bool  # False: the goods are taken here


def stops(line: MissionLine) -> list[Stop]:
    walk = [Stop(line.from_code, put=False)] if line.from_kind != LocationKind.DEFAULT else []
    return [*walk, Stop(line.to_code, put=True)]


def _same(code: str | None) -> str:
    return (code or "").strip().upper()


def check_location_scan(expected: str, code: str | None) -> None:
    """The scanned location must be the one the executor was sent to (any case)."""
    if _same(code) != _same(expected):
        raise ValidationError(
            "wrong_location",
            f"Не та ячейка: отсканировано «{(code or '').strip()}», нужна {expected}",
            field="location_code",
        )


def check_product_scan(line: MissionLine, code: str | None) -> None:
    """The scanned barcode (or GTIN) must be the line's product."""
    scanned = (code or "").strip()
    if not scanned or scanned not in {line.barcode, line.gtin}:
        raise ValidationError(
            "wrong_product",
            f"Не тот товар: отсканировано «{scanned}», нужен {line.product_name} ({line.barcode})",
            field="barcode",
        )


class _SameTransaction:
    """The mission's open unit of work, lent to `post_movement`: entering it opens no
    second transaction and its commit waits for the mission's own."""

    def __init__(self, work: MissionWork) -> None:
        self._work = work

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None  # the mission's unit of work rolls back or commits, not this

    def commit(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._work, name)


def _line(repo: MissionRepository, mission_id: int, line_id: int) -> MissionLine:
    line = repo.line(mission_id, line_id)
    if line is None:
        raise NotFound("mission_line_not_found", "Строка задания не найдена")
    return line


def _replayed(
    repo: MissionRepository, key: str | None, actor: Actor, mission_id: int, quantity: int | None
) -> Recorded | None:
    """The answer to a recording already made with this key; None when the key is new.
    `quantity` None: the request gave none (a whole-unit line's is 1)."""
    if key is None:
        return None
    step = repo.step_by_key(key, actor.user_id)
    if step is None:
        return None
    movement = repo.movement(step.movement_id) if step.movement_id is not None else None
    mission = repo.mission(mission_id) if step.mission_id == mission_id else None
    line = None
    if step.action == "recorded" and mission is not None:
        line = next(iter(_recorded_line(mission, step.line_id, movement)), None)
    same = line is not None and (
        quantity in (None, 1) if line.whole_unit
        else movement is not None and movement.quantity == quantity
    )  # fmt: skip
    if not same:
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого действия",
        )
    assert mission is not None and line is not None
    return Recorded(mission, line, movement, None, replayed=True)


def _recorded_line(
    mission: Mission, line_id: int | None, movement: Movement | None
) -> list[MissionLine]:
    """The line a history step recorded: named by it (since migration 0029), or, for an
    older step, the line its TRANSFER matches."""
    if line_id is not None:
        return [x for x in mission.lines if x.id == line_id]
    if movement is None:
        return []
    return [
        x for x in mission.lines
        if (x.product_id, x.from_location_id, x.to_location_id)
        == (movement.product_id, movement.from_location_id, movement.to_location_id)
    ]  # fmt: skip


def _unit_sides(work: MissionWork, line: MissionLine) -> tuple[int | None, int | None]:
    """A line's handling unit, as (into, out of): the goods go into it when it stands at
    the line's target, and are taken out of it when it stands where they are taken.
    post_movement checks the unit again (open, there) and holds it."""
    if line.handling_unit_id is None:
        return None, None
    stock = cast(StockUnitOfWork, work).stock
    unit = stock.handling_unit(line.handling_unit_id)
    if unit is not None and unit.location_id == line.to_location_id:
        return unit.id, None
    if unit is not None and unit.location_id == line.from_location_id:
        return None, unit.id
    where = f"{line.from_code} или {line.to_code}"
    raise Conflict(
        "handling_unit_elsewhere",
        f"Паллета или коробка {unit.code if unit else ''} не в {where}: "
        "переместите её или уберите из строки",
    )


class _KeyTaken(Exception):
    """The ledger or the history already holds this idempotency key: what this attempt
    wrote is rolled back and the key is looked up afresh."""


def record_line(work: MissionWork, mission_id: int, req: RecordRequest, actor: Actor) -> Recorded:
    """A retried request (same idempotency key) is answered as the first time: looked up
    only when something refuses it (the state, the line's rest, the ledger's or the
    history's unique key), so a new recording pays nothing for the check."""
    line_id = check_id(
        req.line_id, "mission_line_not_found", "Строка задания не найдена", "line_id"
    )
    # No quantity: a whole-unit line's is 1 (the unit); a product line needs one.
    quantity = None if req.quantity is None else check_quantity(req.quantity)
    key = clean_key(req.idempotency_key)
    try:
        return _record(work, mission_id, line_id, quantity, key, req, actor)
    except _KeyTaken:
        with work:  # a new transaction: nothing of the attempt just rolled back
            earlier = _replayed(work.missions, key, actor, mission_id, quantity)
            if earlier is not None:
                return earlier
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другой операции",
        ) from None


def _record(
    work: MissionWork,
    mission_id: int,
    line_id: int,
    given: int | None,
    key: str | None,
    req: RecordRequest,
    actor: Actor,
) -> Recorded:
    with work:
        repo = work.missions

        def replay() -> Recorded | None:
            return _replayed(repo, key, actor, mission_id, given)

        # Held until the commit: the mission cannot be completed or cancelled under a
        # recording (recordings of one mission take turns; of different ones, not).
        head = repo.head(mission_id, hold=True)
        if head is None:
            raise NotFound("mission_not_found", "Задание не найдено")
        may_work_on(actor, head)
        if head.status != Status.IN_PROGRESS:
            if (earlier := replay()) is not None:
                return earlier
            raise illegal(
                "Записать перемещение можно только по заданию в работе, а задание — "
                f"«{STATUS_LABELS[head.status]}»"
            )
        quantity = given if given is not None else _unit_quantity(repo, mission_id, line_id)
        # One conditional statement: the line as it is after it, or None (nothing changed).
        line = repo.add_done(mission_id, line_id, quantity)
        if line is None:
            if (earlier := replay()) is not None:  # e.g. the first attempt took the rest
                return earlier
            rest = _line(repo, mission_id, line_id).rest
            raise ValidationError(
                "quantity_exceeds_rest",
                f"Больше, чем осталось по строке: осталось {rest}, указано {quantity}",
                field="quantity",
            )
        # Refusals from here on roll the raised done quantity back with everything else.
        if req.location_code is not None:  # where the goods were put
            check_location_scan(line.to_code, req.location_code)
        if line.whole_unit:
            return _record_unit(work, mission_id, line, key, req, actor)
        if req.barcode is not None:
            check_product_scan(line, req.barcode)
        into, out_of = _unit_sides(work, line)
        transfer = MovementRequest(
            "TRANSFER",
            quantity,
            product_id=line.product_id,
            from_location_id=line.from_location_id,
            to_location_id=line.to_location_id,
            handling_unit_id=into,
            from_handling_unit_id=out_of,
            notes=f"Задание №{mission_id}, строка {line.sequence}",
            idempotency_key=key,
            document=mission_document(mission_id),
        )
        ledger = cast(UnitOfWork, _SameTransaction(work))
        posted = post_movement(ledger, transfer, user_id=actor.user_id)
        if posted.replayed:  # the key named a movement already
            raise _KeyTaken
        details = (
            f"Строка {line.sequence}: {line.sku} — {quantity} шт., "
            f"{line.from_code} → {line.to_code}"
        )
        at, movement_id = posted.movement.created_at, posted.movement.id
        step = Step(mission_id, "recorded", "in_progress", actor.user_id, at, details, key,
                    movement_id, line.id)  # fmt: skip
        if not repo.add_step(step):  # the key names another step of the user's
            raise _KeyTaken
        mission = repo.mission(mission_id)
        assert mission is not None
        work.commit()
        return Recorded(mission, line, posted.movement, posted.names, replayed=False)


def _unit_quantity(repo: MissionRepository, mission_id: int, line_id: int) -> int:
    """A request without a quantity: 1 for a whole-unit line, refused for a product line."""
    line = repo.line(mission_id, line_id)
    if line is not None and line.whole_unit:
        return 1
    if line is None:
        raise NotFound("mission_line_not_found", "Строка задания не найдена")
    raise ValidationError("quantity_required", "Укажите количество", field="quantity")


def _record_unit(
    work: MissionWork,
    mission_id: int,
    line: MissionLine,
    key: str | None,
    req: RecordRequest,
    actor: Actor,
) -> Recorded:
    """The rest of a whole-unit line's recording, in the transaction `_record` opened (the
    line's done mark is raised already): the scanned unit checked, the unit moved, the
    step written, all committed together."""
    scanned = req.unit_code if req.unit_code is not None else req.barcode
    if scanned is not None:
        check_unit_scan(line, scanned)
    lent = cast(HandlingUnitWork, _SameTransaction(work))
    moved = move_line_unit(lent, line, actor.user_id, key)
    if moved.replayed:
        raise _KeyTaken
    first = moved.movements[0] if moved.movements else None
    contents = sum(m.quantity for m in moved.movements)
    details = (
        f"Строка {line.sequence}: {unit_name(line)} целиком ({contents} шт.), "
        f"{line.from_code} → {line.to_code}"
    )
    step = Step(mission_id, "recorded", "in_progress", actor.user_id, now_utc(), details, key,
                first.id if first else None, line.id)  # fmt: skip
    repo = work.missions
    if not repo.add_step(step):
        raise _KeyTaken
    mission = repo.mission(mission_id)
    assert mission is not None
    work.commit()
    return Recorded(mission, line, first, None, replayed=False, movements=moved.movements)
