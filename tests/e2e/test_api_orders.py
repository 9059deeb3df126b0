"""The orders' REST contract (DESIGN.md §6 "Orders"): every route with its 401 / 403 /
404 / 409 / 422 and their codes, the roles, idempotency keys, and an order reserved,
waiting, reserved on arrival and cancelled through the API."""

from typing import Any

from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in
from tests.helpers import dc_id, source_id
from tests.order_checks import check_reservations

ROUTES = [
    ("GET", "/orders"), ("POST", "/orders"), ("GET", "/orders/1"),
    ("POST", "/orders/1/confirm"), ("POST", "/orders/1/cancel"), ("GET", "/carriers"),
]  # fmt: skip
FIXED = {
    "id", "external_id", "source_id", "kind", "priority", "status", "carrier",
    "distribution_center_id", "lines", "picking_task_id", "packing_task_id",
    "tracking_number", "created_at", "reserved_until", "cancel_reason",
}  # fmt: skip
LINE = {"id", "product_id", "quantity", "reserved", "picked", "packed", "shipped"}


async def stocked(admin: Api, quantity: int) -> dict[str, Any]:
    product = await admin.new_product()
    if quantity:
        assert (await admin.move("RECEIPT", product["id"], quantity)).status_code == 201
    return product


def customer(product_id: int, quantity: int, external_id: str, **kw: Any) -> dict[str, Any]:
    body = {"external_id": external_id, "kind": "customer", "priority": "high",
            "lines": [{"product_id": product_id, "quantity": quantity}], "carrier": "manual",
            "ship_to": {"name": "Иванова А.", "phone": "+79990000000", "address": "ул. Ленина, 1",
                        "city": "Казань", "postal_code": "420000", "country": "RU"}}  # fmt: skip
    body.update(kw)
    return body


async def test_every_order_route_wants_a_token(visitor: User, app_database: Database) -> None:
    anonymous = Api(visitor.http_client)
    for method, path in ROUTES:
        assert_error(await anonymous.request(method, path, json={}), 401, "not_authenticated")


async def test_an_order_is_reserved_waits_and_is_cancelled(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    product = await stocked(admin, 5)
    wb = source_id(db)

    created = await admin.post("/orders", json=customer(product["id"], 3, "WB-1", source_id=wb),
                               headers={"Idempotency-Key": "o-1"})  # fmt: skip
    assert created.status_code == 201, created.text
    order = created.json()
    assert set(order) >= FIXED and set(order["lines"][0]) >= LINE
    assert order["status"] == "reserved" and order["lines"][0]["reserved"] == 3
    assert order["ship_to"]["city"] == "Казань" and order["carrier"] == "manual"
    assert [(r["location_code"], r["quantity"]) for r in order["reservations"]] == [("MAIN", 3)]
    # The same key, or the same order from the same marketplace: 200, nothing new.
    again = await admin.post("/orders", json=customer(product["id"], 3, "WB-1", source_id=wb),
                             headers={"Idempotency-Key": "o-1"})  # fmt: skip
    same = await admin.post("/orders", json=customer(product["id"], 9, "WB-1", source_id=wb))
    assert again.status_code == same.status_code == 200
    assert again.json()["id"] == same.json()["id"] == order["id"]

    waiting = await admin.post("/orders", json=customer(product["id"], 4, "WB-2"))
    assert waiting.status_code == 201 and waiting.json()["status"] == "awaiting_stock"
    assert waiting.json()["lines"][0]["reserved"] == 0
    listed = (await admin.get("/orders", params={"status": "awaiting_stock"})).json()
    assert [o["id"] for o in listed["items"]] == [waiting.json()["id"]] and listed["total"] == 1

    # Cancelling the first frees its units: the waiting order takes them.
    cancelled = await admin.post(f"/orders/{order['id']}/cancel", json={"reason": "отказ"},
                                 headers={"Idempotency-Key": "c-1"})  # fmt: skip
    assert cancelled.status_code == 200, cancelled.text
    assert cancelled.json()["status"] == "cancelled" and cancelled.json()["reservations"] == []
    replay = await admin.post(f"/orders/{order['id']}/cancel", headers={"Idempotency-Key": "c-1"})
    assert replay.status_code == 200
    assert_error(await admin.post(f"/orders/{order['id']}/cancel"), 409, "invalid_transition")
    now = (await admin.get(f"/orders/{waiting.json()['id']}")).json()
    assert now["status"] == "reserved" and now["lines"][0]["reserved"] == 4
    assert_error(await admin.post(f"/orders/{now['id']}/confirm"), 409, "invalid_transition")
    reused = await admin.post("/orders", json=customer(product["id"], 1, "WB-3"),
                              headers={"Idempotency-Key": "c-1"})  # fmt: skip
    assert_error(reused, 409, "idempotency_key_reused")
    balance = (await admin.get("/stock/balances", params={"q": product["barcode"]})).json()
    assert balance["items"][0]["reserved"] == 4 and balance["items"][0]["available"] == 1
    check_reservations(db)


async def test_a_supply_to_a_dc(visitor: User, app_database: Database) -> None:
    admin = await signed_in(visitor.http_client, app_database)
    product = await stocked(admin, 100)
    dc = dc_id(app_database)
    body = {"external_id": "FBO-77", "kind": "supply", "distribution_center_id": dc,
            "lines": [{"barcode": product["barcode"], "quantity": 60}]}  # fmt: skip
    created = await admin.post("/orders", json=body)
    assert created.status_code == 201, created.text
    supply = created.json()
    assert supply["status"] == "reserved" and supply["kind"] == "supply"
    assert supply["source_id"] is not None and supply["carrier"] is None
    assert (await admin.get("/orders", params={"kind": "supply"})).json()["total"] == 1
    found = await admin.get("/orders", params={"external_id": "FBO-77"})
    assert found.json()["items"][0]["id"] == supply["id"]


async def test_roles_workers_read_and_may_not_write(visitor: User, app_database: Database) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    product = await stocked(admin, 5)
    order = (await admin.post("/orders", json=customer(product["id"], 1, "R-1"))).json()
    manager = await signed_in(http, db, "manager")
    assert (
        await manager.post("/orders", json=customer(product["id"], 1, "R-2"))
    ).status_code == 201
    worker = await signed_in(http, db, "worker")
    assert (await worker.get("/orders")).json()["total"] == 2
    assert (await worker.get(f"/orders/{order['id']}")).status_code == 200
    assert (await worker.get("/carriers")).status_code == 200
    assert_error(await worker.post("/orders", json=customer(product["id"], 1, "R-3")), 403,
                 "forbidden")  # fmt: skip
    assert_error(await worker.post(f"/orders/{order['id']}/cancel"), 403, "forbidden")
    assert_error(await worker.post(f"/orders/{order['id']}/confirm"), 403, "forbidden")


async def test_every_error_code_of_the_order_routes(visitor: User, app_database: Database) -> None:
    db = app_database
    admin = await signed_in(visitor.http_client, db)
    product = await stocked(admin, 5)
    pid = product["id"]
    assert_error(await admin.get("/orders/999999"), 404, "order_not_found")
    assert_error(await admin.post("/orders/999999/cancel"), 404, "order_not_found")
    assert_error(await admin.post("/orders/999999/confirm"), 404, "order_not_found")
    cases: list[tuple[dict[str, Any], str]] = [
        (customer(pid, 1, "E", kind="drone"), "invalid_kind"),
        (customer(pid, 1, "E", priority="asap"), "invalid_priority"),
        (customer(pid, 1, " "), "external_id_required"),
        (customer(pid, 1, "E", source_id=999_999), "source_not_found"),
        (customer(pid, 1, "E", carrier="cdek"), "carrier_not_found"),  # seeded, off
        (customer(pid, 1, "E", kind="supply", ship_to=None, carrier=None),
         "distribution_center_required"),
        ({**customer(pid, 1, "E", kind="supply"), "distribution_center_id": 999_999},
         "distribution_center_not_found"),
        ({**customer(pid, 1, "E"), "distribution_center_id": dc_id(db)}, "field_not_allowed"),
        (customer(999_999, 1, "E"), "product_not_found"),
        ({**customer(pid, 1, "E"), "lines": [{"barcode": "0000000000000", "quantity": 1}]},
         "product_not_found"),
        ({**customer(pid, 1, "E"), "lines": [{"quantity": 1}]}, "product_required"),
        (customer(pid, 0, "E"), "invalid_quantity"),
        ({**customer(pid, 1, "E"), "lines": []}, "validation_error"),
        ({**customer(pid, 1, "E"), "surprise": 1}, "validation_error"),
    ]  # fmt: skip
    for body, code in cases:
        assert_error(await admin.post("/orders", json=body), 422, code)
    assert_error(await admin.post("/orders", json=customer(pid, 1, "E"),
                                  headers={"Idempotency-Key": "k" * 129}), 422)  # fmt: skip
    deleted = await stocked(admin, 0)
    assert (await admin.delete(f"/products/{deleted['id']}")).status_code in (200, 204)
    assert_error(await admin.post("/orders", json=customer(deleted["id"], 1, "E")), 422,
                 "product_deleted")  # fmt: skip
    assert_error(await admin.get("/orders", params={"limit": 0}), 422, "validation_error")
    assert (await admin.get("/orders")).json()["total"] == 0
    carriers = (await admin.get("/carriers")).json()
    assert {"code", "name", "is_active"} <= set(carriers["items"][0])
    assert [c["code"] for c in carriers["items"] if c["is_active"]] == ["manual"]
    assert {"cdek", "russian_post", "boxberry", "yandex_delivery", "5post"} <= {
        c["code"] for c in carriers["items"]
    }
