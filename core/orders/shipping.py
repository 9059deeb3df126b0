"""Shipping a packed order and cancelling a packing task (DESIGN.md §2b.4–5, §6 "Packing
and shipping").

Ship: the carrier must exist and be active; the tracking number is typed or scanned, or
the one the delivery service issued after packing (data.events.carriers put it on the
order), or issued by a carrier's service when one is wired (core.orders.packing_ports.
CarrierService). Then the
stock leaves: every packed reservation is marked shipped and its box quant gives up
`quantity` and `reserved` in one conditional statement, with a movement naming the order
— SHIPMENT_ORDER to CUSTOMERS for a customer order, SHIPMENT_RC to MARKETPLACE_DC for a
supply. The order's row is locked first, as its cancel locks it: a ship racing a cancel
waits for it and then sees it (exactly one wins).

Cancelling a packing task cancels its order (§2b.5): every reservation released, the open
tasks cancelled and picked or packed units brought back to their bins.
"""

from collections.abc import Mapping

from core.errors import Conflict, NotFound, ValidationError
from core.events import EventType, add_event
from core.model import MovementDraft
from core.orders.orders import cancel_order
from core.orders.own_tasks import Worker
from core.orders.packing import (
    Done,
    check_task_move,
    held_task,
    log_step,
    order_follows,
    own_task_order,
    record,
    replay,
)
from core.orders.packing_ports import CarrierService, PackStep, PackTask
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.orders.ports import Order, Reservation
from core.orders.rules import OrderKind, Status, clean_key, text
from core.periods import now_utc
from core.states import PackingStatus
from core.stock.operations import ORDER_DOCUMENT, Loc

MAX_TRACKING = 64


def _carrier(uow: FulfillmentUnitOfWork, carrier: object, order: Order) -> str:
    code = text(carrier, "перевозчик", "carrier", limit=32) or order.carrier
    if code is None:
        raise ValidationError("carrier_required", "Укажите перевозчика", field="carrier")
    found = uow.orders.carrier(code)
    if found is None or not found.is_active:
        raise ValidationError("carrier_not_found", "Перевозчик не найден или отключён",
                              field="carrier")  # fmt: skip
    return code


def _tracking(tracking_number: object, carrier: str, order: Order, task: PackTask,
              services: Mapping[str, CarrierService]) -> str:  # fmt: skip
    typed = text(tracking_number, "трек-номер", "tracking_number", limit=MAX_TRACKING)
    if typed is not None:
        return typed
    if order.tracking_number:  # issued by the delivery service once packed (its callback)
        return order.tracking_number
    service = services.get(carrier)
    if service is None:
        raise ValidationError("tracking_number_required",
                              "Укажите трек-номер: у этого перевозчика нет сервиса, "
                              "который выдаёт его сам", field="tracking_number")  # fmt: skip
    return service.issue_tracking_number(order, task.packages)


def _leave(uow: FulfillmentUnitOfWork, order: Order, r: Reservation, tracking: str,
           user_id: int | None) -> None:  # fmt: skip
    """One packed reservation leaves the center, with its movement."""
    now = now_utc()
    if not uow.packing.ship_units(r.id, r.order_line_id, r.quant_id, r.quantity, now):
        raise Conflict("reservation_mismatch", "Упакованное не сходится с остатком: обновите")
    supply = order.kind == OrderKind.SUPPLY
    to = uow.stock.location(Loc.MARKETPLACE_DC if supply else Loc.CUSTOMERS)
    draft = MovementDraft(
        operation_type="SHIPMENT_RC" if supply else "SHIPMENT_ORDER",
        product_id=r.product_id, quantity=r.quantity, from_location_id=r.location_id,
        to_location_id=to.id, source_id=order.source_id,  # a DC's marketplace for a supply
        distribution_center_id=order.distribution_center_id if supply else None,
        user_id=user_id, notes=f"Отгрузка заказа {order.external_id}, трек {tracking}",
        idempotency_key=None, document=f"{ORDER_DOCUMENT}:{order.id}", reversal_of=None,
        created_at=now, from_handling_unit_id=r.handling_unit_id,
    )  # fmt: skip
    movement = uow.ledger.add(draft)
    assert movement is not None, "a movement without a key is always written"
    uow.outbox.add(EventType.MOVEMENT_POSTED, movement.as_event())


def ship_task(
    uow: FulfillmentUnitOfWork, task_id: int, carrier: object, tracking_number: object,
    user_id: int | None, *, services: Mapping[str, CarrierService] | None = None,
    idempotency_key: str | None = None, worker: Worker | None = None,
) -> Done:  # fmt: skip
    """packed → shipped: the stock leaves (§2b.4); the order is `shipped` with its carrier
    and tracking number. 409 `invalid_transition` unless the task is packed. `worker`:
    their own task only (core.orders.own_tasks)."""
    key = clean_key(idempotency_key)
    with uow:
        order_id = own_task_order(uow, task_id, worker)
        earlier = replay(uow.packing, key, user_id, task_id, "ship")
        if earlier is not None:
            return earlier
        task = held_task(uow, task_id, order_id)
        check_task_move(task.status, PackingStatus.SHIPPED)
        if task.status != PackingStatus.PACKED:
            raise Conflict("invalid_transition", "Сначала упакуйте заказ")
        order = uow.orders.order(task.order_id)
        assert order is not None
        code = _carrier(uow, carrier, order)
        tracking = _tracking(tracking_number, code, order, task, services or {})
        held = uow.orders.active_reservations(order.id)
        if any(r.stage != "packed" for r in held):
            raise Conflict("not_all_packed", "У заказа есть неупакованный товар")
        # Quants in (product, location) order, as every writer touches them.
        for r in sorted(held, key=lambda r: (r.product_id, r.location_id, r.id)):
            _leave(uow, order, r, tracking, user_id)
        now = now_utc()
        uow.packing.close_units(task_id, now)
        if not uow.packing.set_status(task_id, task.status, PackingStatus.SHIPPED, now,
                                      carrier=code, tracking_number=tracking):  # fmt: skip
            raise Conflict("invalid_transition", "Задание изменилось: обновите")
        uow.packing.order_shipped(order.id, code, tracking)
        order_follows(uow.orders, order.id, Status.SHIPPED, user_id,
                      f"Отгружено: {code}, трек {tracking}")  # fmt: skip
        units = sum(r.quantity for r in held)
        record(uow.packing, PackStep(task_id, "ship", user_id, now, None,
                                     f"{code} {tracking}: {units} шт.", key))  # fmt: skip
        done = uow.packing.task(task_id)
        assert done is not None
        # One shipment per order's packing task: its id is the shipment's (the packages
        # are its parcels under the one tracking number).
        add_event(uow, EventType.SHIPMENT_CREATED, now, shipment_id=task_id,
                  order_id=order.external_id, tracking_number=tracking)  # fmt: skip
        uow.commit()
    log_step("order shipped", done, carrier=code, tracking_number=tracking, units=units)
    return Done(done, replayed=False)


def cancel_task(uow: FulfillmentUnitOfWork, task_id: int, reason: object, user_id: int | None,
                *, idempotency_key: str | None = None) -> Done:  # fmt: skip
    """Cancel the task with its order (§2b.5): 409 `invalid_transition` once shipped or
    cancelled. The same key again answers with the task and changes nothing."""
    with uow:
        found = uow.packing.task(task_id)
    if found is None:
        raise NotFound("packing_task_not_found", "Задание на упаковку не найдено")
    # The order's cancel refuses a shipped or cancelled order (and so its task).
    cancelled = cancel_order(uow, found.order_id, reason, user_id,
                             idempotency_key=idempotency_key)  # fmt: skip
    with uow:
        task = uow.packing.task(task_id)
    assert task is not None
    return Done(task, replayed=cancelled.replayed)
