"""Packing and shipping (DESIGN.md §6 "Packing and shipping"): packing tasks, made when
an order's picking completes.

Everyone on the floor reads. A worker starts a task as the executor linked to them, then
adds packages, packs and ships their own task; managers and admins act on any task and
cancel (which cancels the order, §2b.5). Every POST takes an `Idempotency-Key`: the same
key again answers with the first answer (200) and changes nothing. The package label
(`/packages/{n}/label`) is built by data.packing.queries.task_labels, as the packing page's
print and downloads are; marking codes come with their own slice.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

import data.packing.queries as queries
from core.errors import NotFound
from core.labels.package import zpl_label
from core.orders import packing as use_cases
from core.orders import shipping
from core.orders.own_tasks import PACKING_REFUSALS, check_own, worker_of
from core.orders.package_measures import MeasureRequest, measure_package
from core.orders.packing import Done, ItemRequest, PackageRequest, PackagingType
from core.orders.packing_ports import Package, PackTask
from core.orders.rules import MAX_MEASURE, MAX_REASON
from core.states import PackingStatus
from core.stock.operations import MAX_QUANTITY
from core.users.auth import Identity
from core.users.policy import Action
from data.files.labels import ZPL_MEDIA_TYPE
from ui.api.errors import responses
from ui.api.executors import Requirement, acting
from ui.api.movements import IdempotencyKey, as_json
from ui.api.schemas import Id, Input, Limit, Model, Offset, PathId, Text, WholeNumber
from ui.context import AppContext

STATUSES = {"enum": [s.value for s in PackingStatus]}
TYPES = {"enum": [t.value for t in PackagingType]}
QUANTITY = {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}
Measure = Annotated[float, Field(gt=0, le=MAX_MEASURE)]


class PackItemOut(Model):
    product_id: int
    quantity: int = Field(description="Собрано для упаковки (вместе с отгруженным)")
    packed_quantity: int = Field(description="Из них в посылках")
    barcode: str
    sku: str
    product_name: str
    gtin: str | None = None
    requires_marking: bool = Field(
        default=False, description="Каждая единица — по коду маркировки (DataMatrix)"
    )


class PackageLineOut(Model):
    product_id: int
    quantity: int


class PackageOut(Model):
    id: int
    sequence_number: int
    packaging_type: str = Field(json_schema_extra=TYPES)
    weight_kg: float | None
    length_cm: float | None
    width_cm: float | None
    height_cm: float | None
    volumetric_weight_kg: float | None = Field(description="Д×Ш×В / 5000")
    chargeable_weight_kg: float | None = Field(description="Большее из веса и объёмного")
    barcode: str
    handling_unit_id: int = Field(description="Коробка (место хранения) с товаром посылки")
    items: list[PackageLineOut]


class PackTaskOut(Model):
    id: int
    order_id: int
    picking_task_id: int
    status: str = Field(json_schema_extra=STATUSES)
    executor_id: int | None
    items: list[PackItemOut]
    packages: list[PackageOut]
    carrier: str | None
    tracking_number: str | None
    created_at: datetime
    started_at: datetime | None
    packed_at: datetime | None
    shipped_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    station_id: int
    station_code: str
    order_external_id: str


class PackTaskList(Model):
    items: list[PackTaskOut]
    total: int


class StartIn(Input):
    executor_id: Id


class PackageItemIn(Input):
    product_id: Id | None = None
    barcode: Text | None = Field(default=None, max_length=64)
    quantity: WholeNumber = Field(json_schema_extra=QUANTITY)


class PackageIn(Input):
    packaging_type: Text = Field(max_length=16, json_schema_extra=TYPES)
    weight_kg: Measure | None = None
    length_cm: Measure | None = None
    width_cm: Measure | None = None
    height_cm: Measure | None = None
    items: list[PackageItemIn] = Field(min_length=1, max_length=use_cases.MAX_PACKAGE_LINES)


class MeasureIn(Input):
    packaging_type: Text | None = Field(default=None, max_length=16, json_schema_extra=TYPES)
    weight_kg: Measure | None = None
    length_cm: Measure | None = None
    width_cm: Measure | None = None
    height_cm: Measure | None = None


class ShipIn(Input):
    carrier: Text | None = Field(
        default=None, max_length=32, description="Код перевозчика; по умолчанию — из заказа"
    )
    tracking_number: Text | None = Field(
        default=None, max_length=64,
        description="Трек-номер; без него — только если сервис перевозчика выдаёт его сам",
    )  # fmt: skip


class CancelIn(Input):
    reason: Text | None = Field(default=None, max_length=MAX_REASON)


def package_out(package: Package) -> PackageOut:
    values = {k: v for k, v in package.__dict__.items() if k in PackageOut.model_fields}
    values.update(
        volumetric_weight_kg=package.volumetric_weight_kg,
        chargeable_weight_kg=package.chargeable_weight_kg,
        items=[PackageLineOut(product_id=i.product_id, quantity=i.quantity)
               for i in package.items],
    )  # fmt: skip
    return PackageOut(**values)


def task_out(task: PackTask) -> PackTaskOut:
    values = {k: v for k, v in task.__dict__.items() if k in PackTaskOut.model_fields}
    values.update(
        items=[PackItemOut(**{k: v for k, v in i.__dict__.items()}) for i in task.items],
        packages=[package_out(p) for p in task.packages],
    )
    return PackTaskOut(**values)


def _answer(done: Done) -> Response:
    return as_json(task_out(done.task), status.HTTP_200_OK)


STEP = responses(401, 403, 404, 409, 422)
LABEL = {
    200: {
        "description": "ZPL (`^XA` … `^XZ`, 100 × 150 мм, 203 dpi, UTF-8)",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    }
}


def add_routes(router: APIRouter, ctx: AppContext, floor: Requirement) -> None:
    tags: list[Any] = ["fulfillment: packing and shipping"]
    readers: list[Any] = [Depends(floor)]
    packers = acting(floor, Action.PACK, "Упаковывать и отгружать может работник склада")
    Packer = Annotated[Identity, Depends(packers)]
    managers = acting(floor, Action.MANAGE_ORDERS, "Отменять упаковку могут менеджеры")
    Manager = Annotated[Identity, Depends(managers)]

    def uow() -> Any:
        return ctx.db.unit_of_work()

    def own(user: Identity, task_id: int) -> None:
        """A step outside the use cases that check it themselves (a package's measures):
        a worker acts on their own task only (core.orders.own_tasks), read on its own."""
        bound = worker_of(user)
        if bound is None:
            return
        held = queries.ownership(ctx.db.engine, task_id, user.id)  # one row, not the task
        if held is None:
            raise NotFound("packing_task_not_found", "Задание на упаковку не найдено")
        check_own(held.executor_id, held.mine, bound, PACKING_REFUSALS)

    @router.get(
        "/packing-tasks", response_model=PackTaskList, tags=tags, dependencies=readers,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_tasks(
        status_: Annotated[
            Text | None,
            Query(alias="status", max_length=200, description="Статус или несколько через запятую"),
        ] = None,
        order_id: Annotated[Id | None, Query()] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Response:
        """Задания на упаковку, новые сверху; фильтры `status`, `order_id`."""
        statuses = [s.strip() for s in (status_ or "").split(",") if s.strip()]
        page = queries.tasks(ctx.db.engine, statuses=statuses, order_id=order_id, limit=limit,
                             offset=offset)  # fmt: skip
        answer = PackTaskList(items=[task_out(t) for t in page.items], total=page.total)
        return as_json(answer, status.HTTP_200_OK)  # checked once, not again by FastAPI

    @router.get(
        "/packing-tasks/{task_id}", response_model=PackTaskOut, tags=tags, dependencies=readers,
        responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read(task_id: PathId) -> PackTaskOut:
        """Задание с товарами и посылками."""
        found = queries.task(ctx.db.engine, task_id)
        if found is None:
            raise NotFound("packing_task_not_found", "Задание на упаковку не найдено")
        return task_out(found)

    @router.get(
        "/packing-tasks/{task_id}/packages/{number}/label", response_class=Response, tags=tags,
        dependencies=readers, responses={**LABEL, **responses(401, 403, 404, 422)},
    )  # fmt: skip
    def label(task_id: PathId, number: PathId) -> Response:
        """Этикетка посылки `number` (1, 2, …) в ZPL: номер заказа, «Коробка n из m»,
        перевозчик, трек-номер (когда он есть, иначе штрихкод коробки) как Code 128, вес."""
        found = queries.task_labels(ctx.db.engine, task_id)
        if found is None:
            raise NotFound("packing_task_not_found", "Задание на упаковку не найдено")
        wanted = [lb for lb in found.labels if lb.package_number == number]
        if not wanted:
            raise NotFound("package_not_found", f"В задании нет посылки {number}")
        return Response(zpl_label(wanted[0]), media_type=ZPL_MEDIA_TYPE)

    @router.post("/packing-tasks/{task_id}/start", response_model=PackTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def start(task_id: PathId, body: StartIn, user: Packer,
              idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Начать упаковку: `pending → in_progress` (работник — от своего имени), заказ
        переходит в упаковку; отключённый исполнитель — 409 `executor_inactive`."""
        return _answer(use_cases.start_task(uow(), task_id, body.executor_id, user.id,
                                            idempotency_key=idempotency_key,
                                            worker=worker_of(user)))  # fmt: skip

    @router.post(
        "/packing-tasks/{task_id}/packages", response_model=PackageOut, tags=tags,
        status_code=status.HTTP_201_CREATED, responses=STEP,
    )  # fmt: skip
    def add_package(task_id: PathId, body: PackageIn, user: Packer,
                    idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Посылка (номера 1, 2, …): товар со стола упаковки переходит в её коробку
        (TRANSFER с номером заказа, резерв вместе с ним). Больше собранного — 422
        `quantity_exceeds_picked`; товара нет среди собранного — 422 `product_not_picked`;
        задание не в работе — 409 `invalid_transition`."""
        request = PackageRequest(
            body.packaging_type,
            [ItemRequest(i.quantity, i.product_id, i.barcode) for i in body.items],
            body.weight_kg, body.length_cm, body.width_cm, body.height_cm,
        )  # fmt: skip
        done = use_cases.add_package(uow(), task_id, request, user.id,
                                     idempotency_key=idempotency_key,
                                     worker=worker_of(user))  # fmt: skip
        assert done.package is not None
        code = status.HTTP_200_OK if done.replayed else status.HTTP_201_CREATED
        return as_json(package_out(done.package), code)

    @router.patch("/packing-tasks/{task_id}/packages/{number}", response_model=PackageOut,
                  tags=tags, responses=STEP)  # fmt: skip
    def measure(task_id: PathId, number: PathId, body: MeasureIn, user: Packer,
                idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Вес, габариты или тип упаковки посылки `number` — указать или исправить, пока идёт
        упаковка (не переданное остаётся как было): посылку без веса и габаритов иначе не
        закрыть. Ничего не передано — 422 `measures_required`; нет такой посылки — 404
        `package_not_found`; задание не в работе — 409 `invalid_transition`."""
        own(user, task_id)
        request = MeasureRequest(body.packaging_type, body.weight_kg, body.length_cm,
                                 body.width_cm, body.height_cm)  # fmt: skip
        done = measure_package(uow(), task_id, number, request, user.id,
                               idempotency_key=idempotency_key)  # fmt: skip
        assert done.package is not None
        return as_json(package_out(done.package), status.HTTP_200_OK)

    @router.post("/packing-tasks/{task_id}/pack", response_model=PackTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def pack(task_id: PathId, user: Packer, idempotency_key: IdempotencyKey = None) -> Response:
        """Упаковано: 409 `invalid_transition` не из «в работе», затем `not_all_packed`
        (собранное не всё в посылках), затем `dimensions_missing` (нет веса или габаритов)."""
        return _answer(use_cases.pack_task(uow(), task_id, user.id,
                                           idempotency_key=idempotency_key,
                                           worker=worker_of(user)))  # fmt: skip

    @router.post("/packing-tasks/{task_id}/ship", response_model=PackTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def ship(task_id: PathId, body: ShipIn, user: Packer,
             idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Отгрузить упакованное: товар уходит покупателю (SHIPMENT_ORDER) или на РЦ
        (SHIPMENT_RC) с номером заказа. Перевозчик неизвестен или отключён — 422
        `carrier_not_found`; без трек-номера — 422 `tracking_number_required`."""
        return _answer(shipping.ship_task(uow(), task_id, body.carrier, body.tracking_number,
                                          user.id, idempotency_key=idempotency_key,
                                          worker=worker_of(user)))  # fmt: skip

    @router.post("/packing-tasks/{task_id}/cancel", response_model=PackTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def cancel(task_id: PathId, user: Manager, body: CancelIn | None = None,
               idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Отменить упаковку вместе с заказом: резервы сняты, собранное и упакованное
        возвращается в ячейки; после отгрузки — 409 `invalid_transition`."""
        reason = body.reason if body else None
        return _answer(shipping.cancel_task(uow(), task_id, reason, user.id,
                                            idempotency_key=idempotency_key))  # fmt: skip
