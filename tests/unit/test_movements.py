"""Posting and reversing movements (core.stock.movements) on storage in memory."""

import pytest

from core.catalog.products import delete_product
from core.errors import Conflict, InsufficientStock, NotFound, ValidationError
from core.events import EventType
from core.stock.movements import post_movement, reverse_movement
from core.stock.operations import MANUAL_OPERATIONS
from core.stock.requests import MovementRequest, Posted
from tests.unit.fakes import FakeDatabase, FakeProductStore

# operation → (good, defect) change when 3 units move, from 10 good and 10 defect
EFFECTS = {
    "RECEIPT": (3, 0),
    "RECEIPT_DEFECT": (0, 3),
    "RETURN_PICKUP": (3, 0),
    "RETURN_DEFECT": (0, 3),
    "SELF_PURCHASE": (3, 0),
    "SHIPMENT_RC": (-3, 0),
    "WRITE_OFF": (-3, 3),
    "RESTORATION": (3, -3),
    "UTILIZATION": (0, -3),
    "ADJUSTMENT": (-3, 0),  # MAIN, loss
    "TRANSFER": (-3, 3),  # MAIN → DEFECT
}


def fields(fake: FakeDatabase, code: str) -> dict[str, object]:
    """What each operation needs besides the product and the quantity."""
    if code in ("RETURN_PICKUP", "RETURN_DEFECT", "SELF_PURCHASE"):
        return {"source_id": fake.source_id()}
    if code == "SHIPMENT_RC":
        return {"distribution_center_id": fake.dc_id()}
    if code == "ADJUSTMENT":
        return {"warehouse": "MAIN", "direction": "loss", "notes": "недостача"}
    if code == "TRANSFER":
        main, defect = fake.location_id("MAIN"), fake.location_id("DEFECT")
        return {"from_location_id": main, "to_location_id": defect}
    return {}


def post(
    fake: FakeDatabase,
    code: str,
    product: int,
    quantity: object,
    user_id: int | None = None,
    **kw: object,
) -> Posted:
    request = MovementRequest(code, quantity, product_id=product, **kw)  # type: ignore[arg-type]
    return post_movement(fake.unit_of_work(), request, user_id=user_id)


def stock(fake: FakeDatabase, product: int) -> tuple[int, int]:
    return fake.on_hand(product, "MAIN"), fake.on_hand(product, "DEFECT")


def stocked(fake: FakeDatabase, good: int = 10, defect: int = 10) -> int:
    product = fake.add_product(1)
    post(fake, "RECEIPT", product, good)
    if defect:
        post(fake, "RECEIPT_DEFECT", product, defect)
    return product


def test_the_effects_cover_every_operation_in_the_table() -> None:
    assert set(EFFECTS) == set(MANUAL_OPERATIONS)


@pytest.mark.parametrize("code", sorted(EFFECTS))
def test_each_operation_moves_stock_as_the_operations_table_says(
    fake: FakeDatabase, code: str
) -> None:
    product = stocked(fake)
    posted = post(fake, code, product, 3, **fields(fake, code))
    good, defect = EFFECTS[code]
    assert stock(fake, product) == (10 + good, 10 + defect)
    assert (posted.movement.operation_type, posted.movement.quantity) == (code, 3)
    assert not posted.replayed and posted.names is not None
    # The movement's own event; a move between two internal places adds inventory.moved.
    ours = [e for e in fake.tables.events if e[0] == EventType.MOVEMENT_POSTED]
    assert ours[-1] == (EventType.MOVEMENT_POSTED, posted.movement.as_event())


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("SHIPMENT_RC", "Недостаточно товара для отгрузки"),
        ("WRITE_OFF", "Недостаточно товара для списания в брак"),
        ("RESTORATION", "Недостаточно брака для восстановления"),
        ("UTILIZATION", "Недостаточно брака для утилизации"),
        ("ADJUSTMENT", "Недостаточно товара для списания по инвентаризации"),
        ("TRANSFER", "Недостаточно товара для перемещения"),
    ],
)
def test_a_shortage_is_refused_with_the_numbers_and_writes_nothing(
    fake: FakeDatabase, code: str, message: str
) -> None:
    product = stocked(fake, good=2, defect=2)
    with pytest.raises(InsufficientStock) as error:
        post(fake, code, product, 3, **fields(fake, code))
    assert error.value.message == f"{message}: доступно 2, запрошено 3"
    assert stock(fake, product) == (2, 2)
    assert len(fake.tables.movements) == 2 and len(fake.tables.events) == 2


def test_reserved_stock_is_not_taken_and_not_offered_as_available(fake: FakeDatabase) -> None:
    product = stocked(fake, good=5, defect=0)
    fake.reserve(product, "MAIN", 4)
    with pytest.raises(InsufficientStock, match="доступно 1, запрошено 2"):
        post(fake, "WRITE_OFF", product, 2)
    post(fake, "WRITE_OFF", product, 1)
    assert stock(fake, product) == (4, 1)


def test_a_shipment_records_the_marketplace_of_its_dc(fake: FakeDatabase) -> None:
    product = stocked(fake)
    posted = post(
        fake, "SHIPMENT_RC", product, 1, distribution_center_id=fake.dc_id("Ozon Хоругвино")
    )
    assert posted.movement.source_id == fake.source_id("Ozon")
    assert posted.names is not None and posted.names.source_name == "Ozon"


@pytest.mark.parametrize(
    ("code", "kw", "error_code"),
    [
        ("RETURN_PICKUP", {}, "source_required"),
        ("RECEIPT", {"source_id": 1}, "field_not_allowed"),
        ("SHIPMENT_RC", {}, "distribution_center_required"),
        ("SHIPMENT_RC", {"distribution_center_id": 999}, "distribution_center_not_found"),
        ("RETURN_PICKUP", {"source_id": 999}, "source_not_found"),
        ("ADJUSTMENT", {"warehouse": "MAIN", "direction": "loss"}, "reason_required"),
        ("ADJUSTMENT", {"warehouse": "X", "direction": "loss", "notes": "n"}, "invalid_warehouse"),
        ("TRANSFER", {"from_location_id": 1}, "locations_required"),
        ("TRANSFER", {"from_location_id": 1, "to_location_id": 1}, "same_location"),
        ("TRANSFER", {"from_location_id": 3, "to_location_id": 1}, "invalid_location"),
        ("NO_SUCH", {}, "unknown_operation"),
    ],
)
def test_a_request_missing_or_adding_fields_is_refused(
    fake: FakeDatabase, code: str, kw: dict[str, object], error_code: str
) -> None:
    product = stocked(fake)
    with pytest.raises(ValidationError) as error:
        post(fake, code, product, 1, **kw)
    assert error.value.code == error_code


@pytest.mark.parametrize("quantity", [0, -1, 2.5, "3", True, 1_000_001])
def test_the_quantity_must_be_a_sane_positive_integer(fake: FakeDatabase, quantity: object) -> None:
    product = fake.add_product(1)
    with pytest.raises(ValidationError):
        post(fake, "RECEIPT", product, quantity)
    assert not fake.tables.movements


def test_a_product_is_found_by_barcode_but_not_when_deleted(fake: FakeDatabase) -> None:
    product = fake.add_product(7)
    request = MovementRequest("RECEIPT", 1, barcode=" 4600000000007 ")
    assert post_movement(fake.unit_of_work(), request, user_id=None).movement.product_id == product
    post(fake, "WRITE_OFF", product, 1)
    post(fake, "UTILIZATION", product, 1)
    delete_product(FakeProductStore(fake), product)
    with pytest.raises(ValidationError, match="удалён"):
        post_movement(fake.unit_of_work(), request, user_id=None)
    with pytest.raises(ValidationError) as error:
        post_movement(fake.unit_of_work(), MovementRequest("RECEIPT", 1, barcode="1"), user_id=None)
    assert error.value.code == "product_not_found"


def test_a_retry_with_the_same_key_is_applied_once(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    first = post(fake, "RECEIPT", product, 5, idempotency_key="k1", user_id=7)
    again = post(fake, "RECEIPT", product, 5, idempotency_key="k1", user_id=7)
    assert again.replayed and again.movement == first.movement and again.names is None
    assert stock(fake, product) == (5, 0)


def test_another_users_equal_key_is_a_new_request(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    post(fake, "RECEIPT", product, 5, idempotency_key="k1", user_id=7)
    other = post(fake, "RECEIPT", product, 5, idempotency_key="k1", user_id=8)
    assert not other.replayed and stock(fake, product) == (10, 0)


def test_a_key_reused_for_another_request_is_a_conflict(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    post(fake, "RECEIPT", product, 5, idempotency_key="k1")
    with pytest.raises(Conflict) as error:
        post(fake, "RECEIPT", product, 6, idempotency_key="k1")
    assert error.value.code == "idempotency_key_reused"


def test_a_refused_request_does_not_burn_its_key(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    with pytest.raises(InsufficientStock):
        post(fake, "WRITE_OFF", product, 1, idempotency_key="k")
    post(fake, "RECEIPT", product, 1)
    assert not post(fake, "WRITE_OFF", product, 1, idempotency_key="k").replayed


def test_a_reversal_swaps_the_locations_and_undoes_the_stock(fake: FakeDatabase) -> None:
    product = stocked(fake)
    shipped = post(fake, "SHIPMENT_RC", product, 4, **fields(fake, "SHIPMENT_RC")).movement
    reversal = reverse_movement(fake.unit_of_work(), shipped.id, user_id=3).movement
    assert stock(fake, product) == (10, 10)
    assert (reversal.from_location_id, reversal.to_location_id) == (
        shipped.to_location_id, shipped.from_location_id,
    )  # fmt: skip
    assert reversal.reversal_of == shipped.id and reversal.operation_type == "SHIPMENT_RC"
    assert reversal.notes == f"Сторно операции №{shipped.id}"


def test_a_movement_is_reversed_once_and_a_reversal_never(fake: FakeDatabase) -> None:
    product = stocked(fake)
    receipt = post(fake, "RECEIPT", product, 1).movement
    reversal = reverse_movement(fake.unit_of_work(), receipt.id, user_id=None).movement
    with pytest.raises(Conflict) as again:
        reverse_movement(fake.unit_of_work(), receipt.id, user_id=None)
    with pytest.raises(Conflict) as of_reversal:
        reverse_movement(fake.unit_of_work(), reversal.id, user_id=None)
    with pytest.raises(NotFound):
        reverse_movement(fake.unit_of_work(), 999, user_id=None)
    assert (again.value.code, of_reversal.value.code) == (
        "already_reversed",
        "cannot_reverse_reversal",
    )


def test_a_reversal_is_refused_when_the_stock_is_gone(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    receipt = post(fake, "RECEIPT", product, 3).movement
    post(fake, "WRITE_OFF", product, 2)
    with pytest.raises(InsufficientStock, match="остаток уже израсходован"):
        reverse_movement(fake.unit_of_work(), receipt.id, user_id=None)
    assert stock(fake, product) == (1, 2)


def test_a_retried_reversal_with_its_key_is_replayed(fake: FakeDatabase) -> None:
    product = fake.add_product(1)
    receipt = post(fake, "RECEIPT", product, 3).movement
    first = reverse_movement(fake.unit_of_work(), receipt.id, user_id=None, idempotency_key="r")
    again = reverse_movement(fake.unit_of_work(), receipt.id, user_id=None, idempotency_key="r")
    assert again.replayed and again.movement == first.movement
