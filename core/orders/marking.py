"""Marking codes at packing (issue 16; DESIGN.md §6 "Marking codes and stickers"): each
unit of a product that requires marking is scanned as its DataMatrix into a package of
an `in_progress` packing task; a scan may be undone while the task is in progress; `pack`
refuses while a marked unit has no code (core.orders.packing, `marking_codes_missing`).

Each step locks the order's row, then the task's (core.orders.packing.held_task), and
is a row of the task's history; the request's idempotency key makes a retry a replay.
"""

from dataclasses import dataclass

from core.errors import Conflict, NotFound, ValidationError
from core.marking.codes import parse_code
from core.marking.ports import CodeRecord
from core.orders.marking_rules import record_code
from core.orders.packing import held_task, record
from core.orders.packing_ports import PackStep
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.orders.rules import clean_key, positive_id
from core.periods import now_utc
from core.states import PackingStatus

SCAN_STEP = "marking_code"
UNDO_STEP = "marking_code_undo"


@dataclass(frozen=True)
class CodeDone:
    code: CodeRecord
    replayed: bool


def _in_progress(status: str) -> None:
    if status != PackingStatus.IN_PROGRESS:
        raise Conflict("invalid_transition", "Коды маркировки сканируются, пока задание в работе")


def add_code(uow: FulfillmentUnitOfWork, task_id: int, code: object, package_id: object,
             user_id: int | None, *, idempotency_key: str | None = None) -> CodeDone:  # fmt: skip
    """One unit scanned into the package: 422 `marking_code_invalid` (unreadable),
    `marking_code_wrong_product`; 409 `marking_code_duplicate` (in this order, in another
    box or shipped), `marking_code_extra` (every unit of it in that package has a code)."""
    key = clean_key(idempotency_key)
    scanned = parse_code(code)
    pid = positive_id(package_id, "package_not_found", "Посылка не найдена", "package_id")
    with uow:
        if key is not None and (step := uow.packing.step_by_key(key, user_id)) is not None:
            earlier = uow.marking.in_use(scanned.gtin, scanned.serial)
            if step.action != SCAN_STEP or step.task_id != task_id or earlier is None:
                raise Conflict("idempotency_key_reused", "Этот ключ идемпотентности уже "
                               "использован для другого действия")  # fmt: skip
            return CodeDone(earlier, replayed=True)
        task = held_task(uow, task_id)
        _in_progress(task.status)
        package = next((p for p in task.packages if p.id == pid), None)
        if package is None:
            raise ValidationError("package_not_found", "Такой посылки нет в задании",
                                  field="package_id")  # fmt: skip
        saved = record_code(uow, task, package, scanned, user_id)
        record(uow.packing, PackStep(task_id, SCAN_STEP, user_id, now_utc(), package.id,
                                     f"Код маркировки {scanned.gtin} {scanned.serial}",
                                     key))  # fmt: skip
        uow.commit()
    return CodeDone(saved, replayed=False)


def remove_code(uow: FulfillmentUnitOfWork, task_id: int, code_id: int,
                user_id: int | None) -> CodeRecord:  # fmt: skip
    """Undo a scan while the task is in progress (the unit stays in its package, without
    a code, so `pack` asks for it again)."""
    with uow:
        task = held_task(uow, task_id)
        found = uow.marking.code(code_id)
        if found is None or found.packing_task_id != task_id:
            raise NotFound("marking_code_not_found", "Код маркировки не найден в этом задании")
        _in_progress(task.status)
        if not uow.marking.delete(code_id, task_id):
            raise Conflict("invalid_transition", "Код уже отгружен или снят: обновите")
        undo = PackStep(task_id, UNDO_STEP, user_id, now_utc(), found.package_id,
                        f"Снят код маркировки {found.gtin} {found.serial}")  # fmt: skip
        record(uow.packing, undo)
        uow.commit()
    return found
