"""Waves and batch picking (issue 15; docs/api-waves.md).

Everyone on the floor reads. Managers and admins release waves and build batches; a
worker takes a free batch for themselves, then picks and skips in their own batch (each
pick is that order's pick, as POST /picking-tasks/{id}/items/{item_id}/pick); whoever
packs puts units to orders at the packing table. Every POST takes an `Idempotency-Key`.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

import data.waves.queries as queries
from core.errors import Forbidden, NotFound
from core.orders import batches as use_cases
from core.orders import waves as wave_cases
from core.orders.batches import Put, stops
from core.orders.rules import MAX_REASON, Priority
from core.orders.wave_ports import Batch
from core.stock.operations import MAX_QUANTITY
from core.users.auth import Identity
from core.users.policy import Action, can
from ui.api.errors import responses
from ui.api.executors import Requirement, acting
from ui.api.movements import IdempotencyKey, as_json
from ui.api.schemas import Id, Input, Limit, Model, Offset, PathId, Text, WholeNumber
from ui.context import AppContext

STATUSES = {"enum": ["pending", "assigned", "in_progress", "completed", "cancelled"]}
PRIORITIES = {"enum": [p.value for p in Priority]}


class WaveOrderOut(Model):
    order_id: int
    external_id: str
    order_status: str
    task_id: int
    task_status: str = Field(json_schema_extra=STATUSES)
    batch_id: int | None
    slot: int | None = Field(description="Ячейка на стеллаже раскладки (в партии)")
    executor_name: str | None
    items_total: int
    items_done: int = Field(description="Позиций обработано: собрано, недостача, пропуск")
    units_required: int
    units_picked: int
    short_items: int
    skipped_items: int
    zone: str | None = Field(default=None, description="Зона задания, если волна разделила "
                             "заказ по зонам (строка на каждую зону)")  # fmt: skip


class WaveOut(Model):
    id: int
    name: str
    status: str = Field(json_schema_extra=STATUSES, description="По заданиям волны")
    criteria: dict[str, Any] = Field(description="Условия отбора: cutoff, carrier, …")
    batch_size: int
    order_count: int
    batch_count: int
    orders_done: int
    items_total: int
    items_done: int
    short_items: int
    cancelled_orders: int
    created_at: datetime
    orders: list[WaveOrderOut] = Field(default=[], description="Только в GET /waves/{id}")
    awaiting_stock: int = Field(default=0, description="Подходят под условия, ждут товара")
    blockers: list[str] = Field(default=[], description="Что мешает закончить волну")


class WaveList(Model):
    items: list[WaveOut]
    total: int


class WaveIn(Input):
    name: Text | None = Field(default=None, max_length=100)
    cutoff: datetime | None = Field(default=None, description="Заказы, полученные до этого")
    carrier: Text | None = Field(default=None, max_length=32)
    source_id: Id | None = Field(default=None, description="Маркетплейс (источник)")
    priority: str | None = Field(default=None, json_schema_extra=PRIORITIES,
                                 description="Этот приоритет и срочнее")  # fmt: skip
    zone: Text | None = Field(default=None, max_length=32, description="Все ячейки в зоне")
    limit: WholeNumber = Field(default=500, json_schema_extra={"minimum": 1, "maximum": 2000})
    batch_size: WholeNumber = Field(
        default=1, json_schema_extra={"minimum": 1, "maximum": wave_cases.MAX_BATCH},
        description="1 — каждый заказ отдельно; N — мелкие заказы партиями по N",
    )  # fmt: skip
    split_zones: bool = Field(
        default=True, description="Заказ с ячейками в нескольких зонах — отдельное задание на "
        "каждую зону; заказ уходит на упаковку, когда собраны все зоны",
    )  # fmt: skip


class PortionOut(Model):
    slot: int
    order_external_id: str
    task_id: int
    item_id: int
    quantity: int
    picked: int
    status: str


class StopProductOut(Model):
    product_id: int
    barcode: str
    sku: str
    name: str
    quantity: int
    portions: list[PortionOut]


class StopOut(Model):
    location_id: int
    location_code: str
    route_sequence: int
    products: list[StopProductOut]


class BatchOrderOut(Model):
    slot: int
    order_id: int
    order_external_id: str
    task_id: int
    task_status: str = Field(json_schema_extra=STATUSES)


class BatchOut(Model):
    id: int
    wave_id: int | None
    executor_id: int | None
    executor_name: str | None
    created_at: datetime
    orders: list[BatchOrderOut]
    stops: list[StopOut] = Field(description="Обход: одна остановка на ячейку, по маршруту")
    left_out: list[int] = Field(default=[], description="Задания, уже взятые в другие партии")


class BatchSummaryOut(Model):
    id: int
    wave_id: int | None
    executor_id: int | None
    executor_name: str | None
    created_at: datetime
    status: str = Field(json_schema_extra=STATUSES)
    orders: int
    items_total: int
    items_done: int


class BatchList(Model):
    items: list[BatchSummaryOut]
    total: int


class BatchIn(Input):
    task_ids: list[Id] = Field(min_length=2, max_length=wave_cases.MAX_BATCH,
                               description="Задания на сборку заказов")  # fmt: skip


class TakeIn(Input):
    executor_id: Id


class PickIn(Input):
    quantity: WholeNumber = Field(
        json_schema_extra={"type": "integer", "minimum": 0, "maximum": MAX_QUANTITY},
        description="Сколько взято для этого заказа; меньше — недостача только у него",
    )
    barcode: Text | None = Field(default=None, max_length=64)


class SkipIn(Input):
    reason: Text = Field(min_length=1, max_length=MAX_REASON)


class PutIn(Input):
    barcode: Text = Field(min_length=1, max_length=64)


class PutOut(Model):
    order_id: int
    order_external_id: str
    task_id: int
    slot: int
    product_name: str
    left_for_order: int = Field(description="Сколько ещё штук этого товара ждёт эта ячейка")


def wave_out(found: queries.Wave) -> WaveOut:
    values = {k: v for k, v in found.__dict__.items() if k in WaveOut.model_fields}
    values["orders"] = [WaveOrderOut(**o.__dict__) for o in found.orders]
    values["blockers"] = list(found.blockers)
    return WaveOut(**values)


def batch_out(batch: Batch, left_out: list[int] | None = None) -> BatchOut:
    firsts: dict[int, Any] = {}
    for line in batch.lines:
        firsts.setdefault(line.task_id, line)
    orders = [BatchOrderOut(slot=x.slot, order_id=x.order_id, task_id=x.task_id,
                            order_external_id=x.order_external_id, task_status=x.task_status)
              for x in sorted(firsts.values(), key=lambda x: x.slot)]  # fmt: skip
    walk = [
        StopOut(location_id=s.location_id, location_code=s.location_code, route_sequence=s.route,
                products=[StopProductOut(product_id=p.product_id, barcode=p.barcode, sku=p.sku,
                                         name=p.name, quantity=p.quantity,
                                         portions=[PortionOut(**x.__dict__) for x in p.portions])
                          for p in s.products])
        for s in stops(batch)
    ]  # fmt: skip
    return BatchOut(id=batch.id, wave_id=batch.wave_id, executor_id=batch.executor_id,
                    executor_name=batch.executor_name, created_at=batch.created_at,
                    orders=orders, stops=walk, left_out=left_out or [])  # fmt: skip


def put_out(put: Put) -> PutOut:
    return PutOut(**put.__dict__)


STEP = responses(401, 403, 404, 409, 422)


def add_routes(router: APIRouter, ctx: AppContext, floor: Requirement) -> None:
    tags: list[Any] = ["fulfillment: waves and batches"]
    readers: list[Any] = [Depends(floor)]
    Picker = Annotated[
        Identity, Depends(acting(floor, Action.PICK, "Собирать заказы может работник склада"))
    ]
    Packer = Annotated[
        Identity, Depends(acting(floor, Action.PACK, "Раскладывать может работник склада"))
    ]
    Manager = Annotated[Identity, Depends(acting(
        floor, Action.MANAGE_ORDERS, "Волны и партии создают менеджеры"))]  # fmt: skip

    def uow() -> Any:
        return ctx.db.unit_of_work()

    def own(user: Identity, batch_id: int, *, taking: int | None = None) -> None:
        """A worker acts in their own batch only; taking one: for themselves."""
        if can(user.role, Action.MANAGE_ORDERS):
            return
        held = queries.batch_owner(ctx.db.engine, batch_id, user.id)
        if held is None:
            raise NotFound("batch_not_found", "Партия не найдена")
        executor, mine = held
        if taking is not None:
            if mine is None or taking != mine:
                raise Forbidden("forbidden", "Взять партию можно только на себя")
            return
        if mine is None or executor != mine:
            raise Forbidden("forbidden", "Эта партия назначена другому исполнителю")

    def read_wave(wave_id: int) -> WaveOut:
        found = queries.wave(ctx.db.engine, wave_id)
        if found is None:
            raise NotFound("wave_not_found", "Волна не найдена")
        return wave_out(found)

    @router.get("/waves", response_model=WaveList, tags=tags, dependencies=readers,
                responses=responses(401, 403, 422))  # fmt: skip
    def list_waves(limit: Limit = 50, offset: Offset = 0) -> WaveList:
        """Волны, новые сверху, с ходом сборки."""
        items, total = queries.waves(ctx.db.engine, limit=limit, offset=offset)
        return WaveList(items=[wave_out(w) for w in items], total=total)

    @router.get("/waves/{wave_id}", response_model=WaveOut, tags=tags, dependencies=readers,
                responses=responses(401, 403, 404, 422))  # fmt: skip
    def get_wave(wave_id: PathId) -> WaveOut:
        """Волна: по каждому заказу собрано из скольких, и что мешает (недостача, отмена,
        заказы, ждущие товара)."""
        return read_wave(wave_id)

    @router.post("/waves", response_model=WaveOut, status_code=201, tags=tags,
                 responses={200: {"description": "Повтор с тем же ключом"}, **STEP})  # fmt: skip
    def release(body: WaveIn, user: Manager, idempotency_key: IdempotencyKey = None) -> Response:
        """Выпустить волну: заказы в резерве, чья сборка не начата, по условиям — в одном
        шаге; заказ с ячейками в нескольких зонах — задание на каждую зону (`split_zones`);
        мелкие задания (до 5 шт.) — партиями по `batch_size` в пределах зоны. 409
        `nothing_to_release`, если подходящих заказов нет (или их уже взяли в другую волну).
        """
        chosen = wave_cases.criteria(cutoff=body.cutoff, carrier=body.carrier,
                                     source_id=body.source_id, priority=body.priority,
                                     zone=body.zone, limit=body.limit)  # fmt: skip
        done = wave_cases.release_wave(uow(), chosen, user.id, name=body.name,
                                       batch_size=body.batch_size,
                                       split_zones=body.split_zones,
                                       idempotency_key=idempotency_key)  # fmt: skip
        code = status.HTTP_200_OK if done.replayed else status.HTTP_201_CREATED
        return as_json(read_wave(done.wave_id), code)

    @router.get("/pick-batches", response_model=BatchList, tags=tags, dependencies=readers,
                responses=responses(401, 403, 422))  # fmt: skip
    def list_batches(wave_id: Annotated[Id | None, Query()] = None, limit: Limit = 50,
                     offset: Offset = 0) -> BatchList:  # fmt: skip
        """Партии, новые сверху; фильтр `wave_id`."""
        items, total = queries.batches(ctx.db.engine, wave_id=wave_id, limit=limit,
                                       offset=offset)  # fmt: skip
        return BatchList(items=[BatchSummaryOut(**b.__dict__) for b in items], total=total)

    @router.get("/pick-batches/{batch_id}", response_model=BatchOut, tags=tags,
                dependencies=readers, responses=responses(401, 403, 404, 422))  # fmt: skip
    def get_batch(batch_id: PathId) -> BatchOut:
        """Партия: заказы по ячейкам раскладки и обход — одна остановка на ячейку хранения
        в порядке маршрута, у каждого товара — сколько какому заказу."""
        found = queries.batch(ctx.db.engine, batch_id)
        if found is None:
            raise NotFound("batch_not_found", "Партия не найдена")
        return batch_out(found)

    @router.post("/pick-batches", response_model=BatchOut, status_code=201, tags=tags,
                 responses=STEP)  # fmt: skip
    def create(body: BatchIn, user: Manager, idempotency_key: IdempotencyKey = None) -> Response:
        """Собрать партию из заданий: каждое берётся отдельно и только если оно ещё не в
        партии и не начато (иначе в `left_out`); ни одного — 409 `already_batched`."""
        batch, left = use_cases.create_batch(uow(), list(body.task_ids), user.id,
                                             idempotency_key=idempotency_key)  # fmt: skip
        return as_json(batch_out(batch, left), status.HTTP_201_CREATED)

    @router.post("/pick-batches/{batch_id}/dissolve", response_model=BatchOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def dissolve(batch_id: PathId, user: Manager,
                 idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Расформировать партию: заказы, чья сборка не начата, выходят из неё и собираются
        по одному (назначенные остаются у своих сборщиков); начатые остаются. Ни одного —
        409 `invalid_transition`; повтор с тем же ключом после этого — тоже 409."""
        batch, _ = use_cases.dissolve_batch(uow(), batch_id)
        return as_json(batch_out(batch), status.HTTP_200_OK)

    @router.post("/pick-batches/{batch_id}/take", response_model=BatchOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def take(batch_id: PathId, body: TakeIn, user: Picker,
             idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Взять партию (работник — на себя): её задания назначаются исполнителю и
        начинаются. Чужая — 409 `batch_taken`."""
        own(user, batch_id, taking=body.executor_id)
        batch = use_cases.take_batch(uow, batch_id, body.executor_id, user.id)
        return as_json(batch_out(batch), status.HTTP_200_OK)

    @router.post("/pick-batches/{batch_id}/items/{item_id}/pick", response_model=BatchOut,
                 tags=tags, responses=STEP)  # fmt: skip
    def pick(batch_id: PathId, item_id: PathId, body: PickIn, user: Picker,
             idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Взять товар для одного заказа партии — сборка позиции его задания: весь остаток —
        `picked`, меньше — `short` (снимается только его остаток); задание, в котором всё
        обработано, завершается (появляется задание на упаковку)."""
        own(user, batch_id)
        batch = use_cases.pick_in_batch(uow, batch_id, item_id, body.quantity, user.id,
                                        barcode=body.barcode,
                                        idempotency_key=idempotency_key)  # fmt: skip
        return as_json(batch_out(batch), status.HTTP_200_OK)

    @router.post("/pick-batches/{batch_id}/items/{item_id}/skip", response_model=BatchOut,
                 tags=tags, responses=STEP)  # fmt: skip
    def skip(batch_id: PathId, item_id: PathId, body: SkipIn, user: Picker,
             idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Пропустить позицию одного заказа с причиной: резерв снимается."""
        own(user, batch_id)
        batch = use_cases.skip_in_batch(uow, batch_id, item_id, body.reason, user.id,
                                        idempotency_key=idempotency_key)  # fmt: skip
        return as_json(batch_out(batch), status.HTTP_200_OK)

    @router.post("/pick-batches/{batch_id}/put", response_model=PutOut, status_code=201,
                 tags=tags, responses=STEP)  # fmt: skip
    def put(batch_id: PathId, body: PutIn, user: Packer,
            idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Раскладка по заказам: отсканированная штука — в ячейку первого (по номеру) заказа,
        которому собрано больше, чем уже положено. 422 `wrong_product` — товара нет в партии;
        409 `nothing_to_put` — всё уже разложено."""
        done = use_cases.put_unit(uow(), batch_id, body.barcode, user.id,
                                  idempotency_key=idempotency_key)  # fmt: skip
        return as_json(put_out(done), status.HTTP_201_CREATED)
