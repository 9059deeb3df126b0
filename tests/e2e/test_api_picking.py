"""The picking REST contract (DESIGN.md §6 "Picking"): every route with its 401 / 403 /
404 / 409 / 422 and their codes, the roles (a worker takes and picks their own task; a
manager cancels), idempotency keys, and an order picked to the packing station through
the API with invariant 6 after each step."""

from typing import Any

from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in
from tests.e2e.test_api_missions import as_user, worker_executor
from tests.order_checks import check_reservations

ROUTES = [
    ("GET", "/picking-tasks"), ("GET", "/picking-tasks/1"), ("GET", "/picking-tasks/1/next-item"),
    ("POST", "/picking-tasks/1/assign"), ("POST", "/picking-tasks/1/start"),
    ("POST", "/picking-tasks/1/complete"), ("POST", "/picking-tasks/1/cancel"),
    ("POST", "/picking-tasks/1/items/1/pick"), ("POST", "/picking-tasks/1/items/1/skip"),
]  # fmt: skip
TASK = {"id", "order_id", "status", "priority", "executor_id", "total_items", "picked_items",
        "items", "started_at", "completed_at", "cancelled_at"}  # fmt: skip
ITEM = {"id", "product_id", "barcode", "location_id", "location_code", "quantity_required",
        "quantity_picked", "status", "sequence"}  # fmt: skip


async def reserved_order(
    admin: Api, quantity: int, external_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A product with stock and an order reserving `quantity` of it (the task comes with it)."""
    product = await admin.new_product()
    assert (await admin.move("RECEIPT", product["id"], 10)).status_code == 201
    body = {"external_id": external_id, "kind": "customer", "priority": "urgent",
            "lines": [{"product_id": product["id"], "quantity": quantity}]}  # fmt: skip
    created = await admin.post("/orders", json=body)
    assert created.status_code == 201, created.text
    return product, created.json()


async def test_every_picking_route_wants_a_token(visitor: User, app_database: Database) -> None:
    anonymous = Api(visitor.http_client)
    for method, path in ROUTES:
        assert_error(await anonymous.request(method, path, json={}), 401, "not_authenticated")


async def test_a_worker_takes_picks_and_completes_an_order(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    product, order = await reserved_order(admin, 4, "OZ-1")
    tid = order["picking_task_id"]
    assert order["status"] == "reserved" and tid is not None

    queue = (await worker.get("/picking-tasks", params={"status": "pending"})).json()
    assert [t["id"] for t in queue["items"]] == [tid] and queue["total"] == 1
    task = queue["items"][0]
    assert set(task) >= TASK and set(task["items"][0]) >= ITEM
    assert task["total_items"] == 1 and task["items"][0]["location_code"] == "MAIN"

    # A worker takes it for themselves only.
    other = await as_user(http, db, "petrov", "worker")
    assert_error(await other.post(f"/picking-tasks/{tid}/assign", json={"executor_id": executor}),
                 403, "forbidden")  # fmt: skip
    taken = await worker.post(f"/picking-tasks/{tid}/assign", json={"executor_id": executor},
                              headers={"Idempotency-Key": "a-1"})  # fmt: skip
    assert taken.status_code == 200 and taken.json()["executor_id"] == executor
    again = await worker.post(f"/picking-tasks/{tid}/assign", json={"executor_id": executor},
                              headers={"Idempotency-Key": "a-1"})  # fmt: skip
    assert again.status_code == 200 and again.json()["status"] == "assigned"
    reused = await worker.post(f"/picking-tasks/{tid}/start", headers={"Idempotency-Key": "a-1"})
    assert_error(reused, 409, "idempotency_key_reused")
    assert_error(await other.post(f"/picking-tasks/{tid}/start"), 403, "forbidden")
    assert_error(await worker.post(f"/picking-tasks/{tid}/complete"), 409, "invalid_transition")
    started = await worker.post(f"/picking-tasks/{tid}/start")
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    assert (await admin.get(f"/orders/{order['id']}")).json()["status"] == "picking"

    item = (await worker.get(f"/picking-tasks/{tid}/next-item")).json()
    iid = item["id"]
    path = f"/picking-tasks/{tid}/items/{iid}/pick"
    assert_error(await worker.post(path, json={"quantity": 4, "barcode": "0000"}),
                 422, "wrong_product")  # fmt: skip
    assert_error(await worker.post(path, json={"quantity": 5}), 422, "quantity_exceeds")
    # Another worker's pick and a task that is not there: checked in the step's transaction.
    assert_error(await other.post(path, json={"quantity": 4}), 403, "forbidden")
    assert_error(await worker.post("/picking-tasks/999999/items/1/pick", json={"quantity": 1}),
                 404, "picking_task_not_found")  # fmt: skip
    missing = await worker.post(f"/picking-tasks/{tid}/items/999999/pick", json={"quantity": 1})
    assert_error(missing, 404, "picking_item_not_found")
    picked = await worker.post(path, json={"quantity": 4, "barcode": product["barcode"]},
                               headers={"Idempotency-Key": "p-1"})  # fmt: skip
    assert picked.status_code == 200, picked.text
    assert picked.json()["items"][0]["status"] == "picked" and picked.json()["picked_items"] == 1
    replay = await worker.post(path, json={"quantity": 4}, headers={"Idempotency-Key": "p-1"})
    assert replay.status_code == 200
    assert_error(await worker.post(path, json={"quantity": 4}), 409, "invalid_transition")
    check_reservations(db)
    none_left = await worker.get(f"/picking-tasks/{tid}/next-item")
    assert none_left.status_code == 204
    done = await worker.post(f"/picking-tasks/{tid}/complete")
    assert done.status_code == 200 and done.json()["status"] == "completed"
    after = (await admin.get(f"/orders/{order['id']}")).json()
    assert after["status"] == "picking" and after["lines"][0]["picked"] == 4
    assert after["lines"][0]["reserved"] == 0
    balance = (await admin.get("/stock/balances", params={"q": product["sku"]})).json()
    assert balance["items"][0]["reserved"] == 4 and balance["items"][0]["available"] == 6


async def test_skip_cancel_and_their_refusals(visitor: User, app_database: Database) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    _, order = await reserved_order(admin, 2, "OZ-2")
    tid = order["picking_task_id"]
    assert_error(await admin.get("/picking-tasks/999999"), 404, "picking_task_not_found")
    assert_error(await admin.post("/picking-tasks/999999/start"), 404, "picking_task_not_found")
    assert_error(await admin.post(f"/picking-tasks/{tid}/assign", json={"executor_id": "x"}),
                 422)  # fmt: skip
    await admin.post(f"/picking-tasks/{tid}/assign", json={"executor_id": executor})
    await admin.post(f"/picking-tasks/{tid}/start")
    iid = (await admin.get(f"/picking-tasks/{tid}")).json()["items"][0]["id"]
    skip = f"/picking-tasks/{tid}/items/{iid}/skip"
    assert_error(await worker.post(skip, json={}), 422)
    skipped = await worker.post(skip, json={"reason": "Ячейка пуста"})
    assert skipped.status_code == 200 and skipped.json()["items"][0]["status"] == "skipped"
    check_reservations(db)
    assert (await admin.get(f"/orders/{order['id']}")).json()["lines"][0]["reserved"] == 0
    # Cancelling a task is the office's.
    assert_error(await worker.post(f"/picking-tasks/{tid}/cancel", json={"reason": "нет"}),
                 403, "forbidden")  # fmt: skip
    cancelled = await admin.post(f"/picking-tasks/{tid}/cancel", json={"reason": "повтор"})
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert_error(await admin.post(f"/picking-tasks/{tid}/cancel"), 409, "invalid_transition")


async def test_an_inactive_executor_cannot_be_given_a_task(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    _, order = await reserved_order(admin, 1, "OZ-3")
    made = await admin.post("/executors", json={"code": "OFF-1", "name": "Выключен",
                                                "is_active": False})  # fmt: skip
    assert made.status_code == 201, made.text
    answer = await admin.post(f"/picking-tasks/{order['picking_task_id']}/assign",
                              json={"executor_id": made.json()["id"]})  # fmt: skip
    assert_error(answer, 409, "executor_inactive")
    cancelled = await admin.post(f"/orders/{order['id']}/cancel", json={"reason": "отказ"})
    assert cancelled.status_code == 200
    task = (await admin.get(f"/picking-tasks/{order['picking_task_id']}")).json()
    assert task["status"] == "cancelled"
    check_reservations(db)
