"""The floor's REST contract (DESIGN.md §6 "Floor model"): executors, operators, missions —
every route with its 401 / 403 / 404 / 409 / 422, the roles, idempotency keys, and a
mission done through the API from creation to completion."""

from typing import Any

import httpx
import pytest
from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in, token
from tests.conftest import add_user
from tests.floor import location_id, make_bin
from tests.helpers import stock

ROUTES = [
    ("GET", "/executors"), ("POST", "/executors"), ("GET", "/executors/1"),
    ("PATCH", "/executors/1"),
    ("GET", "/operators"), ("POST", "/operators"), ("GET", "/operators/1"),
    ("GET", "/missions"), ("POST", "/missions"), ("GET", "/missions/1"),
    ("PATCH", "/missions/1"), ("POST", "/missions/1/assign"), ("POST", "/missions/1/start"),
    ("POST", "/missions/1/complete"), ("POST", "/missions/1/cancel"),
    ("POST", "/missions/1/record-movement"),
]  # fmt: skip


async def as_user(http: httpx.AsyncClient, db: Database, username: str, role: str) -> Api:
    add_user(db, username, role)
    return Api(http, await token(http, username, "password-123"))


async def worker_executor(admin: Api, db: Database, http: httpx.AsyncClient) -> tuple[Api, int]:
    """A worker signed in over the API and the executor linked to them."""
    worker = await as_user(http, db, "kuznetsov", "worker")
    me = (await worker.get("/operators")).json()  # a worker reads; it is not an operator
    assert all(o["username"] != "kuznetsov" for o in me["items"])
    user_id = _user_id(db, "kuznetsov")
    answer = await admin.post("/executors", json={"code": "TAB-01", "name": "Алексей Кузнецов",
                                                  "user_id": user_id})  # fmt: skip
    assert answer.status_code == 201, answer.text
    return worker, answer.json()["id"]


def _user_id(db: Database, username: str) -> int:
    from data.users.store import SqlUserStore

    user = SqlUserStore(db.engine).find(username)
    assert user is not None
    return user.id


async def putaway_body(admin: Api, db: Database, quantity: int = 10) -> dict[str, Any]:
    product = await admin.new_product()
    assert (await admin.move("RECEIPT", product["id"], 100)).status_code == 201
    bin_id = make_bin(db, f"A-{product['id']:02d}")
    line = {"product_id": product["id"], "quantity": quantity,
            "from_location_id": location_id(db, "MAIN"), "to_location_id": bin_id}  # fmt: skip
    return {"kind": "putaway", "priority": "high", "lines": [line]}


async def test_every_floor_route_wants_a_token(visitor: User, app_database: Database) -> None:
    anonymous = Api(visitor.http_client)
    for method, path in ROUTES:
        response = await anonymous.request(method, path, json={})
        assert_error(response, 401, "not_authenticated")


async def test_a_mission_from_creation_to_completion(visitor: User, app_database: Database) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    body = await putaway_body(admin, db, 10)

    created = await admin.post("/missions", json=body, headers={"Idempotency-Key": "m-1"})
    assert created.status_code == 201, created.text
    mission = created.json()
    fixed = {"id", "kind", "status", "executor_id", "created_by", "priority", "lines",
             "created_at", "started_at", "completed_at", "cancelled_at"}  # fmt: skip
    fixed.add("cancel_reason")
    assert set(fixed) <= set(mission)
    assert (mission["kind"], mission["status"], mission["priority"]) == ("putaway", "draft", "high")
    assert mission["created_by"] == _user_id(db, "admin") and mission["executor_id"] is None
    (line,) = mission["lines"]
    assert set(line) >= {"id", "product_id", "quantity", "done_quantity", "from_location_id",
                         "to_location_id", "handling_unit_id"}  # fmt: skip
    assert (line["quantity"], line["done_quantity"], line["handling_unit_id"]) == (10, 0, None)
    again = await admin.post("/missions", json=body, headers={"Idempotency-Key": "m-1"})
    assert again.status_code == 200 and again.json()["id"] == mission["id"]
    mid = mission["id"]

    assigned = await admin.post(f"/missions/{mid}/assign", json={"executor_id": executor})
    assert assigned.status_code == 200 and assigned.json()["status"] == "assigned"
    started = await worker.post(f"/missions/{mid}/start", headers={"Idempotency-Key": "s-1"})
    assert started.status_code == 200 and started.json()["started_at"] is not None
    replayed = await worker.post(f"/missions/{mid}/start", headers={"Idempotency-Key": "s-1"})
    assert replayed.status_code == 200 and replayed.json()["status"] == "in_progress"

    step = {"line_id": line["id"], "quantity": 4}
    recorded = await worker.post(f"/missions/{mid}/record-movement", json=step,
                                 headers={"Idempotency-Key": "r-1"})  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    answer = recorded.json()
    assert answer["lines"][0]["done_quantity"] == 4 and answer["line"]["done_quantity"] == 4
    movement = answer["movement"]
    assert (movement["operation_type"], movement["quantity"]) == ("TRANSFER", 4)
    assert movement["document"] == f"mission:{mid}" and movement["user"] == "kuznetsov"
    assert (movement["from_location"], movement["to_location"]) == ("MAIN", line["to_location"])
    retry = await worker.post(f"/missions/{mid}/record-movement", json=step,
                              headers={"Idempotency-Key": "r-1"})  # fmt: skip
    assert retry.status_code == 200 and retry.json()["movement"]["id"] == movement["id"]
    assert stock(db, line["product_id"])["good"] == 100  # a transfer inside MAIN's warehouse

    too_many = await worker.post(f"/missions/{mid}/record-movement",
                                 json={"line_id": line["id"], "quantity": 7})  # fmt: skip
    assert "осталось 6" in assert_error(too_many, 422, "quantity_exceeds_rest")["message"]
    completed = await worker.post(f"/missions/{mid}/complete")
    assert completed.status_code == 200
    assert (completed.json()["status"], completed.json()["lines"][0]["done_quantity"]) == (
        "completed", 4,
    )  # fmt: skip
    read = (await worker.get(f"/missions/{mid}")).json()
    assert read["completed_at"] is not None and read["executor_id"] == executor
    listed = (await worker.get("/missions", params={"status": "completed"})).json()
    assert [m["id"] for m in listed["items"]] == [mid] and listed["total"] == 1
    assert (await worker.get("/missions", params={"status": "draft"})).json()["total"] == 0


async def test_conflicts_are_409_with_their_codes(visitor: User, app_database: Database) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    _, executor = await worker_executor(admin, db, http)
    mid = (await admin.post("/missions", json=await putaway_body(admin, db))).json()["id"]
    assert_error(await admin.post(f"/missions/{mid}/start"), 409, "invalid_transition")
    assert_error(await admin.post(f"/missions/{mid}/complete"), 409, "invalid_transition")
    assert (await admin.post(f"/missions/{mid}/assign", json={"executor_id": executor})).is_success
    patched = await admin.patch(f"/missions/{mid}", json={"priority": "low"})
    assert "черновик" in assert_error(patched, 409, "invalid_transition")["message"]
    await admin.patch(f"/executors/{executor}", json={"is_active": False})
    other = (await admin.post("/missions", json=await putaway_body(admin, db))).json()["id"]
    assigned = await admin.post(f"/missions/{other}/assign", json={"executor_id": executor})
    assert_error(assigned, 409, "executor_inactive")
    assert (await admin.post(f"/missions/{mid}/cancel", json={"reason": "Нет места"})).is_success
    assert_error(await admin.post(f"/missions/{mid}/cancel"), 409, "invalid_transition")
    duplicate = await admin.post("/executors", json={"code": "TAB-01", "name": "Другой"})
    assert_error(duplicate, 409, "executor_code_taken")
    reused = await admin.post(f"/missions/{other}/cancel", headers={"Idempotency-Key": "x"})
    assert reused.is_success
    again = await admin.post(f"/missions/{mid}/assign", json={"executor_id": executor},
                             headers={"Idempotency-Key": "x"})  # fmt: skip
    assert_error(again, 409, "idempotency_key_reused")


async def test_not_found_is_404(visitor: User, app_database: Database) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker = await as_user(http, db, "petrov", "worker")
    for path, code in (("/missions/999999", "mission_not_found"),
                       ("/executors/999999", "executor_not_found"),
                       ("/operators/999999", "operator_not_found"),
                       (f"/operators/{_user_id(db, 'petrov')}", "operator_not_found")):  # fmt: skip
        assert_error(await admin.get(path), 404, code)
    assert_error(await worker.post("/missions/999999/start"), 404, "mission_not_found")
    mid = (await admin.post("/missions", json=await putaway_body(admin, db))).json()["id"]
    unknown = await admin.post(f"/missions/{mid}/assign", json={"executor_id": 999999})
    assert_error(unknown, 404, "executor_not_found")


async def test_bad_input_is_422(visitor: User, app_database: Database) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    body = await putaway_body(admin, db)
    line = body["lines"][0]
    cases = [
        {**body, "lines": []},
        {**body, "kind": "picking"},
        {**body, "priority": "asap"},
        {**body, "lines": [{**line, "quantity": 0}]},
        {**body, "lines": [{**line, "quantity": 2.5}]},
        {**body, "lines": [{**line, "to_location_id": line["from_location_id"]}]},
        {**body, "lines": [{**line, "product_id": 999999}]},
        {**body, "extra": 1},
    ]
    for case in cases:
        assert_error(await admin.post("/missions", json=case), 422)
    backwards = {**line, "from_location_id": line["to_location_id"],
                 "to_location_id": line["from_location_id"]}  # fmt: skip
    refused = await admin.post("/missions", json={**body, "lines": [backwards]})
    assert assert_error(refused, 422, "putaway_route")["field"] == "lines.0.from_location_id"
    assert_error(await admin.post("/executors", json={"code": "a b", "name": "x"}), 422)
    assert_error(await admin.post("/operators", json={"username": "op", "password": "short"}), 422)
    assert_error(await admin.get("/missions", params={"executor_id": "x"}), 422)


async def test_roles_workers_read_and_act_on_their_own_missions_only(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    manager = await signed_in(http, db, "manager")
    worker, executor = await worker_executor(admin, db, http)
    stranger = await as_user(http, db, "petrov", "worker")
    body = await putaway_body(admin, db)
    mid = (await manager.post("/missions", json={**body, "executor_id": executor})).json()["id"]
    line_id = (await worker.get(f"/missions/{mid}")).json()["lines"][0]["id"]
    for api in (worker, stranger):
        for path in ("/missions", "/executors", "/operators", f"/missions/{mid}"):
            assert (await api.get(path)).status_code == 200, path
        refusals = [
            await api.post("/missions", json=body),
            await api.patch(f"/missions/{mid}", json={"priority": "low"}),
            await api.post(f"/missions/{mid}/assign", json={"executor_id": executor}),
            await api.post(f"/missions/{mid}/cancel"),
            await api.post("/executors", json={"code": "X", "name": "X"}),
            await api.patch(f"/executors/{executor}", json={"is_active": False}),
            await api.post("/operators", json={"username": "op", "password": "password-123"}),
            await api.get("/products"),  # the office's API stays closed to workers
        ]
        for response in refusals:
            assert_error(response, 403)
    assert_error(await stranger.post(f"/missions/{mid}/start"), 403, "not_your_mission")
    assert (await worker.post(f"/missions/{mid}/start")).status_code == 200
    step = {"line_id": line_id, "quantity": 1}
    assert_error(await stranger.post(f"/missions/{mid}/record-movement", json=step), 403,
                 "not_your_mission")  # fmt: skip
    assert (await worker.post(f"/missions/{mid}/record-movement", json=step)).status_code == 201
    operator = {"username": "op2", "password": "password-123"}
    assert_error(await manager.post("/operators", json=operator), 403)


async def test_an_admin_creates_operators_who_are_managers(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    created = await admin.post("/operators", json={"username": "sokolova", "full_name":
                               "Ирина Соколова", "password": "password-123"})  # fmt: skip
    assert created.status_code == 201, created.text
    operator = created.json()
    assert {k: operator[k] for k in ("username", "full_name", "role", "is_active")} == {
        "username": "sokolova", "full_name": "Ирина Соколова", "role": "manager",
        "is_active": True,
    }  # fmt: skip
    assert (await admin.get(f"/operators/{operator['id']}")).json() == operator
    listed = (await admin.get("/operators")).json()
    assert {o["username"] for o in listed["items"]} == {"admin", "sokolova"}
    assert listed["total"] == 2
    taken = await admin.post("/operators", json={"username": "sokolova", "password": "x" * 9})
    assert_error(taken, 409, "username_taken")
    as_manager = Api(http, await token(http, "sokolova", "password-123"))
    assert (await as_manager.get("/missions")).status_code == 200


async def test_executors_link_to_one_user_each(visitor: User, app_database: Database) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    _, executor = await worker_executor(admin, db, http)
    user_id = _user_id(db, "kuznetsov")
    second = await admin.post("/executors", json={"code": "TAB-02", "name": "Сканер 2",
                                                  "user_id": user_id})  # fmt: skip
    assert_error(second, 409, "user_already_linked")
    device = await admin.post("/executors", json={"code": "TAB-02", "name": "Сканер 2"})
    assert device.status_code == 201 and device.json()["user_id"] is None
    unlinked = await admin.patch(f"/executors/{executor}", json={"user_id": None})
    assert unlinked.status_code == 200 and unlinked.json()["user_id"] is None
    moved = await admin.patch(f"/executors/{device.json()['id']}", json={"user_id": user_id})
    assert moved.json()["username"] == "kuznetsov"
    listed = (await admin.get("/executors", params={"is_active": True})).json()
    assert listed["total"] == 2
    assert {e["code"] for e in listed["items"]} == {"TAB-01", "TAB-02"}


@pytest.mark.parametrize("route", ["/missions", "/executors", "/operators"])
async def test_lists_page_with_limit_and_offset(
    visitor: User, app_database: Database, route: str
) -> None:
    admin = await signed_in(visitor.http_client, app_database)
    page = (await admin.get(route, params={"limit": 1, "offset": 0})).json()
    assert set(page) == {"items", "total"} and len(page["items"]) <= 1
