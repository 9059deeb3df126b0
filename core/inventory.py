"""Inventory by count: a person enters how many they counted, core books the difference.

People count; they do not compute «shortage of 5». The difference against the stock is
posted as an ADJUSTMENT (gain or loss) through `post_movement`, so every rule of a
movement (reason required, no negative stock, idempotency) applies unchanged.
"""

from collections.abc import Callable
from dataclasses import dataclass

from core.errors import Conflict, ValidationError
from core.movements import MovementRequest, Posted, post_movement
from core.operations import MAX_QUANTITY, WAREHOUSES, Direction
from core.ports import UnitOfWork


@dataclass(frozen=True)
class CountRequest:
    product_id: int
    warehouse: str  # MAIN or DEFECT
    counted: object  # checked here: a whole number, zero or more
    notes: str | None = None
    idempotency_key: str | None = None
    # The stock the person saw beside their count. If it has changed since (a shipment
    # meanwhile), the difference they saw is no longer the one that would be booked.
    expected: int | None = None


@dataclass(frozen=True)
class Counted:
    stock: int  # before the count was booked
    counted: int
    posted: Posted | None  # None: the count equals the stock, nothing was posted


def difference(stock: int, counted: int) -> tuple[Direction, int] | None:
    """The adjustment that makes `stock` equal `counted`; None when they are equal."""
    if counted == stock:
        return None
    if counted > stock:
        return Direction.GAIN, counted - stock
    return Direction.LOSS, stock - counted


def check_counted(counted: object) -> int:
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise ValidationError(
            "invalid_quantity",
            "Посчитанное количество должно быть целым числом, не меньше нуля",
            field="quantity",
        )
    if counted > MAX_QUANTITY:
        raise ValidationError(
            "quantity_too_large",
            f"Слишком большое количество: не больше {MAX_QUANTITY:,}".replace(",", " "),
            field="quantity",
        )
    return counted


def post_count(
    new_uow: Callable[[], UnitOfWork], req: CountRequest, *, user_id: int | None
) -> Counted:
    """Book `req.counted` as the stock of the product in the warehouse.

    Reads the stock, then posts the difference in a second unit of work (post_movement
    opens its own). A loss is still a conditional decrement, so stock never goes negative.
    """
    counted = check_counted(req.counted)
    if req.warehouse not in WAREHOUSES:
        raise ValidationError(
            "invalid_warehouse", "Укажите склад: MAIN (годный) или DEFECT (брак)",
            field="warehouse",
        )  # fmt: skip
    with new_uow() as uow:
        if req.idempotency_key:
            earlier = uow.movement_by_key(req.idempotency_key.strip(), user_id)
            if earlier is not None:  # a retry after a lost answer: the count is booked
                gained = earlier.to_location_id == uow.location(req.warehouse).id
                before = counted - earlier.quantity if gained else counted + earlier.quantity
                return Counted(before, counted, Posted(earlier, replayed=True))
        product = uow.product(req.product_id)
        if product is None or product.is_deleted:
            raise ValidationError("product_not_found", "Товар не найден", field="product_id")
        stock, _reserved = uow.on_hand(req.product_id, uow.location(req.warehouse).id)
    if req.expected is not None and stock != req.expected:
        raise Conflict(
            "stock_changed",
            f"Остаток изменился, пока шёл пересчёт: было {req.expected}, сейчас {stock}. "
            "Проверьте пересчёт и проведите снова",
        )
    change = difference(stock, counted)
    if change is None:
        return Counted(stock, counted, None)
    direction, quantity = change
    request = MovementRequest(
        operation_type="ADJUSTMENT",
        quantity=quantity,
        product_id=req.product_id,
        warehouse=req.warehouse,
        direction=direction,
        notes=req.notes,
        idempotency_key=req.idempotency_key,
    )
    return Counted(stock, counted, post_movement(new_uow(), request, user_id=user_id))
