"""What the stock use cases need from storage: locations, quants, the ledger, and the
unit of work that holds them together with the catalog's look-ups.

`take` and `put` are the only ways stock changes; each is one atomic statement in the
implementation (data.stock.repository), so a decrement can never go below what is there.
"""

from datetime import datetime
from typing import Protocol

from core.catalog.ports import CatalogLookups
from core.model import HandlingUnitRef, LocationRef, Movement, MovementDraft
from core.ports import UnitOfWork


class Locations(Protocol):
    def location(self, code: str) -> LocationRef:
        """The location with this code (core.stock.operations.Loc); it always exists."""

    def location_by_id(self, location_id: int) -> LocationRef | None: ...


class Stock(Locations, Protocol):
    """Quants are loose stock (`handling_unit_id` None) or stock in one handling unit."""

    def take(
        self,
        product_id: int,
        location_id: int,
        quantity: int,
        *,
        version: int | None = None,
        handling_unit_id: int | None = None,
    ) -> bool:
        """Lower the unreserved stock and raise its version; False, changing nothing,
        when there is not enough of it or (given `version`) the quant is at another one."""

    def put(
        self,
        product_id: int,
        location_id: int,
        quantity: int,
        at: datetime,
        *,
        version: int | None = None,
        handling_unit_id: int | None = None,
    ) -> bool:
        """Raise the stock and its version (a quant that was empty takes `at` as its
        arrival); given `version`, False and nothing changed when the quant is at another."""

    def version(
        self, product_id: int, location_id: int, *, handling_unit_id: int | None = None
    ) -> int | None:
        """The version of the quant; None when there is none."""

    def on_hand(
        self, product_id: int, location_id: int, *, handling_unit_id: int | None = None
    ) -> tuple[int, int]:
        """(quantity, reserved) of the stock at a location; (0, 0) when none."""

    def handling_unit(self, handling_unit_id: int) -> HandlingUnitRef | None:
        """The unit, held (PostgreSQL: a share lock) until the transaction ends, so that
        it cannot move or close under the movement that names it; None when there is none."""

    def hold(self, location_id: int) -> bool:
        """Whether the location is active, read in this transaction; it stays so until the
        transaction ends (a deactivation waits for it, then sees the stock it brought)."""


class Ledger(Protocol):
    def movement(self, movement_id: int) -> Movement | None: ...

    def movement_by_key(self, idempotency_key: str, user_id: int | None) -> Movement | None:
        """The movement `user_id` wrote under this key: keys are each user's own."""

    def add(self, draft: MovementDraft) -> Movement | None:
        """The new ledger row; None when its user's idempotency key or its reversal target
        is already taken (a movement is reversed once), and then nothing is written."""


class StockUnitOfWork(UnitOfWork, Protocol):
    """The unit of work posting and reversing movements run in."""

    @property
    def catalog(self) -> CatalogLookups: ...
    @property
    def stock(self) -> Stock: ...
    @property
    def ledger(self) -> Ledger: ...
