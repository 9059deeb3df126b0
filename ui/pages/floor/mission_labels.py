"""How missions read on pages, in the visitor's language: kinds, statuses, priorities and
the steps of their history (the Russian words are core's)."""

from nicegui import ui

from core.floor.mission_rules import KIND_LABELS, PRIORITY_LABELS, STATUS_LABELS
from core.floor.ports import MissionLine
from core.floor.unit_recording import unit_name
from ui.i18n import tr

KIND_EN = {"putaway": "Putaway", "move": "Move", "replenishment": "Replenishment"}
STATUS_EN = {
    "draft": "Draft",
    "assigned": "Assigned",
    "in_progress": "In progress",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
PRIORITY_EN = {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
STATUS_COLOURS = {
    "draft": "grey-7",
    "assigned": "primary",
    "in_progress": "orange-9",
    "completed": "positive",
    "cancelled": "grey-6",
}
PRIORITY_COLOURS = {
    "low": "grey-6",
    "normal": "blue-grey-6",
    "high": "orange-9",
    "urgent": "negative",
}
STEPS = {
    "created": ("Создано", "Created"),
    "updated": ("Изменено", "Edited"),
    "assigned": ("Назначено", "Assigned"),
    "started": ("Начато", "Started"),
    "recorded": ("Перемещено", "Moved"),
    "completed": ("Завершено", "Completed"),
    "cancelled": ("Отменено", "Cancelled"),
}


def kind_label(kind: str) -> str:
    return tr(KIND_LABELS.get(kind, kind), KIND_EN.get(kind, kind))


def status_label(status: str) -> str:
    return tr(STATUS_LABELS.get(status, status), STATUS_EN.get(status, status))


def priority_label(priority: str) -> str:
    return tr(PRIORITY_LABELS.get(priority, priority), PRIORITY_EN.get(priority, priority))


def step_label(action: str) -> str:
    ru, en = STEPS.get(action, (action, action))
    return tr(ru, en)


def kind_options() -> dict[str, str]:
    return {kind: kind_label(kind) for kind in KIND_LABELS}


def priority_options() -> dict[str, str]:
    return {priority: priority_label(priority) for priority in PRIORITY_LABELS}


def status_options() -> dict[str, str]:
    return {status: status_label(status) for status in STATUS_LABELS}


def status_badge(status: str) -> ui.badge:
    return ui.badge(status_label(status), color=STATUS_COLOURS.get(status, "grey")).classes(
        "text-body2 px-2 py-1"
    )


def priority_badge(priority: str) -> ui.badge:
    colour = PRIORITY_COLOURS.get(priority, "grey")
    return ui.badge(priority_label(priority), color=colour, outline=priority != "urgent").classes(
        "text-body2 px-2 py-1"
    )


def line_what(line: MissionLine) -> str:
    """What a line moves, as a person reads it: the product, or a whole pallet or box."""
    if line.whole_unit:
        whole = tr("целиком", "whole")
        return f"{unit_name(line, capital=True)} {whole}"
    return f"{line.product_name} · {line.sku}"
