"""Talking to the REST API in tests: the app from main.py, bound to an httpx client."""

from dataclasses import dataclass, field
from itertools import count
from typing import Any

import httpx

from core.catalog.products import gtin_check_digit_ok
from data.database import Database
from tests.conftest import ADMIN_PASSWORD, add_user

API = "/api/v1"
_numbers = count(1)


def barcode(prefix: str = "4607") -> str:
    """A fresh EAN-13 with a valid check digit."""
    body = f"{prefix}{next(_numbers):08d}"
    return next(body + str(d) for d in range(10) if gtin_check_digit_ok(body + str(d)))


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    """The contract's error body: {"error": {"code", "message"}}."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


async def token(http: httpx.AsyncClient, username: str, password: str) -> str:
    response = await http.post(
        f"{API}/auth/token", data={"username": username, "password": password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    return body["access_token"]


@dataclass
class Api:
    """An API client signed in with a bearer token (or none)."""

    http: httpx.AsyncClient
    token: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if self.token is not None:
            headers.setdefault("Authorization", f"Bearer {self.token}")
        return await self.http.request(method, f"{API}{path}", headers=headers, **kwargs)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", path, **kwargs)

    async def patch(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", path, **kwargs)

    async def delete(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", path, **kwargs)

    async def new_product(self, **fields: Any) -> dict[str, Any]:
        number = next(_numbers)
        body = {"sku": f"API-{number}", "name": f"Товар API {number}", "barcode": barcode()}
        body.update(fields)
        response = await self.post("/products", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    async def move(
        self, operation_type: str, product_id: int, quantity: int, *, key: str | None = None,
        **fields: Any,
    ) -> httpx.Response:  # fmt: skip
        body = {"operation_type": operation_type, "product_id": product_id, "quantity": quantity}
        body.update(fields)
        headers = {"Idempotency-Key": key} if key else {}
        return await self.post("/movements", json=body, headers=headers)


async def signed_in(http: httpx.AsyncClient, db: Database, role: str = "admin") -> Api:
    """An API client with a real token of a user with `role` (admin: the seeded one)."""
    if role == "admin":
        return Api(http, await token(http, "admin", ADMIN_PASSWORD))
    username = f"{role}-{next(_numbers)}"
    add_user(db, username, role)
    return Api(http, await token(http, username, "password-123"))
