"""/api/v1/missions with a whole-unit line (issue 12): the line names a pallet or box and
no product; recording it moves the unit with everything inside as one document. The §6
fields stay; `whole_unit`, `unit_code` and the recording's `movements` are added."""

from typing import Any

from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in
from tests.e2e.test_api_handling_units import new_unit, places
from tests.e2e.test_api_missions import worker_executor
from tests.helpers import stock

LINE_FIELDS = {"id", "product_id", "quantity", "done_quantity", "from_location_id",
               "to_location_id", "handling_unit_id"}  # fmt: skip


async def loaded_pallet(api: Api, at: dict[str, int]) -> tuple[dict[str, Any], int]:
    """A pallet in MAIN with 12 units of a product and a box on it with 3 more."""
    product = await api.new_product()
    await api.move("RECEIPT", product["id"], 20)
    pallet = await new_unit(api, "pallet", at["MAIN"])
    box = await new_unit(api, "box", at["MAIN"], parent_id=pallet["id"])
    for unit, units in ((pallet, 12), (box, 3)):
        put = await api.move("TRANSFER", product["id"], units, from_location_id=at["MAIN"],
                             to_location_id=at["MAIN"], handling_unit_id=unit["id"])  # fmt: skip
        assert put.status_code == 201, put.text
    return pallet, product["id"]


async def test_a_whole_unit_line_from_creation_to_recording(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    at = await places(admin)
    pallet, product = await loaded_pallet(admin, at)

    body = {"kind": "putaway", "executor_id": executor,
            "lines": [{"handling_unit_id": pallet["id"], "to_location_id": at["A-1"]}]}  # fmt: skip
    created = await admin.post("/missions", json=body, headers={"Idempotency-Key": "u-1"})
    assert created.status_code == 201, created.text
    mission = created.json()
    (line,) = mission["lines"]
    assert set(line) >= LINE_FIELDS
    assert (line["product_id"], line["quantity"], line["done_quantity"]) == (None, 1, 0)
    assert (line["whole_unit"], line["handling_unit_id"]) == (True, pallet["id"])
    assert (line["from_location_id"], line["unit_code"]) == (at["MAIN"], pallet["code"])
    mid = mission["id"]
    assert (await worker.post(f"/missions/{mid}/start")).status_code == 200

    wrong = await worker.post(f"/missions/{mid}/record-movement",
                              json={"line_id": line["id"], "unit_code": "HU-999999"})  # fmt: skip
    assert pallet["code"] in assert_error(wrong, 422, "wrong_handling_unit")["message"]
    step = {"line_id": line["id"], "unit_code": pallet["code"].lower(), "location_code": "A-1"}
    recorded = await worker.post(f"/missions/{mid}/record-movement", json=step,
                                 headers={"Idempotency-Key": "r-1"})  # fmt: skip
    assert recorded.status_code == 201, recorded.text
    answer = recorded.json()
    assert answer["line"]["done_quantity"] == 1
    moved = answer["movements"]
    assert sorted(m["quantity"] for m in moved) == [3, 12]
    assert len({m["document"] for m in moved}) == 1 and answer["movement"] == moved[0]
    assert all((m["from_location"], m["to_location"]) == ("MAIN", "A-1") for m in moved)
    retry = await worker.post(f"/missions/{mid}/record-movement", json=step,
                              headers={"Idempotency-Key": "r-1"})  # fmt: skip
    assert retry.status_code == 200 and retry.json()["movements"] == moved
    unit = (await worker.get(f"/handling-units/{pallet['id']}")).json()
    assert unit["location_id"] == at["A-1"]
    assert stock(db, product)["good"] == 20  # inside the good warehouse: the number stays
    again = await worker.post(f"/missions/{mid}/record-movement", json={"line_id": line["id"]})
    assert_error(again, 422, "quantity_exceeds_rest")


async def test_a_unit_line_that_cannot_be_is_422_and_a_moved_unit_409(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    at = await places(admin)
    pallet, product = await loaded_pallet(admin, at)

    def body(**line: Any) -> dict[str, Any]:
        unit = {"handling_unit_id": pallet["id"], "to_location_id": at["A-1"]}
        return {"kind": "move", "executor_id": executor, "lines": [{**unit, **line}]}

    for extra, code, field in (
        ({"quantity": 5}, "unit_line_quantity", "lines.0.quantity"),
        ({"product_id": product, "whole_unit": True}, "unit_line_product", "lines.0.product_id"),
        ({"from_location_id": at["B-1"]}, "handling_unit_elsewhere", "lines.0.from_location_id"),
        ({"handling_unit_id": 999_999}, "invalid_handling_unit", "lines.0.handling_unit_id"),
    ):
        refused = await admin.post("/missions", json=body(**extra))
        assert assert_error(refused, 422, code)["field"] == field
    made = (await admin.post("/missions", json=body())).json()
    assert (await worker.post(f"/missions/{made['id']}/start")).status_code == 200
    gone = await admin.patch(f"/handling-units/{pallet['id']}", json={"location_id": at["B-1"]})
    assert gone.status_code == 200, gone.text
    late = await worker.post(f"/missions/{made['id']}/record-movement",
                             json={"line_id": made["lines"][0]["id"]})  # fmt: skip
    assert_error(late, 409, "handling_unit_elsewhere")
    # A product line still needs its quantity.
    line = {"product_id": product, "from_location_id": at["MAIN"], "to_location_id": at["A-1"]}
    no_quantity = await admin.post("/missions", json={"kind": "move", "lines": [line]})
    assert no_quantity.status_code == 422


async def test_the_openapi_documents_the_unit_line(visitor: User, app_database: Database) -> None:
    schema = (await visitor.http_client.get("/openapi.json")).json()
    parts = schema["components"]["schemas"]

    def body_of(path: str) -> dict[str, Any]:
        post = schema["paths"][f"/api/v1{path}"]["post"]
        ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return parts[ref.rsplit("/", 1)[-1]]

    line_ref = body_of("/missions")["properties"]["lines"]["items"]["$ref"]
    line_in = parts[line_ref.rsplit("/", 1)[-1]]
    assert {"whole_unit", "handling_unit_id"} <= set(line_in["properties"])
    assert set(line_in.get("required", [])) == {"to_location_id"}
    assert "unit_code" in body_of("/missions/{mission_id}/record-movement")["properties"]
    answer = schema["paths"]["/api/v1/missions/{mission_id}/record-movement"]["post"]
    ref = answer["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    recording = parts[ref.rsplit("/", 1)[-1]]
    assert "movements" in recording["properties"]
    out_ref = recording["properties"]["line"]["$ref"]
    assert {"whole_unit", "unit_code"} <= set(parts[out_ref.rsplit("/", 1)[-1]]["properties"])
