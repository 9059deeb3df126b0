"""A movement request and what posting it answers, with the checks made before
storage is touched: the operation, the quantity, the fields the operation needs."""

from dataclasses import dataclass

from core.errors import ValidationError
from core.model import Movement, MovementNames
from core.stock.operations import (
    MAX_QUANTITY,
    OPERATIONS,
    WAREHOUSES,
    Direction,
    Operation,
    Requirement,
)

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


def clean_text(value: str | None, limit: int, code: str, what: str, field: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(code, f"{what}: не больше {limit} символов", field=field)
    return value or None


def check_key(key: str | None) -> str | None:
    """An idempotency key, trimmed; None when blank."""
    return clean_text(
        key, MAX_KEY, "invalid_idempotency_key", "Ключ идемпотентности", "idempotency_key"
    )


def _not_allowed(op: Operation, field: str, what: str) -> ValidationError:
    return ValidationError(
        "field_not_allowed", f"Для операции «{op.label_ru}» {what} не указывается", field=field
    )


def check_fields(op: Operation, req: MovementRequest, notes: str | None) -> None:
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


def check_request(req: MovementRequest) -> tuple[Operation, int, str | None]:
    """The checks post_movement makes before it touches storage: the operation, the
    quantity and the fields the operation needs. Imports check whole files with it.
    Returns the operation, the quantity and the cleaned notes."""
    op = manual_operation(req.operation_type)
    quantity = check_quantity(req.quantity)
    notes = clean_text(req.notes, MAX_NOTES, "notes_too_long", "Комментарий", "notes")
    check_fields(op, req, notes)
    return op, quantity, notes
