"""POST /inventory/adjustments at a bin: the position named by id or by product and the
bin's location_id; a stale version is 409 version_conflict; a station is 422."""

from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in
from tests.floor import location_id, make_bin


async def bin_position(api: Api, product: int, place: int) -> dict[str, object]:
    here = {"product_id": product, "location_id": place}
    (found,) = (await api.get("/inventory/positions", params=here)).json()["items"]
    return found


async def test_a_count_at_a_bin_books_an_adjustment_there(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    place, main = make_bin(app_database, "A-07"), location_id(app_database, "MAIN")
    created = await api.new_product()
    product = created["id"]
    await api.move("RECEIPT", product, 10)
    moved = await api.move("TRANSFER", product, 6, from_location_id=main, to_location_id=place)
    assert moved.status_code == 201, moved.text
    position = await bin_position(api, product, place)

    body = {"product_id": product, "location_id": place, "counted_quantity": 4,
            "expected_version": position["version"], "reason": "Пересчёт ячейки"}  # fmt: skip
    booked = await api.post("/inventory/adjustments", json=body, headers={"Idempotency-Key": "b1"})
    assert booked.status_code == 201, booked.text
    movement = booked.json()
    assert (movement["operation_type"], movement["quantity"]) == ("ADJUSTMENT", 2)
    assert movement["from_location_id"] == place  # a loss taken at the bin, not at MAIN
    after = await bin_position(api, product, place)
    assert (after["quantity"], after["version"]) == (4, position["version"] + 1)  # type: ignore[operator]

    stale = await api.post("/inventory/adjustments", json={**body, "counted_quantity": 9})
    assert_error(stale, 409, "version_conflict")
    by_id = {"position_id": after["id"], "expected_version": after["version"],
             "counted_quantity": 5, "reason": "Пересчёт ячейки"}  # fmt: skip
    gained = await api.post("/inventory/adjustments", json=by_id)
    assert gained.status_code == 201 and gained.json()["to_location_id"] == place
    balance = (await api.get("/stock/balances", params={"q": created["barcode"]})).json()
    rows = [r for r in balance["items"] if r["product_id"] == product]
    assert rows and rows[0]["good"] == 4 + 5  # MAIN's 4 plus the bin's 5: Σ of the places


async def test_a_count_at_a_packing_station_is_refused(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    product = (await api.new_product())["id"]
    body = {"product_id": product, "location_id": location_id(app_database, "PACK-1"),
            "counted_quantity": 1, "expected_version": 0, "reason": "Пересчёт"}  # fmt: skip
    assert_error(await api.post("/inventory/adjustments", json=body), 422, "invalid_location")
