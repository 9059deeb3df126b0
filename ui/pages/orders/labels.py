"""How orders read on pages, in the visitor's language: kinds, statuses, priorities and
the steps of their timeline (the Russian words are core's)."""

from nicegui import ui

from core.orders.rules import KIND_LABELS, PRIORITY_LABELS, STATUS_LABELS, Status
from ui.i18n import tr

KIND_EN = {"customer": "Customer order (FBS)", "supply": "Supply to a DC (FBO)"}
STATUS_EN = {
    "new": "New",
    "awaiting_stock": "Awaiting stock",
    "reserved": "Reserved",
    "picking": "Picking",
    "packing": "Packing",
    "packed": "Packed",
    "shipped": "Shipped",
    "cancelled": "Cancelled",
}
PRIORITY_EN = {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
STATUS_COLOURS = {
    "new": "grey-7",
    "awaiting_stock": "orange-9",
    "reserved": "primary",
    "picking": "indigo-7",
    "packing": "indigo-7",
    "packed": "teal-8",
    "shipped": "positive",
    "cancelled": "grey-6",
}
PRIORITY_COLOURS = {"low": "grey-6", "normal": "blue-grey-6", "high": "orange-9",
                    "urgent": "negative"}  # fmt: skip
STEPS = {
    "created": ("Создан", "Created"),
    "confirmed": ("Подтверждён", "Confirmed"),
    "confirm": ("Подтверждение", "Confirmation"),
    "retried": ("Резерв при поступлении", "Reserved on arrival"),
    "expired": ("Резерв истёк", "Reservation expired"),
    "cancelled": ("Отменён", "Cancelled"),
    "picking_picking": ("Сборка начата", "Picking started"),
    "picking_completed": ("Сборка завершена", "Picking completed"),
    "picking_packing": ("Сборка завершена", "Picking completed"),  # before §2b was followed
    "packing_packing": ("Упаковка начата", "Packing started"),
    "packing_packed": ("Упакован", "Packed"),
    "packing_shipped": ("Отгружен", "Shipped"),
    "carrier_shipment": ("Отправление у перевозчика", "Carrier's shipment"),
    "carrier_refused": ("Перевозчик отказал", "Carrier refused"),
    "returned": ("Возврат", "Return"),  # core.orders.returns.RETURN_STEP
    "qc_passed": ("Контроль качества пройден", "Quality check passed"),  # core.orders.quality
    "qc_failed": ("Брак на контроле качества", "Defect at the quality check"),
}


def kind_label(kind: str) -> str:
    return tr(KIND_LABELS.get(kind, kind), KIND_EN.get(kind, kind))


def short_kind(kind: str) -> str:
    """A list's column: FBS for a customer order, FBO for a supply."""
    return {"customer": "FBS", "supply": "FBO"}.get(kind, kind)


def status_label(status: str) -> str:
    return tr(STATUS_LABELS.get(status, status), STATUS_EN.get(status, status))


def priority_label(priority: str) -> str:
    return tr(PRIORITY_LABELS.get(priority, priority), PRIORITY_EN.get(priority, priority))


def step_label(action: str) -> str:
    ru, en = STEPS.get(action, (action, action))
    return tr(ru, en)


def status_options() -> dict[str, str]:
    return {s.value: status_label(s.value) for s in Status}


def kind_options() -> dict[str, str]:
    return {k: kind_label(k) for k in KIND_LABELS}


def status_badge(status: str) -> ui.badge:
    colour = STATUS_COLOURS.get(status, "grey")
    return ui.badge(status_label(status), color=colour).classes("text-body2 px-2 py-1")


def priority_badge(priority: str) -> ui.badge:
    colour = PRIORITY_COLOURS.get(priority, "grey")
    badge = ui.badge(priority_label(priority), color=colour, outline=priority != "urgent")
    return badge.classes("text-body2 px-2 py-1")
