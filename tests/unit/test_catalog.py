"""Products and reference data (core.catalog) on storage in memory."""

import pytest

from core.catalog.ports import ProductData
from core.catalog.products import (
    create_product,
    delete_product,
    get_product,
    restore_product,
    update_product,
)
from core.catalog.references import create_reference, update_reference
from core.errors import Conflict, NotFound, ValidationError
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from tests.unit.fakes import FakeDatabase, FakeProductStore, FakeReferenceStore

EAN = "4600000000008"  # valid EAN-13 check digit
EAN2 = "4600000000015"


def kettle(**changes: object) -> ProductData:
    values: dict[str, object] = {"sku": "KT-1", "name": "Чайник", "barcode": EAN}
    return ProductData(**{**values, **changes})  # type: ignore[arg-type]


def test_a_product_is_stored_cleaned_with_its_leading_zeros(fake: FakeDatabase) -> None:
    store = FakeProductStore(fake)
    product = create_product(store, kettle(barcode=" 0012345678905", gtin=" 96385074 ", sku=" A "))
    assert (product.barcode, product.gtin, product.sku) == ("0012345678905", "96385074", "A")
    assert get_product(store, product.id) == product


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"barcode": "46000000000A3"}, "invalid_barcode"),
        ({"barcode": "4600000000004"}, "invalid_barcode"),
        ({"barcode": "123"}, "invalid_barcode"),
        ({"gtin": "4600000000004"}, "invalid_gtin"),
        ({"name": "  "}, "name_required"),
        ({"sku": ""}, "sku_required"),
        ({"sku": "x" * 101}, "sku_too_long"),
        ({"min_stock": -1}, "invalid_min_stock"),
        ({"weight_g": 1.5}, "invalid_weight_g"),
        ({"height_mm": 100_001}, "invalid_height_mm"),
    ],
)
def test_an_invalid_product_is_refused_and_not_stored(
    fake: FakeDatabase, changes: dict[str, object], code: str
) -> None:
    with pytest.raises(ValidationError) as error:
        create_product(FakeProductStore(fake), kettle(**changes))
    assert error.value.code == code
    assert not fake.tables.products


def test_barcodes_and_gtins_are_unique_across_both_columns_deleted_products_too(
    fake: FakeDatabase,
) -> None:
    store = FakeProductStore(fake)
    first = create_product(store, kettle(gtin="96385074"))
    for data, code in [
        (kettle(sku="X"), "barcode_taken"),
        (kettle(barcode="96385074"), "barcode_taken"),  # another product's GTIN
        (kettle(barcode=EAN2, gtin=EAN), "gtin_taken"),
    ]:
        with pytest.raises(Conflict) as error:
            create_product(store, data)
        assert error.value.code == code
    delete_product(store, first.id)
    with pytest.raises(Conflict, match="восстановить"):
        create_product(store, kettle())


def test_an_update_changes_the_fields_given_and_keeps_the_others(fake: FakeDatabase) -> None:
    store = FakeProductStore(fake)
    product = create_product(store, kettle())
    changed = update_product(store, product.id, {"name": "Чайник 2 л", "min_stock": 5})
    assert (changed.name, changed.min_stock, changed.barcode) == ("Чайник 2 л", 5, EAN)
    with pytest.raises(ValidationError, match="Неизвестное поле"):
        update_product(store, product.id, {"is_deleted": True})
    with pytest.raises(NotFound):
        update_product(store, 999, {"name": "x"})


def test_a_deleted_product_is_not_edited_until_restored(fake: FakeDatabase) -> None:
    store = FakeProductStore(fake)
    product = create_product(store, kettle())
    assert delete_product(store, product.id).is_deleted
    with pytest.raises(Conflict) as error:
        update_product(store, product.id, {"name": "x"})
    assert error.value.code == "product_deleted"
    assert not restore_product(store, product.id).is_deleted
    assert update_product(store, product.id, {"name": "x"}).name == "x"


def test_a_product_in_stock_good_or_defect_cannot_be_deleted(fake: FakeDatabase) -> None:
    store = FakeProductStore(fake)
    product = create_product(store, kettle()).id
    receipt = MovementRequest("RECEIPT_DEFECT", 2, product_id=product)
    post_movement(fake.unit_of_work(), receipt, user_id=None)
    with pytest.raises(Conflict) as error:
        delete_product(store, product)
    assert error.value.code == "product_in_stock"
    utilization = MovementRequest("UTILIZATION", 2, product_id=product)
    post_movement(fake.unit_of_work(), utilization, user_id=None)
    assert delete_product(store, product).is_deleted


def test_a_dc_belongs_to_a_marketplace_and_names_are_unique_in_any_case(
    fake: FakeDatabase,
) -> None:
    store = FakeReferenceStore(fake)
    source = create_reference(store, "source", " Lamoda ")
    dc = create_reference(store, "distribution_center", "Lamoda Подольск", source.id)
    assert (source.name, dc.source_id) == ("Lamoda", source.id)
    with pytest.raises(Conflict) as taken:
        create_reference(store, "source", "lamoda")
    with pytest.raises(ValidationError) as orphan:
        create_reference(store, "distribution_center", "Без маркетплейса")
    with pytest.raises(ValidationError) as source_of_source:
        create_reference(store, "source", "Avito", source.id)
    assert (taken.value.code, orphan.value.code, source_of_source.value.code) == (
        "name_taken", "source_not_found", "field_not_allowed",
    )  # fmt: skip


def test_a_reference_is_deactivated_not_renamed_by_a_partial_update(fake: FakeDatabase) -> None:
    store = FakeReferenceStore(fake)
    dc = fake.dc_id()
    off = update_reference(store, "distribution_center", dc, is_active=False)
    assert not off.is_active and off.name == "WB Коледино" and off.source_id == fake.source_id()
    with pytest.raises(NotFound):
        update_reference(store, "source", 999, name="x")
    with pytest.raises(ValidationError) as error:
        update_reference(store, "source", fake.source_id(), name="x" * 101)
    assert error.value.code == "name_too_long"
