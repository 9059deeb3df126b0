"""Reservation (DESIGN.md §2b.1): all lines or none, in the caller's one transaction.

The repository locks the reservable quants of the order's products in (product,
location) order; core picks from them FIFO — the oldest `received_at`, then the route
order, then the quant — and the repository raises each chosen quant's `reserved` with a
conditional statement (PostgreSQL: one for all of them), the quants already locked. If
any line cannot be covered nothing is reserved: the order waits for stock
(`awaiting_stock`).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from core.errors import InsufficientStock
from core.events import EventType, add_events, contract_event
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.orders.ports import Hold, OrderLine, OrderRepository, Reservation, Slot
from core.settings import get_settings


@dataclass(frozen=True)
class Shortage:
    product_id: int
    sku: str
    missing: int


def plan(lines: list[OrderLine], slots: list[Slot]) -> tuple[list[Hold], list[Shortage]]:
    """The holds that cover every line FIFO, or the shortages when some line cannot be."""
    by_product: dict[int, list[Slot]] = defaultdict(list)
    for slot in sorted(slots, key=lambda s: (s.received_at, s.route_sequence, s.quant_id)):
        by_product[slot.product_id].append(slot)
    left = {slot.quant_id: slot.available for slot in slots}
    holds: list[Hold] = []
    missing: dict[int, int] = defaultdict(int)
    skus: dict[int, str] = {}
    for line in sorted(lines, key=lambda x: x.sequence):
        need = line.quantity - line.reserved
        for slot in by_product[line.product_id]:
            take = min(need, left[slot.quant_id])
            if take <= 0:
                continue
            left[slot.quant_id] -= take
            need -= take
            holds.append(Hold(line.id, slot.quant_id, slot.product_id, slot.location_id, take))
            if need == 0:
                break
        if need > 0:
            missing[line.product_id] += need
            skus[line.product_id] = line.sku
    shortages = [Shortage(p, skus[p], n) for p, n in missing.items()]
    return (holds, []) if not shortages else ([], shortages)


def expiry_of(at: datetime) -> datetime | None:
    """When a reservation made at `at` expires (WMS_RESERVATION_TTL_MINUTES); None: never."""
    ttl = get_settings().reservation_ttl_minutes
    return at + timedelta(minutes=ttl) if ttl else None


def reserve_lines(
    repo: OrderRepository, order_id: int, at: datetime, expires_at: datetime | None = None,
    lines: list[OrderLine] | None = None,
) -> tuple[list[Shortage], list[OrderLine], list[Reservation]]:  # fmt: skip
    """Reserve every line of the order, or nothing; the shortages when nothing was, the
    lines as reserved from (`lines`: as just written by this transaction, not read) and
    the reservations made (route order)."""
    if lines is None:
        lines = repo.lines(order_id)
    slots = repo.lock_slots(sorted({line.product_id for line in lines}))
    holds, shortages = plan(lines, slots)
    if shortages:
        return shortages, lines, []
    # The statements in the order the quants were locked in: no cycle with another writer.
    ordered = sorted(holds, key=lambda h: (h.product_id, h.location_id, h.quant_id))
    held = repo.reserve(ordered, at, expires_at)
    if held is None:
        # The quants are locked, so this means a bug or a writer that skipped the lock:
        # refuse the whole reservation (the caller's transaction rolls back).
        raise InsufficientStock("Остаток изменился во время резервирования: повторите")
    return [], lines, held


def shortage_text(shortages: list[Shortage]) -> str:
    parts = [f"{s.sku or s.product_id} — {s.missing} шт." for s in shortages]
    return "Не хватает: " + ", ".join(parts)


def held_payloads(
    uow: FulfillmentUnitOfWork, held: list[Reservation], event: EventType, at: datetime,
    barcodes: dict[int, str] | None = None, **extra: object,
) -> tuple[list[tuple[EventType, dict[str, Any]]], str]:  # fmt: skip
    """inventory.reserved / inventory.released (DESIGN.md §7) for these reservations: one
    event per product and warehouse with its summed quantity, in (barcode, warehouse)
    order; and the first warehouse's code (an order's picking.created names it).
    `barcodes` (product id → barcode, e.g. from the order's lines) spares reading them."""
    if barcodes is None:
        products = uow.catalog.products(sorted({r.product_id for r in held}))
        barcodes = {p.id: p.barcode for p in products.values()}
    sums: dict[tuple[str, str], int] = {}
    first = ""
    for r in held:
        location = uow.stock.location_by_id(r.location_id)
        warehouse = (location.warehouse_code if location else None) or ""
        first = first or warehouse
        barcode = barcodes[r.product_id] if r.product_id in barcodes else str(r.product_id)
        key = (barcode, warehouse)
        sums[key] = sums.get(key, 0) + r.quantity
    events = [
        (event, contract_event(event, at, listing_id=barcode, warehouse_id=warehouse,
                               quantity=quantity, **extra))
        for (barcode, warehouse), quantity in sorted(sums.items())
    ]  # fmt: skip
    return events, first


def held_events(uow: FulfillmentUnitOfWork, held: list[Reservation], event: EventType,
                at: datetime, **extra: object) -> str:  # fmt: skip
    """`held_payloads` written to the outbox; the first warehouse's code."""
    events, first = held_payloads(uow, held, event, at, **extra)
    add_events(uow, events)
    return first
