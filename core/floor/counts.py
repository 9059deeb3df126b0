"""Cycle count by bin (DESIGN.md §2a): a worker scans a bin, counts each product in it and
submits; each difference is booked as an ADJUSTMENT at that bin naming the version its
position had when the count began (`core.stock.inventory.post_count`).

A position that changed meanwhile (a putaway, a pick) is refused with `version_conflict`
by the very statement that would change it, and comes back with its new version for a
recount; the other lines are booked — one line's conflict does not undo another's count.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from core.errors import Conflict, DomainError, ValidationError
from core.floor.locations import LocationKind
from core.floor.ports import Place
from core.stock.inventory import CountRequest, post_count
from core.stock.ports import StockUnitOfWork

MAX_LINES = 500  # a bin holds a few dozen products at most; this catches a runaway page


def check_count_bin(place: Place | None, code: str) -> Place:
    """The scanned place must be an active bin (of either warehouse)."""
    if place is None:
        raise ValidationError("location_not_found", f"Ячейка «{code}» не найдена",
                              field="location_code")  # fmt: skip
    if place.kind != LocationKind.BIN:
        raise ValidationError(
            "not_a_bin", f"«{place.code}» — не ячейка хранения: отсканируйте ячейку",
            field="location_code",
        )  # fmt: skip
    if not place.is_active:
        raise ValidationError("location_inactive", f"Ячейка {place.code} отключена",
                              field="location_code")  # fmt: skip
    return place


@dataclass(frozen=True)
class CountLine:
    product_id: int
    counted: object  # checked by post_count: a whole number, zero or more
    # The position's version when the count began; 0 when the bin had none of it.
    expected_version: int
    # Its stock then. A quant is created at version 0, so «none» and «just created» share a
    # version: the stock tells them apart (stock_changed, also a recount).
    stock_seen: int | None = None


class Outcome(StrEnum):
    BOOKED = "booked"  # the difference was posted
    MATCHED = "matched"  # the count equals the stock: nothing posted
    RECOUNT = "recount"  # the position changed since the count began: count it again
    REFUSED = "refused"  # another refusal (e.g. the loss would take reserved stock)


@dataclass(frozen=True)
class LineResult:
    product_id: int
    outcome: Outcome
    counted: int | None
    stock: int  # before the booking; for RECOUNT the stock now
    version: int  # the position's version now (a recount names it)
    movement_id: int | None = None
    message: str = ""


def submit_count(
    new_uow: Callable[[], StockUnitOfWork],
    bin_id: int,
    lines: Sequence[CountLine],
    *,
    user_id: int | None,
    reason: str,
    key: str | None = None,
) -> list[LineResult]:
    """Book each line's count at the bin, each in its own transaction. `key`: the count's
    idempotency key; a line's key is `key:product`, so a resubmitted count books once."""
    if not lines:
        raise ValidationError("lines_required", "Посчитайте хотя бы один товар", field="lines")
    if len(lines) > MAX_LINES:
        raise ValidationError("too_many_lines", f"Не больше {MAX_LINES} товаров за пересчёт")
    if len({line.product_id for line in lines}) != len(lines):
        raise ValidationError("duplicate_product", "Товар указан в пересчёте дважды")
    return [_book(new_uow, bin_id, line, user_id, reason, key) for line in lines]


def _book(
    new_uow: Callable[[], StockUnitOfWork],
    bin_id: int,
    line: CountLine,
    user_id: int | None,
    reason: str,
    key: str | None,
) -> LineResult:
    request = CountRequest(
        line.product_id, None, line.counted, notes=reason,
        idempotency_key=f"{key}:{line.product_id}" if key else None,
        location_id=bin_id, expected_version=line.expected_version, expected=line.stock_seen,
    )  # fmt: skip
    try:
        counted = post_count(new_uow, request, user_id=user_id)
    except Conflict as refusal:
        stock, version = _now(new_uow, line.product_id, bin_id)
        changed = refusal.code in ("version_conflict", "stock_changed")
        outcome = Outcome.RECOUNT if changed else Outcome.REFUSED
        return LineResult(line.product_id, outcome, None, stock, version, None, refusal.message)
    except DomainError as refusal:
        stock, version = _now(new_uow, line.product_id, bin_id)
        return LineResult(line.product_id, Outcome.REFUSED, None, stock, version, None,
                          refusal.message)  # fmt: skip
    stock, version = _now(new_uow, line.product_id, bin_id)
    if counted.posted is None:
        return LineResult(line.product_id, Outcome.MATCHED, counted.counted, counted.stock, version)
    movement = counted.posted.movement
    return LineResult(
        line.product_id, Outcome.BOOKED, counted.counted, counted.stock, version, movement.id
    )


def _now(new_uow: Callable[[], StockUnitOfWork], product_id: int, bin_id: int) -> tuple[int, int]:
    """The position's stock and version as they are now (0, 0: there is none)."""
    with new_uow() as uow:
        stock, _reserved = uow.stock.on_hand(product_id, bin_id)
        return stock, uow.stock.version(product_id, bin_id) or 0
