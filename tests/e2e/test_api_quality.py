"""The quality-control REST routes (issue 15; ui.api.quality): a worker starts a check,
scans units good and defective, attaches a photo (JPEG/PNG only, size-limited) and
finishes; §5 errors (401 / 404 / 409 / 413 / 422), an idempotency key replayed, a photo
served only with a token, and the routes in the OpenAPI document."""

from collections.abc import Iterator

import pytest
from nicegui.testing import User

from core.settings import get_settings
from data.database import Database
from data.stock.ledger_checks import ledger_discrepancies
from tests.api_client import Api, assert_error, signed_in
from tests.conftest import make_product
from tests.floor import make_bin
from tests.order_checks import check_reservations
from tests.picking import stock_bin
from tests.quality import picked_into_check

ROUTES = [("GET", "/qc-tasks"), ("GET", "/qc-tasks/1"), ("POST", "/qc-tasks/1/start"),
          ("POST", "/qc-tasks/1/units"), ("POST", "/qc-tasks/1/finish"),
          ("POST", "/qc-tasks/1/photos"), ("GET", "/qc-tasks/1/photos/1")]  # fmt: skip
JPEG = b"\xff\xd8\xff\xe0" + b"\x10" * 200
TASK = {"id", "order_id", "order_external_id", "picking_task_id", "station_id",
        "station_code", "status", "executor_id", "total_units", "checked_units",
        "defect_units", "items", "defects", "photos", "created_at", "started_at",
        "finished_at", "cancelled_at"}  # fmt: skip


@pytest.fixture
def qc_on(app_database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WMS_QC_ORDER_KINDS", "customer")
    monkeypatch.setenv("WMS_QC_PHOTO_MAX_BYTES", "2048")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def test_every_qc_route_wants_a_token(visitor: User, app_database: Database) -> None:
    anonymous = Api(visitor.http_client)
    for method, path in ROUTES:
        assert_error(await anonymous.request(method, path, json={}), 401, "not_authenticated")


async def test_a_worker_checks_an_order_with_a_photo_and_a_defect(
    qc_on: None, visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    worker = await signed_in(http, db, "worker")
    product = make_product(db, barcode="4600000000999")
    stock_bin(db, product, 2, make_bin(db, "API-QC-1"))
    order, qc = picked_into_check(db, [(product, 2)])
    base = f"/qc-tasks/{qc.id}"
    listed = (await worker.get("/qc-tasks", params={"order_id": order.id})).json()
    assert listed["total"] == 1 and set(listed["items"][0]) == TASK
    good = {"barcode": "4600000000999", "condition": "good"}
    assert_error(await worker.post(f"{base}/units", json=good), 409, "invalid_transition")
    started = await worker.post(f"{base}/start", headers={"Idempotency-Key": "qc-s1"})
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    again = await worker.post(f"{base}/start", headers={"Idempotency-Key": "qc-s1"})
    assert again.status_code == 200
    first = await worker.post(f"{base}/units", json=good, headers={"Idempotency-Key": "qc-u1"})
    assert first.json()["checked_units"] == 1
    replay = await worker.post(f"{base}/units", json=good, headers={"Idempotency-Key": "qc-u1"})
    assert replay.json()["checked_units"] == 1
    assert_error(await worker.post(f"{base}/units", json={**good, "barcode": "000"}),
                 422, "wrong_product")  # fmt: skip
    assert_error(await worker.post(f"{base}/units", json={**good, "condition": "defect"}),
                 422, "reason_required")  # fmt: skip
    assert_error(await worker.post(f"{base}/finish"), 409, "qc_count_mismatch")
    defect = {"product_id": product, "condition": "defect", "reason": "Повреждён товар"}
    assert (await worker.post(f"{base}/units", json=defect)).json()["defect_units"] == 1
    assert_error(await worker.post(f"{base}/units", json=good), 409, "qc_count_exceeded")
    # Photos: only a JPEG or PNG by its bytes, never above the limit, the name not kept.
    upload = await worker.post(
        f"{base}/photos", files={"file": ("../../x.jpg", JPEG, "image/jpeg")}
    )
    assert upload.status_code == 201, upload.text
    photo = upload.json()
    assert photo["content_type"] == "image/jpeg" and "x.jpg" not in photo["url"]
    fake = await worker.post(
        f"{base}/photos", files={"file": ("a.jpg", b"GIF89a...", "image/jpeg")}
    )
    assert_error(fake, 422, "photo_not_image")
    big = await worker.post(f"{base}/photos", files={"file": ("b.jpg", JPEG * 20, "image/jpeg")})
    assert_error(big, 413, "photo_too_large")
    served = await worker.get(photo["url"].removeprefix("/api/v1"))
    assert served.status_code == 200 and served.content == JPEG
    assert served.headers["content-type"] == "image/jpeg"
    assert_error(await Api(http).get(photo["url"].removeprefix("/api/v1")), 401)
    assert_error(await worker.get(f"{base}/photos/999999"), 404, "photo_not_found")
    finished = (await worker.post(f"{base}/finish")).json()
    assert finished["status"] == "failed" and finished["defects"][0]["outcome"] == "shorted"
    assert_error(await worker.post(f"{base}/finish"), 409, "invalid_transition")
    assert_error(await worker.get("/qc-tasks/999999"), 404, "qc_task_not_found")
    check_reservations(db)
    assert ledger_discrepancies(db.engine) == []


async def test_the_qc_routes_are_documented(visitor: User, app_database: Database) -> None:
    paths = (await visitor.http_client.get("/openapi.json")).json()["paths"]
    for method, path in ROUTES:
        documented = path.replace("/1/photos/1", "/{task_id}/photos/{photo_id}").replace(
            "/1", "/{task_id}"
        )
        assert method.lower() in paths[f"/api/v1{documented}"], path
