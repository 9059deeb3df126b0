"""Products over the API: list, create, read, change, soft-delete, restore."""

from typing import Any

import jsonschema_rs
from nicegui.testing import User

from data.database import Database
from tests.api_client import assert_error, barcode, signed_in


async def test_create_read_and_list_products(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    code = barcode()
    response = await api.post(
        "/products",
        json={"sku": " MUG-1 ", "name": "Кружка белая", "barcode": code, "min_stock": 5},
    )
    assert response.status_code == 201
    product = response.json()
    assert product == {
        "id": product["id"],
        "sku": "MUG-1",
        "name": "Кружка белая",
        "barcode": code,
        "gtin": None,
        "min_stock": 5,
        "weight_g": None,
        "length_mm": None,
        "width_mm": None,
        "height_mm": None,
        "requires_marking": False,
        "is_deleted": False,
    }
    assert (await api.get(f"/products/{product['id']}")).json() == product
    await api.new_product(name="Тарелка")
    listed = (await api.get("/products")).json()
    assert listed["total"] == 2
    assert [p["name"] for p in listed["items"]] == ["Кружка белая", "Тарелка"]


async def test_search_and_paging(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    mug = await api.new_product(name="Кружка", sku="MUG-7")
    for name in ("Ваза", "Ложка", "Нож"):
        await api.new_product(name=name)
    by_name = (await api.get("/products", params={"q": "кружк"})).json()
    assert [p["id"] for p in by_name["items"]] == [mug["id"]]
    by_barcode = (await api.get("/products", params={"q": mug["barcode"]})).json()
    assert by_barcode["total"] == 1
    page = (await api.get("/products", params={"limit": 2, "offset": 1})).json()
    assert page["total"] == 4
    assert [p["name"] for p in page["items"]] == ["Кружка", "Ложка"]


async def test_search_reads_yo_as_ye_and_retries_the_other_keyboard_layout(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    plaid = await api.new_product(name="Плед чёрный", sku="PLD-1")
    await api.new_product(name="Кружка", sku="MUG-1")
    for path, key in (("/products", "id"), ("/stock/balances", "product_id")):
        black = (await api.get(path, params={"q": "черн"})).json()
        assert [p[key] for p in black["items"]] == [plaid["id"]]
        assert "searched_for" not in black  # said only when another text was searched
        typed = (await api.get(path, params={"q": "gktl"})).json()  # «плед», English layout
        assert ([p[key] for p in typed["items"]], typed["total"]) == ([plaid["id"]], 1)
        assert typed["searched_for"] == "плед"


async def test_invalid_product_is_422_with_core_message(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    bad = await api.post("/products", json={"sku": "A", "name": "Б", "barcode": "4600000000013"})
    error = assert_error(bad, 422, "invalid_barcode")
    assert error["message"] == "Штрихкод: неверная контрольная цифра"
    assert error["field"] == "barcode"
    missing = await api.post("/products", json={"sku": "A", "barcode": barcode()})
    assert assert_error(missing, 422, "validation_error")["field"] == "name"
    unknown = await api.post(
        "/products", json={"sku": "A", "name": "Б", "barcode": barcode(), "x": 1}
    )
    assert assert_error(unknown, 422, "validation_error")["field"] == "x"
    too_big = await api.post(
        "/products", json={"sku": "A", "name": "Б", "barcode": barcode(), "min_stock": 10**30}
    )
    assert_error(too_big, 422, "invalid_min_stock")


async def test_duplicate_barcode_is_409(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    first = await api.new_product()
    again = await api.post("/products", json={"sku": "B", "name": "Б", "barcode": first["barcode"]})
    error = assert_error(again, 409, "barcode_taken")
    assert first["name"] in error["message"]


async def test_unknown_product_is_404(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    assert_error(await api.get("/products/999"), 404, "product_not_found")
    assert_error(await api.patch("/products/999", json={"name": "X"}), 404, "product_not_found")
    assert_error(await api.delete("/products/999"), 404, "product_not_found")
    assert_error(await api.post("/products/999/restore"), 404, "product_not_found")


async def test_patch_changes_only_the_fields_sent(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product = await api.new_product(min_stock=3)
    response = await api.patch(f"/products/{product['id']}", json={"name": "Новое имя"})
    assert response.status_code == 200
    assert response.json() == {**product, "name": "Новое имя"}
    cleared = await api.patch(f"/products/{product['id']}", json={"sku": ""})
    assert_error(cleared, 422, "sku_required")


async def test_delete_is_soft_and_restore_brings_it_back(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product = await api.new_product()
    deleted = await api.delete(f"/products/{product['id']}")
    assert deleted.status_code == 200
    assert deleted.json()["is_deleted"] is True
    assert (await api.get("/products")).json()["total"] == 0
    with_deleted = (await api.get("/products", params={"include_deleted": True})).json()
    assert [p["id"] for p in with_deleted["items"]] == [product["id"]]
    assert (await api.get(f"/products/{product['id']}")).json()["is_deleted"] is True
    refused = await api.patch(f"/products/{product['id']}", json={"name": "X"})
    assert_error(refused, 409, "product_deleted")
    restored = await api.post(f"/products/{product['id']}/restore")
    assert restored.json()["is_deleted"] is False
    assert (await api.get("/products")).json()["total"] == 1


async def test_the_documented_product_schemas_agree_with_the_api(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    components = (await visitor.http_client.get("/openapi.json")).json()["components"]
    create = jsonschema_rs.validator_for(components["schemas"]["ProductCreate"])
    patch = jsonschema_rs.validator_for(components["schemas"]["ProductPatch"])
    bodies: list[dict[str, Any]] = [
        {},
        {"sku": "   "},
        {"sku": " " + "s" * 100 + " "},  # trimmed: 100
        {"sku": "s" * 101},
        {"name": "n" * 500},
        {"name": "n" * 501},
        {"barcode": "46000000000x"},
        {"barcode": "4600000000"},  # 10 digits
        {"barcode": None},
        {"gtin": "  "},
        {"gtin": None},
        {"gtin": "12345"},
        {"min_stock": -1},
        {"min_stock": 100_001},
        {"min_stock": None},
        {"weight_g": None, "length_mm": 100_000},
        {"height_mm": -5},
    ]
    for changes in bodies:
        body = {"sku": "S", "name": "N", "barcode": barcode(), **changes}
        answer = await api.post("/products", json=body)
        assert answer.status_code in (201, 422), answer.text
        assert create.is_valid(body) == (answer.status_code == 201), (body, answer.text)
    product = await api.new_product()
    for changes in bodies:
        answer = await api.patch(f"/products/{product['id']}", json=changes)
        assert answer.status_code in (200, 422), answer.text
        assert patch.is_valid(changes) == (answer.status_code == 200), (changes, answer.text)
