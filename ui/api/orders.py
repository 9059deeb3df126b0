"""Orders (DESIGN.md §6 "Orders"): a customer order (FBS) or a supply to a marketplace DC
(FBO), reserved on creation — every line or none — or left waiting for stock.

Everyone on the floor reads; managers and admins create, confirm and cancel. POST
/orders answers 201 with the order (`reserved` or `awaiting_stock`); the same
(`source_id`, `external_id`) again, or the same `Idempotency-Key`, answers 200 with the
order and changes nothing.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

import data.orders.queries as queries
from core.errors import NotFound
from core.orders import orders as use_cases
from core.orders.orders import Done, LineRequest, OrderRequest
from core.orders.ports import Order, ShipTo
from core.orders.rules import (
    MAX_EXTERNAL_ID,
    MAX_LINES,
    MAX_REASON,
    OrderKind,
    Priority,
    Status,
    overdue_since,
)
from core.stock.operations import MAX_QUANTITY
from core.users.auth import Identity
from core.users.policy import Action
from data.marking.queries import order_codes
from ui.api.errors import responses
from ui.api.executors import Requirement, acting
from ui.api.movements import IdempotencyKey, as_json
from ui.api.schemas import Id, Input, Limit, Model, Offset, PathId, Text, WholeNumber
from ui.context import AppContext

QUANTITY = {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}
KINDS = {"enum": [k.value for k in OrderKind]}
PRIORITIES = {"enum": [p.value for p in Priority]}
STATUSES = {"enum": [s.value for s in Status]}


class ShipToIO(Input):
    name: Text | None = Field(default=None, max_length=200)
    phone: Text | None = Field(default=None, max_length=50)
    address: Text | None = Field(default=None, max_length=500)
    city: Text | None = Field(default=None, max_length=100)
    postal_code: Text | None = Field(default=None, max_length=20)
    country: Text | None = Field(default=None, max_length=100)


class OrderLineOut(Model):
    id: int
    product_id: int
    quantity: int
    reserved: int = Field(description="Зарезервировано в ячейках")
    picked: int
    packed: int
    shipped: int
    sku: str
    barcode: str
    product_name: str


class ReservationOut(Model):
    id: int
    order_line_id: int
    product_id: int
    quant_id: int = Field(description="Позиция (GET /inventory/positions)")
    location_id: int
    location_code: str
    quantity: int
    status: str
    expires_at: datetime | None


class OrderOut(Model):
    id: int
    external_id: str
    source_id: int | None
    kind: str = Field(json_schema_extra=KINDS)
    priority: str = Field(json_schema_extra=PRIORITIES)
    status: str = Field(json_schema_extra=STATUSES)
    carrier: str | None
    distribution_center_id: int | None
    lines: list[OrderLineOut]
    picking_task_id: int | None
    packing_task_id: int | None
    tracking_number: str | None
    created_at: datetime
    reserved_until: datetime | None
    cancel_reason: str | None
    ship_to: ShipToIO | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    reservations: list[ReservationOut] = Field(description="Активные резервы по ячейкам")


class OrderList(Model):
    items: list[OrderOut]
    total: int


class MarkingCodeBrief(Model):
    code: str = Field(description="Код как сохранён: GS как \\u001d")
    gtin: str
    serial: str
    product_id: int
    package_id: int


class OrderWithCodes(OrderOut):
    marking_codes: list[MarkingCodeBrief] = Field(
        description="Коды маркировки единиц заказа (Честный ЗНАК), и вернувшиеся тоже; "
        "подробнее — GET /orders/{id}/marking-codes"
    )


class LineIn(Input):
    product_id: Id | None = None
    barcode: Text | None = Field(default=None, max_length=64)
    quantity: WholeNumber = Field(json_schema_extra=QUANTITY)


CARRIER = "Код перевозчика (GET /carriers); по умолчанию manual"


class OrderIn(Input):
    external_id: Text = Field(
        max_length=MAX_EXTERNAL_ID, description="Номер заказа в системе-источнике"
    )
    source_id: Id | None = Field(default=None, description="Маркетплейс (GET /sources)")
    kind: Text = Field(default=OrderKind.CUSTOMER, json_schema_extra=KINDS)
    priority: Text = Field(default=Priority.NORMAL, json_schema_extra=PRIORITIES)
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    carrier: Text | None = Field(default=None, max_length=32, description=CARRIER)
    ship_to: ShipToIO | None = None
    distribution_center_id: Id | None = Field(default=None, description="РЦ поставки (supply)")


class CancelIn(Input):
    reason: Text | None = Field(default=None, max_length=MAX_REASON)


class CarrierOut(Model):
    code: str
    name: str
    is_active: bool


class CarrierList(Model):
    items: list[CarrierOut]
    total: int


def order_out(order: Order) -> OrderOut:
    values: dict[str, Any] = {k: v for k, v in order.__dict__.items()
                              if k not in ("lines", "reservations", "ship_to")}  # fmt: skip
    ship_to = ShipToIO(**order.ship_to.__dict__) if order.ship_to else None
    return OrderOut(
        **values, ship_to=ship_to,
        lines=[OrderLineOut.model_validate(x) for x in order.lines],
        reservations=[ReservationOut.model_validate(x) for x in order.reservations],
    )  # fmt: skip


def _answer(done: Done, created: int = status.HTTP_200_OK) -> Response:
    return as_json(order_out(done.order), status.HTTP_200_OK if done.replayed else created)


REPLAY = {200: {"model": OrderOut, "description": "Повтор: тот же заказ или тот же ключ"}}
STEP = responses(401, 403, 404, 409, 422)


def add_routes(router: APIRouter, ctx: AppContext, readers_: Requirement) -> None:
    tags: list[Any] = ["orders"]
    readers: list[Any] = [Depends(readers_)]
    managers = acting(readers_, Action.MANAGE_ORDERS, "Заказы ведут администратор и менеджер")
    Manager = Annotated[Identity, Depends(managers)]

    def work() -> Any:
        return ctx.db.unit_of_work()

    @router.get(
        "/orders", response_model=OrderList, tags=tags, dependencies=readers,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_orders(
        status_: Annotated[
            Text | None,
            Query(alias="status", max_length=200, description="Статус или несколько через запятую"),
        ] = None,
        kind: Annotated[Text | None, Query(max_length=16)] = None,
        external_id: Annotated[Text | None, Query(max_length=MAX_EXTERNAL_ID)] = None,
        source_id: Annotated[Id | None, Query()] = None,
        overdue: Annotated[
            bool,
            Query(
                description="Только просроченные: не отгружен и не отменён, создан больше "
                "WMS_ORDER_OVERDUE_HOURS часов назад"
            ),
        ] = False,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> OrderList:
        """Заказы, новые сверху; фильтры `status`, `kind`, `external_id`, `source_id`,
        `overdue`."""
        statuses = [s.strip() for s in (status_ or "").split(",") if s.strip()]
        hours = ctx.settings.order_overdue_hours
        since = overdue_since(datetime.now(UTC), hours) if overdue else None
        page = queries.orders(
            ctx.db.engine, statuses=statuses, kind=kind, external_id=external_id,
            source_id=source_id, overdue_since=since, limit=limit, offset=offset,
        )  # fmt: skip
        return OrderList(items=[order_out(o) for o in page.items], total=page.total)

    @router.post(
        "/orders", response_model=OrderOut, status_code=status.HTTP_201_CREATED, tags=tags,
        responses={**REPLAY, **responses(401, 403, 409, 422)},
    )  # fmt: skip
    def create(body: OrderIn, user: Manager, idempotency_key: IdempotencyKey = None) -> Response:
        """Создать заказ и сразу зарезервировать товар (FIFO, все строки или ничего):
        статус `reserved` или `awaiting_stock` (резерв будет сделан, когда товар придёт).
        Товар строки — `product_id` или `barcode`. Для `customer` — `carrier` и `ship_to`,
        для `supply` — `distribution_center_id`."""
        ship_to = ShipTo(**body.ship_to.model_dump()) if body.ship_to else None
        lines = [LineRequest(x.quantity, x.product_id, x.barcode) for x in body.lines]
        request = OrderRequest(
            body.external_id, body.kind, lines, body.source_id, body.priority, body.carrier,
            ship_to, body.distribution_center_id,
        )  # fmt: skip
        done = use_cases.create_order(work(), request, user.id, idempotency_key=idempotency_key)
        return _answer(done, status.HTTP_201_CREATED)

    @router.get(
        "/orders/{order_id}", response_model=OrderWithCodes, tags=tags, dependencies=readers,
        responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read(order_id: PathId) -> OrderWithCodes:
        """Заказ со строками, резервами по ячейкам и кодами маркировки."""
        found = queries.order(ctx.db.engine, order_id)
        if found is None:
            raise NotFound("order_not_found", "Заказ не найден")
        codes = [MarkingCodeBrief(code=c.code, gtin=c.gtin, serial=c.serial,
                                  product_id=c.product_id, package_id=c.package_id)
                 for c in order_codes(ctx.db.engine, order_id)]  # fmt: skip
        return OrderWithCodes(**order_out(found).__dict__, marking_codes=codes)

    @router.post(
        "/orders/{order_id}/confirm", response_model=OrderOut, tags=tags, responses=STEP,
    )  # fmt: skip
    def confirm(
        order_id: PathId, user: Manager, idempotency_key: IdempotencyKey = None
    ) -> Response:
        """Зарезервировать сейчас (новый заказ или ждущий товара): `reserved` или
        `awaiting_stock`; из других состояний — 409 `invalid_transition`."""
        return _answer(use_cases.confirm_order(work(), order_id, user.id,
                                               idempotency_key=idempotency_key))  # fmt: skip

    @router.post(
        "/orders/{order_id}/cancel", response_model=OrderOut, tags=tags, responses=STEP,
    )  # fmt: skip
    def cancel(
        order_id: PathId, user: Manager, body: CancelIn | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:  # fmt: skip
        """Отменить: все резервы снимаются. После отгрузки или повторно — 409
        `invalid_transition`."""
        reason = body.reason if body else None
        return _answer(use_cases.cancel_order(work(), order_id, reason, user.id,
                                              idempotency_key=idempotency_key))  # fmt: skip

    @router.get(
        "/carriers", response_model=CarrierList, tags=tags, dependencies=readers,
        responses=responses(401, 403),
    )  # fmt: skip
    def list_carriers() -> CarrierList:
        """Перевозчики: `manual` и распространённые российские службы (включает администратор)."""
        items = [CarrierOut.model_validate(c) for c in queries.carriers(ctx.db.engine)]
        return CarrierList(items=items, total=len(items))
