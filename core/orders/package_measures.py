"""A closed package's weight, dimensions or packaging type given or corrected while its
order is being packed (DESIGN.md §2b.3: `pack` needs every package measured). A package
sent without them — by a program, or weighed wrong — is measured here, not reopened."""

from dataclasses import dataclass

from core.errors import Conflict, NotFound, ValidationError
from core.orders.packing import Done, PackagingType, held_task, record, replay
from core.orders.packing_ports import PackStep
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.orders.rules import choice, clean_key, measure
from core.periods import now_utc
from core.states import PackingStatus


@dataclass(frozen=True)
class MeasureRequest:
    """What changes; None: kept as it is."""

    packaging_type: object = None
    weight_kg: object = None
    length_cm: object = None
    width_cm: object = None
    height_cm: object = None


def measure_package(uow: FulfillmentUnitOfWork, task_id: int, sequence_number: int,
                    req: MeasureRequest, user_id: int | None, *,
                    idempotency_key: str | None = None) -> Done:  # fmt: skip
    """Package `sequence_number` of the task (only `in_progress`) takes the given values."""
    key = clean_key(idempotency_key)
    kind = None if req.packaging_type is None else choice(
        req.packaging_type, PackagingType, "invalid_packaging_type", "Тип упаковки",
        "packaging_type")  # fmt: skip
    values = (measure(req.weight_kg, "Вес, кг", "weight_kg"),
              measure(req.length_cm, "Длина, см", "length_cm"),
              measure(req.width_cm, "Ширина, см", "width_cm"),
              measure(req.height_cm, "Высота, см", "height_cm"))  # fmt: skip
    if kind is None and all(v is None for v in values):
        raise ValidationError("measures_required", "Укажите вес, габариты или тип упаковки",
                              field="weight_kg")  # fmt: skip
    with uow:
        earlier = replay(uow.packing, key, user_id, task_id, "measure")
        if earlier is not None:
            return earlier
        task = held_task(uow, task_id)
        if task.status != PackingStatus.IN_PROGRESS:
            raise Conflict("invalid_transition", "Посылку меняют, пока идёт упаковка")
        package = next((p for p in task.packages if p.sequence_number == sequence_number),
                       None)  # fmt: skip
        if package is None:
            raise NotFound("package_not_found", f"В задании нет посылки {sequence_number}")
        moved = uow.packing.set_measures(package.id, kind, *values)
        assert moved, "the task's row is held, and its package with it"
        named = zip(("вес", "длина", "ширина", "высота"), values, strict=True)
        given = ", ".join(f"{name} {v:g}" for name, v in named if v is not None)
        what = ", ".join(x for x in (kind and f"тип {kind}", given) if x)
        record(uow.packing, PackStep(task_id, "measure", user_id, now_utc(), package.id,
                                     f"Посылка {sequence_number}: {what}", key))  # fmt: skip
        done = uow.packing.task(task_id)
        assert done is not None
        uow.commit()
    changed = next(p for p in done.packages if p.id == package.id)
    return Done(done, replayed=False, package=changed)
