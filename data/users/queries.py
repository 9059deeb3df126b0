"""User reads: the accounts list and how a user's name is shown."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import Row, typed_all, user_t
from data.users.store import account_lock

# How a person is named on pages and in files: the full name where one is given, the
# login otherwise (the API's `user` stays the login, DESIGN.md §5).
USER_DISPLAY_NAME = sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.username)


@dataclass(frozen=True, eq=False)
class UserRow(Row):
    id: int
    username: str
    full_name: str | None
    role: str
    is_active: bool
    locked_until: datetime | None  # a past or no time: not locked
    created_at: datetime


def users(engine: Engine) -> list[UserRow]:
    query = sa.select(
        user_t.c.id,
        user_t.c.username,
        user_t.c.full_name,
        user_t.c.role,
        user_t.c.is_active,
        account_lock(user_t.c.username).label("locked_until"),
        user_t.c.created_at,
    ).order_by(user_t.c.username)
    with engine.connect() as conn:
        return typed_all(UserRow, conn.execute(query))
