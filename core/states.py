"""A small declarative state-machine helper and the machines of DESIGN.md §2.

A machine is data: the allowed transitions and, per target state, what the document must
have to enter it. `check` raises `IllegalTransition` (a 409 conflict) with a Russian
message; an illegal transition is never a silent no-op.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from core.errors import IllegalTransition

# A guard looks at the document's facts and returns a Russian message when it is not met.
Guard = Callable[[Mapping[str, Any]], str | None]


@dataclass(frozen=True)
class StateMachine:
    name: str
    initial: str
    transitions: Mapping[str, frozenset[str]]
    labels: Mapping[str, str]
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
    steps: list[str],
    labels: Mapping[str, str],
    *,
    cancelled: str = "cancelled",
    guards: Mapping[str, Guard] | None = None,
) -> StateMachine:
    """steps[0] → steps[1] → … → steps[-1]; cancel from any state but the last."""
    transitions: dict[str, frozenset[str]] = {}
    for here, following in pairwise(steps):
        transitions[here] = frozenset({following, cancelled})
    transitions[steps[-1]] = frozenset()
    transitions[cancelled] = frozenset()
    return StateMachine(name, steps[0], transitions, labels, guards or {})


def _requires(fact: str, message: str) -> Guard:
    return lambda facts: None if facts.get(fact) else message


PICKING = linear_with_cancel(
    "picking",
    ["pending", "assigned", "in_progress", "completed"],
    {
        "pending": "Ожидает",
        "assigned": "Назначено",
        "in_progress": "В работе",
        "completed": "Завершено",
        "cancelled": "Отменено",
    },
)

PACKING = linear_with_cancel(
    "packing",
    ["pending", "in_progress", "packed", "shipped"],
    {
        "pending": "Ожидает",
        "in_progress": "Упаковывается",
        "packed": "Упаковано",
        "shipped": "Отгружено",
        "cancelled": "Отменено",
    },
    guards={
        "packed": _requires("dimensions", "Укажите габариты коробки"),
        "shipped": _requires("tracking_number", "Укажите трек-номер"),
    },
)

ORDER = linear_with_cancel(
    "order",
    ["new", "reserved", "picking", "packing", "ready_to_ship", "shipped"],
    {
        "new": "Новый",
        "reserved": "Зарезервирован",
        "picking": "Сборка",
        "packing": "Упаковка",
        "ready_to_ship": "Готов к отгрузке",
        "shipped": "Отгружен",
        "cancelled": "Отменён",
    },
)
