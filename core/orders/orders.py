"""Order use cases (DESIGN.md §2b, §6 "Orders"): create, confirm (reserve), cancel, and
the retry of orders waiting for stock.

An order is created `new`; confirming it reserves every line or nothing in the same
transaction (core.orders.reservation): `reserved`, or `awaiting_stock` with nothing held.
POST /orders creates and confirms in one transaction. A waiting order is tried again when
stock arrives or is released (`retry_waiting`, after the commit that freed it), the most
urgent and oldest first. Cancelling releases every reservation, cancels the open picking
and packing tasks and brings picked and packed units back to their bins. Every step is one row of
the order's history (who, when); an illegal step is 409 `invalid_transition`. A request
may carry an idempotency key: the same key again returns the order and changes nothing;
the same (source, external id) again returns the existing order.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import Conflict, NotFound
from core.events import EventType, add_events, contract_event
from core.orders.order_requests import LineRequest, OrderRequest, draft_of
from core.orders.packing import cancel_open_task as cancel_open_packing
from core.orders.pick_returns import release_and_return
from core.orders.picking import cancel_open_tasks, create_for_order
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.orders.ports import (
    Order,
    OrderDraft,
    OrderHead,
    OrderLine,
    OrderRepository,
    OrdersUnitOfWork,
    Step,
)
from core.orders.quality import cancel_open_check
from core.orders.reservation import (
    expiry_of,
    held_events,
    held_payloads,
    reserve_lines,
    shortage_text,
)
from core.orders.rules import HOLDING, MAX_REASON, Status, check_move, clean_key, text
from core.periods import now_utc

log = logging.getLogger(__name__)

__all__ = ["LineRequest", "OrderRequest"]  # where the callers have always found them


@dataclass(frozen=True)
class Done:
    order: Order
    replayed: bool  # True: the request was seen before; nothing was changed


@dataclass(frozen=True)
class Placed:
    """A new order as placing it left it, known without reading it back."""

    id: int
    external_id: str
    status: str
    units: int


def _head(repo: OrderRepository, order_id: int, *, hold: bool = False) -> OrderHead:
    head = repo.head(order_id, hold=hold)
    if head is None:
        raise NotFound("order_not_found", "Заказ не найден")
    return head


def _order(repo: OrderRepository, order_id: int) -> Order:
    order = repo.order(order_id)
    assert order is not None, "read in the transaction that found it"
    return order


def _replay(
    repo: OrderRepository, key: str | None, user_id: int | None, order_id: int | None,
    action: str,
) -> Done | None:  # fmt: skip
    """The answer to a request already made with this key; None when the key is new."""
    if key is None:
        return None
    step = repo.step_by_key(key, user_id)
    if step is None:
        return None
    if step.action != action or (order_id is not None and step.order_id != order_id):
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого действия",
        )
    return Done(_order(repo, step.order_id), replayed=True)


def log_placed(order: Order | Placed) -> None:
    """The business event "order placed", after its commit (the API, a page, the feed)."""
    log.info("order placed", extra={"order_id": order.id, "external_id": order.external_id,
                                    "status": order.status, "units": order.units})  # fmt: skip


def create_order(
    uow: FulfillmentUnitOfWork, req: OrderRequest, user_id: int | None, *, confirm: bool = True,
    idempotency_key: str | None = None,
) -> Done:  # fmt: skip
    """A new order; with `confirm` (the API) reserved in the same transaction."""
    with uow:
        done = place_order(uow, req, user_id, confirm=confirm, idempotency_key=idempotency_key)
        if not done.replayed:
            uow.commit()
    if not done.replayed:
        log_placed(done.order)
    return done


def place_order(
    uow: FulfillmentUnitOfWork, req: OrderRequest, user_id: int | None, *, confirm: bool = True,
    idempotency_key: str | None = None,
) -> Done:  # fmt: skip
    """`create_order` inside a unit of work the caller opened and commits: an import of
    an orders file places every order of the file this way, in one transaction. The same
    (source, external id) again changes nothing and answers with the existing order."""
    done = _place(uow, req, user_id, confirm, clean_key(idempotency_key))
    return done if isinstance(done, Done) else Done(_order(uow.orders, done.id), False)


def place_new(uow: FulfillmentUnitOfWork, req: OrderRequest) -> Placed | None:
    """`place_order` (confirmed, no user, no key) without reading the order back: the
    feed needs only its log line. None when the order was placed before."""
    done = _place(uow, req, None, True, None)
    return done if isinstance(done, Placed) else None


def _place(uow: FulfillmentUnitOfWork, req: OrderRequest, user_id: int | None, confirm: bool,
           key: str | None) -> Done | Placed:  # fmt: skip
    """Done: the request was seen before (the existing order); Placed: a new order."""
    repo = uow.orders
    earlier = _replay(repo, key, user_id, None, "created")
    if earlier is not None:
        return earlier
    draft = draft_of(uow, req, user_id)
    # No look-up first: an order already placed (same source and external id) makes the
    # insert write nothing, and its twin is answered below. The first history row is
    # written with the order (its order id is the new order's).
    placed = repo.insert_order(draft, Step(0, "created", Status.NEW, user_id, draft.created_at,
                                           f"Строк: {len(draft.lines)}", key))  # fmt: skip
    if placed is None:
        # A twin (same order or same key), placed before or meanwhile: its order.
        return _twin(uow, key, user_id, draft)
    order_id = placed[0]
    status = Status.NEW
    if confirm:
        # Inserted by this transaction: no one else sees the rows, nothing to lock or read.
        lines = [
            OrderLine(line_id, n, d.product_id, d.quantity, 0, sku=d.sku, barcode=d.barcode,
                      product_name=d.product_name)
            for n, (line_id, d) in enumerate(zip(placed[1], draft.lines, strict=True), start=1)
        ]  # fmt: skip
        head = OrderHead(order_id, Status.NEW, draft.external_id, draft.priority)
        status = _confirm(uow, head, user_id, lines)
    return Placed(order_id, draft.external_id, status, sum(d.quantity for d in draft.lines))


def _twin(uow: OrdersUnitOfWork, key: str | None, user_id: int | None,
          draft: OrderDraft) -> Done:  # fmt: skip
    """After a unique key refused this request: the order of the request that won.
    The refused statement aborted nothing on SQLite and is read after a rollback on
    PostgreSQL by the caller's retry; here both backends see the winner's commit."""
    repo = uow.orders
    twin = _replay(repo, key, user_id, None, "created")
    if twin is not None:
        return twin
    existing = repo.by_external_id(draft.source_id, draft.external_id)
    assert existing is not None, "the unique key that refused us names a committed order"
    return Done(_order(repo, existing), replayed=True)


def _confirm(uow: FulfillmentUnitOfWork, head: OrderHead, user_id: int | None,
             lines: list[OrderLine] | None = None) -> str:  # fmt: skip
    """Reserve every line or nothing; the order's new status. A reserved order gets its
    picking task in the same transaction (core.orders.picking). `lines`: the order's
    lines as this transaction just wrote them (else read)."""
    repo = uow.orders
    now = now_utc()
    until = expiry_of(now)  # None unless WMS_RESERVATION_TTL_MINUTES is set
    shortages, lines, held = reserve_lines(repo, head.id, now, until, lines)
    target = Status.AWAITING_STOCK if shortages else Status.RESERVED
    if target == head.status:  # still waiting: nothing changes, nothing to record
        return target
    check_move(head.status, target)
    details = shortage_text(shortages) if shortages else "Товар зарезервирован"
    if target == Status.RESERVED:
        # A new or waiting order held nothing before (all lines or none), so the
        # reservations just made are all it holds: for the task and the events, not read
        # again; the barcodes are the lines' (no second read of the products).
        task_id = create_for_order(repo, uow.picking, head.id, head.priority, held)
        barcodes = {line.product_id: line.barcode for line in lines}
        events, warehouse = held_payloads(uow, held, EventType.INVENTORY_RESERVED, now,
                                          barcodes, order_id=head.external_id)  # fmt: skip
        events.append((EventType.PICKING_CREATED, contract_event(
            EventType.PICKING_CREATED, now, task_id=task_id, order_id=head.external_id,
            warehouse_id=warehouse)))  # fmt: skip
        add_events(uow, events)
        details += f"; задание на сборку {task_id}"
        if until is not None:  # core.orders.expiry releases it then, unless picking began
            repo.hold_until(head.id, until)
    # The move last, with its history row: one statement (the events above go with it).
    moved = repo.set_status(head.id, head.status, target, now, step=Step(
        head.id, "confirmed" if head.status == Status.NEW else "retried", target, user_id,
        now, details))  # fmt: skip
    assert moved, "the order's row is held"
    return target


def confirm_order(
    uow: FulfillmentUnitOfWork, order_id: int, user_id: int | None, *,
    idempotency_key: str | None = None,
) -> Done:  # fmt: skip
    """A new (or waiting) order: reserve now. 409 `invalid_transition` from other states."""
    key = clean_key(idempotency_key)
    with uow:
        repo = uow.orders
        earlier = _replay(repo, key, user_id, order_id, "confirm")
        if earlier is not None:
            return earlier
        head = _head(repo, order_id, hold=True)
        if head.status not in (Status.NEW, Status.AWAITING_STOCK):
            check_move(head.status, Status.RESERVED)
        _confirm(uow, head, user_id)
        if key is not None:  # the request itself, so that its retry is a replay
            repo.add_step(Step(order_id, "confirm", _head(repo, order_id).status, user_id,
                               now_utc(), "", key))  # fmt: skip
        order = _order(repo, order_id)
        uow.commit()
    log.info("order confirmed", extra={"order_id": order_id, "external_id": order.external_id,
                                       "status": order.status})  # fmt: skip
    return Done(order, replayed=False)


def cancel_order(
    uow: FulfillmentUnitOfWork, order_id: int, reason: object, user_id: int | None, *,
    idempotency_key: str | None = None,
) -> Done:  # fmt: skip
    """Release every reservation and cancel (§2b.5); 409 once shipped or cancelled."""
    key = clean_key(idempotency_key)
    why = text(reason, "причина", "reason", limit=MAX_REASON)
    with uow:
        repo = uow.orders
        earlier = _replay(repo, key, user_id, order_id, "cancelled")
        if earlier is not None:
            return earlier
        head = _head(repo, order_id, hold=True)
        check_move(head.status, Status.CANCELLED)
        released = release_held(uow, head, why, user_id, "Заказ отменён")
        now = now_utc()
        moved = repo.set_status(order_id, head.status, Status.CANCELLED, now, reason=why)
        assert moved, "the order's row is held"
        details = (why or "") + (f" (снят резерв: {released} шт.)" if released else "")
        if not repo.add_step(
            Step(order_id, "cancelled", Status.CANCELLED, user_id, now, details.strip(), key)
        ):
            raise Conflict("idempotency_key_reused", "Этот ключ идемпотентности уже использован")
        order = _order(repo, order_id)
        uow.commit()
    log.info("order cancelled", extra={"order_id": order_id, "external_id": order.external_id,
                                       "released_units": released, "reason": why})  # fmt: skip
    return Done(order, replayed=False)


def release_held(uow: FulfillmentUnitOfWork, head: OrderHead, reason: str | None,
                 user_id: int | None, note: str) -> int:  # fmt: skip
    """Cancel the order's open picking tasks and release everything the order holds; the
    units released. An order's cancel, and an expired reservation (core.orders.expiry).
    The caller holds the order's row and moves its status."""
    # The open picking tasks next (their rows before any quant, as a pick locks them), so
    # a pick in flight commits first and its units are released below.
    tasks = cancel_open_tasks(uow.picking, head.id, reason, user_id, note)
    packing = cancel_open_packing(uow.packing, head.id, reason, user_id)
    cancel_open_check(uow, head.id, reason, user_id)  # type: ignore[arg-type]
    if head.status not in HOLDING:
        return 0
    # Every reservation released and the units at the packing station (loose or boxed)
    # brought back to their bins, quant by quant in (product, location) order (core.
    # orders.pick_returns), as every writer locks them.
    now = now_utc()
    held = uow.orders.active_reservations(head.id)
    held_events(uow, held, EventType.INVENTORY_RELEASED, now, reason=reason or note)
    released = release_and_return(uow, held, tasks, head.external_id, user_id, now)
    if packing is not None:
        uow.packing.close_units(packing.id, now)  # the boxes are empty now
    return released


def retry_waiting(
    make_uow: Callable[[], FulfillmentUnitOfWork], product_ids: Sequence[int] | None = None,
    *, limit: int = 200,
) -> dict[str, Any]:  # fmt: skip
    """Try the orders waiting for these products again, urgent and oldest first, each in a
    transaction of its own. Returns how many were tried and reserved."""
    with make_uow() as uow:
        waiting = uow.orders.waiting(list(product_ids) if product_ids else None, limit)
    reserved = 0
    for order_id in waiting:
        with make_uow() as uow:
            head = uow.orders.head(order_id, hold=True)
            if head is None or head.status != Status.AWAITING_STOCK:
                continue  # cancelled or reserved meanwhile
            if _confirm(uow, head, None) == Status.RESERVED:
                uow.commit()
                reserved += 1
                log.info("order reserved after waiting for stock",
                         extra={"order_id": order_id, "external_id": head.external_id})  # fmt: skip
    return {"tried": len(waiting), "reserved": reserved}
