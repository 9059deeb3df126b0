"""API sign-in: the OAuth2 password flow issues a signed, short-lived token (JWT, HS256).

The token names the user and their credentials version. Every request checks the user as
they are now (core.users.auth.signed_in), so deactivation, a role change and a password change
take effect at once, not when the token expires: read from the per-process memory of
data/identity.py (the same one the pages use), which forgets a user at once when this
process changes one and within a moment when another process does.
"""

import hashlib
import hmac
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, Form, Request
from fastapi.security import OAuth2PasswordBearer
from pydantic import AfterValidator, StringConstraints

from core.users.auth import (
    MAX_USERNAME,
    AuthError,
    Identity,
    authenticate,
    client_address,
    signed_in,
)
from core.users.policy import Action, can
from data.identity import CachedUsers, OneUser
from ui.api.errors import BEARER, ApiError, responses
from ui.api.schemas import Token, storable
from ui.context import AppContext

TOKEN_PATH = "/api/v1/auth/token"
ALGORITHM = "HS256"
# Documents what Text refuses (NUL), so the schema is as strict as the check; before the
# validator, or pydantic leaves the pattern out of the schema.
Credential = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$"), AfterValidator(storable)]
# Sent to Swagger UI's "Authorize" button; we raise our own 401 with the error body.
bearer = OAuth2PasswordBearer(tokenUrl=TOKEN_PATH, auto_error=False)


def _unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message, headers=BEARER)


MAX_CHECKED_TOKENS = 10_000


@dataclass(frozen=True)
class Tokens:
    key: bytes
    ttl: timedelta
    # Tokens whose signature was checked: (user id, credentials version, expiry, Unix time).
    # A signed token never changes, so it is verified once, not on every request.
    _checked: dict[str, tuple[int, int, float]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def for_app(cls, ctx: AppContext) -> "Tokens":
        # Without the app's secret (a context built by hand), tokens last one process.
        secret = ctx.secret or secrets.token_urlsafe(32)
        # A key for this purpose only: the session cookie's secret is not reused as is.
        key = hmac.new(secret.encode(), b"wms/api/token/v1", hashlib.sha256).digest()
        return cls(key, timedelta(minutes=ctx.settings.token_ttl_minutes))

    def issue(self, user: Identity, now: datetime) -> str:
        claims = {
            "sub": str(user.id),
            "cv": user.credentials_version,
            "iat": now,
            "exp": now + self.ttl,
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM)

    def subject(self, token: str) -> tuple[int, int]:
        """The user id and credentials version the token was issued for."""
        known = self._checked.get(token)
        if known is not None and time.time() < known[2]:  # past it: decode says "expired"
            return known[0], known[1]
        try:
            claims = jwt.decode(
                token, self.key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]}
            )
        except jwt.ExpiredSignatureError:
            raise _unauthorized(
                "token_expired", "Срок действия токена истёк: получите новый"
            ) from None
        except jwt.InvalidTokenError:
            raise _unauthorized("invalid_token", "Недействительный токен") from None
        subject, version = claims["sub"], claims.get("cv", 0)
        if not isinstance(subject, str) or not subject.isdigit() or len(subject) > 10:
            raise _unauthorized("invalid_token", "Недействительный токен")
        if not isinstance(version, int):
            raise _unauthorized("invalid_token", "Недействительный токен")
        if len(self._checked) >= MAX_CHECKED_TOKENS:
            self._checked.clear()
        self._checked[token] = (int(subject), version, float(claims["exp"]))
        return int(subject), version


def requirement(
    identities: CachedUsers,
    tokens: Tokens,
    roles: frozenset[str],
    refusal: str = "У вашей роли нет доступа к API",
    *,
    action: tuple[Action, str] | None = None,
) -> Callable[..., Awaitable[Identity]]:
    """A dependency: the user behind the bearer token, as the database knows them now, in
    one of `roles`; with `action`, also allowed to do it (else 403 with its message). Its
    `acting(action, message)` is the same requirement narrowed so (ui.api.executors.acting):
    one dependency a request, the user read once."""

    # Async: a known user is checked on the event loop, without a hop to a worker thread.
    async def current_user(token: Annotated[str | None, Depends(bearer)]) -> Identity:
        if not token:
            raise _unauthorized(
                "not_authenticated", "Нужен токен: заголовок Authorization: Bearer …"
            )
        user_id, version = tokens.subject(token)
        # From memory on the event loop; a miss reads off the loop the pages share.
        known = await identities.get_async(user_id)
        try:
            user = signed_in(OneUser(known), user_id, version)
        except AuthError as error:
            raise _unauthorized(error.code, error.message) from None
        if user.role not in roles:
            raise ApiError(403, "forbidden", refusal)
        if action is not None and not can(user.role, action[0]):
            raise ApiError(403, "forbidden", action[1])
        return user

    def acting(what: Action, message: str) -> Callable[..., Awaitable[Identity]]:
        return requirement(identities, tokens, roles, refusal, action=(what, message))

    current_user.acting = acting  # type: ignore[attr-defined]
    return current_user


def add_routes(router: APIRouter, ctx: AppContext, tokens: Tokens) -> None:
    documented = responses(401, 422)
    documented[401] = documented[401] | {
        "description": "Неверное имя пользователя или пароль (invalid_credentials) или вход "
        "временно заблокирован (account_locked)"
    }

    @router.post("/auth/token", response_model=Token, tags=["auth"], responses=documented)
    def issue_token(
        request: Request,
        username: Annotated[
            Credential, Form(max_length=MAX_USERNAME, description="Имя пользователя")
        ],
        password: Annotated[Credential, Form(max_length=1024, description="Пароль")],
    ) -> Token:
        """Получить токен доступа (OAuth2 password flow).

        Пять неудачных попыток для одного имени с одного адреса блокируют вход этого имени
        с этого адреса на 5 минут — как и в интерфейсе; есть и общие пределы на адрес и на
        имя. Ответ не различает несуществующее имя и неверный пароль.
        """
        now = datetime.now(UTC)
        try:
            host = request.client.host if request.client else None
            user = authenticate(ctx.users, username, password, now, address=client_address(host))
        except AuthError as error:
            raise _unauthorized(error.code, error.message) from None
        return Token(
            access_token=tokens.issue(user, now),
            expires_in=int(tokens.ttl.total_seconds()),
        )
