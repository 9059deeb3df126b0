"""Quality control after picking (issue 15; DESIGN.md §2b): optional per order kind or
marketplace (WMS_QC_ORDER_KINDS, WMS_QC_SOURCES).

When an order needs it, completing its picking task makes a check of what that task
brought to the station instead of the packing task (`after_picking`, same transaction).
On the tablet each unit is scanned and marked good or defective (with a reason); photos
may be attached. Finishing needs every unit counted. No defect: `passed`, and the packing
task is made. Defects: `failed`; each defective unit gives up its reservation at the
station and goes to DEFECT as a WRITE_OFF with the reason (defects are their own
balance), and its line is reserved again from another bin when stock allows — a new
picking task for those units, checked again when it completes — or else shorted. The
order's timeline says which. Every step locks the order's row, then the check's (the
lock order of core.orders.picking), and is a row of the check's history; a request's
idempotency key makes its retry a replay.
"""

import logging
from dataclasses import dataclass

from core.errors import (
    Conflict,
    Forbidden,
    IllegalTransition,
    NotFound,
    ValidationError,
)
from core.orders.packing import create_for_order as create_packing
from core.orders.ports import Step
from core.orders.qc_failures import MISSING, fail
from core.orders.quality_ports import (
    QcItem,
    QcStep,
    QcTask,
    QualityUnitOfWork,
)
from core.orders.rules import MAX_REASON, Status, clean_key, text
from core.periods import now_utc
from core.settings import get_settings
from core.states import State, StateMachine

log = logging.getLogger(__name__)

MAX_CODE = 128


class QcStatus(State):
    PENDING = "pending", "Ожидает", "Pending"
    IN_PROGRESS = "in_progress", "Проверяется", "Checking"
    PASSED = "passed", "Пройден", "Passed"
    FAILED = "failed", "Брак найден", "Failed"
    CANCELLED = "cancelled", "Отменено", "Cancelled"


_FINAL: frozenset[str] = frozenset()
QC = StateMachine(
    "qc",
    QcStatus.PENDING,
    {
        QcStatus.PENDING: frozenset({QcStatus.IN_PROGRESS, QcStatus.CANCELLED}),
        QcStatus.IN_PROGRESS: frozenset({QcStatus.PASSED, QcStatus.FAILED, QcStatus.CANCELLED}),
        QcStatus.PASSED: _FINAL,
        QcStatus.FAILED: _FINAL,
        QcStatus.CANCELLED: _FINAL,
    },
    QcStatus.labels_ru(),
)
# What the tablet offers for a defective unit (a reason may also be typed).
DEFECT_REASONS = (
    "Повреждён товар",
    "Повреждена упаковка",
    "Не тот товар",
    "Некомплект",
    "Грязь или следы использования",
    "Истёк срок годности",
)


@dataclass(frozen=True)
class Done:
    task: QcTask
    replayed: bool  # the request was seen before; nothing changed


@dataclass(frozen=True)
class UnitRequest:
    condition: object  # good | defect | missing
    barcode: str | None = None
    product_id: object = None
    reason: object = None  # required for a defect


def after_picking(uow: QualityUnitOfWork, order_id: int, picking_task_id: int,
                  station_id: int) -> str:  # fmt: skip
    """The order's next task once a picking task completes (the caller's transaction):
    a check when the order's kind or marketplace needs one, else the packing task.
    Returns the words for the order's timeline."""
    order = uow.orders.order(order_id)
    assert order is not None, "the order's row is held"
    units = uow.quality.picked_units(picking_task_id)
    if units and get_settings().qc_required(order.kind, order.source_name):
        qc_id = uow.quality.create_task(order_id, picking_task_id, station_id, now_utc(), units)
        return f"контроль качества: проверка {qc_id}"
    packing_id = create_packing(uow.packing, order_id, picking_task_id, station_id)
    return f"задание на упаковку {packing_id}"


def cancel_open_check(uow: QualityUnitOfWork, order_id: int, reason: str | None,
                      user_id: int | None) -> QcTask | None:  # fmt: skip
    """Part of an order's cancel (its row held): its open check, cancelled. The units at
    the station are the cancel's to bring back, as after picking."""
    task_id = uow.quality.open_task_of(order_id)
    if task_id is None:
        return None
    task = _held(uow, task_id)
    if QC.is_final(task.status):
        return task
    now = now_utc()
    moved = uow.quality.set_status(task_id, task.status, QcStatus.CANCELLED, now, reason=reason)
    assert moved, "the task's row is held"
    record_step(uow, QcStep(task_id, "cancel", user_id, now, "Заказ отменён"))
    return uow.quality.task(task_id)


def check_own(check_executor: int | None, mine: int | None) -> None:
    """A worker counts and finishes only a check they took, or one nobody took (as picking:
    someone else's task is `forbidden`); managers and admins are not asked."""
    if check_executor is not None and check_executor != mine:
        raise Forbidden("forbidden", "Эту проверку ведёт другой исполнитель")


def _held(uow: QualityUnitOfWork, task_id: int) -> QcTask:
    task = uow.quality.task(task_id, hold=True)
    if task is None:
        raise NotFound("qc_task_not_found", "Проверка качества не найдена")
    return task


def order_and_check(uow: QualityUnitOfWork, task_id: int) -> QcTask:
    """The order's row, then the check's: the lock order of an order's floor work."""
    seen = uow.quality.task(task_id)
    if seen is None:
        raise NotFound("qc_task_not_found", "Проверка качества не найдена")
    uow.orders.head(seen.order_id, hold=True)
    return _held(uow, task_id)


def _move(task: QcTask, target: str) -> None:
    try:
        QC.check(task.status, target)
    except IllegalTransition as error:
        raise Conflict("invalid_transition", error.message) from None


def record_step(uow: QualityUnitOfWork, step: QcStep) -> None:
    if not uow.quality.add_step(step):
        raise Conflict("idempotency_key_reused", "Этот ключ идемпотентности уже использован")


def replay(uow: QualityUnitOfWork, key: str | None, user_id: int | None, task_id: int,
            action: str) -> Done | None:  # fmt: skip
    step = uow.quality.step_by_key(key, user_id) if key else None
    if step is None:
        return None
    if step.action != action or step.task_id != task_id:
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого действия",
        )
    task = uow.quality.task(task_id)
    assert task is not None
    return Done(task, replayed=True)


def fresh_check(uow: QualityUnitOfWork, task_id: int) -> QcTask:
    task = uow.quality.task(task_id)
    assert task is not None
    return task


def start_check(uow: QualityUnitOfWork, task_id: int, executor_id: int | None,
                user_id: int | None, *, idempotency_key: str | None = None) -> Done:  # fmt: skip
    key = clean_key(idempotency_key)
    with uow:
        earlier = replay(uow, key, user_id, task_id, "start")
        if earlier is not None:
            return earlier
        task = order_and_check(uow, task_id)
        _move(task, QcStatus.IN_PROGRESS)
        if executor_id is not None:
            executor = uow.picking.executor(executor_id)
            if executor is None:
                raise ValidationError("executor_not_found", "Исполнитель не найден",
                                      field="executor_id")  # fmt: skip
            if not executor.is_active:
                raise Conflict("executor_inactive", "Исполнитель отключён: выберите другого")
        now = now_utc()
        if not uow.quality.set_status(task_id, task.status, QcStatus.IN_PROGRESS, now,
                                      executor_id=executor_id):  # fmt: skip
            raise Conflict("invalid_transition", "Проверка изменилась: обновите")
        record_step(uow, QcStep(task_id, "start", user_id, now, "", key))
        done = fresh_check(uow, task_id)
        uow.commit()
    return Done(done, replayed=False)


def _item_for(uow: QualityUnitOfWork, task: QcTask, req: UnitRequest) -> QcItem:
    if req.product_id is not None:
        if isinstance(req.product_id, bool) or not isinstance(req.product_id, int):
            raise ValidationError("invalid_product", "Неверный товар", field="product_id")
        matching = [i for i in task.items if i.product_id == req.product_id]
    else:
        code = text(req.barcode, "штрихкод", "barcode", limit=MAX_CODE, required=True)
        matching = [i for i in task.items if i.barcode == code]
        if not matching and code is not None:  # a GTIN scanned off the unit
            found = uow.returns.product_by_code(code)
            matching = [i for i in task.items if found and i.product_id == found.id]
    if not matching:
        raise ValidationError("wrong_product", "Этого товара нет в проверке: не тот товар",
                              field="barcode")  # fmt: skip
    item = next((i for i in matching if i.left > 0), None)
    if item is None:
        checked = sum(i.checked for i in matching)
        raise Conflict(
            "qc_count_exceeded",
            f"Лишняя единица: этого товара в заказе {checked} шт., все проверены",
        )
    return item


def record_unit(uow: QualityUnitOfWork, task_id: int, req: UnitRequest, user_id: int | None,
                *, idempotency_key: str | None = None) -> Done:  # fmt: skip
    """One unit, good, defective (with its reason) or missing from the station."""
    key = clean_key(idempotency_key)
    if req.condition not in ("good", "defect", "missing"):
        raise ValidationError("invalid_condition", "Состояние: good, defect или missing",
                              field="condition")  # fmt: skip
    defect = req.condition in ("defect", "missing")
    reason = (MISSING if req.condition == "missing"
              else text(req.reason, "причина брака", "reason", limit=MAX_REASON))  # fmt: skip
    if defect and reason is None:
        raise ValidationError("reason_required", "Укажите причину брака", field="reason")
    with uow:
        earlier = replay(uow, key, user_id, task_id, "unit")
        if earlier is not None:
            return earlier
        task = order_and_check(uow, task_id)
        if task.status != QcStatus.IN_PROGRESS:
            raise Conflict("invalid_transition", "Сначала начните проверку")
        item = _item_for(uow, task, req)
        if not uow.quality.check_unit(item.id, defect):
            raise Conflict("qc_count_exceeded", "Все единицы этого товара уже проверены")
        now = now_utc()
        if defect:
            assert reason is not None
            uow.quality.add_defect(task_id, item.id, reason, user_id, now,
                                   missing=req.condition == "missing")  # fmt: skip
        verdict = "нет в наличии" if req.condition == "missing" else f"брак — {reason}"
        details = f"{item.sku or item.barcode}: " + (verdict if defect else "годный")
        record_step(uow, QcStep(task_id, "unit", user_id, now, details, key))
        done = fresh_check(uow, task_id)
        uow.commit()
    return Done(done, replayed=False)


def finish_check(uow: QualityUnitOfWork, task_id: int, user_id: int | None, *,
                 idempotency_key: str | None = None) -> Done:  # fmt: skip
    """Every unit counted: `passed` (packing next) or `failed` (defects handled)."""
    key = clean_key(idempotency_key)
    with uow:
        earlier = replay(uow, key, user_id, task_id, "finish")
        if earlier is not None:
            return earlier
        task = order_and_check(uow, task_id)
        if task.status != QcStatus.IN_PROGRESS:
            _move(task, QcStatus.PASSED)  # the machine's own refusal
        if task.checked_units != task.total_units:
            raise Conflict("qc_count_mismatch",
                           f"Проверено {task.checked_units} из {task.total_units} шт.: "
                           "отсканируйте все единицы")  # fmt: skip
        target = QcStatus.FAILED if task.defects else QcStatus.PASSED
        now = now_utc()
        if not uow.quality.set_status(task_id, task.status, target, now):
            raise Conflict("invalid_transition", "Проверка изменилась: обновите")
        if target == QcStatus.PASSED:
            packing_id = create_packing(uow.packing, task.order_id, task.picking_task_id,
                                        task.station_id)  # fmt: skip
            details = (f"Контроль качества пройден (проверка {task_id}, "
                       f"{task.total_units} шт.); задание на упаковку {packing_id}")  # fmt: skip
            action = "qc_passed"
        else:
            details = f"Контроль качества: брак (проверка {task_id}): " + fail(uow, task, user_id)
            action = "qc_failed"
        uow.orders.add_step(Step(task.order_id, action, Status.PICKING, user_id, now,
                                 details[:1000]))  # fmt: skip
        record_step(uow, QcStep(task_id, "finish", user_id, now, str(target), key))
        done = fresh_check(uow, task_id)
        uow.commit()
    log.info("qc finished", extra={"task_id": task_id, "order_id": done.order_id,
                                   "status": done.status})  # fmt: skip
    return Done(done, replayed=False)


def check_of(uow: QualityUnitOfWork, task_id: int) -> QcTask:
    with uow:
        task = uow.quality.task(task_id)
    if task is None:
        raise NotFound("qc_task_not_found", "Проверка качества не найдена")
    return task
