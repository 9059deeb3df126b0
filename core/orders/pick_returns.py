"""Part of an order's cancel (DESIGN.md §2b.5): every reservation released, and units
already picked to the packing station (loose, or packed into a package's box) brought
back to the bin they were picked from, one TRANSFER each naming the order.

Every quant is touched in (product, location) order — the order reservation, picks and
movements lock quants in — whether it is a release, the take at the station (already
unreserved by its release) or the put into the bin, so a cancel never waits in a cycle
with a pick, a confirmation or another cancel.
"""

from datetime import datetime
from typing import Any

from core.errors import Conflict, InsufficientStock
from core.events import EventType
from core.model import MovementDraft
from core.orders.picking_ports import FulfillmentUnitOfWork, PickTask
from core.orders.ports import Reservation
from core.stock.operations import ORDER_DOCUMENT
from core.stock.rules import GOOD_WAREHOUSE


def release_and_return(uow: FulfillmentUnitOfWork, held: list[Reservation],
                       tasks: list[PickTask], external_id: str, user_id: int | None,
                       now: datetime) -> int:  # fmt: skip
    """Release `held` and return the picked units to the bins they were picked from (by
    the order's picking `tasks`, the latest pick of a line first); the units released."""
    origin: dict[int, int] = {}
    for task in reversed(tasks):
        for item in task.items:
            if item.quantity_picked:
                origin.setdefault(item.order_line_id, item.location_id)
    picked = [r for r in held if r.stage in ("picked", "packed")]
    fallback = uow.stock.location(GOOD_WAREHOUSE).id if picked else 0
    back = {r.id: origin.get(r.order_line_id, fallback) for r in picked}
    # (product, location, phase): release, then take at the station, then put in the bin.
    steps: list[tuple[int, int, int, int, Reservation]] = []
    for r in held:
        steps.append((r.product_id, r.location_id, 0, r.id, r))
        if r.id in back:
            steps.append((r.product_id, r.location_id, 1, r.id, r))
            steps.append((r.product_id, back[r.id], 2, r.id, r))
    released = 0
    for product_id, location_id, phase, _, r in sorted(steps, key=lambda s: s[:4]):
        if phase == 0:
            if not uow.orders.release(r, now):
                raise Conflict("reservation_mismatch", "Резерв заказа не сходится с остатком")
            released += r.quantity
        elif phase == 1:
            if not uow.stock.take(product_id, location_id, r.quantity,
                                  handling_unit_id=r.handling_unit_id):  # fmt: skip
                raise InsufficientStock("Собранный товар не найден на столе упаковки")
        else:
            uow.stock.put(product_id, location_id, r.quantity, now)
    for r in picked:
        undo = uow.packing.unpack if r.stage == "packed" else uow.picking.unpick
        if not undo(r.order_line_id, r.quantity):
            raise Conflict("reservation_mismatch", "Собранное по строке заказа не сходится")
        order_id = tasks[0].order_id if tasks else None
        _journal(uow, r, back[r.id], external_id, order_id, user_id, now)
    return released


def _journal(uow: FulfillmentUnitOfWork, r: Reservation, to: int, external_id: str,
             order_id: int | None, user_id: int | None, now: datetime) -> None:  # fmt: skip
    fields: dict[str, Any] = {
        "operation_type": "TRANSFER", "product_id": r.product_id, "quantity": r.quantity,
        "from_location_id": r.location_id, "to_location_id": to, "source_id": None,
        "distribution_center_id": None, "user_id": user_id, "idempotency_key": None,
        "notes": f"Отмена заказа {external_id}: возврат "
        + ("из посылки" if r.stage == "packed" else "со сборки"), "reversal_of": None,
        "document": f"{ORDER_DOCUMENT}:{order_id}" if order_id else None, "created_at": now,
        "from_handling_unit_id": r.handling_unit_id,
    }  # fmt: skip
    movement = uow.ledger.add(MovementDraft(**fields))
    assert movement is not None, "a movement without a key is always written"
    uow.outbox.add(EventType.MOVEMENT_POSTED, movement.as_event())
