"""The waves and batches REST contract (issue 15, docs/api-waves.md): every route with its
401 / 403 / 404 / 409 / 422 and their codes, the roles (a manager releases waves and
builds batches, a worker takes a batch for themselves and picks in it), idempotency keys,
and two orders picked in one walk and put to their slots through the API with invariant
6 after."""

from typing import Any

from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in
from tests.e2e.test_api_locations import new_bin
from tests.e2e.test_api_missions import as_user, worker_executor
from tests.floor import location_id
from tests.order_checks import check_reservations

ROUTES = [
    ("GET", "/waves"), ("GET", "/waves/1"), ("POST", "/waves"), ("GET", "/pick-batches"),
    ("GET", "/pick-batches/1"), ("POST", "/pick-batches"), ("POST", "/pick-batches/1/take"),
    ("POST", "/pick-batches/1/items/1/pick"), ("POST", "/pick-batches/1/items/1/skip"),
    ("POST", "/pick-batches/1/put"), ("POST", "/pick-batches/1/dissolve"),
]  # fmt: skip
WAVE = {"id", "name", "status", "criteria", "batch_size", "order_count", "batch_count",
        "orders_done", "items_total", "items_done", "short_items", "cancelled_orders",
        "created_at", "orders", "awaiting_stock", "blockers"}  # fmt: skip
BATCH = {"id", "wave_id", "executor_id", "executor_name", "created_at", "orders", "stops"}


async def _orders(admin: Api, n: int, quantity: int = 2) -> tuple[dict[str, Any], list[int]]:
    product = await admin.new_product()
    assert (await admin.move("RECEIPT", product["id"], 50)).status_code == 201
    ids = []
    for i in range(n):
        body = {"external_id": f"WV-{i}", "kind": "customer",
                "lines": [{"product_id": product["id"], "quantity": quantity}]}  # fmt: skip
        created = await admin.post("/orders", json=body)
        assert created.status_code == 201, created.text
        ids.append(created.json()["picking_task_id"])
    return product, ids


async def test_every_wave_route_wants_a_token(visitor: User, app_database: Database) -> None:
    anonymous = Api(visitor.http_client)
    for method, path in ROUTES:
        assert_error(await anonymous.request(method, path, json={}), 401, "not_authenticated")


async def test_a_manager_releases_a_wave_and_a_worker_picks_its_batch(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    product, _ = await _orders(admin, 3)

    assert_error(await worker.post("/waves", json={}), 403, "forbidden")
    assert_error(await admin.post("/waves", json={"batch_size": 99}), 422)
    assert_error(await admin.post("/waves", json={"priority": "soon"}), 422)
    key = {"Idempotency-Key": "wave-1"}
    released = await admin.post("/waves", json={"name": "Утро", "batch_size": 3}, headers=key)
    assert released.status_code == 201, released.text
    wave = released.json()
    assert set(wave) >= WAVE and wave["order_count"] == 3 and wave["batch_count"] == 1
    assert [o["slot"] for o in wave["orders"]] == [1, 2, 3]
    again = await admin.post("/waves", json={"name": "Утро", "batch_size": 3}, headers=key)
    assert again.status_code == 200 and again.json()["id"] == wave["id"]
    assert_error(await admin.post("/waves", json={}), 409, "nothing_to_release")
    listed = (await worker.get("/waves")).json()
    assert listed["total"] == 1 and listed["items"][0]["status"] == "pending"
    assert_error(await admin.get("/waves/999"), 404, "wave_not_found")

    batches = (await worker.get("/pick-batches", params={"wave_id": wave["id"]})).json()
    assert batches["total"] == 1
    bid = batches["items"][0]["id"]
    other = await as_user(http, db, "petrov", "worker")
    assert_error(await other.post(f"/pick-batches/{bid}/take", json={"executor_id": executor}),
                 403, "forbidden")  # fmt: skip
    taken = await worker.post(f"/pick-batches/{bid}/take", json={"executor_id": executor})
    assert taken.status_code == 200, taken.text
    batch = taken.json()
    assert set(batch) >= BATCH and batch["executor_id"] == executor
    assert {o["task_status"] for o in batch["orders"]} == {"in_progress"}
    [stop] = batch["stops"]  # three orders, one bin: one stop
    [line] = stop["products"]
    assert line["quantity"] == 6 and [p["slot"] for p in line["portions"]] == [1, 2, 3]
    assert_error(await other.post(f"/pick-batches/{bid}/items/1/pick", json={"quantity": 1}),
                 403, "forbidden")  # fmt: skip

    first, second, third = line["portions"]
    url = f"/pick-batches/{bid}/items/{{}}/pick"
    wrong = await worker.post(url.format(first["item_id"]), json={"quantity": 2, "barcode": "1"})
    assert_error(wrong, 422, "wrong_product")
    assert_error(await worker.post(url.format(first["item_id"]), json={"quantity": 3}), 422,
                 "quantity_exceeds")  # fmt: skip
    picked = await worker.post(url.format(first["item_id"]), json={"quantity": 2},
                               headers={"Idempotency-Key": "p-1"})  # fmt: skip
    assert picked.status_code == 200
    short = await worker.post(url.format(second["item_id"]), json={"quantity": 1})
    assert short.status_code == 200
    skipped = await worker.post(f"/pick-batches/{bid}/items/{third['item_id']}/skip",
                                json={"reason": "Нет на месте"})  # fmt: skip
    assert skipped.status_code == 200
    assert {o["task_status"] for o in skipped.json()["orders"]} == {"completed"}
    check_reservations(db)

    card = (await admin.get(f"/waves/{wave['id']}")).json()
    assert card["status"] == "completed" and card["short_items"] == 2
    assert [o["units_picked"] for o in card["orders"]] == [2, 1, 0]
    assert any("Недостача" in b for b in card["blockers"])

    put = f"/pick-batches/{bid}/put"
    slots = []
    for n in range(3):
        answer = await worker.post(put, json={"barcode": product["barcode"]},
                                   headers={"Idempotency-Key": f"put-{n}"})  # fmt: skip
        assert answer.status_code == 201, answer.text
        slots.append(answer.json()["slot"])
    assert slots == [1, 1, 2]
    replay = await worker.post(put, json={"barcode": product["barcode"]},
                               headers={"Idempotency-Key": "put-2"})  # fmt: skip
    assert replay.json()["slot"] == 2 and replay.json()["left_for_order"] == 0
    assert_error(await worker.post(put, json={"barcode": product["barcode"]}), 409,
                 "nothing_to_put")  # fmt: skip
    assert_error(await worker.post(put, json={"barcode": "4600000000000"}), 422, "wrong_product")
    assert_error(await worker.get("/pick-batches/999"), 404, "batch_not_found")


async def test_a_manager_builds_a_batch_of_free_tasks_only(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, _ = await worker_executor(admin, db, http)
    _, tasks = await _orders(admin, 4, quantity=1)
    assert_error(await worker.post("/pick-batches", json={"task_ids": tasks[:2]}), 403)
    assert_error(await admin.post("/pick-batches", json={"task_ids": tasks[:1]}), 422)
    made = await admin.post("/pick-batches", json={"task_ids": tasks[:2]},
                            headers={"Idempotency-Key": "b-1"})  # fmt: skip
    assert made.status_code == 201 and made.json()["left_out"] == []
    again = await admin.post("/pick-batches", json={"task_ids": tasks[:2]},
                             headers={"Idempotency-Key": "b-1"})  # fmt: skip
    assert again.json()["id"] == made.json()["id"]
    second = await admin.post("/pick-batches", json={"task_ids": tasks[1:]})
    assert second.status_code == 201 and second.json()["left_out"] == [tasks[1]]
    assert [o["task_id"] for o in second.json()["orders"]] == tasks[2:]
    assert_error(await admin.post("/pick-batches", json={"task_ids": tasks[:2]}), 409,
                 "already_batched")  # fmt: skip
    first = made.json()["id"]
    assert_error(await worker.post(f"/pick-batches/{first}/dissolve"), 403, "forbidden")
    broken = await admin.post(f"/pick-batches/{first}/dissolve")
    assert broken.status_code == 200 and broken.json()["orders"] == []
    assert_error(await admin.post(f"/pick-batches/{first}/dissolve"), 409, "invalid_transition")
    assert_error(await admin.post("/pick-batches/999/dissolve"), 404, "batch_not_found")
    again = await admin.post("/pick-batches", json={"task_ids": tasks[:1] + tasks[2:]})
    assert_error(again, 409, "already_batched")  # one free order is no batch
    rebuilt = await admin.post("/pick-batches", json={"task_ids": tasks[:2]})
    assert rebuilt.status_code == 201 and rebuilt.json()["left_out"] == []


async def test_a_wave_gives_each_zone_of_an_order_its_own_task(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    main = location_id(db, "MAIN")
    lines = []
    for code, zone, route in (("ZA-1", "A", 10), ("ZB-1", "B", 20)):
        place = await new_bin(admin, code, zone=zone, route_sequence=route)
        product = await admin.new_product()
        assert (await admin.move("RECEIPT", product["id"], 5)).status_code == 201
        moved = await admin.move("TRANSFER", product["id"], 5, from_location_id=main,
                                 to_location_id=place["id"])  # fmt: skip
        assert moved.status_code == 201, moved.text
        lines.append({"product_id": product["id"], "quantity": 2})
    created = await admin.post("/orders", json={"external_id": "WZ-1", "kind": "customer",
                                                "lines": lines})  # fmt: skip
    assert created.status_code == 201, created.text
    assert_error(await admin.post("/waves", json={"split_zones": "может быть"}), 422)

    released = await admin.post("/waves", json={"split_zones": True})
    assert released.status_code == 201, released.text
    rows = released.json()["orders"]
    assert [(r["external_id"], r["zone"]) for r in rows] == [("WZ-1", "A"), ("WZ-1", "B")]
    first, second = rows[0]["task_id"], rows[1]["task_id"]
    task = (await admin.get(f"/picking-tasks/{second}")).json()
    assert (task["zone"], task["split_from_id"], task["total_items"]) == ("B", first, 1)
    assert released.json()["order_count"] == 1
