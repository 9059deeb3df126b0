"""Typed domain errors: a stable code for programs, a Russian message for people.

`kind` maps to an HTTP status at the edge (not_found → 404, conflict → 409,
invalid → 422); core itself knows nothing of HTTP.
"""

from typing import ClassVar, Literal

ErrorKind = Literal["invalid", "not_found", "conflict", "forbidden"]


class DomainError(Exception):
    kind: ClassVar[ErrorKind] = "invalid"

    def __init__(self, code: str, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class ValidationError(DomainError):
    kind = "invalid"


class NotFound(DomainError):
    kind = "not_found"


class Conflict(DomainError):
    kind = "conflict"


class Forbidden(DomainError):
    kind = "forbidden"


class InsufficientStock(Conflict):
    def __init__(self, message: str) -> None:
        super().__init__("insufficient_stock", message)


class IllegalTransition(Conflict):
    """A step a state machine does not allow: 409 `invalid_transition` (DESIGN.md §6)."""

    CODE: ClassVar[str] = "invalid_transition"

    def __init__(self, machine: str, current: str, target: str, message: str) -> None:
        super().__init__(self.CODE, message)
        self.machine = machine
        self.current = current
        self.target = target
