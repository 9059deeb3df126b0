"""The marking codes REST contract (DESIGN.md §6 "Marking codes and stickers"): the
product flag, a scan into a package with 201 / replay 200 and every refusal
(marking_code_invalid, marking_code_wrong_product, marking_code_duplicate,
marking_code_extra), pack's marking_codes_missing, the undo, the order's codes and
their files, the roles."""

import csv
import io

import openpyxl
from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in
from tests.e2e.test_api_missions import as_user, worker_executor
from tests.e2e.test_api_packing import BOX, picked
from tests.marking import GS, shoes_code, valid_ean13
from tests.order_checks import check_reservations

ROUTES = [
    ("POST", "/packing-tasks/1/marking-codes"), ("DELETE", "/packing-tasks/1/marking-codes/1"),
    ("GET", "/orders/1/marking-codes"), ("GET", "/orders/1/marking-codes/export"),
    ("GET", "/marking-codes/export"),
]  # fmt: skip


async def test_every_marking_route_wants_a_token(visitor: User, app_database: Database) -> None:
    anonymous = Api(visitor.http_client)
    for method, path in ROUTES:
        assert_error(await anonymous.request(method, path, json={}), 401, "not_authenticated")


async def test_requires_marking_is_a_product_field(visitor: User, app_database: Database) -> None:
    admin = await signed_in(visitor.http_client, app_database)
    plain = await admin.new_product()
    assert plain["requires_marking"] is False
    marked = await admin.new_product(requires_marking=True)
    assert (await admin.get(f"/products/{marked['id']}")).json()["requires_marking"] is True
    changed = await admin.patch(f"/products/{plain['id']}", json={"requires_marking": True})
    assert changed.status_code == 200 and changed.json()["requires_marking"] is True
    assert_error(await admin.patch(f"/products/{plain['id']}", json={"requires_marking": None}),
                 422)  # fmt: skip
    assert_error(await admin.patch(f"/products/{plain['id']}", json={"requires_marking": "да"}),
                 422)  # fmt: skip


async def test_a_worker_scans_every_marked_unit_before_packing(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    product, order = await picked(admin, worker, executor, 2, "WB-16")
    assert (await admin.patch(f"/products/{product['id']}",
                              json={"requires_marking": True})).status_code == 200  # fmt: skip
    base = f"/packing-tasks/{order['packing_task_id']}"
    codes = f"{base}/marking-codes"
    assert (await worker.post(f"{base}/start", json={"executor_id": executor})).status_code == 200
    box = (await worker.post(f"{base}/packages", json={**BOX, "items": [
        {"product_id": product["id"], "quantity": 2}]})).json()  # fmt: skip
    assert_error(await worker.post(f"{base}/pack"), 409, "marking_codes_missing")

    code = shoes_code(product["barcode"])
    assert_error(await worker.post(codes, json={"code": "4607000000000", "package_id": box["id"]}),
                 422, "marking_code_invalid")  # fmt: skip
    garbled = code[:14] + str((int(code[14]) + 1) % 10) + code[15:]  # check digit off
    assert_error(await worker.post(codes, json={"code": garbled, "package_id": box["id"]}), 422,
                 "marking_code_invalid")  # fmt: skip
    stranger = shoes_code(valid_ean13("460999000001"))
    assert_error(await worker.post(codes, json={"code": stranger, "package_id": box["id"]}), 422,
                 "marking_code_wrong_product")  # fmt: skip
    assert_error(await worker.post(codes, json={"code": code, "package_id": 999999}), 422,
                 "package_not_found")  # fmt: skip
    other = await as_user(http, db, "sidorov", "worker")
    assert_error(await other.post(codes, json={"code": code, "package_id": box["id"]}), 403,
                 "forbidden")  # fmt: skip

    scanned = await worker.post(codes, headers={"Idempotency-Key": "mc-1"}, json={
        "code": "]d2" + code.replace(GS, "<GS>"), "package_id": box["id"]})  # fmt: skip
    assert scanned.status_code == 201, scanned.text
    first = scanned.json()
    assert {k: first[k] for k in ("code", "gtin", "serial", "product_id", "package_id")} == {
        "code": code, "gtin": product["barcode"].zfill(14), "serial": code.split(GS)[0][18:],
        "product_id": product["id"], "package_id": box["id"]}  # fmt: skip
    replay = await worker.post(codes, headers={"Idempotency-Key": "mc-1"},
                               json={"code": code, "package_id": box["id"]})  # fmt: skip
    assert replay.status_code == 200 and replay.json()["id"] == first["id"]
    assert_error(await worker.post(codes, json={"code": code, "package_id": box["id"]}), 409,
                 "marking_code_duplicate")  # fmt: skip
    assert_error(await worker.post(f"{base}/pack"), 409, "marking_codes_missing")

    # Undo, then both units.
    undone = await worker.delete(f"{codes}/{first['id']}")
    assert undone.status_code == 200 and undone.json()["id"] == first["id"]
    assert_error(await worker.delete(f"{codes}/{first['id']}"), 404, "marking_code_not_found")
    for one in (code, shoes_code(product["barcode"])):
        body = {"code": one.replace(GS, ""), "package_id": box["id"]}  # the scanner lost GS
        assert (await worker.post(codes, json=body)).status_code == 201
    assert_error(await worker.post(codes, json={"code": shoes_code(product["barcode"]),
                                                "package_id": box["id"]}), 409,
                 "marking_code_extra")  # fmt: skip
    packed = await worker.post(f"{base}/pack")
    assert packed.status_code == 200, packed.text
    listed = (await worker.get(f"/orders/{order['id']}/marking-codes")).json()
    assert listed["total"] == 2 and listed["items"][0]["code"] == code
    assert_error(await worker.delete(f"{codes}/{listed['items'][0]['id']}"), 409,
                 "invalid_transition")  # fmt: skip
    shipped = await worker.post(f"{base}/ship", json={"carrier": "manual",
                                                      "tracking_number": "RP1RU"})  # fmt: skip
    assert shipped.status_code == 200, shipped.text
    listed = (await worker.get(f"/orders/{order['id']}/marking-codes")).json()
    assert {i["status"] for i in listed["items"]} == {"shipped"}
    with_codes = (await worker.get(f"/orders/{order['id']}")).json()["marking_codes"]
    assert [c["code"] for c in with_codes] == [i["code"] for i in listed["items"]]
    assert all(i["shipped_at"] for i in listed["items"])
    check_reservations(db)

    # The files for the marketplace and «вывод из оборота».
    got = await admin.get(f"/orders/{order['id']}/marking-codes/export", params={"format": "csv"})
    assert got.status_code == 200 and got.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Код маркировки (КИ)", "Код полностью", "GTIN", "Серийный номер"]
    assert rows[1][1] == code and rows[1][0] == code.split(GS)[0] and rows[1][4] == "WB-16"
    sheet = await admin.get("/marking-codes/export")  # today's shipments, .xlsx
    assert sheet.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(sheet.content))
    values = [[c.value for c in r] for r in book.active.iter_rows(min_row=2)]
    assert [v[1] for v in values] == [code.replace(GS, "<GS>"), listed["items"][1]["code"]
                                      .replace(GS, "<GS>")]  # fmt: skip
    assert_error(await admin.get("/marking-codes/export", params={"format": "pdf"}), 422)
    far = await admin.get("/marking-codes/export", params={"date_to": "9999-12-31"})
    assert_error(far, 422, "invalid_date")  # no day after it to end on: a 500 before
    blank = await admin.get("/marking-codes/export", params={"date_from": " "})
    assert blank.status_code == 200  # a blank bound is no bound: today
    backwards = {"date_from": "2026-05-02", "date_to": "2026-05-01"}
    assert_error(await admin.get("/marking-codes/export", params=backwards), 422,
                 "invalid_period")  # fmt: skip
    assert_error(await admin.get("/orders/999999/marking-codes"), 404, "order_not_found")
