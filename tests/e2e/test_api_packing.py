"""The packing and shipping REST contract (DESIGN.md §6 "Packing and shipping"): every
route with its 401 / 403 / 404 / 409 / 422 and their codes, the roles (a worker packs and
ships their own task; a manager cancels), idempotency keys, and an order picked, packed
and shipped through the API with invariant 6 after each step."""

from typing import Any

from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in
from tests.e2e.test_api_missions import as_user, worker_executor
from tests.e2e.test_api_picking import reserved_order
from tests.order_checks import check_reservations

ROUTES = [
    ("GET", "/packing-tasks"), ("GET", "/packing-tasks/1"), ("POST", "/packing-tasks/1/start"),
    ("POST", "/packing-tasks/1/packages"), ("PATCH", "/packing-tasks/1/packages/1"),
    ("POST", "/packing-tasks/1/pack"),
    ("POST", "/packing-tasks/1/ship"), ("POST", "/packing-tasks/1/cancel"),
]  # fmt: skip
TASK = {"id", "order_id", "picking_task_id", "status", "executor_id", "items", "packages",
        "carrier", "tracking_number", "packed_at", "shipped_at"}  # fmt: skip
PACKAGE = {"id", "sequence_number", "packaging_type", "weight_kg", "length_cm", "width_cm",
           "height_cm", "volumetric_weight_kg", "chargeable_weight_kg", "barcode",
           "items"}  # fmt: skip
BOX = {"packaging_type": "box", "weight_kg": 1.5, "length_cm": 40, "width_cm": 30,
       "height_cm": 20}  # fmt: skip


async def picked(admin: Api, worker: Api, executor: int, quantity: int,
                 external_id: str) -> tuple[dict[str, Any], dict[str, Any]]:  # fmt: skip
    """An order picked whole by the worker: (its product, the order as read after)."""
    product, order = await reserved_order(admin, quantity, external_id)
    tid = order["picking_task_id"]
    await worker.post(f"/picking-tasks/{tid}/assign", json={"executor_id": executor})
    await worker.post(f"/picking-tasks/{tid}/start")
    item = (await worker.get(f"/picking-tasks/{tid}/next-item")).json()
    await worker.post(f"/picking-tasks/{tid}/items/{item['id']}/pick", json={"quantity": quantity})
    done = await worker.post(f"/picking-tasks/{tid}/complete")
    assert done.status_code == 200, done.text
    return product, (await admin.get(f"/orders/{order['id']}")).json()


async def test_every_packing_route_wants_a_token(visitor: User, app_database: Database) -> None:
    anonymous = Api(visitor.http_client)
    for method, path in ROUTES:
        assert_error(await anonymous.request(method, path, json={}), 401, "not_authenticated")


async def test_a_worker_packs_and_ships_an_order(visitor: User, app_database: Database) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    product, order = await picked(admin, worker, executor, 4, "OZ-10")
    pid, base = order["packing_task_id"], f"/packing-tasks/{order['packing_task_id']}"
    assert order["status"] == "picking" and pid is not None  # until packing starts
    query = {"status": "pending", "order_id": order["id"]}
    listed = (await worker.get("/packing-tasks", params=query)).json()
    assert [t["id"] for t in listed["items"]] == [pid] and listed["total"] == 1
    task = listed["items"][0]
    assert set(task) >= TASK and task["items"] == [
        {**task["items"][0], "product_id": product["id"], "quantity": 4, "packed_quantity": 0}
    ]
    assert_error(await admin.get("/packing-tasks/999999"), 404, "packing_task_not_found")
    assert_error(await admin.post("/packing-tasks/999999/pack"), 404, "packing_task_not_found")

    # Start: as oneself only, once.
    other = await as_user(http, db, "petrov", "worker")
    assert_error(await other.post(f"{base}/start", json={"executor_id": executor}), 403,
                 "forbidden")  # fmt: skip
    one = [{"product_id": product["id"], "quantity": 1}]
    assert_error(await worker.post(f"{base}/packages", json={**BOX, "items": one}), 403,
                 "forbidden")  # not theirs until they start it  # fmt: skip
    assert_error(await admin.post(f"{base}/packages", json={**BOX, "items": one}), 409,
                 "invalid_transition")  # fmt: skip
    started = await worker.post(f"{base}/start", json={"executor_id": executor},
                                headers={"Idempotency-Key": "st-1"})  # fmt: skip
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert (await admin.get(f"/orders/{order['id']}")).json()["status"] == "packing"
    again = await worker.post(f"{base}/start", json={"executor_id": executor},
                              headers={"Idempotency-Key": "st-1"})  # fmt: skip
    assert again.status_code == 200 and again.json()["executor_id"] == executor
    assert_error(await worker.post(f"{base}/pack", headers={"Idempotency-Key": "st-1"}), 409,
                 "idempotency_key_reused")  # fmt: skip
    assert_error(await worker.post(f"{base}/start", json={"executor_id": executor}), 409,
                 "invalid_transition")  # fmt: skip
    assert_error(await other.post(f"{base}/pack"), 403, "forbidden")

    # Packages: never more than was picked.
    items = [{"barcode": product["barcode"], "quantity": 5}]
    assert_error(await worker.post(f"{base}/packages", json={**BOX, "items": items}), 422,
                 "quantity_exceeds_picked")  # fmt: skip
    stranger = await admin.new_product()
    assert_error(await worker.post(f"{base}/packages", json={**BOX, "items": [
        {"product_id": stranger["id"], "quantity": 1}]}), 422, "product_not_picked")  # fmt: skip
    assert_error(await worker.post(f"{base}/packages", json={
        **BOX, "packaging_type": "crate", "items": [{"product_id": product["id"], "quantity": 1}]}),
        422, "invalid_packaging_type")  # fmt: skip
    assert_error(await worker.post(f"{base}/packages", json={**BOX, "items": []}), 422)
    assert_error(await worker.post(f"{base}/pack"), 409, "not_all_packed")
    first = await worker.post(f"{base}/packages", headers={"Idempotency-Key": "pk-1"}, json={
        **BOX, "items": [{"product_id": product["id"], "quantity": 3}]})  # fmt: skip
    assert first.status_code == 201, first.text
    box = first.json()
    assert set(box) >= PACKAGE and box["sequence_number"] == 1 and box["barcode"]
    assert (box["volumetric_weight_kg"], box["chargeable_weight_kg"]) == (4.8, 4.8)
    assert box["items"] == [{"product_id": product["id"], "quantity": 3}]
    replay = await worker.post(f"{base}/packages", headers={"Idempotency-Key": "pk-1"}, json={
        **BOX, "items": [{"product_id": product["id"], "quantity": 3}]})  # fmt: skip
    assert replay.status_code == 200 and replay.json()["id"] == box["id"]
    check_reservations(db)
    assert_error(await worker.post(f"{base}/pack"), 409, "not_all_packed")
    second = await worker.post(f"{base}/packages", json={
        "packaging_type": "bag", "weight_kg": 0.3, "length_cm": 20, "width_cm": 15,
        "height_cm": 5, "items": [{"product_id": product["id"], "quantity": 1}]})  # fmt: skip
    assert second.status_code == 201 and second.json()["sequence_number"] == 2
    done = await worker.post(f"{base}/pack")
    assert done.status_code == 200 and done.json()["status"] == "packed"
    assert (await admin.get(f"/orders/{order['id']}")).json()["status"] == "packed"

    # Ship: an active carrier and a tracking number.
    assert_error(await worker.post(f"{base}/ship", json={"carrier": "cdek",
                 "tracking_number": "1"}), 422, "carrier_not_found")  # fmt: skip
    assert_error(await worker.post(f"{base}/ship", json={"carrier": "manual"}), 422,
                 "tracking_number_required")  # fmt: skip
    assert_error(await worker.post(f"{base}/cancel", json={"reason": "нет"}), 403, "forbidden")
    assert_error(await other.post(f"{base}/ship", json={"carrier": "manual",
                 "tracking_number": "1"}), 403, "forbidden")  # fmt: skip
    shipped = await worker.post(f"{base}/ship", json={"carrier": "manual",
                                "tracking_number": "RP123456789RU"})  # fmt: skip
    assert shipped.status_code == 200, shipped.text
    body = shipped.json()
    assert (body["status"], body["tracking_number"], body["carrier"]) == (
        "shipped", "RP123456789RU", "manual")  # fmt: skip
    after = (await admin.get(f"/orders/{order['id']}")).json()
    assert after["status"] == "shipped" and after["tracking_number"] == "RP123456789RU"
    assert after["lines"][0]["shipped"] == 4 and after["lines"][0]["picked"] == 0
    balance = (await admin.get("/stock/balances", params={"q": product["sku"]})).json()
    assert balance["items"][0]["good"] == 6 and balance["items"][0]["reserved"] == 0
    journal = (await admin.get("/movements", params={"product_id": product["id"]})).json()
    assert journal["items"][0]["operation_type"] == "SHIPMENT_ORDER"
    assert_error(await worker.post(f"{base}/ship", json={"tracking_number": "2"}), 409,
                 "invalid_transition")  # fmt: skip
    assert_error(await admin.post(f"{base}/cancel", json={"reason": "поздно"}), 409,
                 "invalid_transition")  # fmt: skip
    check_reservations(db)


async def test_unmeasured_packages_and_a_cancel_that_brings_the_units_back(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    product, order = await picked(admin, worker, executor, 2, "OZ-11")
    base = f"/packing-tasks/{order['packing_task_id']}"
    made = await admin.post("/executors", json={"code": "OFF-1", "name": "Выключен",
                                                "is_active": False})  # fmt: skip
    assert_error(await admin.post(f"{base}/start", json={"executor_id": made.json()["id"]}),
                 409, "executor_inactive")  # fmt: skip
    assert_error(await admin.post(f"{base}/start", json={"executor_id": 0}), 422)
    assert (await admin.post(f"{base}/start", json={"executor_id": executor})).status_code == 200
    both = [{"product_id": product["id"], "quantity": 2}]
    unmeasured = await worker.post(f"{base}/packages",
                                   json={"packaging_type": "envelope", "items": both})  # fmt: skip
    assert unmeasured.status_code == 201 and unmeasured.json()["volumetric_weight_kg"] is None
    assert_error(await worker.post(f"{base}/packages", json={**BOX, "weight_kg": -2, "items": [
        {"product_id": product["id"], "quantity": 1}]}), 422)  # fmt: skip
    assert_error(await worker.post(f"{base}/pack"), 409, "dimensions_missing")
    cancelled = await admin.post(f"{base}/cancel", json={"reason": "Пересоберём"},
                                 headers={"Idempotency-Key": "c-1"})  # fmt: skip
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = await admin.post(f"{base}/cancel", json={"reason": "Пересоберём"},
                             headers={"Idempotency-Key": "c-1"})  # fmt: skip
    assert again.status_code == 200
    assert_error(await admin.post(f"{base}/cancel"), 409, "invalid_transition")
    after = (await admin.get(f"/orders/{order['id']}")).json()
    assert after["status"] == "cancelled" and after["lines"][0]["picked"] == 0
    balance = (await admin.get("/stock/balances", params={"q": product["sku"]})).json()
    assert balance["items"][0]["available"] == 10 and balance["items"][0]["reserved"] == 0
    check_reservations(db)


async def test_a_package_sent_unmeasured_is_measured_later_and_then_packs(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    product, order = await picked(admin, worker, executor, 2, "OZ-12")
    base = f"/packing-tasks/{order['packing_task_id']}"
    url = f"{base}/packages/1"
    assert_error(await admin.patch(url, json={"weight_kg": 1.2}), 409, "invalid_transition")
    assert_error(await worker.patch(url, json={"weight_kg": 1.2}), 403, "forbidden")  # not theirs
    assert (await worker.post(f"{base}/start", json={"executor_id": executor})).status_code == 200
    both = [{"product_id": product["id"], "quantity": 2}]
    sent = await worker.post(f"{base}/packages", json={"packaging_type": "bag", "items": both})
    assert sent.status_code == 201 and sent.json()["weight_kg"] is None
    assert_error(await worker.post(f"{base}/pack"), 409, "dimensions_missing")

    assert_error(await worker.patch(url, json={}), 422, "measures_required")
    assert_error(await worker.patch(url, json={"weight_kg": -1}), 422)
    assert_error(await worker.patch(f"{base}/packages/2", json={"weight_kg": 1}), 404,
                 "package_not_found")  # fmt: skip
    assert_error(await worker.patch("/packing-tasks/999999/packages/1", json={"weight_kg": 1}),
                 404)  # fmt: skip
    weighed = await worker.patch(url, json={"weight_kg": 0.8}, headers={"Idempotency-Key": "m-1"})
    assert weighed.status_code == 200, weighed.text
    assert set(weighed.json()) >= PACKAGE and weighed.json()["weight_kg"] == 0.8
    again = await worker.patch(url, json={"weight_kg": 0.8}, headers={"Idempotency-Key": "m-1"})
    assert again.status_code == 200 and again.json()["id"] == weighed.json()["id"]
    assert_error(await worker.post(f"{base}/pack"), 409, "dimensions_missing")  # no size yet
    sized = await worker.patch(url, json={"packaging_type": "box", "length_cm": 30,
                                          "width_cm": 20, "height_cm": 10})  # fmt: skip
    body = sized.json()
    assert (body["packaging_type"], body["weight_kg"], body["length_cm"]) == ("box", 0.8, 30)
    assert body["volumetric_weight_kg"] == 1.2 and body["chargeable_weight_kg"] == 1.2
    packed = await worker.post(f"{base}/pack")
    assert packed.status_code == 200 and packed.json()["status"] == "packed"
    assert_error(await worker.patch(url, json={"weight_kg": 2}), 409, "invalid_transition")
    check_reservations(db)
