"""/api/v1/locations as DESIGN.md §6 fixes it: fields, list shape, roles, idempotency,
the error body and its codes (401/403/404/409/422), and bin labels."""

import io

import pypdf
from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in

FIELDS = {"id", "code", "name", "kind", "warehouse", "route_sequence", "is_active", "zone"}


async def new_bin(api: Api, code: str, **fields: object) -> dict[str, object]:
    response = await api.post("/locations", json={"code": code, **fields})
    assert response.status_code == 201, response.text
    return response.json()


async def test_list_has_the_default_locations_and_the_contract_fields(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    listed = (await api.get("/locations")).json()
    assert set(listed) == {"items", "total"}
    assert listed["total"] == 4
    by_code = {item["code"]: item for item in listed["items"]}
    assert set(by_code["MAIN"]) >= FIELDS
    assert (by_code["MAIN"]["kind"], by_code["MAIN"]["warehouse"]) == ("default", "MAIN")
    assert (by_code["DEFECT"]["kind"], by_code["DEFECT"]["warehouse"]) == ("default", "DEFECT")
    assert by_code["PACK-1"]["kind"] == "packing"
    assert by_code["OUT-1"]["kind"] == "outbound"
    assert "VENDOR" not in by_code  # the outside world is no internal location


async def test_create_read_list_and_page(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    created = await new_bin(api, "a-01-1-1", name="Верх", zone="a", route_sequence=100)
    assert {k: created[k] for k in FIELDS} == {
        "id": created["id"], "code": "A-01-1-1", "name": "Верх", "kind": "bin",
        "warehouse": "MAIN", "route_sequence": 100, "is_active": True, "zone": "A",
    }  # fmt: skip
    station = await new_bin(api, "PACK-2", kind="packing")
    assert (station["kind"], station["name"], station["route_sequence"]) == (
        "packing",
        "PACK-2",
        110,
    )
    dock = await new_bin(api, "OUT-D", kind="outbound", warehouse="DEFECT")
    assert dock["warehouse"] == "DEFECT"
    read = (await api.get(f"/locations/{created['id']}")).json()
    assert read["contents"] == [] and read["code"] == "A-01-1-1"
    page = (await api.get("/locations", params={"limit": 2, "offset": 1})).json()
    assert page["total"] == 7 and len(page["items"]) == 2
    zone = (await api.get("/locations", params={"zone": "a"})).json()
    assert [i["code"] for i in zone["items"]] == ["A-01-1-1"]
    kind = (await api.get("/locations", params={"kind": "packing"})).json()
    assert {i["code"] for i in kind["items"]} == {"PACK-1", "PACK-2"}
    found = (await api.get("/locations", params={"q": "ф-01"})).json()  # Russian layout
    assert (found["total"], found["searched_for"]) == (1, "a-01")


async def test_the_same_idempotency_key_returns_the_first_answer(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    headers = {"Idempotency-Key": "bin-7"}
    first = await api.post("/locations", json={"code": "B-7"}, headers=headers)
    again = await api.post("/locations", json={"code": "B-7"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert (await api.get("/locations", params={"q": "B-7"})).json()["total"] == 1
    other = await api.post("/locations", json={"code": "B-8"}, headers=headers)
    assert_error(other, 409, "idempotency_key_reused")
    # Keys are each user's own: another manager's equal key is a new request.
    manager = await signed_in(visitor.http_client, app_database, "manager")
    mine = await manager.post("/locations", json={"code": "B-9"}, headers=headers)
    assert mine.status_code == 201


async def test_patch_renames_and_deactivation_is_refused_while_stock_lies_there(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    bin_ = await new_bin(api, "C-1")
    product = await api.new_product()
    await api.move("RECEIPT", product["id"], 5)
    main = (await api.get("/locations", params={"kind": "default", "warehouse": "MAIN"})).json()
    moved = await api.move(
        "TRANSFER", product["id"], 2,
        from_location_id=main["items"][0]["id"], to_location_id=bin_["id"],
    )  # fmt: skip
    assert moved.status_code == 201, moved.text
    renamed = await api.patch(f"/locations/{bin_['id']}", json={"name": "Нижняя полка"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "Нижняя полка"
    assert (renamed.json()["units"], renamed.json()["products"]) == (2, 1)
    refused = await api.patch(f"/locations/{bin_['id']}", json={"is_active": False})
    error = assert_error(refused, 409, "location_not_empty")
    assert error["message"].startswith("В месте C-1 лежит товар (2 шт.)")
    detail = (await api.get(f"/locations/{bin_['id']}")).json()
    assert detail["is_active"] is True
    assert [(c["product_id"], c["quantity"]) for c in detail["contents"]] == [(product["id"], 2)]
    await api.move(
        "TRANSFER", product["id"], 2,
        from_location_id=bin_["id"], to_location_id=main["items"][0]["id"],
    )  # fmt: skip
    off = await api.patch(f"/locations/{bin_['id']}", json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    inactive = (await api.get("/locations", params={"is_active": False})).json()
    assert [i["code"] for i in inactive["items"]] == ["C-1"]


async def test_conflicts_are_409(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    await new_bin(api, "D-1")
    second = await new_bin(api, "D-2")
    assert_error(await api.post("/locations", json={"code": "d-1"}), 409, "location_code_taken")
    assert_error(await api.post("/locations", json={"code": "PACK-1"}), 409, "location_code_taken")
    recode = await api.patch(f"/locations/{second['id']}", json={"code": "D-1"})
    assert_error(recode, 409, "location_code_taken")
    main = (await api.get("/locations", params={"kind": "default"})).json()["items"][0]
    off = await api.patch(f"/locations/{main['id']}", json={"is_active": False})
    assert_error(off, 409, "default_location_required")


async def test_invalid_input_is_422_naming_the_field(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    bin_ = await new_bin(api, "E-1")
    route = "route_sequence"
    cases = [
        (await api.post("/locations", json={}), "code"),
        (await api.post("/locations", json={"code": "E 2"}), "code"),
        (await api.post("/locations", json={"code": "Е-2"}), "code"),  # Cyrillic Е
        (await api.post("/locations", json={"code": "E-2", "kind": "default"}), "kind"),
        (await api.post("/locations", json={"code": "E-2", "kind": "virtual"}), "kind"),
        (await api.post("/locations", json={"code": "E-2", "warehouse": "X"}), "warehouse"),
        (await api.post("/locations", json={"code": "E-2", "route_sequence": -1}), route),
        (await api.post("/locations", json={"code": "E-2", "route_sequence": "5"}), route),
        (await api.post("/locations", json={"code": "E-2", "zone": "Зона"}), "zone"),
        (await api.post("/locations", json={"code": "E-2", "name": "x" * 101}), "name"),
        (await api.post("/locations", json={"code": "E-2", "extra": 1}), "extra"),
        (await api.patch(f"/locations/{bin_['id']}", json={"kind": "packing"}), "kind"),
        (await api.patch(f"/locations/{bin_['id']}", json={"is_active": 0}), "is_active"),
        (await api.patch(f"/locations/{bin_['id']}", json={"code": None}), "code"),
        (await api.get("/locations", params={"kind": "shelf"}), "kind"),
        (await api.get("/locations", params={"limit": 0}), "limit"),
        (await api.get("/locations/abc"), "location_id"),
        (await api.get(f"/locations/{bin_['id']}/label", params={"format": "png"}), "format"),
    ]  # fmt: skip
    for response, field in cases:
        error = assert_error(response, 422)
        assert error.get("field") == field, (response.request.url, response.request.content, error)
    assert (await api.get("/locations", params={"q": "E-2"})).json()["total"] == 0


async def test_unknown_and_virtual_locations_are_404(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    assert_error(await api.get("/locations/99999"), 404, "location_not_found")
    assert_error(await api.patch("/locations/99999", json={"name": "x"}), 404, "location_not_found")
    assert_error(await api.get("/locations/99999/label"), 404, "location_not_found")
    with app_database.engine.connect() as conn:
        vendor = conn.exec_driver_sql("SELECT id FROM location WHERE code = 'VENDOR'").scalar()
    assert_error(await api.get(f"/locations/{vendor}"), 404, "location_not_found")
    assert_error(await api.patch(f"/locations/{vendor}", json={"name": "x"}), 404)


async def test_without_a_token_every_route_is_401(visitor: User, app_database: Database) -> None:
    api = Api(visitor.http_client)
    for response in (
        await api.get("/locations"),
        await api.post("/locations", json={"code": "F-1"}),
        await api.get("/locations/1"),
        await api.patch("/locations/1", json={"name": "x"}),
        await api.get("/locations/1/label"),
    ):
        assert_error(response, 401, "not_authenticated")


async def test_a_worker_reads_but_may_not_write(visitor: User, app_database: Database) -> None:
    admin = await signed_in(visitor.http_client, app_database)
    bin_ = await new_bin(admin, "G-1")
    worker = await signed_in(visitor.http_client, app_database, "worker")
    listed = await worker.get("/locations")
    assert listed.status_code == 200 and listed.json()["total"] == 5
    assert (await worker.get(f"/locations/{bin_['id']}")).status_code == 200
    assert (await worker.get(f"/locations/{bin_['id']}/label")).status_code == 200
    created = await worker.post("/locations", json={"code": "G-2"})
    assert_error(created, 403, "forbidden")
    changed = await worker.patch(f"/locations/{bin_['id']}", json={"name": "x"})
    assert_error(changed, 403, "forbidden")
    assert (await admin.get("/locations", params={"q": "G-2"})).json()["total"] == 0
    assert_error(await worker.get("/products"), 403)  # the rest of the API stays closed


async def test_labels_as_zpl_and_pdf(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    bin_ = await new_bin(api, "H-01-2-3", name="Зона H, стеллаж 01")
    zpl = await api.get(f"/locations/{bin_['id']}/label")
    assert zpl.status_code == 200 and zpl.headers["content-type"].startswith("text/plain")
    assert zpl.text.startswith("^XA") and zpl.text.rstrip().endswith("^XZ")
    assert "^BCN" in zpl.text and "^FDH-01-2-3^FS" in zpl.text
    pdf = await api.get(f"/locations/{bin_['id']}/label", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "H-01-2-3" in text and "Зона H, стеллаж 01" in text


async def test_openapi_documents_every_location_route(visitor: User) -> None:
    schema = (await visitor.http_client.get("/openapi.json")).json()
    paths = schema["paths"]
    assert set(paths["/api/v1/locations"]) == {"get", "post"}
    assert set(paths["/api/v1/locations/{location_id}"]) == {"get", "patch"}
    post = paths["/api/v1/locations"]["post"]
    assert {"201", "200", "401", "403", "409", "422"} <= set(post["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in post["parameters"])
    assert "/api/v1/locations/{location_id}/label" in paths
