"""The rules every order use case shares (DESIGN.md §2b, §6 "Orders"): kinds,
priorities, statuses and their Russian labels, the state machine (core.states.ORDER) as
the contract's `invalid_transition` conflict, and the checks of a new order's fields."""

from datetime import datetime, timedelta
from enum import StrEnum

from core.errors import Conflict, IllegalTransition, ValidationError
from core.states import ORDER, ORDER_LABELS
from core.stock.requests import MAX_KEY


class OrderKind(StrEnum):
    CUSTOMER = "customer"  # FBS: one buyer, a carrier, a tracking number
    SUPPLY = "supply"  # FBO: a supply to a marketplace DC


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Status(StrEnum):
    NEW = "new"
    AWAITING_STOCK = "awaiting_stock"
    RESERVED = "reserved"
    PICKING = "picking"
    PACKING = "packing"
    PACKED = "packed"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


KIND_LABELS = {"customer": "Заказ покупателя (FBS)", "supply": "Поставка на РЦ (FBO)"}
PRIORITY_LABELS = {"low": "Низкий", "normal": "Обычный", "high": "Высокий", "urgent": "Срочный"}
STATUS_LABELS = ORDER_LABELS
# The retry of waiting orders takes the most urgent first (then the oldest).
PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
# States whose order may still hold reservations (released by a cancel).
HOLDING = (Status.RESERVED, Status.PICKING, Status.PACKING, Status.PACKED)
# States an order is done in: never overdue (see `overdue_since`).
FINISHED = (Status.SHIPPED, Status.CANCELLED)
MAX_LINES = 500
MAX_EXTERNAL_ID = 128
MAX_REASON = 500
MAX_TEXT = 200


def check_move(current: str, target: str) -> None:
    """The state machine's verdict as the contract's conflict (`invalid_transition`)."""
    try:
        ORDER.check(current, target)
    except IllegalTransition as error:
        raise Conflict("invalid_transition", error.message) from None


def clean_key(key: str | None) -> str | None:
    key = (key or "").strip() or None
    if key is not None and len(key) > MAX_KEY:
        raise ValidationError(
            "invalid_idempotency_key", f"Ключ идемпотентности: не больше {MAX_KEY} символов",
            field="idempotency_key",
        )  # fmt: skip
    return key


def choice(value: object, allowed: type[StrEnum], code: str, what: str, field: str) -> str:
    if not isinstance(value, str) or value not in tuple(allowed):
        raise ValidationError(code, f"{what}: одно из {', '.join(allowed)}", field=field)
    return value


MAX_MEASURE = 100_000.0  # kg or cm: catches a barcode typed into the weight


def measure(value: object, what: str, field: str) -> float | None:
    """A package's weight (kg) or dimension (cm): None when not given."""
    if value is None:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if not number or not 0 < value <= MAX_MEASURE:  # type: ignore[operator]
        raise ValidationError("invalid_measure", f"{what}: положительное число", field=field)
    return float(value)


def text(value: object, what: str, field: str, *, limit: int = MAX_TEXT,
         required: bool = False) -> str | None:  # fmt: skip
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{field}_required", f"Укажите: {what}", field=field)
        return None
    if not isinstance(value, str):
        raise ValidationError("invalid_text", f"{what}: ожидается текст", field=field)
    value = value.strip()
    if len(value) > limit:
        raise ValidationError("text_too_long", f"{what}: не больше {limit} символов", field=field)
    return value


def positive_id(value: object, code: str, message: str, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValidationError(code, message, field=field)
    return value


def overdue_since(now: datetime, hours: int) -> datetime:
    """The overdue rule (WMS_ORDER_OVERDUE_HOURS): an order not FINISHED and created
    before this instant is overdue. The list's filter and its marks both read it."""
    return now - timedelta(hours=hours)


def is_overdue(status: str, created_at: datetime, now: datetime, hours: int) -> bool:
    return status not in FINISHED and created_at < overdue_since(now, hours)
