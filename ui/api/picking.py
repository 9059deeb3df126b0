"""Picking (DESIGN.md §6 "Picking"): picking tasks, made when an order is reserved.

Everyone on the floor reads. A worker takes a task (assigns it to the executor linked to
them), starts, picks, skips and completes their own tasks; managers and admins act on
any task and cancel. Every POST takes an `Idempotency-Key`: the same key again answers
200 with the task and changes nothing.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

import data.picking.queries as queries
from core.errors import NotFound
from core.orders import picking as use_cases
from core.orders import picks
from core.orders.own_tasks import worker_of
from core.orders.picking import Done
from core.orders.picking_ports import PickItem, PickTask
from core.orders.rules import MAX_REASON, Priority
from core.states import PickingStatus
from core.stock.operations import MAX_QUANTITY
from core.users.auth import Identity
from core.users.policy import Action
from ui.api.errors import responses
from ui.api.executors import Requirement, acting
from ui.api.movements import IdempotencyKey, as_json
from ui.api.schemas import Id, Input, Limit, Model, Offset, PathId, Text, WholeNumber
from ui.context import AppContext

STATUSES = {"enum": [s.value for s in PickingStatus]}
ITEM_STATUSES = {"enum": ["pending", "picked", "short", "skipped"]}
PRIORITIES = {"enum": [p.value for p in Priority]}


class PickItemOut(Model):
    id: int
    product_id: int
    barcode: str
    location_id: int
    location_code: str
    quantity_required: int
    quantity_picked: int
    status: str = Field(json_schema_extra=ITEM_STATUSES)
    sequence: int
    sku: str
    product_name: str
    reason: str | None


class PickTaskOut(Model):
    id: int
    order_id: int
    status: str = Field(json_schema_extra=STATUSES)
    priority: str = Field(json_schema_extra=PRIORITIES)
    executor_id: int | None
    total_items: int
    picked_items: int = Field(description="Позиций обработано: собрано, недостача, пропуск")
    items: list[PickItemOut]
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    station_id: int = Field(description="Стол упаковки, куда несут собранное")
    station_code: str
    order_external_id: str
    zone: str | None = Field(default=None, description="Зона: волна разделила заказ по зонам")
    split_from_id: int | None = Field(
        default=None, description="Задание, от которого отделено по зоне"
    )


class PickTaskList(Model):
    items: list[PickTaskOut]
    total: int


class AssignIn(Input):
    executor_id: Id


class CancelIn(Input):
    reason: Text | None = Field(default=None, max_length=MAX_REASON)


class PickIn(Input):
    quantity: WholeNumber = Field(
        json_schema_extra={"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY},
        description="Сколько взято; меньше остатка позиции — недостача (short), 0 — ничего",
    )
    barcode: Text | None = Field(
        default=None, max_length=64, description="Отсканированный товар: проверяется (422)"
    )


class SkipIn(Input):
    reason: Text = Field(min_length=1, max_length=MAX_REASON)


def _item(item: PickItem) -> PickItemOut:
    return PickItemOut(**{k: v for k, v in item.__dict__.items() if k in PickItemOut.model_fields})


def task_out(task: PickTask) -> PickTaskOut:
    values = {k: v for k, v in task.__dict__.items() if k in PickTaskOut.model_fields}
    values.update(items=[_item(i) for i in task.items], total_items=task.total_items,
                  picked_items=task.picked_items)  # fmt: skip
    return PickTaskOut(**values)


def _answer(done: Done) -> Response:
    return as_json(task_out(done.task), status.HTTP_200_OK)


STEP = responses(401, 403, 404, 409, 422)


def add_routes(router: APIRouter, ctx: AppContext, floor: Requirement) -> None:
    tags: list[Any] = ["fulfillment: picking"]
    readers: list[Any] = [Depends(floor)]
    pickers = acting(floor, Action.PICK, "Собирать заказы может работник склада")
    Picker = Annotated[Identity, Depends(pickers)]
    managers = acting(floor, Action.MANAGE_ORDERS, "Отменять сборку могут менеджеры")
    Manager = Annotated[Identity, Depends(managers)]

    def uow() -> Any:
        return ctx.db.unit_of_work()

    @router.get(
        "/picking-tasks", response_model=PickTaskList, tags=tags, dependencies=readers,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_tasks(
        status_: Annotated[
            Text | None,
            Query(alias="status", max_length=200, description="Статус или несколько через запятую"),
        ] = None,
        order_id: Annotated[Id | None, Query()] = None,
        executor_id: Annotated[Id | None, Query()] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response:
        """Задания на сборку, новые сверху; фильтры `status`, `order_id`, `executor_id`."""
        statuses = [s.strip() for s in (status_ or "").split(",") if s.strip()]
        page = queries.tasks(ctx.db.engine, statuses=statuses, order_id=order_id,
                             executor_id=executor_id, limit=limit, offset=offset)  # fmt: skip
        answer = PickTaskList(items=[task_out(t) for t in page.items], total=page.total)
        return as_json(answer, status.HTTP_200_OK)  # checked once, not again by FastAPI

    @router.get(
        "/picking-tasks/{task_id}", response_model=PickTaskOut, tags=tags, dependencies=readers,
        responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read(task_id: PathId) -> PickTaskOut:
        """Задание с позициями в порядке обхода."""
        found = queries.task(ctx.db.engine, task_id)
        if found is None:
            raise NotFound("picking_task_not_found", "Задание на сборку не найдено")
        return task_out(found)

    @router.get(
        "/picking-tasks/{task_id}/next-item", response_model=PickItemOut, tags=tags,
        dependencies=readers,
        responses={204: {"description": "Все позиции обработаны"}, **responses(401, 403, 404)},
    )  # fmt: skip
    def next_item(task_id: PathId) -> Response:
        """Первая позиция `pending` по `sequence`; 204, когда таких нет."""
        found = queries.task(ctx.db.engine, task_id)
        if found is None:
            raise NotFound("picking_task_not_found", "Задание на сборку не найдено")
        item = next((i for i in found.items if i.status == "pending"), None)
        if item is None:
            return Response(status_code=status.HTTP_204_NO_CONTENT)
        return as_json(_item(item), status.HTTP_200_OK)

    @router.post("/picking-tasks/{task_id}/assign", response_model=PickTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def assign(task_id: PathId, body: AssignIn, user: Picker,
               idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Назначить исполнителю (работник — только себе). Отключённый — 409
        `executor_inactive`."""
        return _answer(use_cases.assign_task(uow(), task_id, body.executor_id, user.id,
                                             idempotency_key=idempotency_key,
                                             worker=worker_of(user)))  # fmt: skip

    @router.post("/picking-tasks/{task_id}/start", response_model=PickTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def start(task_id: PathId, user: Picker, idempotency_key: IdempotencyKey = None) -> Response:
        """Начать сборку: назначенное → в работе; заказ — «Сборка»."""
        return _answer(use_cases.start_task(uow(), task_id, user.id,
                                            idempotency_key=idempotency_key,
                                            worker=worker_of(user)))  # fmt: skip

    @router.post("/picking-tasks/{task_id}/complete", response_model=PickTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def complete(task_id: PathId, user: Picker,
                 idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Завершить: нужна каждая позиция собранной, с недостачей или пропущенной (иначе 409
        `invalid_transition`); у заказа появляется задание на упаковку, сам заказ остаётся
        в сборке, пока упаковку не начнут."""
        return _answer(use_cases.complete_task(uow(), task_id, user.id,
                                               idempotency_key=idempotency_key,
                                               worker=worker_of(user)))  # fmt: skip

    @router.post("/picking-tasks/{task_id}/cancel", response_model=PickTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def cancel(task_id: PathId, user: Manager, body: CancelIn | None = None,
               idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Отменить задание (резерв остаётся за заказом; отмена заказа снимает его)."""
        reason = body.reason if body else None
        return _answer(use_cases.cancel_task(uow(), task_id, reason, user.id,
                                             idempotency_key=idempotency_key))  # fmt: skip

    @router.post("/picking-tasks/{task_id}/items/{item_id}/pick", response_model=PickTaskOut,
                 tags=tags, responses=STEP)  # fmt: skip
    def pick(task_id: PathId, item_id: PathId, body: PickIn, user: Picker,
             idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Взять товар позиции из ячейки на стол упаковки (TRANSFER с номером заказа; резерв
        переходит вместе с товаром). Весь остаток — `picked`, меньше — `short` (остаток
        снимается с резерва); больше — 422 `quantity_exceeds`; чужой штрихкод — 422
        `wrong_product`."""
        return _answer(picks.pick_item(uow(), task_id, item_id, body.quantity, user.id,
                                       barcode=body.barcode, idempotency_key=idempotency_key,
                                       worker=worker_of(user)))  # fmt: skip

    @router.post("/picking-tasks/{task_id}/items/{item_id}/skip", response_model=PickTaskOut,
                 tags=tags, responses=STEP)  # fmt: skip
    def skip(task_id: PathId, item_id: PathId, body: SkipIn, user: Picker,
             idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Пропустить позицию с причиной: `skipped`, резерв снимается."""
        return _answer(picks.skip_item(uow(), task_id, item_id, body.reason, user.id,
                                       idempotency_key=idempotency_key,
                                       worker=worker_of(user)))  # fmt: skip
