"""The rules of a return of a shipped order (core.orders.returns), without storage."""

from datetime import UTC, datetime

import pytest

from core.errors import Conflict, ValidationError
from core.orders.ports import Order, OrderLine
from core.orders.return_ports import ReturnedUnits
from core.orders.returns import check_return, returnable

NOW = datetime(2026, 12, 7, tzinfo=UTC)


def order(status: str = "shipped", kind: str = "customer", *lines: OrderLine) -> Order:
    return Order(1, "WB-1", 1, kind, "normal", status, "manual", None, None, "T-1", None, NOW,
                 NOW, None, None, None, lines=lines)  # fmt: skip


def line(line_id: int, product: int, shipped: int) -> OrderLine:
    return OrderLine(line_id, line_id, product, shipped, 0, shipped=shipped)


def back(line_id: int, product: int, quantity: int) -> ReturnedUnits:
    return ReturnedUnits(line_id * 10, 1, line_id, product, quantity, "good", None, 1, None, NOW)


def test_what_is_left_to_return_is_shipped_less_returned_per_product() -> None:
    counts = returnable([line(1, 7, 3), line(2, 7, 2), line(3, 8, 1)], [back(1, 7, 4)])
    assert (counts[7].shipped, counts[7].returned, counts[7].left) == (5, 4, 1)
    assert counts[8].left == 1


def test_a_return_never_exceeds_what_was_shipped() -> None:
    shipped = order("shipped", "customer", line(1, 7, 2))
    assert check_return(shipped, [back(1, 7, 1)], 7, 1).id == 1
    with pytest.raises(Conflict) as refused:
        check_return(shipped, [back(1, 7, 2)], 7, 1)
    assert refused.value.code == "return_exceeds_shipped"


def test_the_units_go_to_the_line_with_units_left() -> None:
    shipped = order("shipped", "customer", line(1, 7, 1), line(2, 7, 1))
    assert check_return(shipped, [back(1, 7, 1)], 7, 1).id == 2


def test_a_wrong_product_an_unshipped_order_and_a_supply_are_refused() -> None:
    with pytest.raises(ValidationError) as wrong:
        check_return(order("shipped", "customer", line(1, 7, 1)), [], 8, 1)
    assert wrong.value.code == "wrong_product"
    with pytest.raises(Conflict) as packed:
        check_return(order("packed", "customer", line(1, 7, 1)), [], 7, 1)
    assert packed.value.code == "order_not_shipped"
    with pytest.raises(Conflict) as supply:
        check_return(order("shipped", "supply", line(1, 7, 1)), [], 7, 1)
    assert supply.value.code == "return_not_customer_order"
