"""What core needs from storage. `data.uow.SqlUnitOfWork` implements it.

`take` and `put` are the only ways stock changes; both are single atomic statements in
the implementation, and everything done through one unit of work commits together.
"""

from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from core.model import LocationRef, Movement, MovementDraft, ProductRef, Reference


class UnitOfWork(Protocol):
    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""

    def commit(self) -> None: ...

    # Look-ups
    def product(self, product_id: int) -> ProductRef | None: ...
    def product_by_barcode(self, barcode: str) -> ProductRef | None: ...
    def location(self, code: str) -> LocationRef: ...
    def location_by_id(self, location_id: int) -> LocationRef | None: ...
    def source(self, source_id: int) -> Reference | None: ...
    def distribution_center(self, dc_id: int) -> Reference | None: ...
    def movement(self, movement_id: int) -> Movement | None: ...
    def movement_by_key(self, idempotency_key: str, user_id: int | None) -> Movement | None:
        """The movement `user_id` wrote under this key: keys are each user's own."""

    # Ledger: None when the idempotency key or the reversal target is already taken.
    def add_movement(self, draft: MovementDraft) -> Movement | None: ...

    # Stock: `take` lowers unreserved stock and returns False when there is not enough.
    def take(self, product_id: int, location_id: int, quantity: int) -> bool: ...
    def put(self, product_id: int, location_id: int, quantity: int, at: datetime) -> None: ...
    # (quantity, reserved) of the loose stock at a location; (0, 0) when there is none.
    def on_hand(self, product_id: int, location_id: int) -> tuple[int, int]: ...

    # Events for other systems, written in the same transaction.
    def add_event(self, event_type: str, payload: dict[str, Any]) -> None: ...
