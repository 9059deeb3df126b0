"""A small declarative state-machine helper and the machines of DESIGN.md §2.

A machine is data: its states (a `State` StrEnum: the value is the contract's string of
DESIGN.md §6, with a Russian and an English label), the allowed transitions and, per
target state, what the document must have to enter it. `check` raises `IllegalTransition`
(409 `invalid_transition`) with a Russian message; an illegal transition is never a silent
no-op. Every machine refuses through this one place.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import Any

from core.errors import IllegalTransition

# A guard looks at the document's facts and returns a Russian message when it is not met.
Guard = Callable[[Mapping[str, Any]], str | None]


class Labelled(StrEnum):
    """A contract word with its labels, declared as
    `IN_PROGRESS = "in_progress", "В работе", "In progress"`. Members equal, hash and
    serialise as their value, so they go wherever the contract's plain string went."""

    label_ru: str
    label_en: str

    def __new__(cls, value: str, label_ru: str, label_en: str) -> "Labelled":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label_ru = label_ru
        member.label_en = label_en
        return member

    def label(self, language: str = "ru") -> str:
        return self.label_en if language == "en" else self.label_ru

    @classmethod
    def labels_ru(cls) -> dict[str, str]:
        """value → Russian label, for code that looks labels up by the plain string."""
        return {member.value: member.label_ru for member in cls}

    @classmethod
    def labels_en(cls) -> dict[str, str]:
        return {member.value: member.label_en for member in cls}


class State(Labelled):
    """A state of a machine."""


@dataclass(frozen=True)
class StateMachine:
    name: str
    initial: str
    transitions: Mapping[str, frozenset[str]]
    labels: Mapping[str, str]  # state → Russian label, for the messages
    guards: Mapping[str, Guard] = field(default_factory=dict)

    @property
    def states(self) -> frozenset[str]:
        targets = {t for ts in self.transitions.values() for t in ts}
        return frozenset(self.transitions) | targets

    def allowed(self, current: str) -> frozenset[str]:
        return self.transitions.get(current, frozenset())

    def is_final(self, state: str) -> bool:
        return not self.allowed(state)

    def check(self, current: str, target: str, facts: Mapping[str, Any] | None = None) -> str:
        """Return `target` if the move is legal, otherwise raise `IllegalTransition`."""
        for state in (current, target):
            if state not in self.states:
                raise IllegalTransition(
                    self.name, current, target, f"Неизвестное состояние «{state}»"
                )
        if target not in self.allowed(current):
            raise IllegalTransition(
                self.name,
                current,
                target,
                f"Нельзя перевести из состояния «{self.labels[current]}» в «{self.labels[target]}»",
            )
        guard = self.guards.get(target)
        problem = guard(facts or {}) if guard else None
        if problem:
            raise IllegalTransition(self.name, current, target, problem)
        return target


def linear_with_cancel(
    name: str,
    steps: Sequence[str],
    labels: Mapping[str, str] | None = None,
    *,
    cancelled: str = "cancelled",
    guards: Mapping[str, Guard] | None = None,
) -> StateMachine:
    """steps[0] → steps[1] → … → steps[-1]; cancel from any state but the last. Steps of a
    `State` enum bring their own Russian labels; plain strings need `labels`."""
    if isinstance(steps[0], State):
        cancelled = type(steps[0])(cancelled)
    if labels is None:
        every = (*steps, cancelled)
        labels = {state: state.label_ru for state in every if isinstance(state, Labelled)}
    transitions: dict[str, frozenset[str]] = {}
    for here, following in pairwise(steps):
        transitions[here] = frozenset({following, cancelled})
    transitions[steps[-1]] = frozenset()
    transitions[cancelled] = frozenset()
    return StateMachine(name, steps[0], transitions, labels, guards or {})


def _requires(fact: str, message: str) -> Guard:
    return lambda facts: None if facts.get(fact) else message


class PickingStatus(State):
    PENDING = "pending", "Ожидает", "Pending"
    ASSIGNED = "assigned", "Назначено", "Assigned"
    IN_PROGRESS = "in_progress", "В работе", "In progress"
    COMPLETED = "completed", "Завершено", "Completed"
    CANCELLED = "cancelled", "Отменено", "Cancelled"


class PackingStatus(State):
    PENDING = "pending", "Ожидает", "Pending"
    IN_PROGRESS = "in_progress", "Упаковывается", "Packing"
    PACKED = "packed", "Упаковано", "Packed"
    SHIPPED = "shipped", "Отгружено", "Shipped"
    CANCELLED = "cancelled", "Отменено", "Cancelled"


class OrderStatus(State):
    NEW = "new", "Новый", "New"
    AWAITING_STOCK = "awaiting_stock", "Ждёт товар", "Awaiting stock"
    RESERVED = "reserved", "Зарезервирован", "Reserved"
    PICKING = "picking", "Сборка", "Picking"
    PACKING = "packing", "Упаковка", "Packing"
    PACKED = "packed", "Упакован", "Packed"
    SHIPPED = "shipped", "Отгружен", "Shipped"
    CANCELLED = "cancelled", "Отменён", "Cancelled"


PICKING = linear_with_cancel(
    "picking",
    [
        PickingStatus.PENDING,
        PickingStatus.ASSIGNED,
        PickingStatus.IN_PROGRESS,
        PickingStatus.COMPLETED,
    ],
)

PACKING = linear_with_cancel(
    "packing",
    [
        PackingStatus.PENDING,
        PackingStatus.IN_PROGRESS,
        PackingStatus.PACKED,
        PackingStatus.SHIPPED,
    ],
    guards={
        PackingStatus.PACKED: _requires("dimensions", "Укажите габариты коробки"),
        PackingStatus.SHIPPED: _requires("tracking_number", "Укажите трек-номер"),
    },
)

# DESIGN.md §2b: new → reserved → picking → packing → packed → shipped; an order that
# cannot be covered waits in `awaiting_stock` (nothing reserved) until stock arrives;
# cancelled from any state but shipped. A reserved order whose reservation expired
# (WMS_RESERVATION_TTL_MINUTES, core.orders.expiry) goes back to waiting, holding nothing;
# once its picking has started it keeps its stock.
_ORDER_LINE = linear_with_cancel(
    "order",
    [
        OrderStatus.NEW,
        OrderStatus.RESERVED,
        OrderStatus.PICKING,
        OrderStatus.PACKING,
        OrderStatus.PACKED,
        OrderStatus.SHIPPED,
    ],
)
ORDER = StateMachine(
    "order",
    OrderStatus.NEW,
    {
        **_ORDER_LINE.transitions,
        OrderStatus.RESERVED: frozenset(
            {OrderStatus.PICKING, OrderStatus.AWAITING_STOCK, OrderStatus.CANCELLED}
        ),
        OrderStatus.NEW: frozenset(
            {OrderStatus.RESERVED, OrderStatus.AWAITING_STOCK, OrderStatus.CANCELLED}
        ),
        OrderStatus.AWAITING_STOCK: frozenset({OrderStatus.RESERVED, OrderStatus.CANCELLED}),
    },
    OrderStatus.labels_ru(),
)
ORDER_LABELS = OrderStatus.labels_ru()
