"""Inventory by count: a person enters how many they counted, core books the difference.

People count; they do not compute «shortage of 5». The difference against the stock is
posted as an ADJUSTMENT (gain or loss) through `post_movement`, so every rule of a
movement (reason required, no negative stock, idempotency) applies unchanged.
"""

from collections.abc import Callable
from dataclasses import dataclass

from core.errors import Conflict, ValidationError
from core.model import LocationRef
from core.stock.booking import VERSION_CONFLICT
from core.stock.movements import post_movement
from core.stock.operations import MAX_QUANTITY, WAREHOUSES, Direction
from core.stock.ports import StockUnitOfWork
from core.stock.requests import MovementRequest, Posted


@dataclass(frozen=True)
class CountRequest:
    product_id: int
    warehouse: str | None  # MAIN or DEFECT (None: `location_id` names it)
    counted: object  # checked here: a whole number, zero or more
    notes: str | None = None
    idempotency_key: str | None = None
    # The stock the person saw beside their count. If it has changed since (a shipment
    # meanwhile), the difference they saw is no longer the one that would be booked.
    expected: int | None = None
    # Or the position the person counted (DESIGN.md §2a): its location (MAIN, DEFECT, a bin)
    # instead of `warehouse`, and the version they saw; a quant changed since is refused
    # (version_conflict) by the very statement that would change it.
    location_id: int | None = None
    expected_version: int | None = None


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


def _counted_location(uow: StockUnitOfWork, req: CountRequest) -> LocationRef:
    if req.location_id is None:
        assert req.warehouse is not None
        return uow.stock.location(req.warehouse)
    location = uow.stock.location_by_id(req.location_id)
    # A warehouse's own place (MAIN, DEFECT) or one of its active bins: a bin belongs to
    # its warehouse, so an adjustment there changes that warehouse's balance (the sum of
    # its places) exactly as one at MAIN would. Stations and docks hold stock in transit.
    counted_here = location is not None and (
        location.code in WAREHOUSES or (location.kind == "bin" and location.is_active)
    )
    if not counted_here:
        raise ValidationError(
            "invalid_location",
            "Пересчёт проводится по складу MAIN (годный), DEFECT (брак) или по активной ячейке",
            field="location_id",
        )
    assert location is not None
    return location


def post_count(
    new_uow: Callable[[], StockUnitOfWork], req: CountRequest, *, user_id: int | None
) -> Counted:
    """Book `req.counted` as the stock of the product in the warehouse.

    Reads the stock, then posts the difference in a second unit of work (post_movement
    opens its own). A loss is still a conditional decrement, so stock never goes negative.
    """
    counted = check_counted(req.counted)
    if req.location_id is None and req.warehouse not in WAREHOUSES:
        raise ValidationError(
            "invalid_warehouse", "Укажите склад: MAIN (годный) или DEFECT (брак)",
            field="warehouse",
        )  # fmt: skip
    with new_uow() as uow:
        if req.idempotency_key:
            earlier = uow.ledger.movement_by_key(req.idempotency_key.strip(), user_id)
            if earlier is not None:  # a retry after a lost answer: the count is booked
                gained = earlier.to_location_id == _counted_location(uow, req).id
                before = counted - earlier.quantity if gained else counted + earlier.quantity
                return Counted(before, counted, Posted(earlier, replayed=True))
        product = uow.catalog.product(req.product_id)
        if product is None or product.is_deleted:
            raise ValidationError("product_not_found", "Товар не найден", field="product_id")
        warehouse = _counted_location(uow, req)
        stock, _reserved = uow.stock.on_hand(req.product_id, warehouse.id)
        version = uow.stock.version(req.product_id, warehouse.id) or 0  # no quant yet: 0
    if req.expected_version is not None and version != req.expected_version:
        raise Conflict("version_conflict", VERSION_CONFLICT)
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
    in_bin = warehouse.code not in WAREHOUSES
    request = MovementRequest(
        operation_type="ADJUSTMENT",
        quantity=quantity,
        product_id=req.product_id,
        warehouse=warehouse.warehouse_code,
        location_id=warehouse.id if in_bin else None,
        direction=direction,
        notes=req.notes,
        idempotency_key=req.idempotency_key,
        expected_version=req.expected_version,
    )
    return Counted(stock, counted, post_movement(new_uow(), request, user_id=user_id))
