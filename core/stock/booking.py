"""Writing a checked movement: the ledger row, its quant changes (in a fixed order,
so two-leg movements cannot deadlock) and its events."""

from core.errors import Conflict, InsufficientStock, ValidationError
from core.events import EventType
from core.model import LocationRef, Movement, MovementDraft
from core.stock.inventory_events import inventory_event
from core.stock.ports import Ledger, Stock, StockUnitOfWork


def _shortage(stock: Stock, draft: MovementDraft, message: str, with_numbers: bool) -> str:
    """The shortage message, with what is there and what was asked for. The stock is read
    after the refused decrement, for the message only: the decision was the statement's."""
    if not with_numbers:
        return message
    quantity, reserved = stock.on_hand(
        draft.product_id, draft.from_location_id, handling_unit_id=draft.from_handling_unit_id
    )
    available = max(quantity - reserved, 0)
    return f"{message}: доступно {available}, запрошено {draft.quantity}"


VERSION_CONFLICT = (
    "Остаток на этой позиции изменился после пересчёта: пересчитайте ещё раз и проведите снова"
)


def write_movement(
    uow: StockUnitOfWork,
    draft: MovementDraft,
    shortage_message: str,
    with_numbers: bool = True,
    version: int | None = None,
) -> Movement | None:
    """Write the ledger row and its quant changes; None when the row was already there.
    `version`: the internal leg changes only while its quant is at it (one statement)."""
    movement = uow.ledger.add(draft)
    if movement is None:
        return None
    stock = uow.stock
    # Fixed order (location, then loose before a unit): no deadlocks between two-leg
    # movements. Both legs may be at one place (into or out of a unit there).
    legs = sorted(
        [
            (draft.from_location_id, draft.from_handling_unit_id or 0, True),
            (draft.to_location_id, draft.handling_unit_id or 0, False),
        ]
    )
    places: dict[bool, LocationRef] = {}
    for location_id, unit_id, taking in legs:
        location = stock.location_by_id(location_id)
        assert location is not None
        places[taking] = location
        if not location.is_internal:
            continue  # virtual locations hold no quants
        unit = unit_id or None
        if taking:
            if not stock.take(
                draft.product_id, location_id, draft.quantity, version=version,
                handling_unit_id=unit,
            ):  # fmt: skip
                seen = stock.version(draft.product_id, location_id, handling_unit_id=unit)
                if version is not None and seen != version:
                    raise Conflict("version_conflict", VERSION_CONFLICT)
                raise InsufficientStock(_shortage(stock, draft, shortage_message, with_numbers))
        else:
            # A bin may have been switched off since the cache read it (kind "default": a
            # warehouse's own place, which is never switched off).
            if location.kind != "default" and not stock.hold(location_id):
                raise ValidationError(
                    "location_inactive", f"Место {location.code} отключено: выберите другое",
                    field="to_location_id",
                )  # fmt: skip
            if not stock.put(
                draft.product_id, location_id, draft.quantity, draft.created_at, version=version,
                handling_unit_id=unit,
            ):  # fmt: skip
                raise Conflict("version_conflict", VERSION_CONFLICT)
    uow.outbox.add(EventType.MOVEMENT_POSTED, movement.as_event())
    inventory_event(uow, movement, places[True], places[False])  # DESIGN.md §7
    return movement


def apply_movement(
    uow: StockUnitOfWork, draft: MovementDraft, shortage_message: str
) -> Movement | None:
    """Book a movement another use case built and checked (a whole unit's move): the
    ledger row, its quant changes and its event, as post_movement does; None when its
    idempotency key is already taken."""
    return write_movement(uow, draft, shortage_message)


def replayed_movement(ledger: Ledger, draft: MovementDraft) -> Movement | None:
    """The movement already written under this draft's idempotency key, if any."""
    if draft.idempotency_key is None:
        return None
    earlier = ledger.movement_by_key(draft.idempotency_key, draft.user_id)
    if earlier is not None and not earlier.same_request_as(draft):
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другой операции",
        )
    return earlier
