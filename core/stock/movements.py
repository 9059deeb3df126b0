"""Use cases: post a movement, reverse a movement.

Each runs in one unit of work: the ledger row, the quant changes and the outbox event
commit together or not at all. Quants are touched in a fixed order (location id; one
product per movement) so that two-leg movements cannot deadlock each other.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from core.catalog.ports import CatalogLookups
from core.errors import Conflict, InsufficientStock, NotFound, ValidationError
from core.events import EventType
from core.model import LocationRef, Movement, MovementDraft, MovementNames, ProductRef, Reference
from core.stock.inventory_events import inventory_event
from core.stock.operations import (
    MAX_QUANTITY,
    OPERATIONS,
    REVERSAL_NOT_ALLOWED,
    REVERSAL_SHORTAGE_MESSAGE,
    WAREHOUSES,
    Direction,
    Loc,
    Operation,
    Requirement,
    reversal_refusal,
)
from core.stock.ports import Ledger, Locations, Stock, StockUnitOfWork

MAX_NOTES = 1000
MAX_KEY = 128


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
    # ADJUSTMENT at a bin of `warehouse` (a count by bin); None: the warehouse's own place.
    location_id: int | None = None
    from_location_id: int | None = None  # TRANSFER
    to_location_id: int | None = None  # TRANSFER
    # TRANSFER (DESIGN.md §6): the unit the stock goes into at the destination, and the
    # one it is taken out of at the source; None is loose stock.
    handling_unit_id: int | None = None
    from_handling_unit_id: int | None = None
    idempotency_key: str | None = None
    document: str | None = None
    # ADJUSTMENT by count: the version of the counted quant the person saw. The quant
    # changes only while it is still at it, in the same statement (version_conflict).
    expected_version: int | None = None


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


def manual_operation(code: str) -> Operation:
    """An operation a person may post (by hand or from a file); 422 `operation_system_only`
    for one only the system posts (SHIPMENT_ORDER: shipping an order)."""
    op = operation(code)
    if op.posted_by is not None:
        raise ValidationError(
            "operation_system_only",
            f"Операцию «{op.label_ru}» проводит только {op.posted_by}: вручную её не провести",
            field="operation_type",
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


def check_key(key: str | None) -> str | None:
    """An idempotency key, trimmed; None when blank."""
    return _clean_key(key)


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
    if req.expected_version is not None and not op.needs(Requirement.WAREHOUSE_AND_DIRECTION):
        raise _not_allowed(op, "expected_version", "версия позиции")
    if req.location_id is not None and not op.needs(Requirement.WAREHOUSE_AND_DIRECTION):
        raise _not_allowed(op, "location_id", "место пересчёта")
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
        # Within one place stock may go into a unit or out of one (a pallet filled where
        # the goods lie): the same place and the same unit is no movement.
        same_unit = req.from_handling_unit_id == req.handling_unit_id
        if req.from_location_id == req.to_location_id and same_unit:
            raise ValidationError(
                "same_location", "Места отправления и назначения совпадают",
                field="to_location_id",
            )  # fmt: skip
    elif req.from_location_id is not None or req.to_location_id is not None:
        raise _not_allowed(op, "from_location_id", "место хранения")
    elif req.handling_unit_id is not None or req.from_handling_unit_id is not None:
        raise _not_allowed(op, "handling_unit_id", "паллета или коробка")


def _resolve_product(catalog: CatalogLookups, req: MovementRequest) -> ProductRef:
    if req.product_id is not None:
        product = catalog.product(req.product_id)
    elif req.barcode and req.barcode.strip():
        product = catalog.product_by_barcode(req.barcode.strip())
    else:
        raise ValidationError("product_required", "Укажите товар", field="product_id")
    if product is None:
        raise ValidationError(
            "product_not_found", "Товар не найден", field="barcode" if req.barcode else "product_id"
        )
    if product.is_deleted:
        raise ValidationError("product_deleted", "Товар удалён", field="product_id")
    return product


def _internal_location(locations: Locations, location_id: int, field: str) -> LocationRef:
    location = locations.location_by_id(location_id)
    if location is None or not location.is_internal or not location.is_active:
        raise ValidationError(
            "invalid_location", "Место хранения не найдено или не является складским",
            field=field,
        )  # fmt: skip
    return location


UNIT_KINDS = "Паллета или коробка"


def check_unit_at(
    stock: Stock, unit_id: int | None, location: LocationRef, field: str, *, taking: bool
) -> None:
    """A unit a movement names must exist, be open and be at the movement's place there.
    Reading it holds it (Stock.handling_unit) until the movement commits."""
    if unit_id is None:
        return
    unit = stock.handling_unit(unit_id)
    if unit is None:
        raise ValidationError("handling_unit_not_found", f"{UNIT_KINDS} не найдена", field=field)
    if not unit.is_open:
        raise Conflict(
            "handling_unit_closed",
            f"{UNIT_KINDS} {unit.code} закрыта: "
            + ("в ней ничего нет" if taking else "в неё больше ничего не кладут"),
        )
    if unit.location_id != location.id:
        raise Conflict(
            "handling_unit_elsewhere",
            f"{UNIT_KINDS} {unit.code} находится не в месте {location.code}",
        )


def resolve_locations(
    locations: Locations, op: Operation, req: MovementRequest
) -> tuple[LocationRef, LocationRef]:
    """Where a checked request takes stock from and where it puts it."""
    if op.needs(Requirement.LOCATIONS):
        assert req.from_location_id is not None and req.to_location_id is not None
        return (
            _internal_location(locations, req.from_location_id, "from_location_id"),
            _internal_location(locations, req.to_location_id, "to_location_id"),
        )
    if op.needs(Requirement.WAREHOUSE_AND_DIRECTION):
        assert req.warehouse is not None
        stock = locations.location(req.warehouse)
        if req.location_id is not None:
            stock = _internal_location(locations, req.location_id, "location_id")
            if stock.warehouse_code != req.warehouse:
                raise ValidationError(
                    "invalid_location", f"Место {stock.code} — не на складе {req.warehouse}",
                    field="location_id",
                )  # fmt: skip
        outside = locations.location(Loc.INVENTORY_LOSS)
        return (outside, stock) if req.direction == Direction.GAIN else (stock, outside)
    assert op.from_location is not None and op.to_location is not None
    return locations.location(op.from_location), locations.location(op.to_location)


def _resolve_references(
    catalog: CatalogLookups, req: MovementRequest
) -> tuple[Reference | None, Reference | None]:
    """Return (source, dc); a shipment records its DC's marketplace as the source."""
    if req.source_id is not None:
        source = catalog.source(req.source_id)
        if source is None or not source.is_active:
            raise ValidationError(
                "source_not_found", "Источник не найден или отключён", field="source_id"
            )
        return source, None
    if req.distribution_center_id is not None:
        dc = catalog.distribution_center(req.distribution_center_id)
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


def _shortage(stock: Stock, draft: MovementDraft, message: str, with_numbers: bool) -> str:
    """The shortage message, with what is there and what was asked for. The stock is read
    after the refused decrement, for the message only: the decision was the statement's."""
    if not with_numbers:
        return message
    quantity, reserved = stock.on_hand(
        draft.product_id, draft.from_location_id, handling_unit_id=draft.from_handling_unit_id
    )
    available = max(quantity - reserved, 0)
    return f"{message}: доступно {available}, запрошено {draft.quantity}"


VERSION_CONFLICT = (
    "Остаток на этой позиции изменился после пересчёта: пересчитайте ещё раз и проведите снова"
)


def _apply(
    uow: StockUnitOfWork,
    draft: MovementDraft,
    shortage_message: str,
    with_numbers: bool = True,
    version: int | None = None,
) -> Movement | None:
    """Write the ledger row and its quant changes; None when the row was already there.
    `version`: the internal leg changes only while its quant is at it (one statement)."""
    movement = uow.ledger.add(draft)
    if movement is None:
        return None
    stock = uow.stock
    # Fixed order (location, then loose before a unit): no deadlocks between two-leg
    # movements. Both legs may be at one place (into or out of a unit there).
    legs = sorted(
        [
            (draft.from_location_id, draft.from_handling_unit_id or 0, True),
            (draft.to_location_id, draft.handling_unit_id or 0, False),
        ]
    )
    places: dict[bool, LocationRef] = {}
    for location_id, unit_id, taking in legs:
        location = stock.location_by_id(location_id)
        assert location is not None
        places[taking] = location
        if not location.is_internal:
            continue  # virtual locations hold no quants
        unit = unit_id or None
        if taking:
            if not stock.take(
                draft.product_id, location_id, draft.quantity, version=version,
                handling_unit_id=unit,
            ):  # fmt: skip
                seen = stock.version(draft.product_id, location_id, handling_unit_id=unit)
                if version is not None and seen != version:
                    raise Conflict("version_conflict", VERSION_CONFLICT)
                raise InsufficientStock(_shortage(stock, draft, shortage_message, with_numbers))
        else:
            # A bin may have been switched off since the cache read it (kind "default": a
            # warehouse's own place, which is never switched off).
            if location.kind != "default" and not stock.hold(location_id):
                raise ValidationError(
                    "location_inactive", f"Место {location.code} отключено: выберите другое",
                    field="to_location_id",
                )  # fmt: skip
            if not stock.put(
                draft.product_id, location_id, draft.quantity, draft.created_at, version=version,
                handling_unit_id=unit,
            ):  # fmt: skip
                raise Conflict("version_conflict", VERSION_CONFLICT)
    uow.outbox.add(EventType.MOVEMENT_POSTED, movement.as_event())
    inventory_event(uow, movement, places[True], places[False])  # DESIGN.md §7
    return movement


def apply_movement(
    uow: StockUnitOfWork, draft: MovementDraft, shortage_message: str
) -> Movement | None:
    """Book a movement another use case built and checked (a whole unit's move): the
    ledger row, its quant changes and its event, as post_movement does; None when its
    idempotency key is already taken."""
    return _apply(uow, draft, shortage_message)


def _replay(ledger: Ledger, draft: MovementDraft) -> Movement | None:
    """The movement already written under this draft's idempotency key, if any."""
    if draft.idempotency_key is None:
        return None
    earlier = ledger.movement_by_key(draft.idempotency_key, draft.user_id)
    if earlier is not None and not earlier.same_request_as(draft):
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другой операции",
        )
    return earlier


def check_request(req: MovementRequest) -> tuple[Operation, int, str | None]:
    """The checks post_movement makes before it touches storage: the operation, the
    quantity and the fields the operation needs. Imports check whole files with it.
    Returns the operation, the quantity and the cleaned notes."""
    op = manual_operation(req.operation_type)
    quantity = check_quantity(req.quantity)
    notes = _clean_text(req.notes, MAX_NOTES, "notes_too_long", "Комментарий", "notes")
    _check_fields(op, req, notes)
    return op, quantity, notes


def post_movement(
    uow: StockUnitOfWork, req: MovementRequest, *, user_id: int | None, at: datetime | None = None
) -> Posted:
    """`at`: the movement's time (default now); demo data and back-dated loads set it.
    Only the operations people post: the system's own (shipping) write the ledger in
    their flows."""
    op = manual_operation(req.operation_type)
    quantity = check_quantity(req.quantity)
    notes = _clean_text(req.notes, MAX_NOTES, "notes_too_long", "Комментарий", "notes")
    key = _clean_key(req.idempotency_key)
    _check_fields(op, req, notes)
    with uow:
        product = _resolve_product(uow.catalog, req)
        source, dc = _resolve_references(uow.catalog, req)
        src, dst = resolve_locations(uow.stock, op, req)
        check_unit_at(uow.stock, req.from_handling_unit_id, src, "from_handling_unit_id",
                      taking=True)  # fmt: skip
        check_unit_at(uow.stock, req.handling_unit_id, dst, "handling_unit_id", taking=False)
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
            from_handling_unit_id=req.from_handling_unit_id,
            handling_unit_id=req.handling_unit_id,
        )
        movement = _apply(uow, draft, op.shortage_message, version=req.expected_version)
        if movement is None:
            earlier = _replay(uow.ledger, draft)
            assert earlier is not None, "a movement without a key cannot collide"
            return Posted(earlier, replayed=True)
        names = _names(product, src, dst, source, dc)  # before the commit: nothing after it
        uow.commit()
        return Posted(movement, replayed=False, names=names)


def reverse_movement(
    uow: StockUnitOfWork,
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
        original = uow.ledger.movement(movement_id)
        if original is None:
            raise NotFound("movement_not_found", "Операция не найдена")
        if original.reversal_of is not None:
            raise Conflict("cannot_reverse_reversal", "Сторнирующую операцию нельзя сторнировать")
        refusal = reversal_refusal(original.operation_type, original.document)
        if refusal is not None:
            raise Conflict(REVERSAL_NOT_ALLOWED, refusal)
        product = uow.catalog.product(original.product_id)
        assert product is not None  # a foreign key
        if product.is_deleted:
            # A reversal of a shipment or a write-off puts stock back: not on a product
            # that is deleted (its units would drop out of the balances).
            raise Conflict(
                "product_deleted", "Товар удалён: восстановите его, потом сторнируйте операцию"
            )
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
            from_handling_unit_id=original.handling_unit_id,
            handling_unit_id=original.from_handling_unit_id,
        )
        _check_reversal_units(uow, draft)
        movement = _apply(uow, draft, REVERSAL_SHORTAGE_MESSAGE, with_numbers=False)
        if movement is None:
            earlier = _replay(uow.ledger, draft)
            if earlier is None:
                raise Conflict("already_reversed", "Операция уже сторнирована")
            return Posted(earlier, replayed=True)
        names = _reversal_names(uow, movement, product)  # before the commit: nothing after it
        uow.commit()
        return Posted(movement, replayed=False, names=names)


def _check_reversal_units(uow: StockUnitOfWork, draft: MovementDraft) -> None:
    """Stock goes back into the unit it came out of only while that unit is still open
    and where it was; taking it out of a unit that has moved simply finds nothing."""
    if draft.handling_unit_id is None:
        return
    place = uow.stock.location_by_id(draft.to_location_id)
    assert place is not None
    try:
        check_unit_at(uow.stock, draft.handling_unit_id, place, "handling_unit_id", taking=False)
    except (Conflict, ValidationError) as refused:
        raise Conflict(
            "handling_unit_moved",
            f"Сторно невозможно: {refused.message[0].lower()}{refused.message[1:]}",
        ) from None


def _reversal_names(uow: StockUnitOfWork, movement: Movement, product: ProductRef) -> MovementNames:
    catalog = uow.catalog
    src = uow.stock.location_by_id(movement.from_location_id)
    dst = uow.stock.location_by_id(movement.to_location_id)
    assert src is not None and dst is not None  # foreign keys
    source = catalog.source(movement.source_id) if movement.source_id is not None else None
    dc_id = movement.distribution_center_id
    dc = catalog.distribution_center(dc_id) if dc_id is not None else None
    return _names(product, src, dst, source, dc)
