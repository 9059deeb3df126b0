"""Picking tasks (DESIGN.md §2b.2, §6 "Picking"): created when an order is reserved,
then assign, start, complete, cancel on the PICKING machine (core.states).

An order's task is made in the transaction that reserves it: one item per reservation,
in the route order of the bins (`sequence`). Starting the task moves the order to
`picking`; completing it (every item picked, short or skipped) makes the order's packing
task (core.orders.packing) in the same transaction, and the order stays `picking` until
that task starts (DESIGN.md §2b).
Every step is a row of the task's history; a request's idempotency key makes its retry a
replay that changes nothing.
"""

import logging
from dataclasses import dataclass

from core.errors import Conflict, IllegalTransition, NotFound, ValidationError
from core.events import EventType, add_event
from core.orders.own_tasks import PICKING_REFUSALS, Worker, check_own
from core.orders.picking_ports import (
    ItemDraft,
    PickingRepository,
    PickingUnitOfWork,
    PickStep,
    PickTask,
)
from core.orders.ports import OrderRepository, Reservation, Step
from core.orders.quality import after_picking
from core.orders.rules import MAX_REASON, Status, check_move, clean_key, positive_id, text
from core.periods import now_utc
from core.states import PICKING, PickingStatus

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Done:
    task: PickTask
    replayed: bool  # the request was seen before; nothing changed


def create_for_order(orders: OrderRepository, picking: PickingRepository, order_id: int,
                     priority: str, held: list[Reservation] | None = None) -> int:  # fmt: skip
    """The picking task of a just-reserved order: its reservations (`held`: as the caller
    read them) in route order."""
    if held is None:
        held = orders.active_reservations(order_id)  # route order (data.orders.records)
    items = [
        ItemDraft(n, r.order_line_id, r.id, r.product_id, r.location_id, r.quantity)
        for n, r in enumerate(held, start=1)
    ]
    task_id = picking.create_task(order_id, priority, now_utc(), items)
    if task_id is None:
        raise Conflict("no_packing_station", "Нет активного стола упаковки: заведите его")
    return task_id


def cancel_open_tasks(picking: PickingRepository, order_id: int, reason: str | None,
                      user_id: int | None,
                      note: str = "Заказ отменён") -> list[PickTask]:  # fmt: skip
    """Part of an order's cancel (or its reservation's expiry, `note` says which in the
    tasks' history): the order's tasks, each locked in id order and cancelled when still
    open — one, or one per zone (core.orders.waves). The caller holds the order's row;
    the tasks are locked next and before any quant (the lock order of `order_and_task`),
    so a pick in flight finishes before the cancel reads the order's reservations. A
    wave splitting the order's task holds the order's row too, so no task of it is made
    unseen meanwhile. Returns every task of the order, as it is now."""
    tasks: list[PickTask] = []
    now = now_utc()
    for task_id in picking.task_ids_of(order_id):
        task = held_task(picking, task_id)
        if not PICKING.is_final(task.status):
            moved = picking.set_status(task_id, task.status, PickingStatus.CANCELLED, now,
                                       reason=reason)  # fmt: skip
            assert moved, "the task's row is held"
            record(picking, PickStep(task_id, "cancel", user_id, now, None, note))
            cancelled = picking.task(task_id)
            assert cancelled is not None
            task = cancelled
        tasks.append(task)
    return tasks


def check_task_move(current: str, target: str) -> None:
    """The machine's verdict as the contract's conflict (`invalid_transition`)."""
    try:
        PICKING.check(current, target)
    except IllegalTransition as error:
        raise Conflict("invalid_transition", error.message) from None


def held_task(picking: PickingRepository, task_id: int) -> PickTask:
    """The task's row locked; the caller holds its order's row already."""
    task = picking.task(task_id, hold=True)
    if task is None:
        raise NotFound("picking_task_not_found", "Задание на сборку не найдено")
    return task


def own_task_order(uow: PickingUnitOfWork, task_id: int, worker: Worker | None) -> int | None:
    """A worker's step: the task's order, read with the own-task check (core.orders.own_tasks:
    404, then 403) as the step's first statement; None for a manager's, whose
    `order_and_task` reads the order then."""
    if worker is None:
        return None
    head = uow.picking.task_head(task_id, worker.user_id)
    if head is None:
        raise NotFound("picking_task_not_found", "Задание на сборку не найдено")
    check_own(head.executor_id, head.mine, worker, PICKING_REFUSALS)
    return head.order_id


def order_and_task(uow: PickingUnitOfWork, task_id: int,
                   order_id: int | None = None) -> PickTask:  # fmt: skip
    """The task and its order locked, the order's row first. One lock order for an
    order's floor work — the order, its picking task, its packing task, then the quants
    in (product, location) order — taken by every task step, pick and skip, an order's
    cancel and the reservation expiry: none can deadlock another (a start locking the
    task, then the order, did with a cancel: tests/integration/test_order_lock_order.py).
    The task's order never changes, so reading it unlocked first is safe (that column
    alone: the task is read once, when its row is held); `order_id`: already read so."""
    if order_id is None:
        order_id = uow.picking.order_of(task_id)
    if order_id is None:
        raise NotFound("picking_task_not_found", "Задание на сборку не найдено")
    uow.orders.head(order_id, hold=True)
    return held_task(uow.picking, task_id)


def replay(picking: PickingRepository, key: str | None, user_id: int | None, task_id: int,
           action: str) -> Done | None:  # fmt: skip
    if key is None:
        return None
    step = picking.step_by_key(key, user_id)
    if step is None:
        return None
    if step.action != action or step.task_id != task_id:
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого действия",
        )
    task = picking.task(task_id)
    assert task is not None
    return Done(task, replayed=True)


def record(picking: PickingRepository, step: PickStep) -> None:
    if not picking.add_step(step):
        raise Conflict("idempotency_key_reused", "Этот ключ идемпотентности уже использован")


def _order_follows(orders: OrderRepository, order_id: int, target: str, user_id: int | None,
                   details: str) -> None:  # fmt: skip
    head = orders.head(order_id)  # its row is held (order_and_task)
    assert head is not None
    if head.status == target:
        return
    check_move(head.status, target)
    now = now_utc()
    moved = orders.set_status(order_id, head.status, target, now)
    assert moved, "the order's row is held"
    orders.add_step(Step(order_id, f"picking_{target}", target, user_id, now, details))


def _completed(uow: PickingUnitOfWork, task: PickTask) -> str:
    """What follows a task's completion; the words for the order's timeline.

    The order gets its packing task (core.orders.packing), pending at the task's station,
    in this transaction — or first a quality check when its kind or marketplace needs one
    (core.orders.quality); it stays `picking` until the packing task starts (DESIGN.md
    §2b). A task a wave split per zone (core.orders.waves) hands on only when the last of
    its zones is picked: the check or the packing then takes every zone's units."""
    zone = f" зоны {task.zone}" if task.zone else ""
    done = f"Сборка{zone} завершена (задание {task.id})"
    waiting = [
        f"{'зона ' + other_zone if other_zone else 'без зоны'} — задание {other_id}"
        + (" отменено" if status == PickingStatus.CANCELLED else "")
        for other_id, status, other_zone in uow.picking.split_of(task.root_id)
        if other_id != task.id and status != PickingStatus.COMPLETED
    ]
    if waiting:
        return f"{done}; ждёт другие зоны: {', '.join(waiting)}"
    return f"{done}; {after_picking(uow, task.order_id, task.root_id, task.station_id)}"


def _transition(uow: PickingUnitOfWork, task_id: int, target: str, user_id: int | None,
                key: str | None, *, executor_id: int | None = None,
                reason: str | None = None, worker: Worker | None = None) -> Done:  # fmt: skip
    action = "cancel" if target == PickingStatus.CANCELLED else str(target)
    with uow:
        picking = uow.picking
        order_id = own_task_order(uow, task_id, worker)
        if executor_id is not None:  # assigning: checked first, in this transaction
            _check_executor(picking, executor_id)
        earlier = replay(picking, key, user_id, task_id, action)
        if earlier is not None:
            return earlier
        task = order_and_task(uow, task_id, order_id)
        check_task_move(task.status, target)
        if target == PickingStatus.COMPLETED and any(i.status == "pending" for i in task.items):
            left = sum(1 for i in task.items if i.status == "pending")
            raise Conflict("invalid_transition", f"Не все позиции собраны: осталось {left}")
        now = now_utc()
        if not picking.set_status(task_id, task.status, target, now, executor_id=executor_id,
                                  reason=reason):  # fmt: skip
            raise Conflict("invalid_transition", "Задание изменилось: обновите")
        if target == PickingStatus.IN_PROGRESS:
            _order_follows(uow.orders, task.order_id, Status.PICKING, user_id,
                           f"Сборка начата (задание {task_id})")  # fmt: skip
        elif target == PickingStatus.COMPLETED:
            uow.orders.add_step(Step(task.order_id, "picking_completed", Status.PICKING,
                                     user_id, now, _completed(uow, task)))  # fmt: skip
        record(picking, PickStep(task_id, action, user_id, now, None, reason or "", key))
        done = picking.task(task_id)
        assert done is not None
        if target == PickingStatus.ASSIGNED:
            add_event(uow, EventType.PICKING_ASSIGNED, now, task_id=task_id,
                      order_id=done.order_external_id, worker_id=executor_id)  # fmt: skip
        elif target == PickingStatus.COMPLETED:
            add_event(uow, EventType.PICKING_COMPLETED, now, task_id=task_id,
                      order_id=done.order_external_id)  # fmt: skip
        uow.commit()
    step = "started" if target == PickingStatus.IN_PROGRESS else str(target)
    log.info("picking task %s", step, extra={"task_id": task_id, "order_id": task.order_id,
                                               "external_id": done.order_external_id,
                                               "status": done.status})  # fmt: skip
    return Done(done, replayed=False)


def assign_task(uow: PickingUnitOfWork, task_id: int, executor_id: object, user_id: int | None,
                *, idempotency_key: str | None = None,
                worker: Worker | None = None) -> Done:  # fmt: skip
    """`worker`: a worker takes the task, for their own executor only (core.orders.own_tasks)."""
    key = clean_key(idempotency_key)
    eid = positive_id(executor_id, "executor_not_found", "Исполнитель не найден", "executor_id")
    if worker is not None:
        worker = Worker(worker.user_id, taking=eid)
    return _transition(uow, task_id, PickingStatus.ASSIGNED, user_id, key, executor_id=eid,
                       worker=worker)  # fmt: skip


def _check_executor(picking: PickingRepository, executor_id: int) -> None:
    executor = picking.executor(executor_id)
    if executor is None:
        raise ValidationError("executor_not_found", "Исполнитель не найден", field="executor_id")
    if not executor.is_active:
        raise Conflict("executor_inactive", "Исполнитель отключён: выберите другого")


def start_task(uow: PickingUnitOfWork, task_id: int, user_id: int | None, *,
               idempotency_key: str | None = None,
               worker: Worker | None = None) -> Done:  # fmt: skip
    """`worker`: their own task only (core.orders.own_tasks)."""
    return _transition(uow, task_id, PickingStatus.IN_PROGRESS, user_id,
                       clean_key(idempotency_key), worker=worker)  # fmt: skip


def complete_task(uow: PickingUnitOfWork, task_id: int, user_id: int | None, *,
                  idempotency_key: str | None = None,
                  worker: Worker | None = None) -> Done:  # fmt: skip
    """`worker`: their own task only (core.orders.own_tasks)."""
    return _transition(uow, task_id, PickingStatus.COMPLETED, user_id,
                       clean_key(idempotency_key), worker=worker)  # fmt: skip


def cancel_task(uow: PickingUnitOfWork, task_id: int, reason: object, user_id: int | None, *,
                idempotency_key: str | None = None) -> Done:  # fmt: skip
    """The task only: its reservations stay with the order (cancel the order to free them)."""
    why = text(reason, "причина", "reason", limit=MAX_REASON)
    return _transition(uow, task_id, PickingStatus.CANCELLED, user_id,
                       clean_key(idempotency_key), reason=why)  # fmt: skip
