"""Handling units (DESIGN.md §2a, §6): pallets and boxes at a location, holding stock and
boxes. The use cases: create one (printable code: core.floor.unit_codes), nest a box on a
pallet or take it off, move a whole unit with everything in it as one document, close an
empty one. Putting stock into a unit or taking it out is a TRANSFER naming the unit
(core.stock.movements).

A unit move is one transaction: the units are locked (PostgreSQL: for update, in id
order), moved, and every quant inside them — in nested units too — is moved by a
TRANSFER of its own (one ledger row, one conditional decrement raising the quant's
version, one outbox event each), all with one `document`. A movement into or out of a
unit holds the unit with a share lock, so a move waits for a pick inside it and the pick
for the move: the pick then finds the unit gone and is refused.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from core.errors import Conflict, InsufficientStock, NotFound, ValidationError
from core.floor.locations import RequestKey
from core.floor.ports import HandlingUnitWork, UnitRecord
from core.floor.unit_codes import unit_code
from core.model import LocationRef, Movement, MovementDraft
from core.settings import get_settings
from core.stock.booking import apply_movement
from core.stock.requests import check_key

MOVE_DOCUMENT = "hu-move"


class UnitKind(StrEnum):
    PALLET = "pallet"
    BOX = "box"


KIND_LABELS = {UnitKind.PALLET: "Паллета", UnitKind.BOX: "Коробка"}


@dataclass(frozen=True)
class CreatedUnit:
    unit: UnitRecord
    replayed: bool  # the key was seen before: nothing new was written


@dataclass(frozen=True)
class UnitMoved:
    unit: UnitRecord  # as it is after the move
    movements: tuple[Movement, ...]  # one TRANSFER per quant; none for an empty unit
    moved_units: int  # the unit and the units nested in it
    replayed: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


def _name(unit: UnitRecord) -> str:
    return f"{KIND_LABELS.get(UnitKind(unit.kind), 'Упаковка')} {unit.code}"


def _not_found(field: str | None = None) -> NotFound | ValidationError:
    message = "Паллета или коробка не найдена"
    if field is None:
        return NotFound("handling_unit_not_found", message)
    return ValidationError("handling_unit_not_found", message, field=field)


def check_kind(kind: object) -> UnitKind:
    if kind not in tuple(UnitKind):
        raise ValidationError(
            "invalid_kind", "Вид упаковки: pallet (паллета) или box (коробка)", field="kind"
        )
    return UnitKind(str(kind))


def _place(work: HandlingUnitWork, location_id: object, field: str) -> LocationRef:
    location = None
    if isinstance(location_id, int) and not isinstance(location_id, bool):
        location = work.stock.location_by_id(location_id)
    if location is None or not location.is_internal or not location.is_active:
        raise ValidationError(
            "invalid_location", "Место хранения не найдено или не является складским",
            field=field,
        )  # fmt: skip
    return location


def _fingerprint(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _check_parent(work: HandlingUnitWork, unit: UnitRecord, parent: UnitRecord) -> None:
    """A box goes on a pallet (or into a box) that is open, at the same place, and not
    inside the box itself."""
    if unit.kind == UnitKind.PALLET:
        raise ValidationError(
            "pallet_not_nested", "Паллету нельзя вложить в другую упаковку", field="parent_id"
        )
    if not parent.is_open:
        raise Conflict(
            "handling_unit_closed", f"{_name(parent)} закрыта: в неё больше ничего не кладут"
        )
    if parent.location_id != unit.location_id:
        raise Conflict(
            "handling_unit_elsewhere", f"{_name(unit)} и {_name(parent)} находятся в разных местах"
        )
    if parent.id in {u.id for u in work.units.tree(unit.id)}:
        raise ValidationError(
            "handling_unit_cycle",
            "Нельзя вложить упаковку в саму себя или в упаковку, лежащую в ней",
            field="parent_id",
        )


def create_unit(
    work: HandlingUnitWork,
    kind: object,
    location_id: object,
    *,
    user_id: int | None,
    parent_id: int | None = None,
    idempotency_key: str | None = None,
    gs1_prefix: str | None = None,
) -> CreatedUnit:
    """A new open pallet or box at an internal location (optionally on a pallet there).
    Its code: SSCC-18 under the company's GS1 prefix (WMS_GS1_PREFIX), else HU-000123."""
    unit_kind = check_kind(kind)
    key_text = check_key(idempotency_key)
    settings = get_settings()
    prefix = settings.gs1_prefix if gs1_prefix is None else gs1_prefix
    extension = settings.sscc_extension_digit
    with work:
        place = _place(work, location_id, "location_id")
        key = None
        if key_text is not None and user_id is not None:
            key = RequestKey(user_id, key_text, _fingerprint(unit_kind, place.id, parent_id))
            if not work.units.claim_key(key):
                return _created_before(work, key)
        parent = None
        if parent_id is not None:
            parent = work.units.lock([parent_id])
            if not parent:
                raise _not_found("parent_id")
        unit = work.units.insert(
            unit_kind, place.id, None, _now(), lambda new_id: unit_code(new_id, prefix, extension)
        )
        if parent:
            _check_parent(work, unit, parent[0])
            work.units.set_parent(unit.id, parent[0].id)
            unit = work.units.get(unit.id) or unit
        if key is not None:
            work.units.remember(key, unit.id)
        work.commit()
        return CreatedUnit(unit, replayed=False)


def _created_before(work: HandlingUnitWork, key: RequestKey) -> CreatedUnit:
    earlier = work.units.created_under(key)
    if earlier is None or earlier[0] != key.fingerprint:
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого запроса",
        )
    unit = work.units.get(earlier[1])
    assert unit is not None
    return CreatedUnit(unit, replayed=True)


def get_unit(work: HandlingUnitWork, unit_id: int) -> UnitRecord:
    with work:
        unit = work.units.get(unit_id)
    if unit is None:
        raise _not_found()
    return unit


def find_unit(work: HandlingUnitWork, code: str) -> UnitRecord:
    """The unit a scan names (core.floor.unit_codes.read_scan gives the code)."""
    with work:
        unit = work.units.by_code(code)
    if unit is None:
        raise ValidationError(
            "handling_unit_not_found", f"Паллета или коробка «{code}» не найдена", field="code"
        )
    return unit


def nest_unit(work: HandlingUnitWork, unit_id: int, parent_id: int | None) -> UnitRecord:
    """Put a box on a pallet (or into a box) at the same place; None takes it off."""
    with work:
        ids = sorted({unit_id, parent_id} - {None})  # type: ignore[type-var]
        locked = {u.id: u for u in work.units.lock(ids)}  # type: ignore[arg-type]
        unit = locked.get(unit_id)
        if unit is None:
            raise _not_found()
        if not unit.is_open:
            raise Conflict("handling_unit_closed", f"{_name(unit)} закрыта")
        if parent_id is not None:
            parent = locked.get(parent_id)
            if parent is None:
                raise _not_found("parent_id")
            _check_parent(work, unit, parent)
        if unit.parent_id != parent_id:
            work.units.set_parent(unit_id, parent_id)
        changed = work.units.get(unit_id)
        assert changed is not None
        work.commit()
        return changed


def close_unit(work: HandlingUnitWork, unit_id: int) -> UnitRecord:
    """Close an empty unit; refused (409 `handling_unit_not_empty`) while stock or an open
    unit is in it. Closing a closed unit changes nothing."""
    with work:
        locked = work.units.lock([unit_id])  # a movement into it waits, or is waited for
        if not locked:
            raise _not_found()
        unit = locked[0]
        if unit.is_open and not work.units.close(unit_id, _now()):
            stock = work.units.stock_units(unit_id)
            if stock:
                raise Conflict(
                    "handling_unit_not_empty",
                    f"{_name(unit)} не пуста: в ней {stock} шт. товара — сначала разложите их",
                )
            children = work.units.open_children(unit_id)
            raise Conflict(
                "handling_unit_not_empty",
                f"{_name(unit)} не пуста: в ней открытых упаковок — {children}; "
                "снимите или закройте их",
            )
        closed = work.units.get(unit_id)
        assert closed is not None
        work.commit()
        return closed


SHORT = (
    "Упаковку нельзя переместить целиком: часть товара в ней зарезервирована или уже "
    "забрана — обновите и попробуйте снова"
)


def move_unit(
    work: HandlingUnitWork,
    unit_id: int,
    to_location_id: object,
    *,
    user_id: int | None,
    idempotency_key: str | None = None,
    at: datetime | None = None,
) -> UnitMoved:
    """Move a unit with everything in it (nested units too) to another place of the same
    warehouse, as one document: one TRANSFER per quant. A box moved on its own comes off
    its pallet. Moving a unit to where it is changes nothing."""
    key = check_key(idempotency_key)
    with work:
        if key is not None and (earlier := work.ledger.movement_by_key(key, user_id)):
            return _moved_before(work, unit_id, earlier)
        locked = work.units.lock([unit_id])
        if not locked:
            raise _not_found()
        root = locked[0]
        if not root.is_open:
            raise Conflict("handling_unit_closed", f"{_name(root)} закрыта")
        target = _place(work, to_location_id, "location_id")
        source = work.stock.location_by_id(root.location_id)
        assert source is not None
        if target.id == source.id:
            return UnitMoved(root, (), 0)
        if target.warehouse_code != source.warehouse_code:
            raise ValidationError(
                "warehouse_mismatch",
                f"{source.code} и {target.code} — разные склады (годный и брак): "
                "упаковку перемещают в пределах склада",
                field="location_id",
            )
        # Lock the whole tree in id order, then read it again: a box taken off meanwhile
        # stays where it is.
        work.units.lock(sorted(u.id for u in work.units.tree(unit_id)))
        tree = work.units.tree(unit_id)
        members = sorted(u.id for u in tree if u.location_id == source.id)
        work.units.relocate(members, source.id, target.id)
        if root.parent_id is not None:
            work.units.set_parent(unit_id, None)  # its pallet stays behind
        movements = _move_contents(work, root, members, source, target, user_id, key, at)
        moved = work.units.get(unit_id)
        assert moved is not None
        work.commit()
        return UnitMoved(moved, movements, len(members))


def _move_contents(
    work: HandlingUnitWork,
    root: UnitRecord,
    members: list[int],
    source: LocationRef,
    target: LocationRef,
    user_id: int | None,
    key: str | None,
    at: datetime | None,
) -> tuple[Movement, ...]:
    document = f"{MOVE_DOCUMENT}:{root.id}:{uuid.uuid4().hex[:12]}"
    when = at or _now()
    movements: list[Movement] = []
    for item in work.units.contents(members, source.id):
        draft = MovementDraft(
            operation_type="TRANSFER",
            product_id=item.product_id,
            quantity=item.quantity,
            from_location_id=source.id,
            to_location_id=target.id,
            source_id=None,
            distribution_center_id=None,
            user_id=user_id,
            notes=f"{_name(root)}: {source.code} → {target.code}",
            idempotency_key=key if not movements else None,  # the document's first row
            document=document,
            reversal_of=None,
            created_at=when,
            from_handling_unit_id=item.handling_unit_id,
            handling_unit_id=item.handling_unit_id,
        )
        try:
            movement = apply_movement(work, draft, SHORT)
        except InsufficientStock:
            raise Conflict("handling_unit_reserved", SHORT) from None
        if movement is None:  # a concurrent twin took the key first
            raise Conflict("idempotency_key_reused", "Этот ключ идемпотентности уже использован")
        movements.append(movement)
    return tuple(movements)


def _moved_before(work: HandlingUnitWork, unit_id: int, earlier: Movement) -> UnitMoved:
    """A retried move: the same key answers with the unit as it is, nothing moves."""
    if not (earlier.document or "").startswith(f"{MOVE_DOCUMENT}:{unit_id}:"):
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другой операции",
        )
    unit = work.units.get(unit_id)
    assert unit is not None
    return UnitMoved(unit, (earlier,), 0, replayed=True)
