"""Reservation expiry (DESIGN.md §2b.1, §2b.5): with WMS_RESERVATION_TTL_MINUTES set, a
reservation carries an expiry (`expires_at`, the order's `reserved_until`), and a sweep
releases the orders whose reservation expired the same way a cancel releases them
(`core.orders.orders.release_held`: the open picking task cancelled, each reservation
released with one conditional statement per quant).

Only `reserved` orders expire: once a worker has started picking (`picking` and later) the
stock stays with them — a warehouse does not pull goods from under a picker; such an order
is finished or cancelled by a person. An expired order goes back to `awaiting_stock`
(holding nothing) with a timeline entry «Резерв истёк»; the commit then tries the orders
waiting for its products again (data.uow), the most urgent and oldest first, so the units
go to whoever needs them most — the expired order itself when nobody is ahead of it (with
a new expiry and a new picking task).

Reservations made while the setting was unset never expire; with it unset the sweep does
nothing. Each order is expired in a transaction of its own, its row held as a cancel holds
it, so a sweep and a cancel of one order take turns and the second sees the first's end;
the sweep waits for a lock only briefly, so it never holds up a person's request (an order
it could not lock is counted `failed` and tried again by the next round).
"""

import logging
from collections.abc import Callable
from datetime import datetime

from core.orders.orders import release_held
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.orders.ports import Step
from core.orders.rules import Status, check_move
from core.periods import now_utc
from core.settings import get_settings

log = logging.getLogger(__name__)

EXPIRED_NOTE = "Резерв истёк"


def expire_reservations(
    make_uow: Callable[[], FulfillmentUnitOfWork], now: datetime | None = None, *,
    limit: int = 200,
) -> dict[str, int]:  # fmt: skip
    """Release the reservations of reserved orders that expired by `now` (the clock by
    default). Returns how many orders were due, expired, failed, and the units released."""
    result = {"due": 0, "expired": 0, "failed": 0, "units": 0}
    if not get_settings().reservation_ttl_minutes:
        return result
    now = now or now_utc()
    with make_uow() as uow:
        due = uow.orders.expired(now, limit)
    result["due"] = len(due)
    for order_id in due:
        try:
            with make_uow() as uow:
                released = _expire(uow, order_id, now)
                if released is None:
                    continue
                uow.commit()
        except Exception:  # a lock not granted at once, or a failure: the next round
            log.warning("expiring the reservation of order %s failed", order_id, exc_info=True)
            result["failed"] += 1
            continue
        result["expired"] += 1
        result["units"] += released
    return result


def _expire(uow: FulfillmentUnitOfWork, order_id: int, now: datetime) -> int | None:
    """Expire one order's reservation; the units released, None when it is not due (any
    more): cancelled, picking or reserved again since the sweep listed it."""
    repo = uow.orders
    # The order's row, then its tasks, as every step of an order's floor work locks them
    # (core.orders.picking.order_and_task), so no cycle is possible. Waiting only briefly
    # stays as a safety net: the sweep never holds up a person's request, and should a
    # lock order ever be broken again it is the sweep that gives up (counted `failed`,
    # the order left for the next round), not the person.
    repo.wait_briefly()
    head = repo.head(order_id, hold=True)
    if head is None or head.status != Status.RESERVED:
        return None
    held = repo.active_reservations(order_id)
    if not any(r.expires_at is not None and r.expires_at <= now for r in held):
        return None
    check_move(head.status, Status.AWAITING_STOCK)
    released = release_held(uow, head, EXPIRED_NOTE, None, "Резерв заказа истёк")
    at = now_utc()
    moved = repo.set_status(order_id, head.status, Status.AWAITING_STOCK, at)
    assert moved, "the order's row is held"
    repo.hold_until(order_id, None)
    repo.add_step(Step(order_id, "expired", Status.AWAITING_STOCK, None, at,
                       f"{EXPIRED_NOTE} (снят резерв: {released} шт.)"))  # fmt: skip
    return released
