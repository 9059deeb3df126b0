"""TRANSFER into and out of handling units (core.stock.movements) on storage in memory:
which fields an operation may carry, the unit's checks, the same place with another unit,
and a reversal back into its unit; plus the unit codes (core.floor.unit_codes)."""

import pytest

from core.errors import Conflict, ValidationError
from core.floor.unit_codes import gs1_check_digit, is_sscc, read_scan, sscc, unit_code
from core.model import HandlingUnitRef
from core.stock.movements import post_movement, reverse_movement
from core.stock.requests import MovementRequest
from tests.unit.fakes import FakeDatabase


@pytest.fixture
def fake() -> FakeDatabase:
    db = FakeDatabase()
    main = db.location_id("MAIN")
    db.tables.units[7] = HandlingUnitRef(7, "HU-000007", main, is_open=True)
    db.tables.units[8] = HandlingUnitRef(8, "HU-000008", main, is_open=False)
    db.tables.units[9] = HandlingUnitRef(9, "HU-000009", db.location_id("DEFECT"), True)
    return db


def transfer(fake: FakeDatabase, qty: int, src: str, dst: str, **units: int | None) -> object:
    product = next(iter(fake.tables.products))
    request = MovementRequest("TRANSFER", qty, product_id=product, from_location_id=
                              fake.location_id(src), to_location_id=fake.location_id(dst),
                              **units)  # type: ignore[arg-type]  # fmt: skip
    return post_movement(fake.unit_of_work(), request, user_id=None).movement


def test_stock_goes_into_a_unit_at_the_same_place_and_back(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    post_movement(fake.unit_of_work(), MovementRequest("RECEIPT", 10, product_id=product),
                  user_id=None)  # fmt: skip
    moved = transfer(fake, 6, "MAIN", "MAIN", handling_unit_id=7)
    main = fake.location_id("MAIN")
    assert fake.tables.unit_quants[(product, main, 7)].quantity == 6
    assert fake.on_hand(product, "MAIN") == 4
    back = reverse_movement(fake.unit_of_work(), moved.id, user_id=None).movement  # type: ignore[attr-defined]
    assert (back.from_handling_unit_id, back.handling_unit_id) == (7, None)
    assert fake.tables.unit_quants[(product, main, 7)].quantity == 0
    assert fake.tables.unit_quants[(product, main, 7)].version == 1  # created at 0, taken: 1


def test_a_unit_must_exist_be_open_and_stand_there(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    post_movement(fake.unit_of_work(), MovementRequest("RECEIPT", 10, product_id=product),
                  user_id=None)  # fmt: skip
    for units, error, code in [
        ({"handling_unit_id": 99}, ValidationError, "handling_unit_not_found"),
        ({"handling_unit_id": 8}, Conflict, "handling_unit_closed"),
        ({"handling_unit_id": 9}, Conflict, "handling_unit_elsewhere"),
        ({"from_handling_unit_id": 7}, Conflict, "insufficient_stock"),
        ({"handling_unit_id": 7, "from_handling_unit_id": 7}, ValidationError, "same_location"),
    ]:
        with pytest.raises(error) as refused:
            transfer(fake, 1, "MAIN", "MAIN", **units)
        assert refused.value.code == code
    assert fake.on_hand(product, "MAIN") == 10 and not fake.tables.unit_quants


def test_only_a_transfer_names_units(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    request = MovementRequest("RECEIPT", 1, product_id=product, handling_unit_id=7)
    with pytest.raises(ValidationError) as refused:
        post_movement(fake.unit_of_work(), request, user_id=None)
    assert (refused.value.code, refused.value.field) == ("field_not_allowed", "handling_unit_id")


def test_unit_codes() -> None:
    assert unit_code(123) == "HU-000123"
    code = sscc("4601234", 123, extension=1)
    assert code == "146012340000001233" and is_sscc(code) and unit_code(123, "4601234", 1) == code
    assert gs1_check_digit("00614141123456789") == 0  # GS1's published SSCC example
    assert read_scan(f"00{code}") == read_scan(f"]C100{code}") == read_scan(f"(00) {code}") == code
    assert read_scan(" hu-000123 ") == "HU-000123"
    assert not is_sscc("146012340000001234")
    with pytest.raises(ValidationError):
        sscc("12", 1)
