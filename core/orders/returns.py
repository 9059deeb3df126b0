"""Returns of shipped orders (issue 15; DESIGN.md §2, §2b): a parcel comes back from the
buyer or the marketplace.

The order is found by its tracking number or its external number; each unit is scanned
(barcode or GTIN), inspected and booked against the order and its source: a good unit
`RETURN_PICKUP` into the good warehouse's own place (MAIN: «not put away», where the
putaway page offers it and its move to a bin publishes `inventory.placed`), a defective
one `RETURN_DEFECT` into DEFECT with the reason. Both movements name the order
(document `order:<id>`), as its shipment does.

The rule: never more units of a product come back than the order shipped. The order's
row is locked first (PostgreSQL; SQLite's writers take turns), so two returns of the last
unit at once queue on it and the second sees the first: exactly one wins.

The order's status stays `shipped`: the state machine (DESIGN.md §2b, core.states) has no
`returned` state, so the order card shows what came back and when instead, and each
return is a step of the order's history.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from core.errors import Conflict, NotFound, ValidationError
from core.marking.codes import ScannedCode, looks_like_marking, parse_code
from core.model import MovementDraft, ProductRef
from core.orders.ports import Order, OrderLine, Step
from core.orders.return_ports import ReturnDraft, ReturnedUnits, ReturnsUnitOfWork
from core.orders.rules import MAX_REASON, OrderKind, Status, clean_key, text
from core.periods import now_utc
from core.stock.booking import apply_movement
from core.stock.operations import OPERATIONS, ORDER_DOCUMENT, Loc
from core.stock.requests import check_quantity

MARKING_SCAN = "Сканируйте код маркировки (DataMatrix)"
RETURN_STEP = "returned"  # the action of the order's history step
MAX_CODE = 128
MAX_FOUND = 20


class Condition(StrEnum):
    GOOD = "good"  # sellable: RETURN_PICKUP into MAIN, then putaway
    DEFECT = "defect"  # RETURN_DEFECT into DEFECT, with the reason


CONDITION_LABELS = {Condition.GOOD: "Годный", Condition.DEFECT: "Брак"}
OPERATION_OF = {Condition.GOOD: "RETURN_PICKUP", Condition.DEFECT: "RETURN_DEFECT"}
# What the tablet offers for a defective unit (a reason may also be typed).
DEFECT_REASONS = (
    "Повреждён товар",
    "Повреждена упаковка",
    "Не работает",
    "Некомплект",
    "Следы использования",
    "Не тот товар",
)


@dataclass(frozen=True)
class ReturnRequest:
    condition: object  # good | defect
    quantity: object = 1
    product_id: object = None
    barcode: str | None = None  # a scanned barcode or GTIN
    reason: object = None  # required for a defect
    source_id: object = None  # only when the order names no source


@dataclass(frozen=True)
class ReturnDone:
    order: Order
    returns: tuple[ReturnedUnits, ...]
    replayed: bool  # True: the key was seen before; nothing was booked


@dataclass(frozen=True)
class Returnable:
    """A product of the order as a return sees it."""

    product_id: int
    shipped: int
    returned: int

    @property
    def left(self) -> int:
        return self.shipped - self.returned


def returnable(
    lines: Sequence[OrderLine], returns: Sequence[ReturnedUnits]
) -> dict[int, Returnable]:
    """Per product of the order: units shipped, returned so far, and so still returnable."""
    shipped: dict[int, int] = {}
    for line in lines:
        shipped[line.product_id] = shipped.get(line.product_id, 0) + line.shipped
    back: dict[int, int] = {}
    for r in returns:
        back[r.product_id] = back.get(r.product_id, 0) + r.quantity
    return {p: Returnable(p, n, back.get(p, 0)) for p, n in shipped.items()}


def check_return(order: Order, returns: Sequence[ReturnedUnits], product_id: int,
                 quantity: int) -> OrderLine:  # fmt: skip
    """The rules of a return; the order line the units are booked against."""
    if order.kind != OrderKind.CUSTOMER:
        raise Conflict("return_not_customer_order",
                       "По заказу можно вернуть только заказ покупателя (FBS): возврат "
                       "поставки оформите на странице операций")  # fmt: skip
    if order.status != Status.SHIPPED:
        raise Conflict("order_not_shipped",
                       f"Заказ {order.external_id} ещё не отгружен: вернуть можно только "
                       "отгруженный заказ")  # fmt: skip
    lines = [line for line in order.lines if line.product_id == product_id]
    if not lines:
        raise ValidationError("wrong_product", f"Этого товара нет в заказе {order.external_id}",
                              field="barcode")  # fmt: skip
    counts = returnable(order.lines, returns)[product_id]
    if quantity > counts.left:
        raise Conflict("return_exceeds_shipped",
                       f"По заказу отгружено {counts.shipped} шт. этого товара, уже возвращено "
                       f"{counts.returned}: вернуть можно ещё {counts.left}")  # fmt: skip
    per_line = {r.order_line_id: 0 for r in returns}
    for r in returns:
        per_line[r.order_line_id] += r.quantity
    # The first line with units left; a product on two lines is counted as one above.
    return next((ln for ln in lines if ln.shipped > per_line.get(ln.id, 0)), lines[0])


def gtin_forms(gtin: str) -> list[str]:
    """A GTIN-14 as a product's barcode or GTIN may be stored: GTIN-14, EAN-13, UPC-12,
    EAN-8 (the leading zeros dropped)."""
    return [gtin[14 - n :] for n in (14, 13, 12, 8) if gtin[: 14 - n].strip("0") == ""]


def _marked(uow: ReturnsUnitOfWork, scanned: ScannedCode) -> ProductRef:
    for form in gtin_forms(scanned.gtin):
        if (product := uow.returns.product_by_code(form)) is not None:
            return product
    raise ValidationError("product_not_found", "Товар с таким кодом не найден", field="barcode")


def _give_back(uow: ReturnsUnitOfWork, order: Order, product: ProductRef,
               scanned: ScannedCode | None, quantity: int) -> None:  # fmt: skip
    """A marked product comes back by its DataMatrix, one unit a scan: the order's shipped
    code is marked returned, so the unit may be shipped again."""
    if not product.requires_marking:
        return
    if scanned is None:
        raise ValidationError("marking_code_required", MARKING_SCAN, field="barcode")
    if quantity != 1:
        raise ValidationError("invalid_quantity", "Маркированный товар возвращается по одной "
                              "единице: сканируйте код каждой", field="quantity")  # fmt: skip
    if not uow.marking.give_back(order.id, scanned.gtin, scanned.serial, now_utc()):
        raise Conflict(
            "marking_code_not_shipped",
            "Этот код маркировки не уходил с этим заказом (или уже возвращён)",
        )


def _product(uow: ReturnsUnitOfWork, req: ReturnRequest) -> ProductRef:
    if req.product_id is not None:
        if isinstance(req.product_id, bool) or not isinstance(req.product_id, int):
            raise ValidationError("invalid_product", "Неверный товар", field="product_id")
        product = uow.catalog.product(req.product_id)
    else:
        code = text(req.barcode, "штрихкод", "barcode", limit=MAX_CODE, required=True)
        assert code is not None
        product = uow.returns.product_by_code(code)
    if product is None:
        raise ValidationError("product_not_found", "Товар с таким кодом не найден",
                              field="barcode")  # fmt: skip
    return product


def _source(uow: ReturnsUnitOfWork, order: Order, value: object) -> int:
    if order.source_id is not None:
        return order.source_id
    if isinstance(value, int) and not isinstance(value, bool):
        found = uow.catalog.source(value)
        if found is not None and found.is_active:
            return found.id
    raise ValidationError("source_required", "У заказа нет источника: укажите, откуда возврат",
                          field="source_id")  # fmt: skip


def _replay(uow: ReturnsUnitOfWork, key: str | None, user_id: int | None,
            order_id: int) -> ReturnDone | None:  # fmt: skip
    step = uow.orders.step_by_key(key, user_id) if key else None
    if step is None:
        return None
    if step.action != RETURN_STEP or step.order_id != order_id:
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого действия",
        )
    order = uow.orders.order(order_id)
    assert order is not None
    return ReturnDone(order, tuple(uow.returns.returned(order_id)), replayed=True)


def book_return(
    uow: ReturnsUnitOfWork, order_id: int, req: ReturnRequest, user_id: int | None, *,
    idempotency_key: str | None = None,
) -> ReturnDone:  # fmt: skip
    """Book `quantity` units of one product of a shipped order as returned, good or
    defective, in one transaction: the movement, the return row and the order's step."""
    key = clean_key(idempotency_key)
    if req.condition not in tuple(Condition):
        raise ValidationError("invalid_condition", "Состояние: good или defect",
                              field="condition")  # fmt: skip
    condition = Condition(str(req.condition))
    quantity = check_quantity(req.quantity)
    reason = text(req.reason, "причина брака", "reason", limit=MAX_REASON)
    if condition == Condition.DEFECT and reason is None:
        raise ValidationError("reason_required", "Укажите причину брака", field="reason")
    with uow:
        earlier = _replay(uow, key, user_id, order_id)
        if earlier is not None:
            return earlier
        # The order's row first: a second return of the same order waits here.
        if uow.orders.head(order_id, hold=True) is None:
            raise NotFound("order_not_found", "Заказ не найден")
        order = uow.orders.order(order_id)
        assert order is not None
        scanned = parse_code(req.barcode) if looks_like_marking(str(req.barcode or "")) else None
        product = _marked(uow, scanned) if scanned else _product(uow, req)
        line = check_return(order, uow.returns.returned(order_id), product.id, quantity)
        source_id = _source(uow, order, req.source_id)
        _give_back(uow, order, product, scanned, quantity)
        op = OPERATIONS[OPERATION_OF[condition]]
        assert op.from_location is not None and op.to_location is not None
        now = now_utc()
        label = CONDITION_LABELS[condition].lower()
        draft = MovementDraft(
            operation_type=op.code, product_id=product.id, quantity=quantity,
            from_location_id=uow.stock.location(Loc.CUSTOMERS).id,
            to_location_id=uow.stock.location(op.to_location).id, source_id=source_id,
            distribution_center_id=None, user_id=user_id,
            notes=f"Возврат по заказу {order.external_id}: {label}"
            + (f" — {reason}" if reason else ""),
            idempotency_key=None, document=f"{ORDER_DOCUMENT}:{order.id}", reversal_of=None,
            created_at=now,
        )  # fmt: skip
        movement = apply_movement(uow, draft, op.shortage_message)
        assert movement is not None, "a movement without a key is always written"
        uow.returns.add(ReturnDraft(order.id, line.id, product.id, quantity, condition, reason,
                                    movement.id, source_id, user_id, now))  # fmt: skip
        details = f"Возврат: {product.sku or product.barcode} × {quantity}, {label}" + (
            f" ({reason})" if reason else ""
        )
        if not uow.orders.add_step(Step(order.id, RETURN_STEP, order.status, user_id, now,
                                        details, key)):  # fmt: skip
            raise Conflict("idempotency_key_reused", "Этот ключ идемпотентности уже использован")
        done = ReturnDone(order, tuple(uow.returns.returned(order_id)), replayed=False)
        uow.commit()
    return done


def order_returns(uow: ReturnsUnitOfWork, order_id: int) -> list[ReturnedUnits]:
    with uow:
        if uow.orders.head(order_id) is None:
            raise NotFound("order_not_found", "Заказ не найден")
        return uow.returns.returned(order_id)


def find_shipped(uow: ReturnsUnitOfWork, code: object) -> list[Order]:
    """Shipped customer orders whose tracking number or order number is `code`."""
    typed = text(code, "трек-номер или номер заказа", "code", limit=MAX_CODE, required=True)
    assert typed is not None
    with uow:
        ids = uow.returns.shipped_orders(typed, MAX_FOUND)
        found = [uow.orders.order(i) for i in ids]
    return [o for o in found if o is not None]
