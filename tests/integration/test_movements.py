"""Every operation of the operations table: its effect on stock and its errors."""

import pytest
import sqlalchemy as sa

from core.catalog.products import delete_product, restore_product
from core.errors import Conflict, InsufficientStock, NotFound, ValidationError
from core.stock.movements import post_movement, reverse_movement
from core.stock.operations import MANUAL_OPERATIONS
from core.stock.requests import MovementRequest
from data.catalog.store import SqlProductStore
from data.database import Database
from data.db import write_session
from data.models import Product
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.helpers import dc_id, post, source_id, stock

# operation → (good, defect) change when 3 units are moved, starting from 10 good, 10 defect
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
}


def extra_fields(db: Database, code: str) -> dict[str, object]:
    if code in ("RETURN_PICKUP", "RETURN_DEFECT", "SELF_PURCHASE"):
        return {"source_id": source_id(db)}
    if code == "SHIPMENT_RC":
        return {"distribution_center_id": dc_id(db)}
    return {}


def test_every_operation_in_the_table_is_covered() -> None:
    assert set(EFFECTS) | {"ADJUSTMENT", "TRANSFER"} == set(MANUAL_OPERATIONS)


@pytest.mark.parametrize("code", sorted(EFFECTS))
def test_operation_moves_stock(db: Database, code: str) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    post(db, "RECEIPT_DEFECT", product, 10)

    posted = post(db, code, product, 3, **extra_fields(db, code))

    good, defect = EFFECTS[code]
    assert stock(db, product) == {
        "good": 10 + good,
        "defect": 10 + defect,
        "reserved": 0,
        "available": 10 + good,
    }
    assert posted.movement.operation_type == code
    assert posted.movement.quantity == 3
    assert not posted.replayed
    assert ledger_discrepancies(db.engine) == []


def test_shipment_records_the_marketplace_of_its_dc(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    posted = post(db, "SHIPMENT_RC", product, 2, distribution_center_id=dc_id(db, "Ozon Хоругвино"))
    assert posted.movement.source_id == source_id(db, "Ozon")


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("SHIPMENT_RC", "Недостаточно товара для отгрузки"),
        ("WRITE_OFF", "Недостаточно товара для списания в брак"),
        ("RESTORATION", "Недостаточно брака для восстановления"),
        ("UTILIZATION", "Недостаточно брака для утилизации"),
    ],
)
def test_shortage_is_refused_and_writes_nothing(db: Database, code: str, message: str) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 2)
    post(db, "RECEIPT_DEFECT", product, 2)

    with pytest.raises(InsufficientStock) as error:
        post(db, code, product, 3, **extra_fields(db, code))

    assert error.value.code == "insufficient_stock"
    assert error.value.message == f"{message}: доступно 2, запрошено 3"
    assert stock(db, product)["good"] == 2
    assert stock(db, product)["defect"] == 2
    assert movement_count(db) == 2


def movement_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM movement")).scalar_one()


def outbox_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM outbox_event")).scalar_one()


@pytest.mark.parametrize(
    ("warehouse", "direction", "expected"),
    [
        ("MAIN", "gain", (12, 5)),
        ("MAIN", "loss", (8, 5)),
        ("DEFECT", "gain", (10, 7)),
        ("DEFECT", "loss", (10, 3)),
    ],
)
def test_adjustment(
    db: Database, warehouse: str, direction: str, expected: tuple[int, int]
) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    post(db, "RECEIPT_DEFECT", product, 5)
    post(
        db, "ADJUSTMENT", product, 2, warehouse=warehouse, direction=direction,
        notes="пересчёт ячейки",
    )  # fmt: skip
    assert (stock(db, product)["good"], stock(db, product)["defect"]) == expected


def test_adjustment_needs_reason_warehouse_and_direction(db: Database) -> None:
    product = make_product(db)
    cases = [
        ({"warehouse": "MAIN", "direction": "gain"}, "reason_required"),
        ({"warehouse": "MAIN", "direction": "gain", "notes": "   "}, "reason_required"),
        ({"warehouse": "SHOP", "direction": "gain", "notes": "x"}, "invalid_warehouse"),
        ({"warehouse": "MAIN", "direction": "up", "notes": "x"}, "invalid_direction"),
        ({"notes": "x"}, "invalid_warehouse"),
    ]
    for fields, code in cases:
        with pytest.raises(ValidationError) as error:
            post(db, "ADJUSTMENT", product, 1, **fields)
        assert error.value.code == code, fields


def test_adjustment_loss_beyond_stock(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 1)
    with pytest.raises(InsufficientStock, match="инвентаризации"):
        post(db, "ADJUSTMENT", product, 2, warehouse="MAIN", direction="loss", notes="недостача")


def test_transfer_between_internal_locations(db: Database) -> None:
    product = make_product(db)
    main = db.unit_of_work().__enter__()
    try:
        main_id, defect_id = main.stock.location("MAIN").id, main.stock.location("DEFECT").id
        vendor_id = main.stock.location("VENDOR").id
    finally:
        main.__exit__(None, None, None)
    post(db, "RECEIPT", product, 4)
    post(db, "TRANSFER", product, 3, from_location_id=main_id, to_location_id=defect_id)
    assert stock(db, product)["good"] == 1
    assert stock(db, product)["defect"] == 3

    for fields, code in [
        ({"from_location_id": main_id}, "locations_required"),
        ({"from_location_id": main_id, "to_location_id": main_id}, "same_location"),
        ({"from_location_id": vendor_id, "to_location_id": main_id}, "invalid_location"),
        ({"from_location_id": main_id, "to_location_id": 9999}, "invalid_location"),
    ]:
        with pytest.raises(ValidationError) as error:
            post(db, "TRANSFER", product, 1, **fields)
        assert error.value.code == code
    with pytest.raises(InsufficientStock, match="перемещения"):
        post(db, "TRANSFER", product, 2, from_location_id=main_id, to_location_id=defect_id)


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "3", True, None, 1_000_001])
def test_quantity_must_be_a_sane_positive_integer(db: Database, quantity: object) -> None:
    product = make_product(db)
    with pytest.raises(ValidationError) as error:
        post(db, "RECEIPT", product, quantity)
    assert error.value.code in ("invalid_quantity", "quantity_too_large")
    assert movement_count(db) == 0


def test_conditional_fields(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    cases = [
        ("RETURN_PICKUP", {}, "source_required"),
        ("SHIPMENT_RC", {}, "distribution_center_required"),
        ("RECEIPT", {"source_id": source_id(db)}, "field_not_allowed"),
        ("RECEIPT", {"distribution_center_id": dc_id(db)}, "field_not_allowed"),
        ("RECEIPT", {"warehouse": "MAIN"}, "field_not_allowed"),
        ("RETURN_PICKUP", {"source_id": 999_999}, "source_not_found"),
        ("SHIPMENT_RC", {"distribution_center_id": 999_999}, "distribution_center_not_found"),
        ("NO_SUCH_OP", {}, "unknown_operation"),
        ("RECEIPT", {"notes": "x" * 1001}, "notes_too_long"),
    ]
    for code, fields, error_code in cases:
        with pytest.raises(ValidationError) as error:
            post(db, code, product, 1, **fields)
        assert error.value.code == error_code, (code, fields)
        assert error.value.message  # a Russian message for the person
    assert movement_count(db) == 1


def test_product_by_barcode_missing_or_deleted(db: Database) -> None:
    product = make_product(db, barcode="0460123456789")
    by_barcode = MovementRequest("RECEIPT", 2, barcode=" 0460123456789 ")
    assert post_movement(db.unit_of_work(), by_barcode, user_id=None).movement.product_id == product

    with pytest.raises(ValidationError) as error:
        post_movement(db.unit_of_work(), MovementRequest("RECEIPT", 1, barcode="123"), user_id=None)
    assert error.value.code == "product_not_found"
    with pytest.raises(ValidationError) as error:
        post_movement(db.unit_of_work(), MovementRequest("RECEIPT", 1), user_id=None)
    assert error.value.code == "product_required"

    with write_session(db.engine) as session:
        row = session.get(Product, product)
        assert row is not None
        row.is_deleted = True
        session.commit()
    with pytest.raises(ValidationError) as error:
        post(db, "RECEIPT", product, 1)
    assert error.value.code == "product_deleted"


def test_idempotent_retry_applies_once(db: Database) -> None:
    product = make_product(db)
    first = post(db, "RECEIPT", product, 5, idempotency_key="req-1")
    again = post(db, "RECEIPT", product, 5, idempotency_key="req-1")
    assert again.replayed and not first.replayed
    assert again.movement.id == first.movement.id
    assert stock(db, product)["good"] == 5
    assert outbox_count(db) == 1

    with pytest.raises(Conflict) as error:
        post(db, "RECEIPT", product, 6, idempotency_key="req-1")
    assert error.value.code == "idempotency_key_reused"


def test_refused_request_does_not_burn_its_key(db: Database) -> None:
    product = make_product(db)
    with pytest.raises(InsufficientStock):
        post(db, "WRITE_OFF", product, 1, idempotency_key="k")
    post(db, "RECEIPT", product, 1)
    assert not post(db, "WRITE_OFF", product, 1, idempotency_key="k").replayed


def test_movement_writes_an_outbox_event(db: Database) -> None:
    product = make_product(db)
    posted = post(db, "RECEIPT", product, 5, notes="поставка 17")
    with db.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT event_type, payload FROM outbox_event")).one()
    assert row.event_type == "movement.posted"
    assert f'"id": {posted.movement.id}' in row.payload
    assert "поставка 17" in row.payload


def test_reversal(db: Database) -> None:
    product = make_product(db)
    receipt = post(db, "RECEIPT", product, 5).movement
    reversal = reverse_movement(db.unit_of_work(), receipt.id, user_id=None).movement
    assert reversal.reversal_of == receipt.id
    assert reversal.operation_type == "RECEIPT"
    assert (reversal.from_location_id, reversal.to_location_id) == (
        receipt.to_location_id,
        receipt.from_location_id,
    )
    assert stock(db, product)["good"] == 0
    assert ledger_discrepancies(db.engine) == []

    with pytest.raises(Conflict) as error:
        reverse_movement(db.unit_of_work(), receipt.id, user_id=None)
    assert error.value.code == "already_reversed"
    with pytest.raises(Conflict) as error:
        reverse_movement(db.unit_of_work(), reversal.id, user_id=None)
    assert error.value.code == "cannot_reverse_reversal"
    with pytest.raises(NotFound):
        reverse_movement(db.unit_of_work(), 999_999, user_id=None)


def test_reversal_refused_when_stock_is_gone(db: Database) -> None:
    product = make_product(db)
    receipt = post(db, "RECEIPT", product, 5).movement
    post(db, "SHIPMENT_RC", product, 4, distribution_center_id=dc_id(db))
    with pytest.raises(InsufficientStock, match="сторнирования"):
        reverse_movement(db.unit_of_work(), receipt.id, user_id=None)
    assert stock(db, product)["good"] == 1

    shipment_reversed = reverse_movement(db.unit_of_work(), receipt.id + 1, user_id=None)
    assert shipment_reversed.movement.reversal_of == receipt.id + 1
    assert stock(db, product)["good"] == 5


def test_a_reversal_that_would_put_stock_back_on_a_deleted_product_is_refused(
    db: Database,
) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    shipment = post(db, "SHIPMENT_RC", product, 5, distribution_center_id=dc_id(db)).movement
    store = SqlProductStore(db.engine)
    delete_product(store, product)  # nothing left in stock: allowed
    with pytest.raises(Conflict) as error:
        reverse_movement(db.unit_of_work(), shipment.id, user_id=None)
    assert error.value.code == "product_deleted"
    with db.engine.connect() as conn:
        units = conn.execute(sa.text("SELECT coalesce(sum(quantity), 0) FROM quant")).scalar()
        assert units == 0 and conn.execute(sa.text("SELECT count(*) FROM movement")).scalar() == 2

    restore_product(store, product)  # restored, the reversal goes through
    reverse_movement(db.unit_of_work(), shipment.id, user_id=None)
    assert stock(db, product)["good"] == 5


def test_reversal_retry_with_key_is_replayed(db: Database) -> None:
    product = make_product(db)
    receipt = post(db, "RECEIPT", product, 5).movement
    first = reverse_movement(db.unit_of_work(), receipt.id, user_id=None, idempotency_key="r1")
    again = reverse_movement(db.unit_of_work(), receipt.id, user_id=None, idempotency_key="r1")
    assert again.replayed and again.movement.id == first.movement.id


def test_reserved_stock_cannot_be_shipped_or_written_off(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE quant SET reserved = 4 WHERE product_id = :p"), {"p": product})
    assert stock(db, product) == {"good": 5, "defect": 0, "reserved": 4, "available": 1}
    with pytest.raises(InsufficientStock):
        post(db, "SHIPMENT_RC", product, 2, distribution_center_id=dc_id(db))
    with pytest.raises(InsufficientStock):
        post(db, "WRITE_OFF", product, 2)
    post(db, "WRITE_OFF", product, 1)
    assert stock(db, product) == {"good": 4, "defect": 1, "reserved": 4, "available": 0}


def test_ledger_is_append_only(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    for statement in ("UPDATE movement SET quantity = 50", "DELETE FROM movement"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), db.engine.begin() as conn:
            conn.execute(sa.text(statement))
    assert movement_count(db) == 1


def test_database_refuses_negative_stock_even_behind_core(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 1)
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE quant SET quantity = -1 WHERE product_id = :p"), {"p": product}
        )


def test_shortage_names_the_unreserved_stock_as_available(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 105)
    with db.engine.begin() as conn:  # 5 held for an order: not available to ship
        conn.execute(sa.text("UPDATE quant SET reserved = 5 WHERE product_id = :p"), {"p": product})
    with pytest.raises(InsufficientStock) as error:
        post(db, "SHIPMENT_RC", product, 500, distribution_center_id=dc_id(db))
    assert error.value.code == "insufficient_stock"
    assert error.value.message == "Недостаточно товара для отгрузки: доступно 100, запрошено 500"
