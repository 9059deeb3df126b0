"""Returns of shipped orders (issue 15; core.orders.returns): find the order of a returned
parcel by its tracking number or order number, list what came back, book a unit good
(RETURN_PICKUP into MAIN, then putaway) or defective (RETURN_DEFECT with its reason).

Everyone on the floor may book a return (Action.RETURN_ORDERS: workers, managers,
admins); more units of a product than the order shipped is 409 `return_exceeds_shipped`.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

from core.orders import returns as use_cases
from core.orders.return_ports import ReturnedUnits
from core.orders.returns import Condition, ReturnRequest
from core.orders.rules import MAX_REASON
from core.users.auth import Identity
from core.users.policy import Action
from ui.api.errors import responses
from ui.api.executors import Requirement, acting
from ui.api.movements import IdempotencyKey, as_json
from ui.api.orders import OrderList, order_out
from ui.api.schemas import Id, Input, Model, PathId, Text, WholeNumber
from ui.context import AppContext

CONDITIONS = {"enum": [c.value for c in Condition]}


class ReturnIn(Input):
    product_id: Id | None = None
    barcode: Text | None = Field(default=None, max_length=128, description="Штрихкод или GTIN")
    quantity: WholeNumber = Field(default=1, json_schema_extra={"type": "integer", "minimum": 1})
    condition: Text = Field(json_schema_extra=CONDITIONS, description="good годный, defect брак")
    reason: Text | None = Field(default=None, max_length=MAX_REASON, description="Причина брака")
    source_id: Id | None = Field(
        default=None, description="Откуда возврат, если у заказа нет источника (GET /sources)"
    )


class ReturnOut(Model):
    id: int
    order_id: int
    order_line_id: int
    product_id: int
    sku: str
    barcode: str
    product_name: str
    quantity: int
    condition: str = Field(json_schema_extra=CONDITIONS)
    reason: str | None
    movement_id: int = Field(description="Операция RETURN_PICKUP или RETURN_DEFECT")
    user_id: int | None
    created_at: datetime


class ReturnList(Model):
    items: list[ReturnOut]
    total: int


def _list(returns: list[ReturnedUnits] | tuple[ReturnedUnits, ...]) -> ReturnList:
    items = [ReturnOut.model_validate(r, from_attributes=True) for r in returns]
    return ReturnList(items=items, total=len(items))


def add_routes(router: APIRouter, ctx: AppContext, readers: Requirement) -> None:
    tags: list[Any] = ["returns"]
    returners = acting(readers, Action.RETURN_ORDERS, "Оформлять возвраты может работник склада")
    Returner = Annotated[Identity, Depends(returners)]

    @router.get(
        "/returns/orders", response_model=OrderList, tags=tags,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def find(
        _: Returner, code: Annotated[Text, Query(max_length=128, description="Трек или номер")]
    ) -> OrderList:
        """Отгруженные заказы покупателей с этим трек-номером или номером заказа
        (`external_id`), без учёта регистра: заказ вернувшейся посылки."""
        found = use_cases.find_shipped(ctx.db.unit_of_work(), code)
        return OrderList(items=[order_out(o) for o in found], total=len(found))

    @router.get(
        "/orders/{order_id}/returns", response_model=ReturnList, tags=tags,
        responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def list_returns(order_id: PathId, _: Returner) -> ReturnList:
        """Что вернулось по заказу и когда, по порядку."""
        return _list(use_cases.order_returns(ctx.db.unit_of_work(), order_id))

    @router.post(
        "/orders/{order_id}/returns", response_model=ReturnList,
        status_code=status.HTTP_201_CREATED, tags=tags,
        responses={200: {"model": ReturnList, "description": "Повтор с тем же ключом"},
                   **responses(401, 403, 404, 409, 422)},
    )  # fmt: skip
    def book(
        order_id: PathId, body: ReturnIn, user: Returner, idempotency_key: IdempotencyKey = None
    ) -> Response:
        """Принять возврат по отгруженному заказу: товар (`product_id` или отсканированный
        `barcode` — штрихкод или GTIN), `quantity` (по умолчанию 1) и состояние:
        `good` — RETURN_PICKUP на приёмку склада «Годный» (дальше размещение), `defect` —
        RETURN_DEFECT в «Брак», нужна `reason`. Операция называет заказ и его источник.
        Ответ — все возвраты заказа. 409 `order_not_shipped`, `return_exceeds_shipped`
        (вернуть больше отгруженного), `return_not_customer_order`; 422 `wrong_product`
        (товара нет в заказе), `product_not_found`, `reason_required`, `source_required`."""
        request = ReturnRequest(body.condition, body.quantity, body.product_id, body.barcode,
                                body.reason, body.source_id)  # fmt: skip
        done = use_cases.book_return(ctx.db.unit_of_work(), order_id, request, user.id,
                                     idempotency_key=idempotency_key)  # fmt: skip
        code = status.HTTP_200_OK if done.replayed else status.HTTP_201_CREATED
        return as_json(_list(done.returns), code)
