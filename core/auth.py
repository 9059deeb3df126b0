"""Sign-in: credentials, lockout after repeated failures, the signed-in identity."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from core.errors import DomainError
from core.security import verify_password

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=5)


class AuthError(DomainError):
    kind = "invalid"


@dataclass(frozen=True)
class StoredUser:
    id: int
    username: str
    full_name: str
    role: str
    password_hash: str
    is_active: bool
    locked_until: datetime | None
    credentials_version: int


@dataclass(frozen=True)
class Identity:
    id: int
    username: str
    full_name: str
    role: str
    credentials_version: int = 0  # what a session or token given to this user carries

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class UserStore(Protocol):
    def find(self, username: str) -> StoredUser | None: ...
    def get(self, user_id: int) -> StoredUser | None: ...
    def record_failure(self, user_id: int, lock_at: int, locked_until: datetime) -> None:
        """Count a failed sign-in; lock the user once `lock_at` failures are reached."""

    def record_success(self, user_id: int) -> None: ...


INVALID = AuthError("invalid_credentials", "Неверное имя пользователя или пароль")


def authenticate(store: UserStore, username: str, password: str, now: datetime) -> Identity:
    user = store.find(username.strip())
    if user is None or not user.is_active:
        raise INVALID
    if user.locked_until is not None and user.locked_until > now:
        raise AuthError(
            "account_locked", "Слишком много неудачных попыток входа. Попробуйте через 5 минут"
        )
    if not verify_password(user.password_hash, password):
        store.record_failure(user.id, MAX_FAILED_LOGINS, now + LOCKOUT)
        raise INVALID
    store.record_success(user.id)
    return _identity(user)


def signed_in(store: UserStore, user_id: int, credentials_version: int) -> Identity:
    """The user a session or token names, as the database knows them now; AuthError if
    gone or deactivated, or if the password changed since the session or token (given
    with `credentials_version`) was."""
    user = store.get(user_id)
    if user is None or not user.is_active:
        raise AuthError("user_inactive", "Пользователь отключён или удалён")
    if user.credentials_version != credentials_version:
        raise AuthError("credentials_changed", "Пароль пользователя изменён: войдите снова")
    return _identity(user)


def identity(store: UserStore, user_id: int, credentials_version: int) -> Identity | None:
    """`signed_in`, or None."""
    try:
        return signed_in(store, user_id, credentials_version)
    except AuthError:
        return None


def _identity(user: StoredUser) -> Identity:
    return Identity(user.id, user.username, user.full_name, user.role, user.credentials_version)
