"""`core.users.ports.UserStore` on the app_user and login_throttle tables."""

from collections.abc import Sequence
from datetime import datetime, timedelta
from threading import Lock

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict
from core.users.auth import ACCOUNT_LIMIT
from core.users.ports import Attempt, Counter, StoredUser, UserRecord
from data.db import write_connection
from data.models import LoginThrottle, User, UtcDateTime, utc_now

user_t = User.__table__
throttle_t = LoginThrottle.__table__


class UserChanges:
    """How many changes to users this process has committed. Caches of identities
    (data.identity) compare it to drop theirs at once; other processes are told by
    data.ledger_watch."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = Lock()

    @property
    def count(self) -> int:
        return self._count

    def bump(self) -> None:
        with self._lock:
            self._count += 1


USER_CHANGES = UserChanges()
_COLUMNS = (
    user_t.c.id,
    user_t.c.username,
    user_t.c.full_name,
    user_t.c.role,
    user_t.c.password_hash,
    user_t.c.is_active,
    user_t.c.credentials_version,
)
STALE = timedelta(days=1)  # counters untouched this long are deleted


def _key(counter: Counter) -> sa.ColumnElement[bool]:
    return sa.and_(
        throttle_t.c.username == counter.username, throttle_t.c.address == counter.address
    )


def _in_lock_order(counters: Sequence[Counter]) -> list[Counter]:
    # Every transaction updates its rows in one order, so two cannot deadlock.
    return sorted(counters, key=lambda c: (c.username, c.address))


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

    def reserve(
        self, counters: Sequence[Counter], now: datetime, window: timedelta
    ) -> list[Attempt] | None:
        attempts: list[Attempt] = []
        with write_connection(self._engine) as conn, conn.begin() as transaction:
            for counter in _in_lock_order(counters):
                failures = _count(conn, counter, now, now + window)
                if failures is None:
                    transaction.rollback()  # locked: none of the counters counts this one
                    return None
                attempts.append(Attempt(counter, failures))
        return attempts

    def release(self, attempts: Sequence[Attempt], now: datetime) -> None:
        with write_connection(self._engine) as conn, conn.begin():
            for attempt in sorted(attempts, key=lambda a: (a.counter.username, a.counter.address)):
                counter, failures = attempt.counter, throttle_t.c.failures
                conn.execute(
                    sa.update(throttle_t)
                    .where(
                        _key(counter),
                        failures > 0,
                        # not locked, or locked by this attempt itself (no one counted since)
                        sa.or_(failures < counter.limit, failures == attempt.failures),
                    )
                    .values(failures=0 if counter.forgive else failures - 1)
                )
            conn.execute(sa.delete(throttle_t).where(throttle_t.c.until < now - STALE))


def _count(conn: Connection, counter: Counter, now: datetime, until: datetime) -> int | None:
    """Count one attempt unless the counter is at its limit: one conditional UPDATE, so
    concurrent attempts see each other's counts (a row lock on PostgreSQL, the write lock
    on SQLite). Returns the new count, or None if locked."""
    insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(throttle_t)
    new = {"username": counter.username, "address": counter.address, "failures": 0}
    conn.execute(insert.values(**new, until=now).on_conflict_do_nothing())
    failures = throttle_t.c.failures
    expired = throttle_t.c.until <= now  # the count (or the lock) is over: start again
    counted = sa.case((expired, 1), else_=failures + 1)
    end = sa.literal(until, UtcDateTime())
    statement = (
        sa.update(throttle_t)
        .where(_key(counter), sa.or_(expired, failures < counter.limit))
        .values(
            failures=counted,
            # a new count lasts `window`; reaching the limit locks for `window` from now
            until=sa.case(
                (expired, end), (counted >= counter.limit, end), else_=throttle_t.c.until
            ),
        )
        .returning(failures)
    )
    return conn.execute(statement).scalar_one_or_none()


def account_lock(username: sa.ColumnElement[str]) -> sa.ScalarSelect[datetime]:
    """When the lock of `username` from all addresses ends (a past or no time: not locked)."""
    return (
        sa.select(throttle_t.c.until)
        .where(
            throttle_t.c.username == username,
            throttle_t.c.address == "",
            throttle_t.c.failures >= ACCOUNT_LIMIT,
        )
        .scalar_subquery()
    )


class SqlUserAdminStore:
    """`core.users.ports.UserAdminStore`."""

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
        USER_CHANGES.bump()  # after the commit: a cache reloading now reads the new row
        return UserRecord(**row)

    def insert(self, username: str, full_name: str, role: str, password_hash: str) -> UserRecord:
        values = {
            "username": username,
            "full_name": full_name,
            "role": role,
            "password_hash": password_hash,
            "is_active": True,
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
                credentials_version=user_t.c.credentials_version + 1,
            )
            .returning(user_t.c.credentials_version, user_t.c.username)
        )
        with write_connection(self._engine) as conn, conn.begin():
            version, username = conn.execute(statement).one()
            # A new password lifts the user's locks, from every address.
            conn.execute(sa.delete(throttle_t).where(throttle_t.c.username == username))
        USER_CHANGES.bump()  # after the commit: a cache reloading now reads the new row
        return int(version)
