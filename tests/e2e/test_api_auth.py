"""Signing in to the API: tokens, refusals with the error body, roles re-checked each time."""

import asyncio
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from nicegui import core
from nicegui.testing import User

import main
from core.settings import get_settings
from core.users.accounts import reset_password, update_user
from core.users.auth import MAX_FAILED_LOGINS, Identity
from data.database import Database
from data.users.store import SqlUserAdminStore
from tests.api_client import API, Api, assert_error, signed_in, token
from tests.conftest import ADMIN_PASSWORD, add_user
from ui.api.auth import Tokens
from ui.context import AppContext

ADMIN = Identity(1, "admin", "", "admin")

# Every v1 route (but the token itself), with a body where one is needed.
ROUTES = [
    ("GET", "/products", None),
    ("POST", "/products", {"sku": "X", "name": "X", "barcode": "4600000000015"}),
    ("GET", "/products/1", None),
    ("PATCH", "/products/1", {"name": "Y"}),
    ("DELETE", "/products/1", None),
    ("POST", "/products/1/restore", None),
    ("GET", "/sources", None),
    ("GET", "/distribution-centers", None),
    ("POST", "/movements", {"operation_type": "RECEIPT", "product_id": 1, "quantity": 1}),
    ("GET", "/movements", None),
    ("GET", "/movements/1", None),
    ("POST", "/movements/1/reverse", None),
    ("GET", "/stock/balances", None),
    ("GET", "/stock/summary", None),
]


def app_tokens(db: Database) -> Tokens:
    """The running app's token keys: derived from the same storage secret as main.py's."""
    settings = get_settings()
    return Tokens.for_app(
        AppContext(db=db, settings=settings, secret=main.storage_secret(settings))
    )


async def test_admin_gets_a_bearer_token_and_uses_it(visitor: User) -> None:
    response = await visitor.http_client.post(
        f"{API}/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 12 * 60 * 60
    products = await Api(visitor.http_client, body["access_token"]).get("/products")
    assert products.status_code == 200
    assert products.json() == {"items": [], "total": 0}


async def test_wrong_password_is_401_with_the_error_body(visitor: User) -> None:
    response = await visitor.http_client.post(
        f"{API}/auth/token", data={"username": "admin", "password": "wrong"}
    )
    error = assert_error(response, 401, "invalid_credentials")
    assert error["message"] == "Неверное имя пользователя или пароль"


async def test_missing_form_field_is_422_naming_it(visitor: User) -> None:
    response = await visitor.http_client.post(f"{API}/auth/token", data={"username": "admin"})
    error = assert_error(response, 422, "validation_error")
    assert error["field"] == "password"
    assert "password" in error["message"]


async def test_five_failures_lock_api_sign_in_too(visitor: User) -> None:
    for _ in range(5):
        await visitor.http_client.post(
            f"{API}/auth/token", data={"username": "admin", "password": "wrong"}
        )
    response = await visitor.http_client.post(
        f"{API}/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert_error(response, 401, "account_locked")


async def test_every_route_refuses_a_request_without_a_token(visitor: User) -> None:
    for method, path, body in ROUTES:
        response = await Api(visitor.http_client).request(method, path, json=body)
        assert_error(response, 401, "not_authenticated")
        assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_garbage_and_foreign_tokens_are_refused(
    visitor: User, app_database: Database
) -> None:
    assert_error(await Api(visitor.http_client, "garbage").get("/products"), 401, "invalid_token")
    forged = replace(app_tokens(app_database), key=b"k" * 32).issue(ADMIN, datetime.now(UTC))
    assert_error(await Api(visitor.http_client, forged).get("/products"), 401, "invalid_token")
    response = await visitor.http_client.get(
        f"{API}/products", headers={"Authorization": "Basic YWRtaW46YWRtaW4="}
    )
    assert_error(response, 401, "not_authenticated")


async def test_an_expired_token_is_refused(visitor: User, app_database: Database) -> None:
    tokens = app_tokens(app_database)
    valid = tokens.issue(ADMIN, datetime.now(UTC))
    assert (await Api(visitor.http_client, valid).get("/products")).status_code == 200
    expired = replace(tokens, ttl=timedelta(minutes=5)).issue(
        ADMIN, datetime.now(UTC) - timedelta(minutes=6)
    )
    assert_error(await Api(visitor.http_client, expired).get("/products"), 401, "token_expired")


@pytest.fixture
def half_hour_tokens(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WMS_TOKEN_TTL_MINUTES", "30")


async def test_the_token_lifetime_comes_from_the_settings(
    half_hour_tokens: None, visitor: User
) -> None:
    response = await visitor.http_client.post(
        f"{API}/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
    )
    assert response.json()["expires_in"] == 30 * 60


async def test_a_deactivated_user_is_refused_at_once(visitor: User, app_database: Database) -> None:
    user_id = add_user(app_database, "manager", "manager")
    api = Api(visitor.http_client, await token(visitor.http_client, "manager", "password-123"))
    assert (await api.get("/stock/summary")).status_code == 200
    update_user(SqlUserAdminStore(app_database.engine), ADMIN, user_id, is_active=False)
    assert_error(await api.get("/stock/summary"), 401, "user_inactive")


async def test_a_password_reset_ends_the_tokens_given_before_it(
    visitor: User, app_database: Database
) -> None:
    user_id = add_user(app_database, "manager", "manager")
    old = Api(visitor.http_client, await token(visitor.http_client, "manager", "password-123"))
    assert (await old.get("/stock/summary")).status_code == 200
    reset_password(SqlUserAdminStore(app_database.engine), user_id, "novyi-parol-1")
    assert_error(await old.get("/stock/summary"), 401, "credentials_changed")
    new = Api(visitor.http_client, await token(visitor.http_client, "manager", "novyi-parol-1"))
    assert (await new.get("/stock/summary")).status_code == 200


async def test_a_role_change_takes_effect_on_the_next_request(
    visitor: User, app_database: Database
) -> None:
    user_id = add_user(app_database, "manager", "manager")
    api = Api(visitor.http_client, await token(visitor.http_client, "manager", "password-123"))
    assert (await api.get("/products")).status_code == 200
    update_user(SqlUserAdminStore(app_database.engine), ADMIN, user_id, role="worker")
    assert_error(await api.get("/products"), 403, "forbidden")
    update_user(SqlUserAdminStore(app_database.engine), ADMIN, user_id, role="manager")
    assert (await api.get("/products")).status_code == 200


async def test_a_worker_is_refused_on_every_route(visitor: User, app_database: Database) -> None:
    worker = await signed_in(visitor.http_client, app_database, "worker")
    for method, path, body in ROUTES:
        response = await worker.request(method, path, json=body)
        assert_error(response, 403, "forbidden")


async def test_a_manager_may_use_the_api(visitor: User, app_database: Database) -> None:
    manager = await signed_in(visitor.http_client, app_database, "manager")
    product = await manager.new_product()
    posted = await manager.move("RECEIPT", product["id"], 3)
    assert posted.status_code == 201
    assert posted.json()["user"].startswith("manager-")


def client_at(address: str) -> httpx.AsyncClient:
    """Another computer: the same app, reached from `address`."""
    transport = httpx.ASGITransport(core.app, client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_parallel_guesses_get_five_password_checks(visitor: User) -> None:
    """16 requests at once: before, all 16 passwords were checked (the lock was read before
    the hash and each failure counted after it)."""
    guesses = [
        visitor.http_client.post(
            f"{API}/auth/token", data={"username": "admin", "password": f"guess-{n}"}
        )
        for n in range(16)
    ]
    codes = [r.json()["error"]["code"] for r in await asyncio.gather(*guesses)]
    assert codes.count("invalid_credentials") == MAX_FAILED_LOGINS, codes
    assert codes.count("account_locked") == 16 - MAX_FAILED_LOGINS


async def test_a_stranger_cannot_lock_the_office_out(visitor: User) -> None:
    async with client_at("203.0.113.7") as stranger:
        for _ in range(MAX_FAILED_LOGINS + 1):
            response = await stranger.post(
                f"{API}/auth/token", data={"username": "admin", "password": "wrong"}
            )
        assert_error(response, 401, "account_locked")
    assert await token(visitor.http_client, "admin", ADMIN_PASSWORD)


async def test_an_unknown_name_is_answered_like_a_wrong_password(visitor: User) -> None:
    """The same body for both, the lock included: the answer does not tell who exists."""
    bodies: dict[str, list[dict[str, Any]]] = {"admin": [], "nobody": []}
    for name, answers in bodies.items():
        for _ in range(MAX_FAILED_LOGINS + 1):
            response = await visitor.http_client.post(
                f"{API}/auth/token", data={"username": name, "password": "wrong"}
            )
            assert response.status_code == 401
            answers.append(response.json())
    assert bodies["admin"] == bodies["nobody"]
    assert bodies["nobody"][-1]["error"]["code"] == "account_locked"


async def test_the_token_form_documents_what_it_refuses(visitor: User) -> None:
    """The schema is as strict as the check (schemathesis warned it was looser)."""
    schema = (await visitor.http_client.get("/openapi.json")).json()
    operation = schema["paths"][f"{API}/auth/token"]["post"]
    form = operation["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"]
    fields = schema["components"]["schemas"][form["$ref"].split("/")[-1]]["properties"]
    assert fields["username"]["maxLength"] == 64
    assert all("pattern" in fields[name] for name in ("username", "password")), fields
    assert "account_locked" in operation["responses"]["401"]["description"]
    response = await visitor.http_client.post(
        f"{API}/auth/token", data={"username": "ad\x00min", "password": ADMIN_PASSWORD}
    )
    assert_error(response, 422, "validation_error")


@pytest.mark.serial  # a bound in seconds: alone under pytest-xdist
async def test_a_change_by_another_process_is_refused_within_a_second(
    visitor: User, app_database: Database
) -> None:
    user_id = add_user(app_database, "manager", "manager")
    api = Api(visitor.http_client, await token(visitor.http_client, "manager", "password-123"))
    assert (await api.get("/stock/summary")).status_code == 200
    # Written as another process would: this process hears nothing of it.
    with app_database.engine.begin() as conn:
        conn.execute(sa.text("UPDATE app_user SET is_active = false WHERE id = :i"), {"i": user_id})
    changed = time.monotonic()
    while (await api.get("/stock/summary")).status_code == 200:
        assert time.monotonic() - changed < 2.0, "still let in two seconds after the change"
        await asyncio.sleep(0.05)
    assert_error(await api.get("/stock/summary"), 401, "user_inactive")


async def test_the_user_is_not_read_from_the_database_on_every_request(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database, "manager")
    assert (await api.get("/stock/summary")).status_code == 200
    reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM app_user" in statement:
            reads.append(statement)

    sa.event.listen(sa.Engine, "before_cursor_execute", count)  # every engine: the app's too
    try:
        started = time.monotonic()
        for _ in range(10):
            assert (await api.get("/stock/summary")).status_code == 200
        elapsed = time.monotonic() - started
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", count)
    assert len(reads) <= 1 + int(elapsed), reads  # at most once a second


async def test_a_token_used_before_is_still_refused_once_it_expires(
    visitor: User, app_database: Database
) -> None:
    # Its signature is checked once and remembered: the memory must not outlive the token.
    # Long enough for the first request on a busy machine; then wait out what is left.
    ttl = timedelta(seconds=5)
    issued = datetime.now(UTC)
    short = replace(app_tokens(app_database), ttl=ttl)
    api = Api(visitor.http_client, short.issue(ADMIN, issued))
    assert (await api.get("/products")).status_code == 200
    left = (issued + ttl - datetime.now(UTC)).total_seconds()
    await asyncio.sleep(max(left, 0) + 1.1)  # JWT expiry has whole-second resolution
    assert_error(await api.get("/products"), 401, "token_expired")


async def test_api_answers_carry_the_security_headers_and_no_session_cookie(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    answer = await api.get("/products")
    assert answer.status_code == 200
    assert answer.headers["x-frame-options"] == "DENY"
    assert "content-security-policy" in answer.headers
    assert "set-cookie" not in answer.headers  # the pages' session middleware is skipped
    page = await visitor.http_client.get("/login")
    assert page.status_code == 200 and "set-cookie" in page.headers
