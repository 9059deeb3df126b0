"""Use cases: post a movement, reverse a movement.

Each runs in one unit of work: the ledger row, the quant changes and the outbox event
commit together or not at all. Quants are touched in a fixed order (location id; one
product per movement) so that two-leg movements cannot deadlock each other.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, cast

from core.errors import Conflict, InsufficientStock, NotFound, ValidationError
from core.model import LocationRef, Movement, MovementDraft, MovementNames, ProductRef, Reference
from core.operations import (
    MAX_QUANTITY,
    OPERATIONS,
    REVERSAL_SHORTAGE_MESSAGE,
    WAREHOUSES,
    Direction,
    Loc,
    Operation,
    Requirement,
)
from core.ports import UnitOfWork

MAX_NOTES = 1000
MAX_KEY = 128
EVENT_MOVEMENT_POSTED = "movement.posted"


@dataclass(frozen=True)
class MovementRequest:
    operation_type: str
    quantity: object  # checked here: a positive int, whatever the caller parsed
    product_id: int | None = None
    barcode: str | None = None
    source_id: int | None = None
    distribution_center_id: int | None = None
    notes: str | None = None
    warehouse: str | None = None  # ADJUSTMENT
    direction: str | None = None  # ADJUSTMENT
    from_location_id: int | None = None  # TRANSFER
    to_location_id: int | None = None  # TRANSFER
    idempotency_key: str | None = None
    document: str | None = None


@dataclass(frozen=True)
class Posted:
    movement: Movement
    replayed: bool  # True: the idempotency key was seen before; nothing new was written
    # A new movement's names as its transaction read them, so that the answer needs no
    # read after the commit (which may fail though the movement is booked). None: replay.
    names: MovementNames | None = None


def now_utc() -> datetime:
    return datetime.now(UTC)


def operation(code: str) -> Operation:
    op = OPERATIONS.get(code)
    if op is None:
        raise ValidationError(
            "unknown_operation", f"Неизвестная операция «{code}»", field="operation_type"
        )
    return op


def check_quantity(quantity: object) -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise ValidationError(
            "invalid_quantity",
            "Количество должно быть целым положительным числом",
            field="quantity",
        )
    if quantity > MAX_QUANTITY:
        raise ValidationError(
            "quantity_too_large",
            f"Слишком большое количество: не больше {MAX_QUANTITY:,} за одну операцию".replace(
                ",", " "
            ),
            field="quantity",
        )
    return quantity


def _clean_text(value: str | None, limit: int, code: str, what: str, field: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(code, f"{what}: не больше {limit} символов", field=field)
    return value or None


def _clean_key(key: str | None) -> str | None:
    return _clean_text(
        key, MAX_KEY, "invalid_idempotency_key", "Ключ идемпотентности", "idempotency_key"
    )


def _not_allowed(op: Operation, field: str, what: str) -> ValidationError:
    return ValidationError(
        "field_not_allowed", f"Для операции «{op.label_ru}» {what} не указывается", field=field
    )


def _check_fields(op: Operation, req: MovementRequest, notes: str | None) -> None:
    """Fields an operation needs must be there; fields it does not use must be absent."""
    if op.needs(Requirement.SOURCE) and req.source_id is None:
        raise ValidationError("source_required", "Укажите источник", field="source_id")
    if not op.needs(Requirement.SOURCE) and req.source_id is not None:
        raise _not_allowed(op, "source_id", "источник")
    needs_dc = op.needs(Requirement.DISTRIBUTION_CENTER)
    if needs_dc and req.distribution_center_id is None:
        raise ValidationError(
            "distribution_center_required",
            "Укажите РЦ назначения",
            field="distribution_center_id",
        )
    if not needs_dc and req.distribution_center_id is not None:
        raise _not_allowed(op, "distribution_center_id", "РЦ")
    if op.needs(Requirement.REASON) and not notes:
        raise ValidationError("reason_required", "Укажите причину в комментарии", field="notes")
    if op.needs(Requirement.WAREHOUSE_AND_DIRECTION):
        if req.warehouse not in WAREHOUSES:
            raise ValidationError(
                "invalid_warehouse", "Укажите склад: MAIN (годный) или DEFECT (брак)",
                field="warehouse",
            )  # fmt: skip
        if req.direction not in tuple(Direction):
            raise ValidationError(
                "invalid_direction", "Укажите направление: gain (излишек) или loss (недостача)",
                field="direction",
            )  # fmt: skip
    else:
        if req.warehouse is not None:
            raise _not_allowed(op, "warehouse", "склад")
        if req.direction is not None:
            raise _not_allowed(op, "direction", "направление")
    if op.needs(Requirement.LOCATIONS):
        if req.from_location_id is None or req.to_location_id is None:
            raise ValidationError(
                "locations_required", "Укажите, откуда и куда переместить",
                field="from_location_id",
            )  # fmt: skip
        if req.from_location_id == req.to_location_id:
            raise ValidationError(
                "same_location", "Места отправления и назначения совпадают",
                field="to_location_id",
            )  # fmt: skip
    elif req.from_location_id is not None or req.to_location_id is not None:
        raise _not_allowed(op, "from_location_id", "место хранения")


def _resolve_product(uow: UnitOfWork, req: MovementRequest) -> ProductRef:
    if req.product_id is not None:
        product = uow.product(req.product_id)
    elif req.barcode and req.barcode.strip():
        product = uow.product_by_barcode(req.barcode.strip())
    else:
        raise ValidationError("product_required", "Укажите товар", field="product_id")
    if product is None:
        raise ValidationError(
            "product_not_found", "Товар не найден", field="barcode" if req.barcode else "product_id"
        )
    if product.is_deleted:
        raise ValidationError("product_deleted", "Товар удалён", field="product_id")
    return product


def _internal_location(uow: UnitOfWork, location_id: int, field: str) -> LocationRef:
    location = uow.location_by_id(location_id)
    if location is None or not location.is_internal or not location.is_active:
        raise ValidationError(
            "invalid_location", "Место хранения не найдено или не является складским",
            field=field,
        )  # fmt: skip
    return location


def _resolve_locations(
    uow: UnitOfWork, op: Operation, req: MovementRequest
) -> tuple[LocationRef, LocationRef]:
    if op.needs(Requirement.LOCATIONS):
        assert req.from_location_id is not None and req.to_location_id is not None
        return (
            _internal_location(uow, req.from_location_id, "from_location_id"),
            _internal_location(uow, req.to_location_id, "to_location_id"),
        )
    if op.needs(Requirement.WAREHOUSE_AND_DIRECTION):
        assert req.warehouse is not None
        stock, outside = uow.location(req.warehouse), uow.location(Loc.INVENTORY_LOSS)
        return (outside, stock) if req.direction == Direction.GAIN else (stock, outside)
    assert op.from_location is not None and op.to_location is not None
    return uow.location(op.from_location), uow.location(op.to_location)


def _resolve_references(
    uow: UnitOfWork, req: MovementRequest
) -> tuple[Reference | None, Reference | None]:
    """Return (source, dc); a shipment records its DC's marketplace as the source."""
    if req.source_id is not None:
        source = uow.source(req.source_id)
        if source is None or not source.is_active:
            raise ValidationError(
                "source_not_found", "Источник не найден или отключён", field="source_id"
            )
        return source, None
    if req.distribution_center_id is not None:
        dc = uow.distribution_center(req.distribution_center_id)
        if dc is None or not dc.is_active:
            raise ValidationError(
                "distribution_center_not_found", "РЦ не найден или отключён",
                field="distribution_center_id",
            )  # fmt: skip
        assert dc.parent_id is not None, "a DC belongs to a marketplace"
        return Reference(dc.parent_id, dc.parent_name or "", True), dc
    return None, None


def _names(
    product: ProductRef,
    src: LocationRef,
    dst: LocationRef,
    source: Reference | None,
    dc: Reference | None,
) -> MovementNames:
    return MovementNames(
        sku=product.sku,
        barcode=product.barcode,
        product_name=product.name,
        from_location=src.code,
        to_location=dst.code,
        source_name=source.name if source else None,
        distribution_center_name=dc.name if dc else None,
    )


def _shortage(uow: UnitOfWork, draft: MovementDraft, message: str, with_numbers: bool) -> str:
    """The shortage message, with what is there and what was asked for. The stock is read
    after the refused decrement, for the message only: the decision was the statement's."""
    if not with_numbers:
        return message
    quantity, reserved = uow.on_hand(draft.product_id, draft.from_location_id)
    available = max(quantity - reserved, 0)
    return f"{message}: доступно {available}, запрошено {draft.quantity}"


def _apply(
    uow: UnitOfWork, draft: MovementDraft, shortage_message: str, with_numbers: bool = True
) -> Movement | None:
    """Write the ledger row and its quant changes; None when the row was already there."""
    movement = uow.add_movement(draft)
    if movement is None:
        return None
    legs = sorted(
        (draft.from_location_id, draft.to_location_id)
    )  # fixed order: no deadlocks between two-leg movements
    for location_id in legs:
        location = uow.location_by_id(location_id)
        assert location is not None
        if not location.is_internal:
            continue  # virtual locations hold no quants
        if location_id == draft.from_location_id:
            if not uow.take(draft.product_id, location_id, draft.quantity):
                raise InsufficientStock(_shortage(uow, draft, shortage_message, with_numbers))
        else:
            uow.put(draft.product_id, location_id, draft.quantity, draft.created_at)
    uow.add_event(EVENT_MOVEMENT_POSTED, movement.as_event())
    return movement


def _replay(uow: UnitOfWork, draft: MovementDraft) -> Movement | None:
    """The movement already written under this draft's idempotency key, if any."""
    if draft.idempotency_key is None:
        return None
    earlier = uow.movement_by_key(draft.idempotency_key, draft.user_id)
    if earlier is not None and not earlier.same_request_as(draft):
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другой операции",
        )
    return earlier


class LocationLookup(Protocol):
    def location(self, code: str) -> LocationRef: ...
    def location_by_id(self, location_id: int) -> LocationRef | None: ...


def check_request(req: MovementRequest) -> tuple[Operation, int, str | None]:
    """The checks post_movement makes before it touches storage: the operation, the
    quantity and the fields the operation needs. Imports check whole files with it.
    Returns the operation, the quantity and the cleaned notes."""
    op = operation(req.operation_type)
    quantity = check_quantity(req.quantity)
    notes = _clean_text(req.notes, MAX_NOTES, "notes_too_long", "Комментарий", "notes")
    _check_fields(op, req, notes)
    return op, quantity, notes


def resolve_locations(
    locations: LocationLookup, op: Operation, req: MovementRequest
) -> tuple[LocationRef, LocationRef]:
    """Where a checked request takes stock from and where it puts it."""
    return _resolve_locations(cast(UnitOfWork, locations), op, req)


def post_movement(
    uow: UnitOfWork, req: MovementRequest, *, user_id: int | None, at: datetime | None = None
) -> Posted:
    """`at`: the movement's time (default now); demo data and back-dated loads set it."""
    op = operation(req.operation_type)
    quantity = check_quantity(req.quantity)
    notes = _clean_text(req.notes, MAX_NOTES, "notes_too_long", "Комментарий", "notes")
    key = _clean_key(req.idempotency_key)
    _check_fields(op, req, notes)
    with uow:
        product = _resolve_product(uow, req)
        source, dc = _resolve_references(uow, req)
        src, dst = _resolve_locations(uow, op, req)
        draft = MovementDraft(
            operation_type=op.code,
            product_id=product.id,
            quantity=quantity,
            from_location_id=src.id,
            to_location_id=dst.id,
            source_id=source.id if source else None,
            distribution_center_id=dc.id if dc else None,
            user_id=user_id,
            notes=notes,
            idempotency_key=key,
            document=req.document,
            reversal_of=None,
            created_at=at or now_utc(),
        )
        movement = _apply(uow, draft, op.shortage_message)
        if movement is None:
            earlier = _replay(uow, draft)
            assert earlier is not None, "a movement without a key cannot collide"
            return Posted(earlier, replayed=True)
        names = _names(product, src, dst, source, dc)  # before the commit: nothing after it
        uow.commit()
        return Posted(movement, replayed=False, names=names)


def reverse_movement(
    uow: UnitOfWork,
    movement_id: int,
    *,
    user_id: int | None,
    notes: str | None = None,
    idempotency_key: str | None = None,
    at: datetime | None = None,
) -> Posted:
    """Book the mirror image of a movement as a new ledger row that points at it.
    `at`: its time (default now)."""
    notes = _clean_text(notes, MAX_NOTES, "notes_too_long", "Комментарий", "notes")
    key = _clean_key(idempotency_key)
    with uow:
        original = uow.movement(movement_id)
        if original is None:
            raise NotFound("movement_not_found", "Операция не найдена")
        if original.reversal_of is not None:
            raise Conflict("cannot_reverse_reversal", "Сторнирующую операцию нельзя сторнировать")
        draft = MovementDraft(
            operation_type=original.operation_type,
            product_id=original.product_id,
            quantity=original.quantity,
            from_location_id=original.to_location_id,
            to_location_id=original.from_location_id,
            source_id=original.source_id,
            distribution_center_id=original.distribution_center_id,
            user_id=user_id,
            notes=notes or f"Сторно операции №{original.id}",
            idempotency_key=key,
            document=original.document,
            reversal_of=original.id,
            created_at=at or now_utc(),
        )
        movement = _apply(uow, draft, REVERSAL_SHORTAGE_MESSAGE, with_numbers=False)
        if movement is None:
            earlier = _replay(uow, draft)
            if earlier is None:
                raise Conflict("already_reversed", "Операция уже сторнирована")
            return Posted(earlier, replayed=True)
        names = _reversal_names(uow, movement)  # before the commit: nothing after it
        uow.commit()
        return Posted(movement, replayed=False, names=names)


def _reversal_names(uow: UnitOfWork, movement: Movement) -> MovementNames:
    product = uow.product(movement.product_id)
    src = uow.location_by_id(movement.from_location_id)
    dst = uow.location_by_id(movement.to_location_id)
    assert product is not None and src is not None and dst is not None  # foreign keys
    source = uow.source(movement.source_id) if movement.source_id is not None else None
    dc_id = movement.distribution_center_id
    dc = uow.distribution_center(dc_id) if dc_id is not None else None
    return _names(product, src, dst, source, dc)
