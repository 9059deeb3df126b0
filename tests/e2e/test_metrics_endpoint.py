"""/metrics on the app from main.py: off until a token or an allow-list is set, refusals
in the REST API's error body, no session cookie (the API's middleware stack), the floor's
figures after an order is picked, packed and shipped through the API, and the API's
latency labelled by route templates, never raw paths."""

from collections.abc import Iterator

import pytest
from nicegui.testing import User

import ui.metrics
from core.settings import get_settings
from data.database import Database
from tests.api_client import API, assert_error, signed_in
from tests.e2e.test_api_missions import worker_executor
from tests.e2e.test_api_packing import BOX, picked
from tests.e2e.test_database_failures import dropped
from tests.metrics import parsed, value

TOKEN = "metrics-secret-token"


def configured(monkeypatch: pytest.MonkeyPatch, **env: str) -> Iterator[None]:
    for name, setting in env.items():
        monkeypatch.setenv(name, setting)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def with_token(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from configured(monkeypatch, WMS_METRICS_TOKEN=TOKEN)


@pytest.fixture
def local_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # httpx's ASGI transport calls from 127.0.0.1.
    yield from configured(monkeypatch, WMS_METRICS_ALLOW="10.0.0.0/8, 127.0.0.1")


@pytest.fixture
def others_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    yield from configured(monkeypatch, WMS_METRICS_ALLOW="10.0.0.0/8")


async def test_metrics_are_off_until_configured(visitor: User, app_database: Database) -> None:
    answer = await visitor.http_client.get("/metrics")
    assert_error(answer, 404, "metrics_disabled")
    admin = await signed_in(visitor.http_client, app_database)  # no way round it
    token = {"Authorization": f"Bearer {admin.token}"}
    assert_error(await visitor.http_client.get("/metrics", headers=token), 404, "metrics_disabled")


async def test_the_token_is_required(with_token: None, visitor: User) -> None:
    http = visitor.http_client
    missing = await http.get("/metrics")
    assert_error(missing, 401, "not_authenticated")
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = await http.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert_error(wrong, 401, "invalid_token")
    assert_error(await http.get("/metrics", headers={"Authorization": TOKEN}), 401)
    right = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert right.status_code == 200, right.text
    assert right.headers["content-type"].startswith("text/plain")
    assert "set-cookie" not in right.headers  # not through the pages' session middleware
    assert right.headers["x-content-type-options"] == "nosniff"  # the app's own headers
    assert value(parsed(right.text), "wms_outbox_backlog_events") == 0


async def test_an_allowed_address_needs_no_token(local_allowed: None, visitor: User) -> None:
    answer = await visitor.http_client.get("/metrics")
    assert answer.status_code == 200, answer.text
    assert value(parsed(answer.text), "wms_picked_items_last_hour") == 0


async def test_an_address_off_the_list_is_refused(others_allowed: None, visitor: User) -> None:
    assert_error(await visitor.http_client.get("/metrics"), 403, "forbidden")


async def test_figures_and_route_latency_after_an_order_ships(
    with_token: None, visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    product, order = await picked(admin, worker, executor, 2, "OZ-M1")
    base = f"/packing-tasks/{order['packing_task_id']}"
    await worker.post(f"{base}/start", json={"executor_id": executor})
    items = [{"product_id": product["id"], "quantity": 2}]
    assert (await worker.post(f"{base}/packages", json={**BOX, "items": items})).is_success
    assert (await worker.post(f"{base}/pack")).status_code == 200
    shipped = await worker.post(f"{base}/ship", json={"carrier": "manual",
                                "tracking_number": "RP1RU"})  # fmt: skip
    assert shipped.status_code == 200, shipped.text
    assert_error(await admin.get("/orders/999999"), 404)
    await http.get(f"{API}/no-such-route/123")

    answer = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    samples = parsed(answer.text)  # prometheus_client's own parser reads it
    assert value(samples, "wms_orders_ended_24h", status="shipped") == 1
    assert value(samples, "wms_order_success_ratio") == 1
    assert value(samples, "wms_picked_items_last_hour") == 2
    assert value(samples, "wms_picking_shortage_ratio") == 0
    assert value(samples, "wms_package_weight_kg_avg") == BOX["weight_kg"]
    assert value(samples, "wms_picking_task_duration_count_24h") == 1
    assert value(samples, "wms_packing_task_duration_count_24h") == 1
    assert value(samples, "wms_order_to_shipment_count_24h") == 1
    assert (value(samples, "wms_outbox_backlog_events") or 0) > 0  # no relay: events wait

    latency = {dict(labels)["route"]: dict(labels) for (name, labels) in samples
               if name == "wms_http_request_duration_seconds_count"}  # fmt: skip
    assert f"{API}/packing-tasks/{{task_id}}/ship" in latency
    assert f"{API}/orders/{{order_id}}" in latency
    assert "unmatched" in latency
    assert not any(char.isdigit() for route in latency for char in route.removeprefix(API))
    ship = ("wms_http_request_duration_seconds_count",
            (("method", "POST"), ("route", f"{API}/packing-tasks/{{task_id}}/ship"),
             ("status", "2xx")))  # fmt: skip
    assert samples[ship] == 1
    missing = (
        "wms_http_request_duration_seconds_count",
        (("method", "GET"), ("route", f"{API}/orders/{{order_id}}"), ("status", "4xx")),
    )
    assert samples[missing] == 1


async def test_a_dropped_database_is_503_with_the_code(
    with_token: None, visitor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ui.metrics, "floor_figures", dropped)  # as test_database_failures
    answer = await visitor.http_client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert_error(answer, 503, "database_unavailable")
    assert "Traceback" not in answer.text
