"""/api/v1/handling-units as DESIGN.md §6 fixes it: fields, list shape, PATCH
`location_id` moving the unit with its contents, TRANSFER into and out of a unit through
POST /movements, roles, idempotency, the error body and its codes (401/403/404/409/422),
and the unit's label."""

from typing import Any

from biip import parse
from nicegui.testing import User

from core.floor.handling_units import create_unit
from data.database import Database
from data.floor.handling_units import handling_unit_work
from tests.api_client import Api, assert_error, signed_in
from tests.floor import location_id
from tests.unit.test_unit_labels import decoded, zpl_scan

FIELDS = {"id", "code", "kind", "location_id", "parent_id", "contents"}


async def places(api: Api) -> dict[str, int]:
    listed = (await api.get("/locations", params={"limit": 50})).json()["items"]
    found = {item["code"]: item["id"] for item in listed}
    for code in ("A-1", "B-1"):
        if code not in found:
            created = await api.post("/locations", json={"code": code})
            found[code] = created.json()["id"]
    return found


async def new_unit(api: Api, kind: str, location_id: int, **fields: Any) -> dict[str, Any]:
    response = await api.post(
        "/handling-units", json={"kind": kind, "location_id": location_id, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_create_fill_move_and_close_a_pallet(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    at = await places(api)
    product = await api.new_product()
    await api.move("RECEIPT", product["id"], 20)
    pallet = await new_unit(api, "pallet", at["MAIN"])
    assert set(pallet) >= FIELDS
    assert (pallet["kind"], pallet["location_id"], pallet["parent_id"]) == (
        "pallet",
        at["MAIN"],
        None,
    )
    assert pallet["contents"] == [] and pallet["code"].startswith("HU-")
    box = await new_unit(api, "box", at["MAIN"], parent_id=pallet["id"])
    assert box["parent_id"] == pallet["id"]
    put = await api.move("TRANSFER", product["id"], 12, from_location_id=at["MAIN"],
                         to_location_id=at["MAIN"], handling_unit_id=pallet["id"])  # fmt: skip
    assert put.status_code == 201, put.text
    assert put.json()["handling_unit_id"] == pallet["id"]
    await api.move("TRANSFER", product["id"], 3, from_location_id=at["MAIN"],
                   to_location_id=at["MAIN"], handling_unit_id=box["id"])  # fmt: skip
    read = (await api.get(f"/handling-units/{pallet['id']}")).json()
    assert [(c["product_id"], c["quantity"]) for c in read["contents"]] == [(product["id"], 12)]
    assert [n["id"] for n in read["nested"]] == [box["id"]]
    moved = await api.patch(f"/handling-units/{pallet['id']}", json={"location_id": at["A-1"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["location_id"] == at["A-1"]
    box_now = (await api.get(f"/handling-units/{box['id']}")).json()
    assert box_now["location_id"] == at["A-1"] and box_now["contents"][0]["quantity"] == 3
    journal = (await api.get("/movements", params={"operation_type": "TRANSFER"})).json()
    unit_moves = [m for m in journal["items"] if (m["document"] or "").startswith("hu-move:")]
    assert len(unit_moves) == 2 and len({m["document"] for m in unit_moves}) == 1
    refused = await api.patch(f"/handling-units/{pallet['id']}", json={"closed": True})
    error = assert_error(refused, 409, "handling_unit_not_empty")
    assert "не пуста" in error["message"]
    out_of = {"from_handling_unit_id": pallet["id"]}
    taken = await api.move("TRANSFER", product["id"], 12, from_location_id=at["A-1"],
                           to_location_id=at["B-1"], **out_of)  # fmt: skip
    assert taken.status_code == 201, taken.text
    off = await api.patch(f"/handling-units/{box['id']}", json={"parent_id": None})
    assert off.json()["parent_id"] is None
    closed = await api.patch(f"/handling-units/{pallet['id']}", json={"closed": True})
    assert closed.status_code == 200 and closed.json()["is_open"] is False
    listed = (await api.get("/handling-units")).json()
    assert set(listed) == {"items", "total"} and [u["id"] for u in listed["items"]] == [box["id"]]
    everything = (await api.get("/handling-units", params={"is_open": "false"})).json()
    assert [u["id"] for u in everything["items"]] == [pallet["id"]]
    by_place = (await api.get("/handling-units", params={"location_id": at["A-1"]})).json()
    assert by_place["total"] == 1
    by_code = (await api.get("/handling-units", params={"q": box["code"].lower()})).json()
    assert [u["id"] for u in by_code["items"]] == [box["id"]]


async def test_the_same_idempotency_key_returns_the_first_unit(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    at = await places(api)
    headers = {"Idempotency-Key": "pallet-1"}
    body = {"kind": "pallet", "location_id": at["MAIN"]}
    first = await api.post("/handling-units", json=body, headers=headers)
    again = await api.post("/handling-units", json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    other = await api.post("/handling-units", json={**body, "kind": "box"}, headers=headers)
    assert_error(other, 409, "idempotency_key_reused")
    assert (await api.get("/handling-units")).json()["total"] == 1


async def test_conflicts_are_409(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    at = await places(api)
    pallet = await new_unit(api, "pallet", at["MAIN"])
    far = await new_unit(api, "pallet", at["A-1"])
    box = await new_unit(api, "box", at["B-1"])
    assert_error(await api.patch(f"/handling-units/{box['id']}", json={"parent_id": far["id"]}),
                 409, "handling_unit_elsewhere")  # fmt: skip
    await api.patch(f"/handling-units/{far['id']}", json={"closed": True})
    assert_error(await api.patch(f"/handling-units/{far['id']}", json={"location_id": at["B-1"]}),
                 409, "handling_unit_closed")  # fmt: skip
    assert_error(await api.patch(f"/handling-units/{far['id']}", json={"closed": False}),
                 409, "invalid_transition")  # fmt: skip
    product = await api.new_product()
    await api.move("RECEIPT", product["id"], 2)
    out_of = {"from_handling_unit_id": pallet["id"]}
    short = await api.move("TRANSFER", product["id"], 1, from_location_id=at["MAIN"],
                           to_location_id=at["A-1"], **out_of)  # fmt: skip
    assert_error(short, 409, "insufficient_stock")
    closed = await api.move("TRANSFER", product["id"], 1, from_location_id=at["MAIN"],
                            to_location_id=at["A-1"], handling_unit_id=far["id"])  # fmt: skip
    assert_error(closed, 409, "handling_unit_closed")


async def test_invalid_input_is_422_naming_the_field(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    at = await places(api)
    pallet = await new_unit(api, "pallet", at["MAIN"])
    other = await new_unit(api, "pallet", at["MAIN"])
    with app_database.engine.connect() as conn:
        vendor = conn.exec_driver_sql("SELECT id FROM location WHERE code = 'VENDOR'").scalar()
    path = f"/handling-units/{pallet['id']}"
    cases = [
        (await api.post("/handling-units", json={"location_id": at["MAIN"]}), "kind"),
        (await api.post("/handling-units", json={"kind": "crate", "location_id": 1}), "kind"),
        (await api.post("/handling-units", json={"kind": "box"}), "location_id"),
        (await api.post("/handling-units", json={"kind": "box", "location_id": vendor}),
         "location_id"),
        (await api.post("/handling-units", json={"kind": "box", "location_id": at["MAIN"],
                                                 "parent_id": 99999}), "parent_id"),
        (await api.post("/handling-units", json={"kind": "box", "location_id": 1, "x": 1}), "x"),
        (await api.patch(path, json={"location_id": vendor}), "location_id"),
        (await api.patch(path, json={"location_id": "A"}), "location_id"),
        (await api.patch(path, json={"parent_id": other["id"]}), "parent_id"),  # a pallet
        (await api.patch(path, json={"closed": 1}), "closed"),
        (await api.get("/handling-units", params={"kind": "crate"}), "kind"),
        (await api.get("/handling-units/abc"), "unit_id"),
        (await api.get(f"{path}/label", params={"format": "png"}), "format"),
    ]  # fmt: skip
    for response, field in cases:
        error = assert_error(response, 422)
        assert error.get("field") == field, (response.request.url, response.request.content, error)


async def test_unknown_units_are_404(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    assert_error(await api.get("/handling-units/99999"), 404, "handling_unit_not_found")
    assert_error(await api.patch("/handling-units/99999", json={"closed": True}), 404,
                 "handling_unit_not_found")  # fmt: skip
    assert_error(await api.get("/handling-units/99999/label"), 404, "handling_unit_not_found")


async def test_without_a_token_every_route_is_401(visitor: User, app_database: Database) -> None:
    api = Api(visitor.http_client)
    for response in (
        await api.get("/handling-units"),
        await api.post("/handling-units", json={"kind": "box", "location_id": 1}),
        await api.get("/handling-units/1"),
        await api.patch("/handling-units/1", json={"closed": True}),
        await api.get("/handling-units/1/label"),
    ):
        assert_error(response, 401, "not_authenticated")


async def test_a_worker_reads_but_may_not_write(visitor: User, app_database: Database) -> None:
    admin = await signed_in(visitor.http_client, app_database)
    at = await places(admin)
    pallet = await new_unit(admin, "pallet", at["MAIN"])
    worker = await signed_in(visitor.http_client, app_database, "worker")
    assert (await worker.get("/handling-units")).json()["total"] == 1
    assert (await worker.get(f"/handling-units/{pallet['id']}")).status_code == 200
    created = await worker.post("/handling-units", json={"kind": "box", "location_id": at["MAIN"]})
    assert_error(created, 403, "forbidden")
    moved = await worker.patch(f"/handling-units/{pallet['id']}", json={"location_id": at["A-1"]})
    assert_error(moved, 403, "forbidden")
    assert (await admin.get(f"/handling-units/{pallet['id']}")).json()["location_id"] == at["MAIN"]


async def test_labels_as_zpl_and_pdf(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    at = await places(api)
    pallet = await new_unit(api, "pallet", at["MAIN"])
    zpl = await api.get(f"/handling-units/{pallet['id']}/label")
    assert zpl.status_code == 200 and zpl.text.startswith("^XA")
    assert f"^FD{pallet['code']}^FS" in zpl.text
    pdf = await api.get(f"/handling-units/{pallet['id']}/label", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert decoded(pdf.content).text == pallet["code"]  # an internal code: plain Code 128


async def test_an_sscc_label_is_gs1_128(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    main = location_id(app_database, "MAIN")
    unit = create_unit(handling_unit_work(app_database), "pallet", main, user_id=None,
                       gs1_prefix="4601234").unit  # fmt: skip
    zpl = await api.get(f"/handling-units/{unit.id}/label")
    message = parse(zpl_scan(zpl.text)).gs1_message
    assert message is not None
    assert [(e.ai.ai, e.value) for e in message.element_strings] == [("00", unit.code)]
    pdf = await api.get(f"/handling-units/{unit.id}/label", params={"format": "pdf"})
    barcode = decoded(pdf.content)
    assert (barcode.symbology_identifier, barcode.bytes.decode()) == ("]C1", f"00{unit.code}")


async def test_openapi_documents_every_unit_route(visitor: User) -> None:
    paths = (await visitor.http_client.get("/openapi.json")).json()["paths"]
    assert set(paths["/api/v1/handling-units"]) == {"get", "post"}
    assert set(paths["/api/v1/handling-units/{unit_id}"]) == {"get", "patch"}
    post = paths["/api/v1/handling-units"]["post"]
    assert {"201", "200", "401", "403", "409", "422"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
