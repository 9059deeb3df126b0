"""A bin count (core.floor.counts) on storage in memory: each line booked at the bin with
the version it names; a changed position comes back for recount; the rest stay booked."""

import pytest

from core.errors import ValidationError
from core.floor.counts import CountLine, Outcome, submit_count
from core.model import LocationRef
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from tests.unit.fakes import FakeDatabase


def add_bin(fake: FakeDatabase, code: str, *, active: bool = True) -> int:
    new_id = max(fake.locations) + 1
    fake.locations[new_id] = LocationRef(new_id, code, code, True, "MAIN", active, "bin")
    return new_id


def move(fake: FakeDatabase, op: str, product: int, quantity: int, **kw: object) -> None:
    request = MovementRequest(op, quantity, product_id=product, **kw)  # type: ignore[arg-type]
    post_movement(fake.unit_of_work(), request, user_id=None)


def stocked(fake: FakeDatabase) -> tuple[int, int, int]:
    place, main = add_bin(fake, "A-01"), fake.location_id("MAIN")
    mug, plate = fake.add_product(1), fake.add_product(2)
    for product, units in ((mug, 6), (plate, 4)):
        move(fake, "RECEIPT", product, units)
        move(fake, "TRANSFER", product, units, from_location_id=main, to_location_id=place)
    return place, mug, plate


def test_each_line_is_booked_at_the_bin_and_a_changed_one_comes_back(fake: FakeDatabase) -> None:
    place, mug, plate = stocked(fake)
    seen = {p: fake.tables.quants[(p, place)].version for p in (mug, plate)}
    move(fake, "RECEIPT", mug, 1)
    move(fake, "TRANSFER", mug, 1, from_location_id=fake.location_id("MAIN"),
         to_location_id=place)  # fmt: skip  # the mugs changed meanwhile
    lines = [CountLine(mug, 6, seen[mug]), CountLine(plate, 3, seen[plate])]
    mugs, plates = submit_count(fake.unit_of_work, place, lines, user_id=None, reason="Пересчёт")
    assert (mugs.outcome, mugs.stock, mugs.version) == (Outcome.RECOUNT, 7, seen[mug] + 1)
    assert (plates.outcome, plates.stock, plates.counted) == (Outcome.BOOKED, 4, 3)
    assert (
        fake.tables.quants[(mug, place)].quantity,
        fake.tables.quants[(plate, place)].quantity,
    ) == (7, 3)
    assert fake.on_hand(plate, "MAIN") == 0  # booked at the bin, not at MAIN


def test_a_count_equal_to_the_stock_books_nothing(fake: FakeDatabase) -> None:
    place, mug, _plate = stocked(fake)
    version = fake.tables.quants[(mug, place)].version
    (result,) = submit_count(fake.unit_of_work, place, [CountLine(mug, 6, version)],
                             user_id=None, reason="Пересчёт")  # fmt: skip
    assert (result.outcome, result.movement_id, result.version) == (Outcome.MATCHED, None, version)


def test_an_inactive_bin_is_not_counted(fake: FakeDatabase) -> None:
    product, off = fake.add_product(1), add_bin(fake, "OFF", active=False)
    (result,) = submit_count(fake.unit_of_work, off, [CountLine(product, 1, 0)], user_id=None,
                             reason="Пересчёт")  # fmt: skip
    assert result.outcome == Outcome.REFUSED and "активной ячейке" in result.message


def test_a_product_twice_in_one_count_is_refused(fake: FakeDatabase) -> None:
    place, mug, _plate = stocked(fake)
    with pytest.raises(ValidationError) as refused:
        submit_count(fake.unit_of_work, place, [CountLine(mug, 1, 1), CountLine(mug, 2, 1)],
                     user_id=None, reason="Пересчёт")  # fmt: skip
    assert refused.value.code == "duplicate_product"


def test_a_place_for_the_count_only_with_an_adjustment(fake: FakeDatabase) -> None:
    product, place = fake.add_product(1), add_bin(fake, "A-02")
    with pytest.raises(ValidationError) as refused:
        move(fake, "RECEIPT", product, 1, location_id=place)
    assert refused.value.code == "field_not_allowed"
