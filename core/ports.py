"""What every unit of work has, whichever area's use case runs in it.

A unit of work is one transaction: its repositories read and write in it, and all of it
commits together on `commit()` or not at all. Each area says in `core/<area>/ports.py`
which repositories its use cases need (for instance `core.stock.ports.StockUnitOfWork`:
this plus the catalog's look-ups, the stock and the ledger); `data.uow.SqlUnitOfWork`
implements them all, `tests/unit/fakes.py` does in memory.
"""

from types import TracebackType
from typing import Any, Protocol, Self

from core.events import EventType


class Outbox(Protocol):
    def add(self, event: EventType, payload: dict[str, Any]) -> None:
        """Write the event in the unit's transaction: it is published only if it commits."""

    def add_many(self, events: list[tuple[EventType, dict[str, Any]]]) -> None:
        """`add` for each, in this order, in as few statements as storage allows."""


class UnitOfWork(Protocol):
    @property
    def outbox(self) -> Outbox: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""

    def commit(self) -> None:
        """Once this returns, the work is durable and nothing else this unit does raises."""
