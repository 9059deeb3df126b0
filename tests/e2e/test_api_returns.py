"""The returns REST routes (issue 15; ui.api.order_returns): the order of a parcel found by
its tracking or order number, a worker booking units good and defective with their codes
(404 / 409 / 422), an idempotency key replayed, and the routes in the OpenAPI document."""

from nicegui.testing import User

from data.database import Database
from data.stock.ledger_checks import ledger_discrepancies
from tests.api_client import Api, assert_error, signed_in
from tests.conftest import make_product
from tests.helpers import source_id
from tests.order_checks import check_reservations
from tests.returns import shipped_order

ROUTES = [("GET", "/returns/orders?code=x"), ("GET", "/orders/1/returns"),
          ("POST", "/orders/1/returns")]  # fmt: skip
RETURN = {"id", "order_id", "order_line_id", "product_id", "sku", "barcode", "product_name",
          "quantity", "condition", "reason", "movement_id", "user_id", "created_at"}  # fmt: skip


async def test_every_returns_route_wants_a_token(visitor: User, app_database: Database) -> None:
    anonymous = Api(visitor.http_client)
    for method, path in ROUTES:
        assert_error(await anonymous.request(method, path, json={}), 401, "not_authenticated")


async def test_a_worker_books_a_returned_parcel(visitor: User, app_database: Database) -> None:
    http, db = visitor.http_client, app_database
    worker = await signed_in(http, db, "worker")
    product = make_product(db, gtin="04600000000024")
    order = shipped_order(db, [(product, 2)], source_id=source_id(db), external_id="WB-API-R1")
    found = (await worker.get("/returns/orders", params={"code": order.tracking_number})).json()
    assert [o["id"] for o in found["items"]] == [order.id] and found["total"] == 1
    base = f"/orders/{order.id}/returns"
    good = {"barcode": "04600000000024", "condition": "good"}
    first = await worker.post(base, json=good, headers={"Idempotency-Key": "ret-1"})
    assert first.status_code == 201, first.text
    again = await worker.post(base, json=good, headers={"Idempotency-Key": "ret-1"})
    assert again.status_code == 200 and again.json()["total"] == 1
    assert set(first.json()["items"][0]) == RETURN
    assert_error(await worker.post(base, json={"product_id": product, "condition": "defect"}),
                 422, "reason_required")  # fmt: skip
    defect = {"product_id": product, "condition": "defect", "reason": "Не работает"}
    booked = await worker.post(base, json=defect)
    assert booked.status_code == 201 and booked.json()["total"] == 2
    assert_error(await worker.post(base, json=good), 409, "return_exceeds_shipped")
    other = make_product(db)
    assert_error(await worker.post(base, json={"product_id": other, "condition": "good"}),
                 422, "wrong_product")  # fmt: skip
    assert_error(await worker.post("/orders/999999/returns", json=good), 404, "order_not_found")
    listed = (await worker.get(base)).json()
    assert [(r["condition"], r["reason"]) for r in listed["items"]] == [
        ("good", None), ("defect", "Не работает")]  # fmt: skip
    check_reservations(db)
    assert ledger_discrepancies(db.engine) == []


async def test_the_returns_routes_are_documented(visitor: User, app_database: Database) -> None:
    spec = (await visitor.http_client.get("/openapi.json")).json()
    paths = spec["paths"]
    assert "post" in paths["/api/v1/orders/{order_id}/returns"]
    assert "get" in paths["/api/v1/returns/orders"]
