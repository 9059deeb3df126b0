"""`core.auth.UserStore` on the app_user table."""

import threading
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.auth import StoredUser
from core.errors import Conflict
from core.users import UserRecord
from data.db import write_connection
from data.models import User, UtcDateTime, utc_now

user_t = User.__table__

# Moves after every commit by this process that may change a user's identity, so caches of
# identities (data.identity) drop theirs at once; other processes are told by data.ledger_watch.
_identity_changes = 0
_identity_changes_lock = threading.Lock()


def identity_changes() -> int:
    return _identity_changes


def _identity_changed() -> None:
    global _identity_changes
    with _identity_changes_lock:
        _identity_changes += 1


_COLUMNS = (
    user_t.c.id,
    user_t.c.username,
    user_t.c.full_name,
    user_t.c.role,
    user_t.c.password_hash,
    user_t.c.is_active,
    user_t.c.locked_until,
    user_t.c.credentials_version,
)


class SqlUserStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _first(self, condition: sa.ColumnElement[bool]) -> StoredUser | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(condition)).mappings().first()
        return StoredUser(**row) if row else None

    def find(self, username: str) -> StoredUser | None:
        return self._first(user_t.c.username == username)

    def get(self, user_id: int) -> StoredUser | None:
        return self._first(user_t.c.id == user_id)

    def record_failure(self, user_id: int, lock_at: int, locked_until: datetime) -> None:
        # One statement, so concurrent wrong guesses are all counted.
        failures = user_t.c.failed_logins + 1
        statement = (
            sa.update(user_t)
            .where(user_t.c.id == user_id)
            .values(
                failed_logins=sa.case((failures >= lock_at, 0), else_=failures),
                locked_until=sa.case(
                    (failures >= lock_at, sa.literal(locked_until, UtcDateTime())), else_=None
                ),
            )
        )
        with write_connection(self._engine) as conn, conn.begin():
            conn.execute(statement)

    def record_success(self, user_id: int) -> None:
        statement = (
            sa.update(user_t)
            .where(user_t.c.id == user_id)
            .values(failed_logins=0, locked_until=None)
        )
        with write_connection(self._engine) as conn, conn.begin():
            conn.execute(statement)


class SqlUserAdminStore:
    """`core.users.UserAdminStore`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    _RECORD = (
        user_t.c.id,
        user_t.c.username,
        user_t.c.full_name,
        user_t.c.role,
        user_t.c.is_active,
    )

    def get(self, user_id: int) -> UserRecord | None:
        with self._engine.connect() as conn:
            row = (
                conn.execute(sa.select(*self._RECORD).where(user_t.c.id == user_id))
                .mappings()
                .first()
            )
        return UserRecord(**row) if row else None

    def password_hash(self, user_id: int) -> str:
        with self._engine.connect() as conn:
            return conn.execute(
                sa.select(user_t.c.password_hash).where(user_t.c.id == user_id)
            ).scalar_one()

    def username_taken(self, username: str) -> bool:
        with self._engine.connect() as conn:
            query = sa.select(user_t.c.id).where(user_t.c.username == username)
            return conn.execute(query).first() is not None

    def active_admins(self) -> int:
        with self._engine.connect() as conn:
            query = sa.select(sa.func.count()).where(
                user_t.c.role == "admin", user_t.c.is_active.is_(True)
            )
            return conn.execute(query).scalar_one()

    def _write(self, statement: sa.Executable) -> UserRecord:
        try:
            with write_connection(self._engine) as conn, conn.begin():
                row = conn.execute(statement.returning(*self._RECORD)).mappings().one()  # type: ignore[attr-defined]
        except IntegrityError as error:
            raise Conflict("username_taken", "Такое имя пользователя уже есть") from error
        _identity_changed()  # after the commit: a cache filled again sees the new row
        return UserRecord(**row)

    def insert(self, username: str, full_name: str, role: str, password_hash: str) -> UserRecord:
        values = {
            "username": username,
            "full_name": full_name,
            "role": role,
            "password_hash": password_hash,
            "is_active": True,
            "failed_logins": 0,
            "created_at": utc_now(),
        }
        return self._write(sa.insert(user_t).values(values))

    def update(self, user_id: int, full_name: str, role: str, is_active: bool) -> UserRecord:
        values = {"full_name": full_name, "role": role, "is_active": is_active}
        return self._write(sa.update(user_t).where(user_t.c.id == user_id).values(values))

    def set_password(self, user_id: int, password_hash: str) -> int:
        statement = (
            sa.update(user_t)
            .where(user_t.c.id == user_id)
            .values(
                password_hash=password_hash,
                failed_logins=0,
                locked_until=None,
                credentials_version=user_t.c.credentials_version + 1,
            )
            .returning(user_t.c.credentials_version)
        )
        with write_connection(self._engine) as conn, conn.begin():
            version = int(conn.execute(statement).scalar_one())
        _identity_changed()
        return version
