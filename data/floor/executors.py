"""`core.floor.ports.ExecutorStore` on the executor table, and the reads of executors and
operators (the users who create work) for pages and the API."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.errors import Conflict
from core.floor.executors import OPERATOR_ROLES
from core.floor.ports import ExecutorData, ExecutorRecord
from core.users.accounts import UserRecord
from data.db import write_connection
from data.models import Executor
from data.reads import Page, page_bounds, user_t

executor_t = Executor.__table__
_COLUMNS = (
    executor_t.c.id,
    executor_t.c.code,
    executor_t.c.name,
    executor_t.c.is_active,
    executor_t.c.user_id,
)
_USER = (user_t.c.id, user_t.c.username, user_t.c.full_name, user_t.c.role, user_t.c.is_active)


def _record(row: Any) -> ExecutorRecord:
    return ExecutorRecord(
        code=row["code"],
        name=row["name"],
        is_active=bool(row["is_active"]),
        user_id=row["user_id"],
        id=row["id"],
    )


class SqlExecutorStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _first(self, condition: sa.ColumnElement[bool]) -> ExecutorRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(*_COLUMNS).where(condition)).mappings().first()
        return _record(row) if row else None

    def get(self, executor_id: int) -> ExecutorRecord | None:
        return self._first(executor_t.c.id == executor_id)

    def by_user(self, user_id: int) -> ExecutorRecord | None:
        return self._first(executor_t.c.user_id == user_id)

    def user(self, user_id: int) -> UserRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(*_USER).where(user_t.c.id == user_id)).mappings().first()
        return UserRecord(**row) if row else None

    def _write(self, statement: Any) -> ExecutorRecord:
        try:
            with write_connection(self._engine) as conn, conn.begin():
                row = conn.execute(statement.returning(*_COLUMNS)).mappings().one()
        except IntegrityError as error:
            # The unique code or user: taken between the check and the write, or the code.
            raise Conflict(
                "executor_code_taken",
                "Исполнитель с таким кодом уже есть (или пользователь уже привязан)",
                field="code",
            ) from error
        return _record(row)

    def insert(self, data: ExecutorData) -> ExecutorRecord:
        return self._write(sa.insert(executor_t).values(**data.__dict__))

    def update(self, executor_id: int, data: ExecutorData) -> ExecutorRecord:
        statement = sa.update(executor_t).where(executor_t.c.id == executor_id)
        return self._write(statement.values(**data.__dict__))


def _user_name() -> Any:
    return sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.username)


def executors(
    engine: Engine,
    *,
    active: bool | None = None,
    q: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Executors by name, each with the login and name of the user linked to it."""
    limit, offset = page_bounds(limit, offset)
    condition = sa.true()
    if active is not None:
        condition = sa.and_(condition, executor_t.c.is_active.is_(active))
    if q and q.strip():
        pattern = f"%{q.strip().lower()}%"
        condition = sa.and_(
            condition,
            sa.or_(
                sa.func.lower(executor_t.c.code).like(pattern),
                sa.func.lower(executor_t.c.name).like(pattern),
            ),
        )
    query = (
        sa.select(
            *_COLUMNS,
            user_t.c.username.label("username"),
            _user_name().label("user_name"),
        )
        .select_from(executor_t.outerjoin(user_t, user_t.c.id == executor_t.c.user_id))
        .where(condition)
    )
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(executor_t).where(condition)
        ).scalar_one()
        rows = conn.execute(
            query.order_by(executor_t.c.is_active.desc(), executor_t.c.name, executor_t.c.id)
            .limit(limit)
            .offset(offset)
        ).mappings()
        items = [{**row, "is_active": bool(row["is_active"])} for row in rows]
    return Page(items, total)


def linkable_users(engine: Engine) -> list[dict[str, Any]]:
    """Active users without an executor (workers first), for the link choice."""
    linked = sa.select(executor_t.c.user_id).where(executor_t.c.user_id.is_not(None))
    query = (
        sa.select(*_USER, _user_name().label("display_name"))
        .where(user_t.c.is_active.is_(True), user_t.c.id.not_in(linked))
        .order_by((user_t.c.role != "worker"), user_t.c.username)
    )
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def operators(engine: Engine, *, limit: int = 50, offset: int = 0) -> Page:
    """The users who create and manage work: admins and managers (DESIGN.md §6)."""
    limit, offset = page_bounds(limit, offset)
    condition = user_t.c.role.in_(OPERATOR_ROLES)
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(user_t).where(condition)
        ).scalar_one()
        rows = conn.execute(
            sa.select(*_USER).where(condition).order_by(user_t.c.id).limit(limit).offset(offset)
        ).mappings()
        items = [{**row, "is_active": bool(row["is_active"])} for row in rows]
    return Page(items, total)
