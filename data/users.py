"""`core.auth.UserStore` on the app_user table."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.auth import StoredUser
from data.db import write_connection
from data.models import User, UtcDateTime

user_t = User.__table__
_COLUMNS = (
    user_t.c.id,
    user_t.c.username,
    user_t.c.full_name,
    user_t.c.role,
    user_t.c.password_hash,
    user_t.c.is_active,
    user_t.c.locked_until,
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
