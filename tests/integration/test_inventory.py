"""Inventory by count (core.stock.inventory): the counted quantity in, the difference booked."""

from typing import Any

import pytest

from core.errors import Conflict, ValidationError
from core.stock.inventory import Counted, CountRequest, difference, post_count
from core.stock.operations import Direction
from data.database import Database
from data.stock.journal import journal
from tests.conftest import make_product
from tests.helpers import post, stock


def count(db: Database, product: int, warehouse: str, counted: object, **kw: Any) -> Counted:
    request = CountRequest(product, warehouse, counted, notes="Пересчёт", **kw)
    return post_count(db.unit_of_work, request, user_id=None)


def test_difference_is_the_adjustment_that_makes_stock_the_count() -> None:
    assert difference(105, 100) == (Direction.LOSS, 5)
    assert difference(4, 6) == (Direction.GAIN, 2)
    assert difference(7, 7) is None
    assert difference(0, 0) is None


def test_a_count_below_the_stock_books_a_shortage(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 105)
    counted = count(db, product, "MAIN", 100)
    assert (counted.stock, counted.counted) == (105, 100)
    assert counted.posted is not None
    movement = counted.posted.movement
    assert (movement.operation_type, movement.quantity) == ("ADJUSTMENT", 5)
    assert stock(db, product)["good"] == 100


def test_a_count_above_the_stock_books_a_surplus(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT_DEFECT", product, 4)
    counted = count(db, product, "DEFECT", 6)
    assert counted.posted is not None and counted.posted.movement.quantity == 2
    assert stock(db, product)["defect"] == 6


def test_a_count_of_zero_empties_the_warehouse(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 3)
    count(db, product, "MAIN", 0)
    assert stock(db, product)["good"] == 0


def test_a_count_equal_to_the_stock_posts_nothing(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 7)
    counted = count(db, product, "MAIN", 7)
    assert counted.posted is None
    assert journal(db.engine).total == 1


def test_a_stock_changed_since_it_was_shown_is_refused(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 11)
    with pytest.raises(Conflict) as error:
        count(db, product, "MAIN", 8, expected=10)
    assert error.value.code == "stock_changed"
    assert stock(db, product)["good"] == 11


def test_a_retried_count_is_booked_once(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    first = count(db, product, "MAIN", 8, idempotency_key="count-1", expected=10)
    again = count(db, product, "MAIN", 8, idempotency_key="count-1", expected=10)
    assert first.posted is not None and again.posted is not None
    assert again.posted.replayed
    assert again.posted.movement.id == first.posted.movement.id
    assert (again.stock, again.counted) == (10, 8)
    assert stock(db, product)["good"] == 8


@pytest.mark.parametrize("counted", [-1, 2.5, "2,5", True, None])
def test_a_count_that_is_not_a_whole_number_is_refused(db: Database, counted: object) -> None:
    product = make_product(db)
    with pytest.raises(ValidationError) as error:
        count(db, product, "MAIN", counted)
    assert error.value.code == "invalid_quantity"


def test_a_shortage_still_needs_a_reason(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    request = CountRequest(product, "MAIN", 3)
    with pytest.raises(ValidationError) as error:
        post_count(db.unit_of_work, request, user_id=None)
    assert error.value.code == "reason_required"
