"""Putaway (DESIGN.md §2a): stock received into MAIN lies at the warehouse's own place,
«not put away», until a worker takes it to a bin.

`suggest` says where it should go: a bin that already holds the product (one place per
product keeps picking short), else the first empty bin in route order. `put_away` moves
it: one TRANSFER MAIN → bin through `post_movement`, so the decrement at MAIN is the
ledger's one conditional statement and the bin is held against a deactivation meanwhile.
The worker may choose another active bin than the one suggested.
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from core.errors import ValidationError
from core.floor.locations import LocationKind, typed_code
from core.floor.ports import Place
from core.stock.movements import post_movement
from core.stock.operations import Loc
from core.stock.ports import StockUnitOfWork
from core.stock.requests import MovementRequest, Posted, check_quantity

PUTAWAY_DOCUMENT = "putaway"
RECEIVING = Loc.MAIN  # received good stock waits here; defect stock is not put away


class PutawayStore(Protocol):
    """What putaway reads; data.floor.putaway implements it."""

    def place_by_code(self, code: str) -> Place | None: ...
    def waiting(self, product_id: int) -> int:
        """Unreserved loose units of the product at MAIN's own place."""

    def bin_holding(self, product_id: int) -> Place | None:
        """The first active MAIN bin (route order) holding some of the product."""

    def first_empty_bin(self) -> Place | None:
        """The first active MAIN bin (route order) with no stock and no open unit."""


class Why(StrEnum):
    HOLDS = "holds"  # the bin already holds this product
    EMPTY = "empty"  # the first empty bin on the route
    NONE = "none"  # no bin is free: the worker chooses one


@dataclass(frozen=True)
class Suggestion:
    product_id: int
    waiting: int
    bin: Place | None
    why: Why


def suggest(store: PutawayStore, product_id: int) -> Suggestion:
    waiting = store.waiting(product_id)
    holding = store.bin_holding(product_id)
    if holding is not None:
        return Suggestion(product_id, waiting, holding, Why.HOLDS)
    empty = store.first_empty_bin()
    if empty is not None:
        return Suggestion(product_id, waiting, empty, Why.EMPTY)
    return Suggestion(product_id, waiting, None, Why.NONE)


def check_bin(store: PutawayStore, scanned: str | None) -> Place:
    """The scanned code must be an active bin of the good-stock warehouse."""
    code = typed_code(scanned or "")
    place = store.place_by_code(code) if code else None
    if place is None:
        raise ValidationError(
            "location_not_found", f"Ячейка «{code}» не найдена", field="location_code"
        )
    if place.kind != LocationKind.BIN or place.warehouse != RECEIVING:
        raise ValidationError(
            "not_a_bin",
            f"«{place.code}» — не ячейка хранения годного товара: отсканируйте ячейку",
            field="location_code",
        )
    if not place.is_active:
        raise ValidationError(
            "location_inactive", f"Ячейка {place.code} отключена: выберите другую",
            field="location_code",
        )  # fmt: skip
    return place


@dataclass(frozen=True)
class PutawayRequest:
    product_id: int
    bin_code: str
    quantity: object  # checked here: a positive whole number
    idempotency_key: str | None = None


def put_away(
    new_uow: Callable[[], StockUnitOfWork],
    store: PutawayStore,
    req: PutawayRequest,
    *,
    user_id: int | None,
) -> Posted:
    """Move `quantity` of the product from MAIN to the bin; refused whole when MAIN has
    less unreserved stock than that (insufficient_stock), nothing moves then."""
    quantity = check_quantity(req.quantity)
    target = check_bin(store, req.bin_code)
    source = store.place_by_code(RECEIVING)
    assert source is not None, "MAIN is seeded"
    request = MovementRequest(
        operation_type="TRANSFER",
        quantity=quantity,
        product_id=req.product_id,
        from_location_id=source.id,
        to_location_id=target.id,
        notes=f"Размещение в {target.code}",
        idempotency_key=req.idempotency_key,
        document=PUTAWAY_DOCUMENT,
    )
    return post_movement(new_uow(), request, user_id=user_id)
