"""Inventory by count (core.stock.inventory) on storage in memory."""

from typing import Any

import pytest

from core.errors import Conflict, ValidationError
from core.stock.inventory import Counted, CountRequest, post_count
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from tests.unit.fakes import FakeDatabase


def count(
    fake: FakeDatabase, product: int, warehouse: str | None, counted: object, **kw: Any
) -> Counted:
    request = CountRequest(product, warehouse, counted, notes="Пересчёт", **kw)
    return post_count(fake.unit_of_work, request, user_id=None)


def receive(fake: FakeDatabase, product: int, quantity: int, code: str = "RECEIPT") -> None:
    request = MovementRequest(code, quantity, product_id=product)
    post_movement(fake.unit_of_work(), request, user_id=None)


@pytest.mark.parametrize(
    ("warehouse", "counted", "direction", "booked"),
    [("MAIN", 7, "loss", 3), ("MAIN", 14, "gain", 4), ("DEFECT", 0, "loss", 10)],
)
def test_a_count_books_the_difference_against_the_stock_as_an_adjustment(
    fake: FakeDatabase, warehouse: str, counted: int, direction: str, booked: int
) -> None:
    product = fake.add_product(1)
    receive(fake, product, 10)
    receive(fake, product, 10, "RECEIPT_DEFECT")
    result = count(fake, product, warehouse, counted)
    assert (result.stock, result.counted) == (10, counted)
    assert result.posted is not None
    movement = result.posted.movement
    assert (movement.operation_type, movement.quantity) == ("ADJUSTMENT", booked)
    stock_location = fake.location_id(warehouse)
    gained = movement.to_location_id == stock_location
    assert gained == (direction == "gain")
    assert fake.on_hand(product, warehouse) == counted


def test_a_count_equal_to_the_stock_posts_nothing(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    receive(fake, product, 5)
    assert count(fake, product, "MAIN", 5).posted is None
    assert len(fake.tables.movements) == 1


def test_a_stock_changed_since_it_was_shown_is_refused(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    receive(fake, product, 11)
    with pytest.raises(Conflict) as error:
        count(fake, product, "MAIN", 8, expected=10)
    assert error.value.code == "stock_changed"
    assert fake.on_hand(product, "MAIN") == 11


def test_a_retried_count_is_booked_once_and_answers_as_the_first(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    receive(fake, product, 10)
    first = count(fake, product, "MAIN", 8, idempotency_key="count-1", expected=10)
    again = count(fake, product, "MAIN", 8, idempotency_key="count-1", expected=10)
    assert first.posted is not None and again.posted is not None and again.posted.replayed
    assert again.posted.movement == first.posted.movement
    assert (again.stock, again.counted) == (10, 8)
    assert fake.on_hand(product, "MAIN") == 8


@pytest.mark.parametrize("counted", [-1, 2.5, "2,5", True, None, 1_000_001])
def test_a_count_that_is_not_a_sane_whole_number_is_refused(
    fake: FakeDatabase, counted: object
) -> None:
    product = fake.add_product(1)
    with pytest.raises(ValidationError):
        count(fake, product, "MAIN", counted)


def test_a_count_of_a_missing_product_or_warehouse_is_refused(fake: FakeDatabase) -> None:
    with pytest.raises(ValidationError) as missing:
        count(fake, 999, "MAIN", 1)
    with pytest.raises(ValidationError) as warehouse:
        count(fake, fake.add_product(1), "SCRAP", 1)
    assert (missing.value.code, warehouse.value.code) == ("product_not_found", "invalid_warehouse")


def test_a_shortage_still_needs_a_reason(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    receive(fake, product, 5)
    with pytest.raises(ValidationError) as error:
        post_count(fake.unit_of_work, CountRequest(product, "MAIN", 3), user_id=None)
    assert error.value.code == "reason_required"
    assert fake.on_hand(product, "MAIN") == 5


def test_a_count_of_a_position_names_its_version_and_a_stale_one_is_refused(
    fake: FakeDatabase,
) -> None:
    product = fake.add_product(1)
    receive(fake, product, 10)
    receive(fake, product, 2)  # the quant is at version 1
    main = fake.location_id("MAIN")
    with pytest.raises(Conflict) as error:
        count(fake, product, None, 8, location_id=main, expected_version=0)
    assert error.value.code == "version_conflict"
    assert fake.on_hand(product, "MAIN") == 12
    booked = count(fake, product, None, 8, location_id=main, expected_version=1)
    assert booked.posted is not None and booked.posted.movement.quantity == 4
    assert fake.tables.quants[(product, main)].version == 2


def test_a_version_is_only_for_a_count(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    request = MovementRequest("RECEIPT", 1, product_id=product, expected_version=0)
    with pytest.raises(ValidationError) as error:
        post_movement(fake.unit_of_work(), request, user_id=None)
    assert error.value.code == "field_not_allowed"
