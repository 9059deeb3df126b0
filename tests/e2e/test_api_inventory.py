"""Inventory positions over the API: GET /inventory/positions, POST /inventory/adjustments."""

from typing import Any

from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in


async def main_position(api: Api, product: int) -> dict[str, Any]:
    response = await api.get("/inventory/positions", params={"product_id": product})
    assert response.status_code == 200, response.text
    (found,) = [p for p in response.json()["items"] if p["quantity"] or p["reserved"]]
    return found


async def stocked(api: Api, quantity: int) -> tuple[int, dict[str, Any]]:
    product = (await api.new_product())["id"]
    assert (await api.move("RECEIPT", product, quantity)).status_code == 201
    return product, await main_position(api, product)


def adjustment(position: dict[str, Any], counted: int, **fields: Any) -> dict[str, Any]:
    body = {
        "position_id": position["id"],
        "expected_version": position["version"],
        "counted_quantity": counted,
        "reason": "Пересчёт",
    }
    return {**body, **fields}


async def test_positions_carry_the_contract_fields_and_filters(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product, position = await stocked(api, 5)
    assert set(position) == {
        "id", "product_id", "location_id", "handling_unit_id", "quantity", "reserved",
        "available", "received_at", "version",
    }  # fmt: skip
    assert (position["quantity"], position["available"], position["version"]) == (5, 5, 0)
    assert position["product_id"] == product and position["handling_unit_id"] is None
    await api.move("RECEIPT_DEFECT", product, 2)
    both = (await api.get("/inventory/positions", params={"product_id": product})).json()
    assert both["total"] == 2
    here = {"product_id": product, "location_id": position["location_id"]}
    one = (await api.get("/inventory/positions", params=here)).json()
    assert [p["id"] for p in one["items"]] == [position["id"]] and one["total"] == 1
    paged = await api.get("/inventory/positions", params={"product_id": product, "limit": 1})
    assert len(paged.json()["items"]) == 1 and paged.json()["total"] == 2
    rest = {"product_id": product, "limit": 1, "offset": 1}
    second = (await api.get("/inventory/positions", params=rest)).json()["items"]
    assert second[0]["id"] != paged.json()["items"][0]["id"]
    none = await api.get("/inventory/positions", params={"handling_unit_id": 1})
    assert none.json() == {"items": [], "total": 0}
    assert_error(await api.get("/inventory/positions", params={"limit": 0}), 422)


async def test_a_worker_reads_positions_but_cannot_adjust(
    visitor: User, app_database: Database
) -> None:
    admin = await signed_in(visitor.http_client, app_database)
    _, position = await stocked(admin, 3)
    worker = await signed_in(visitor.http_client, app_database, "worker")
    assert (await worker.get("/inventory/positions")).status_code == 200
    refused = await worker.post("/inventory/adjustments", json=adjustment(position, 1))
    assert_error(refused, 403, "forbidden")
    anonymous = Api(visitor.http_client)
    assert_error(await anonymous.get("/inventory/positions"), 401)
    assert_error(await anonymous.post("/inventory/adjustments", json=adjustment(position, 1)), 401)


async def test_an_adjustment_is_201_with_the_movement_and_raises_the_version(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database, "manager")
    product, position = await stocked(api, 10)
    response = await api.post("/inventory/adjustments", json=adjustment(position, 7))
    assert response.status_code == 201, response.text
    movement = response.json()
    assert (movement["operation_type"], movement["quantity"]) == ("ADJUSTMENT", 3)
    assert (movement["from_location_id"], movement["notes"]) == (
        position["location_id"],
        "Пересчёт",
    )
    assert movement["user"].startswith("manager-")
    after = await main_position(api, product)
    assert (after["quantity"], after["version"]) == (7, position["version"] + 1)


async def test_a_stale_version_is_409_version_conflict_and_changes_nothing(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product, seen = await stocked(api, 10)
    await api.move("RECEIPT", product, 1)  # the position changes after the count
    error = assert_error(
        await api.post("/inventory/adjustments", json=adjustment(seen, 4)), 409, "version_conflict"
    )
    assert "пересчитайте" in error["message"]
    after = await main_position(api, product)
    assert (after["quantity"], after["version"]) == (11, 1)


async def test_a_count_equal_to_the_stock_is_200_without_a_movement(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product, position = await stocked(api, 6)
    response = await api.post("/inventory/adjustments", json=adjustment(position, 6))
    assert response.status_code == 200, response.text
    assert response.json() == position  # the position as it is: unchanged
    journal = (await api.get("/movements", params={"product_id": product})).json()
    assert journal["total"] == 1


async def test_product_and_location_name_the_position_too(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product, position = await stocked(api, 2)
    body = adjustment(position, 5, product_id=product, location_id=position["location_id"])
    del body["position_id"]
    response = await api.post("/inventory/adjustments", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["to_location_id"] == position["location_id"]


async def test_an_idempotency_key_books_a_count_once(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product, position = await stocked(api, 10)
    headers = {"Idempotency-Key": "count-1"}
    first = await api.post("/inventory/adjustments", json=adjustment(position, 8), headers=headers)
    again = await api.post("/inventory/adjustments", json=adjustment(position, 8), headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert (await main_position(api, product))["quantity"] == 8


async def test_bad_adjustments_are_422_and_an_unknown_position_404(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product, position = await stocked(api, 2)
    missing = adjustment(position, 1, position_id=2_000_000)
    assert_error(await api.post("/inventory/adjustments", json=missing), 404, "position_not_found")
    for bad in (
        adjustment(position, -1),
        adjustment(position, 1, reason=""),
        adjustment(position, 1, product_id=product),  # position and product at once
        {k: v for k, v in adjustment(position, 1).items() if k != "expected_version"},
        {k: v for k, v in adjustment(position, 1).items() if k != "position_id"},
    ):
        assert_error(await api.post("/inventory/adjustments", json=bad), 422)
    assert (await main_position(api, product))["quantity"] == 2
