"""Structured logs from a real use through the API: an order placed and cancelled over
HTTP, its lines as JSON with the order's id; a request line per API call with the route
template, status and duration; a failure inside an order's route carries that order's id
(bound for the request, not passed by the code that logs)."""

import logging

import pytest
from nicegui.testing import User

import data.orders.queries
from data.database import Database
from tests.api_client import signed_in
from tests.e2e.test_api_orders import customer, stocked
from tests.helpers import source_id
from tests.log_capture import captured_logs

ORDERS = "/api/v1/orders"


async def test_an_order_placed_and_cancelled_logs_json_with_its_id(
    visitor: User, app_database: Database
) -> None:
    admin = await signed_in(visitor.http_client, app_database)
    product = await stocked(admin, 5)
    with captured_logs(log_level="INFO") as out:
        body = customer(product["id"], 2, "LOG-1", source_id=source_id(app_database))
        created = await admin.post("/orders", json=body)
        assert created.status_code == 201, created.text
        order_id = created.json()["id"]
        cancelled = await admin.post(f"/orders/{order_id}/cancel", json={"reason": "отказ"})
        assert cancelled.status_code == 200, cancelled.text

    (placed,) = out.events("order placed")
    assert (placed["level"], placed["logger"]) == ("info", "core.orders.orders")
    assert (placed["order_id"], placed["external_id"], placed["status"]) == (
        order_id, "LOG-1", "reserved")  # fmt: skip
    (gone,) = out.events("order cancelled")
    assert gone["order_id"] == order_id and gone["released_units"] == 2
    assert gone["reason"] == "отказ"
    requests = {(r["method"], r["route"]): r for r in out.events("request")}
    post = requests["POST", ORDERS]
    assert post["status"] == 201 and post["level"] == "info" and post["duration_ms"] >= 0
    assert "order_id" not in post  # no id in its path
    cancel = requests["POST", ORDERS + "/{order_id}/cancel"]
    assert cancel["status"] == 200 and cancel["order_id"] == order_id


async def test_a_failure_in_an_order_route_carries_the_order_id(
    visitor: User,
    app_database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    admin = await signed_in(visitor.http_client, app_database)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(data.orders.queries, "order", broken)
    with captured_logs() as out:
        assert (await admin.get("/orders/77")).status_code == 500
    (error,) = [line for line in out.lines() if line["logger"] == "wms.api"]
    assert error["level"] == "error" and error["order_id"] == 77
    assert "RuntimeError: disk on fire" in error["exception"]
    (request,) = out.events("request")
    assert (request["status"], request["order_id"]) == (500, 77)
    assert any(r.name == "wms.api" and r.levelno == logging.ERROR for r in caplog.records)
    caplog.clear()  # expected: the user fixture fails a test on any ERROR log


async def test_info_lines_are_off_at_warning(visitor: User, app_database: Database) -> None:
    admin = await signed_in(visitor.http_client, app_database)
    with captured_logs(log_level="WARNING") as out:
        product = await stocked(admin, 1)
        body = customer(product["id"], 1, "LOG-2", source_id=source_id(app_database))
        assert (await admin.post("/orders", json=body)).status_code == 201
    assert out.lines() == []
