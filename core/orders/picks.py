"""Picking an item (DESIGN.md §2b.2, §6 "Picking"): the units go from the bin to the
task's packing station as a TRANSFER naming the order, and the reservation goes with them.

The bin quant gives up `quantity` and `reserved` in one conditional statement, the
station quant takes both in one upsert, and the reservation's units move to a `picked`
row at the station: invariant 6 (a quant's `reserved` = Σ its active reservations) holds
after every pick. A pick of the whole rest is `picked`; less is `short` and the rest is
released (waiting orders get it after the commit); a skip releases the whole rest.
"""

from dataclasses import replace

from core.errors import Conflict, NotFound, ValidationError
from core.events import EventType
from core.model import MovementDraft
from core.orders.own_tasks import Worker
from core.orders.picking import Done, order_and_task, own_task_order, record, replay
from core.orders.picking_ports import PickingUnitOfWork, PickItem, PickStep, PickTask
from core.orders.rules import MAX_REASON, clean_key, text
from core.periods import now_utc
from core.states import PickingStatus
from core.stock.operations import ORDER_DOCUMENT

PICK_DOCUMENT = ORDER_DOCUMENT  # a pick's movement: document "order:<id>"


def _open_item(uow: PickingUnitOfWork, task_id: int, item_id: int,
               order_id: int | None) -> tuple[PickTask, PickItem]:  # fmt: skip
    task = order_and_task(uow, task_id, order_id)  # the order's row, then the task's
    if task.status != PickingStatus.IN_PROGRESS:
        raise Conflict("invalid_transition", "Сначала начните задание на сборку")
    item = next((i for i in task.items if i.id == item_id), None)
    if item is None:
        raise NotFound("picking_item_not_found", "Позиция задания не найдена")
    if item.status != "pending":
        raise Conflict("invalid_transition", "Эта позиция уже обработана")
    return task, item


def _item_done(task: PickTask, item: PickItem, status: str, picked: int,
               reason: str | None) -> PickTask:  # fmt: skip
    """The task as `set_item` leaves it, without reading it again: its row is held since
    it was read, and every change of its items (a pick, a skip) holds it first."""
    after = replace(item, status=status, quantity_picked=item.quantity_picked + picked,
                    reason=reason)  # fmt: skip
    return replace(task, items=tuple(after if i.id == item.id else i for i in task.items))


def _check_quantity(quantity: object, rest: int) -> int:
    # 0 is a short pick of nothing (the tablet's «Не хватает» with an empty bin).
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise ValidationError("invalid_quantity", "Количество: целое число ≥ 0", field="quantity")
    if quantity > rest:
        raise ValidationError(
            "quantity_exceeds", f"Больше, чем нужно: осталось {rest} шт.", field="quantity"
        )
    return quantity


def _move(uow: PickingUnitOfWork, task: PickTask, item: PickItem, quantity: int,
          user_id: int | None) -> None:  # fmt: skip
    """The units and their reservation from the bin to the station, one TRANSFER."""
    now = now_utc()
    picking = uow.picking
    quant_id = picking.move_reservation(item.reservation_id, quantity, now)
    if quant_id is None:
        raise Conflict("reservation_mismatch", "Резерв позиции не сходится с остатком: обновите")
    # The two quants in location order, as every writer of one product's quants touches
    # them (core.orders.reservation, the cancel): no deadlock with a cancel or a confirm.
    station_first = task.station_id < item.location_id
    if station_first:
        station_quant = picking.put_reserved(item.product_id, task.station_id, quantity, now)
    if not picking.take_reserved(quant_id, quantity):
        raise Conflict("reservation_mismatch", "Резерв позиции не сходится с остатком: обновите")
    if not station_first:
        station_quant = picking.put_reserved(item.product_id, task.station_id, quantity, now)
    if not picking.add_picked(item.order_line_id, station_quant, quantity, now):
        raise Conflict("reservation_mismatch", "Собрано больше, чем в строке заказа")
    draft = MovementDraft(
        operation_type="TRANSFER", product_id=item.product_id, quantity=quantity,
        from_location_id=item.location_id, to_location_id=task.station_id, source_id=None,
        distribution_center_id=None, user_id=user_id,
        notes=f"Сборка заказа {task.order_external_id}", idempotency_key=None,
        document=f"{PICK_DOCUMENT}:{task.order_id}", reversal_of=None, created_at=now,
    )  # fmt: skip
    movement = uow.ledger.add(draft)
    assert movement is not None, "a movement without a key is always written"
    uow.outbox.add(EventType.MOVEMENT_POSTED, movement.as_event())


def _release_rest(uow: PickingUnitOfWork, task: PickTask, item: PickItem) -> None:
    held = next((r for r in uow.orders.active_reservations(task.order_id)
                 if r.id == item.reservation_id), None)  # fmt: skip
    if held is not None and not uow.orders.release(held, now_utc()):
        raise Conflict("reservation_mismatch", "Резерв позиции не сходится с остатком")


def pick_item(
    uow: PickingUnitOfWork, task_id: int, item_id: int, quantity: object, user_id: int | None,
    *, barcode: str | None = None, idempotency_key: str | None = None,
    worker: Worker | None = None,
) -> Done:  # fmt: skip
    """`worker`: their own task only (core.orders.own_tasks)."""
    key = clean_key(idempotency_key)
    with uow:
        order_id = own_task_order(uow, task_id, worker)
        earlier = replay(uow.picking, key, user_id, task_id, "pick")
        if earlier is not None:
            return earlier
        task, item = _open_item(uow, task_id, item_id, order_id)
        scanned = (barcode or "").strip()
        if scanned and scanned != item.barcode:
            raise ValidationError(
                "wrong_product", f"Не тот товар: нужен {item.sku or item.product_name}",
                field="barcode",
            )  # fmt: skip
        q = _check_quantity(quantity, item.rest)
        if q:
            _move(uow, task, item, q, user_id)
        status = "picked" if q == item.rest else "short"
        if status == "short":
            _release_rest(uow, task, item)
        if not uow.picking.set_item(item.id, "pending", status, q, None):
            raise Conflict("invalid_transition", "Эта позиция уже обработана")
        details = f"{status}: {q} из {item.rest} шт."
        record(uow.picking, PickStep(task_id, "pick", user_id, now_utc(), item.id, details, key))
        done = _item_done(task, item, status, q, None)
        uow.commit()
    return Done(done, replayed=False)


def skip_item(
    uow: PickingUnitOfWork, task_id: int, item_id: int, reason: object, user_id: int | None,
    *, idempotency_key: str | None = None, worker: Worker | None = None,
) -> Done:  # fmt: skip
    """`worker`: their own task only (core.orders.own_tasks)."""
    key = clean_key(idempotency_key)
    why = text(reason, "причина пропуска", "reason", limit=MAX_REASON, required=True)
    with uow:
        order_id = own_task_order(uow, task_id, worker)
        earlier = replay(uow.picking, key, user_id, task_id, "skip")
        if earlier is not None:
            return earlier
        task, item = _open_item(uow, task_id, item_id, order_id)
        _release_rest(uow, task, item)
        if not uow.picking.set_item(item.id, "pending", "skipped", 0, why):
            raise Conflict("invalid_transition", "Эта позиция уже обработана")
        record(uow.picking, PickStep(task_id, "skip", user_id, now_utc(), item.id, why or "", key))
        done = _item_done(task, item, "skipped", 0, why)
        uow.commit()
    return Done(done, replayed=False)
