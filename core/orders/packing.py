"""Packing tasks (DESIGN.md §2b.3, §6 "Packing and shipping"): made when an order's
picking completes, then start, packages, pack on the PACKING machine (core.states);
shipping and the task's cancel are in core.orders.shipping.

A package is a handling unit of kind box at the packing station: adding one moves its
units from the station's loose stock into the box as a TRANSFER naming the order, and
their reservation goes with them (invariant 6 holds after every step). `pack` needs every
picked unit in a package and every package weighed and measured. Every step locks the
order's row, then the task's — the order an order's cancel locks them in — and is one row
of the task's history; a request's idempotency key makes its retry a replay.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from core.errors import Conflict, IllegalTransition, NotFound, ValidationError
from core.events import EventType, add_event
from core.marking.codes import parse_code
from core.model import MovementDraft
from core.orders.marking_rules import record_code
from core.orders.own_tasks import PACKING_REFUSALS, Worker, check_own
from core.orders.packing_ports import (
    Package,
    PackageDraft,
    PackingRepository,
    PackStep,
    PackTask,
    PickedUnits,
)
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.orders.ports import OrderRepository, Step
from core.orders.rules import Status, check_move, choice, clean_key, measure, positive_id
from core.periods import now_utc
from core.states import PACKING, PackingStatus
from core.stock.operations import ORDER_DOCUMENT
from core.stock.requests import check_quantity

log = logging.getLogger(__name__)

MAX_PACKAGE_LINES = 200


class PackagingType(StrEnum):
    BOX = "box"
    BAG = "bag"
    ENVELOPE = "envelope"
    PALLET = "pallet"
    CUSTOM = "custom"


PACKAGING_LABELS = {"box": "Коробка", "bag": "Пакет", "envelope": "Конверт",
                    "pallet": "Паллета", "custom": "Другое"}  # fmt: skip


@dataclass(frozen=True)
class ItemRequest:
    quantity: object
    product_id: object = None
    barcode: str | None = None


@dataclass(frozen=True)
class PackageRequest:
    packaging_type: object
    items: Sequence[ItemRequest]
    weight_kg: object = None
    length_cm: object = None
    width_cm: object = None
    height_cm: object = None
    marking_codes: Sequence[object] = ()  # DataMatrix codes of the marked units in it


@dataclass(frozen=True)
class Done:
    task: PackTask
    replayed: bool  # the request was seen before; nothing changed
    package: Package | None = None  # the package a `packages` request added


def create_for_order(packing: PackingRepository, order_id: int, picking_task_id: int,
                     station_id: int) -> int:  # fmt: skip
    """The packing task of an order whose picking just completed (same transaction)."""
    return packing.create_task(order_id, picking_task_id, station_id, now_utc())


def cancel_open_task(packing: PackingRepository, order_id: int, reason: str | None,
                     user_id: int | None) -> PackTask | None:  # fmt: skip
    """Part of an order's cancel (the order's row already held): its packing task, locked,
    cancelled when still open."""
    task_id = packing.latest_task_of(order_id)
    if task_id is None:
        return None
    task = packing.task(task_id, hold=True)
    assert task is not None
    if PACKING.is_final(task.status):
        return task
    now = now_utc()
    moved = packing.set_status(task_id, task.status, PackingStatus.CANCELLED, now, reason=reason)
    assert moved, "the task's row is held"
    record(packing, PackStep(task_id, "cancel", user_id, now, None, "Заказ отменён"))
    return packing.task(task_id)


def check_task_move(current: str, target: str) -> None:
    try:
        PACKING.check(current, target, {"dimensions": True, "tracking_number": True})
    except IllegalTransition as error:
        raise Conflict("invalid_transition", error.message) from None


def own_task_order(uow: FulfillmentUnitOfWork, task_id: int,
                   worker: Worker | None) -> int | None:  # fmt: skip
    """A worker's step: the task's order, read with the own-task check (core.orders.own_tasks:
    404, then 403) as the step's first statement; None for a manager's, whose `held_task`
    reads the order then."""
    if worker is None:
        return None
    head = uow.packing.task_head(task_id, worker.user_id)
    if head is None:
        raise NotFound("packing_task_not_found", "Задание на упаковку не найдено")
    check_own(head.executor_id, head.mine, worker, PACKING_REFUSALS)
    return head.order_id


def held_task(uow: FulfillmentUnitOfWork, task_id: int, order_id: int | None = None) -> PackTask:
    """The task and its order locked, the order's row first (as an order's cancel). The
    task's order never changes: that column is read unlocked first (`order_id`: already
    read so), the task once held."""
    if order_id is None:
        order_id = uow.packing.order_of(task_id)
    if order_id is None:
        raise NotFound("packing_task_not_found", "Задание на упаковку не найдено")
    uow.orders.head(order_id, hold=True)
    task = uow.packing.task(task_id, hold=True)
    assert task is not None
    return task


def replay(packing: PackingRepository, key: str | None, user_id: int | None, task_id: int,
           action: str) -> Done | None:  # fmt: skip
    if key is None:
        return None
    step = packing.step_by_key(key, user_id)
    if step is None:
        return None
    if step.action != action or step.task_id != task_id:
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого действия",
        )
    task = packing.task(task_id)
    assert task is not None
    package = next((p for p in task.packages if p.id == step.package_id), None)
    return Done(task, replayed=True, package=package)


def record(packing: PackingRepository, step: PackStep) -> None:
    if not packing.add_step(step):
        raise Conflict("idempotency_key_reused", "Этот ключ идемпотентности уже использован")


def order_follows(orders: OrderRepository, order_id: int, target: str, user_id: int | None,
                  details: str) -> None:  # fmt: skip
    """The order's status after its packing task's (its row is already held)."""
    head = orders.head(order_id)
    assert head is not None
    if head.status == target:
        return
    check_move(head.status, target)
    now = now_utc()
    moved = orders.set_status(order_id, head.status, target, now)
    assert moved, "the order's row is held"
    orders.add_step(Step(order_id, f"packing_{target}", target, user_id, now, details))


def log_step(what: str, task: PackTask, **more: object) -> None:
    """A packing task's business event (started, packed, shipped), after its commit."""
    log.info(what, extra={"task_id": task.id, "order_id": task.order_id,
                          "external_id": task.order_external_id, **more})  # fmt: skip


def start_task(uow: FulfillmentUnitOfWork, task_id: int, executor_id: object,
               user_id: int | None, *, idempotency_key: str | None = None,
               worker: Worker | None = None) -> Done:  # fmt: skip
    """pending → in_progress by this executor; the order goes `picking` → `packing`.
    `worker`: their own executor only (core.orders.own_tasks)."""
    key = clean_key(idempotency_key)
    eid = positive_id(executor_id, "executor_not_found", "Исполнитель не найден", "executor_id")
    with uow:
        order_id = own_task_order(uow, task_id, None if worker is None else
                                  Worker(worker.user_id, taking=eid))  # fmt: skip
        earlier = replay(uow.packing, key, user_id, task_id, "start")
        if earlier is not None:
            return earlier
        executor = uow.picking.executor(eid)
        if executor is None:
            raise ValidationError("executor_not_found", "Исполнитель не найден",
                                  field="executor_id")  # fmt: skip
        if not executor.is_active:
            raise Conflict("executor_inactive", "Исполнитель отключён: выберите другого")
        task = held_task(uow, task_id, order_id)
        check_task_move(task.status, PackingStatus.IN_PROGRESS)
        now = now_utc()
        if not uow.packing.set_status(task_id, task.status, PackingStatus.IN_PROGRESS, now,
                                      executor_id=eid):  # fmt: skip
            raise Conflict("invalid_transition", "Задание изменилось: обновите")
        order_follows(uow.orders, task.order_id, Status.PACKING, user_id,
                      f"Упаковка начата (задание {task_id})")  # fmt: skip
        record(uow.packing, PackStep(task_id, "start", user_id, now, None, "", key))
        done = uow.packing.task(task_id)
        assert done is not None
        add_event(uow, EventType.PACKING_STARTED, now, task_id=task_id,
                  order_id=done.order_external_id)  # fmt: skip
        uow.commit()
    log_step("packing task started", done, executor_id=eid)
    return Done(done, replayed=False)


def _draft(req: PackageRequest) -> PackageDraft:
    kind = choice(req.packaging_type, PackagingType, "invalid_packaging_type", "Тип упаковки",
                  "packaging_type")  # fmt: skip
    return PackageDraft(
        kind, measure(req.weight_kg, "Вес, кг", "weight_kg"),
        measure(req.length_cm, "Длина, см", "length_cm"),
        measure(req.width_cm, "Ширина, см", "width_cm"),
        measure(req.height_cm, "Высота, см", "height_cm"),
    )  # fmt: skip


def _wanted(uow: FulfillmentUnitOfWork, items: Sequence[ItemRequest]) -> dict[int, int]:
    """Units asked for, by product id (a product named twice is added up)."""
    if not items:
        raise ValidationError("items_required", "В посылке нет товаров", field="items")
    if len(items) > MAX_PACKAGE_LINES:
        raise ValidationError("too_many_lines", f"Не больше {MAX_PACKAGE_LINES} строк",
                              field="items")  # fmt: skip
    # The products in two reads, not one per line; the loop below raises what it did
    # when it read them line by line.
    ids = [i.product_id for i in items if i.product_id is not None]
    by_id = uow.catalog.products(sorted({p for p in ids if _is_id(p)}))  # type: ignore[misc]
    codes = {i.barcode.strip() for i in items if i.product_id is None and i.barcode}
    by_code = uow.catalog.products_by_barcode(sorted(c for c in codes if c))
    wanted: dict[int, int] = {}
    for item in items:
        if item.product_id is not None:
            pid = positive_id(item.product_id, "product_not_found", "Товар не найден",
                              "product_id")  # fmt: skip
            product = by_id.get(pid)
        elif item.barcode and item.barcode.strip():
            product = by_code.get(item.barcode.strip())
        else:
            raise ValidationError("product_required", "Укажите товар", field="product_id")
        if product is None:
            raise ValidationError("product_not_found", "Товар не найден", field="product_id")
        wanted[product.id] = wanted.get(product.id, 0) + check_quantity(item.quantity)
    return wanted


def _is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _plan(held: list[PickedUnits], wanted: dict[int, int]) -> list[tuple[PickedUnits, int]]:
    """Which picked units go into the package: never more than was picked and not packed."""
    plan: list[tuple[PickedUnits, int]] = []
    for product_id, quantity in sorted(wanted.items()):
        rows = [u for u in held if u.product_id == product_id]
        left = sum(u.quantity for u in rows)
        if not rows:
            raise ValidationError("product_not_picked",
                                  "Этого товара нет среди собранного для заказа",
                                  field="items")  # fmt: skip
        if quantity > left:
            raise ValidationError("quantity_exceeds_picked",
                                  f"Больше, чем собрано и не упаковано: осталось {left} шт.",
                                  field="items")  # fmt: skip
        for units in rows:
            take = min(units.quantity, quantity)
            if take:
                plan.append((units, take))
                quantity -= take
    return plan


def add_package(uow: FulfillmentUnitOfWork, task_id: int, req: PackageRequest,
                user_id: int | None, *, idempotency_key: str | None = None,
                worker: Worker | None = None) -> Done:  # fmt: skip
    """A package with these units (only `in_progress`): sequence numbers 1, 2, …
    `worker`: their own task only (core.orders.own_tasks)."""
    key = clean_key(idempotency_key)
    draft = _draft(req)
    codes = [parse_code(c) for c in req.marking_codes]
    with uow:
        order_id = own_task_order(uow, task_id, worker)
        earlier = replay(uow.packing, key, user_id, task_id, "package")
        if earlier is not None:
            return earlier
        task = held_task(uow, task_id, order_id)
        if task.status != PackingStatus.IN_PROGRESS:
            raise Conflict("invalid_transition", "Сначала начните задание на упаковку")
        plan = _plan(uow.packing.picked_units(task.order_id), _wanted(uow, req.items))
        now = now_utc()
        package = uow.packing.add_package(task_id, task.station_id, draft, now)
        for units, quantity in plan:
            if not uow.packing.pack_units(units, quantity, package, now):
                raise Conflict("reservation_mismatch", "Собранное не сходится с остатком: обновите")
            _journal(uow, task, package, units.product_id, quantity, user_id)
        in_box: dict[int, int] = {}
        for units, quantity in plan:
            in_box[units.product_id] = in_box.get(units.product_id, 0) + quantity
        for scanned in codes:
            record_code(uow, task, package, scanned, user_id, in_box)
        units_in = sum(q for _, q in plan)
        record(uow.packing, PackStep(task_id, "package", user_id, now, package.id,
                                     f"Посылка {package.sequence_number}: {units_in} шт.",
                                     key))  # fmt: skip
        done = uow.packing.task(task_id)
        assert done is not None
        uow.commit()
    added = next(p for p in done.packages if p.id == package.id)
    return Done(done, replayed=False, package=added)


def _journal(uow: FulfillmentUnitOfWork, task: PackTask, package: Package, product_id: int,
             quantity: int, user_id: int | None) -> None:  # fmt: skip
    draft = MovementDraft(
        operation_type="TRANSFER", product_id=product_id, quantity=quantity,
        from_location_id=task.station_id, to_location_id=task.station_id, source_id=None,
        distribution_center_id=None, user_id=user_id,
        notes=f"Упаковка заказа {task.order_external_id}: посылка {package.sequence_number}",
        idempotency_key=None, document=f"{ORDER_DOCUMENT}:{task.order_id}", reversal_of=None,
        created_at=now_utc(), handling_unit_id=package.handling_unit_id,
    )  # fmt: skip
    movement = uow.ledger.add(draft)
    assert movement is not None, "a movement without a key is always written"
    uow.outbox.add(EventType.MOVEMENT_POSTED, movement.as_event())


def pack_task(uow: FulfillmentUnitOfWork, task_id: int, user_id: int | None, *,
              idempotency_key: str | None = None,
              worker: Worker | None = None) -> Done:  # fmt: skip
    """in_progress → packed: 409 `invalid_transition` from other states, then
    `not_all_packed` (a picked unit outside a package), `marking_codes_missing` (a unit of
    a marked product without its code), then `dimensions_missing`. `worker`: their own
    task only (core.orders.own_tasks)."""
    key = clean_key(idempotency_key)
    with uow:
        order_id = own_task_order(uow, task_id, worker)
        earlier = replay(uow.packing, key, user_id, task_id, "pack")
        if earlier is not None:
            return earlier
        task = held_task(uow, task_id, order_id)
        check_task_move(task.status, PackingStatus.PACKED)  # only from in_progress
        left = sum(i.quantity - i.packed_quantity for i in task.items)
        if not task.packages or left > 0:
            raise Conflict("not_all_packed", f"Не всё собранное упаковано: осталось {left} шт."
                           if left else "Нет ни одной посылки")  # fmt: skip
        unmarked = uow.marking.unmarked(task_id)
        if unmarked:
            missing = ", ".join(f"{u.sku} — {u.missing} шт." for u in unmarked)
            raise Conflict("marking_codes_missing", f"Не отсканированы коды маркировки: {missing}")
        unmeasured = [p.sequence_number for p in task.packages if not p.measured]
        if unmeasured:
            raise Conflict("dimensions_missing", "Укажите вес и габариты посылок: "
                           + ", ".join(map(str, unmeasured)))  # fmt: skip
        now = now_utc()
        if not uow.packing.set_status(task_id, task.status, PackingStatus.PACKED, now):
            raise Conflict("invalid_transition", "Задание изменилось: обновите")
        order_follows(uow.orders, task.order_id, Status.PACKED, user_id,
                      f"Упаковано: посылок {len(task.packages)}")  # fmt: skip
        record(uow.packing, PackStep(task_id, "pack", user_id, now, None, "", key))
        done = uow.packing.task(task_id)
        assert done is not None
        add_event(uow, EventType.PACKING_COMPLETED, now, task_id=task_id,
                  order_id=done.order_external_id)  # fmt: skip
        uow.commit()
    log_step("packing task packed", done, packages=len(task.packages))
    return Done(done, replayed=False)
