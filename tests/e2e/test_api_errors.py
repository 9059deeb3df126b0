"""Every API failure answers with {"error": {"code", "message"}}; pages keep their own."""

import logging
from collections.abc import AsyncIterator

import pytest
from nicegui.testing import User
from sqlalchemy.exc import OperationalError

import data.stock.balances
import data.stock.queries
from data.database import Database
from data.uow import SqlUnitOfWork
from tests.api_client import API, assert_error, signed_in


async def test_unknown_api_routes_are_404_json(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    assert_error(await api.get("/no-such-thing"), 404, "not_found")
    assert_error(await visitor.http_client.get("/api/v2/products"), 404, "not_found")
    assert_error(await visitor.http_client.post("/api"), 404, "not_found")


async def test_wrong_method_is_405_json(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    response = await api.request("PUT", "/movements")
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"] == "GET, POST"
    assert_error(await api.delete("/stock/summary"), 405, "method_not_allowed")


async def test_pages_keep_their_html_error_page(visitor: User) -> None:
    response = await visitor.http_client.get("/no-such-page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    login = await visitor.http_client.get("/login")
    assert login.status_code == 200
    assert login.headers["content-type"].startswith("text/html")


async def test_bad_input_is_422_never_500(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    json_headers = {"Content-Type": "application/json"}
    text_headers = {"Content-Type": "text/plain"}
    no_quantity = {"operation_type": "RECEIPT", "product_id": 1}
    cases = [
        (await api.post("/movements", content=b"{not json", headers=json_headers), None),
        (await api.post("/movements", json=[1, 2]), None),
        (await api.post("/movements", content=b"quantity=1", headers=text_headers), None),
        (await api.move("RECEIPT", 1, "много"), "quantity"),  # type: ignore[arg-type]
        (await api.move("RECEIPT", 1, 1.5), "quantity"),  # type: ignore[arg-type]
        (await api.move("RECEIPT", 1, True), "quantity"),  # type: ignore[arg-type]
        (await api.move("RECEIPT", 10**40, 1), "product_id"),
        (await api.move("RECEIPT", -1, 1), "product_id"),
        (await api.move("RECEIPT", 1, 1, source_id="x"), "source_id"),
        (await api.move("RECEIPT", 1, 1, notes="a\x00b"), "notes"),
        (await api.get("/products/-5"), "product_id"),
        (await api.get("/products/abc"), "product_id"),
        (await api.get(f"/products/{10**30}"), "product_id"),
        (await api.get("/products", params={"limit": "ten"}), "limit"),
        (await api.get("/products", params={"offset": 10**20}), "offset"),
        (await api.get("/products", params={"q": "\x00"}), "q"),
        (await api.get("/stock/balances", params={"low_only": "maybe"}), "low_only"),
        (await api.get("/movements", params={"product_id": 10**25}), "product_id"),
        (await api.get("/movements", params={"date_to": "0000-00-00"}), "date_to"),
        (await api.patch("/products/1", json={"min_stock": "лишнее"}), "min_stock"),
        (await api.post("/movements", json={"quantity": 1}), "operation_type"),
        (await api.post("/movements", json=no_quantity), "quantity"),
    ]  # fmt: skip
    for response, field in cases:
        error = assert_error(response, 422)
        assert error.get("field") == field, (response.request.url, error)
    named = cases[3][0].json()["error"]
    assert named["code"] == "validation_error"
    assert named["message"] == "Ошибка в запросе: поле «quantity»: ожидается целое число"
    key = await api.move("RECEIPT", 1, 1, key="k" * 129)
    assert assert_error(key, 422)["field"] == "Idempotency-Key"


async def test_a_huge_body_is_413(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    response = await api.move("RECEIPT", 1, 1, notes="x" * 2_000_000)
    assert_error(response, 413, "payload_too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        for _ in range(4):
            yield b"x" * 400_000

    streamed = await api.post(
        "/movements", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in streamed.request.headers
    assert_error(streamed, 413, "payload_too_large")


async def test_an_unexpected_failure_is_500_without_a_traceback(
    visitor: User,
    app_database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = await signed_in(visitor.http_client, app_database)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(data.stock.queries, "summary", broken)
    response = await api.get("/stock/summary")
    assert_error(response, 500, "internal_error")
    assert "disk on fire" not in response.text and "Traceback" not in response.text
    logged = [r for r in caplog.records if r.name == "wms.api" and r.levelno == logging.ERROR]
    assert logged and logged[0].exc_info is not None
    caplog.clear()  # expected: the user fixture fails a test on any ERROR log


async def test_a_database_outage_is_503(
    visitor: User,
    app_database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = await signed_in(visitor.http_client, app_database)

    def unavailable(*_args: object, **_kwargs: object) -> None:
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(data.stock.balances, "balances", unavailable)
    response = await api.get("/stock/balances")
    assert_error(response, 503, "database_unavailable")
    assert "connection refused" not in response.text
    caplog.clear()  # expected ERROR log, see above


async def test_a_write_that_failed_with_the_database_says_it_may_be_done(
    visitor: User,
    app_database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The connection lost during COMMIT: nobody knows whether it was committed, so the
    answer must not simply say "retry later" to a client that may book it twice."""
    api = await signed_in(visitor.http_client, app_database)
    product = (await api.new_product())["id"]

    def lost(_uow: SqlUnitOfWork) -> None:
        raise OperationalError("COMMIT", {}, Exception("server closed the connection"))

    monkeypatch.setattr(SqlUnitOfWork, "commit", lost)
    response = await api.move("RECEIPT", product, 1)
    error = assert_error(response, 503, "database_unavailable")
    assert "Idempotency-Key" in error["message"] and "могло" in error["message"]
    caplog.clear()  # expected ERROR log, see above


async def test_openapi_lists_the_api_not_nicegui_internals(visitor: User) -> None:
    schema = (await visitor.http_client.get("/openapi.json")).json()
    paths = set(schema["paths"])
    assert {
        f"{API}/auth/token", f"{API}/products", f"{API}/products/{{product_id}}",
        f"{API}/sources", f"{API}/distribution-centers", f"{API}/movements",
        f"{API}/movements/{{movement_id}}/reverse", f"{API}/stock/balances",
        f"{API}/stock/summary", "/healthz",
    } <= paths  # fmt: skip
    assert not [p for p in paths if p.startswith("/_nicegui") or p in {"/", "/login", "/logout"}]
    schemes = schema["components"]["securitySchemes"]
    assert schemes["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == f"{API}/auth/token"
    error = schema["paths"][f"{API}/movements"]["post"]["responses"]["409"]
    assert error["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    docs = await visitor.http_client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
