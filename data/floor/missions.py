"""Missions in the database: `core.floor.ports.MissionRepository` on one connection, and
the unit of work the mission use cases run in (`SqlMissionWork`: the ledger's unit of work
with the missions beside it, so a recorded line and its TRANSFER share one transaction).

Every change a use case decides on is one conditional statement: a status moves only from
the status the use case saw, a draft changes only while it is a draft, and a line's done
quantity rises only while it stays within the line's quantity.
"""

from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import UTC, datetime
from functools import lru_cache
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Dialect

from core.floor.ports import (
    ExecutorRecord,
    LineDraft,
    Mission,
    MissionFields,
    MissionHead,
    MissionLine,
    Place,
    Step,
    UnitRecord,
)
from core.model import Movement, ProductRef
from data.database import Database
from data.floor.handling_units import SqlHandlingUnits
from data.models import Executor, HandlingUnit, MissionHistory
from data.models import Mission as MissionRow
from data.models import MissionLine as LineRow
from data.reads import location_t, movement_t, product_t, warehouse_t
from data.uow import SqlUnitOfWork

mission_t = MissionRow.__table__
line_t = LineRow.__table__
history_t = MissionHistory.__table__
executor_t = Executor.__table__
unit_t = HandlingUnit.__table__
from_t = location_t.alias("from_location")
to_t = location_t.alias("to_location")

MISSION_COLUMNS = (
    mission_t.c.id, mission_t.c.kind, mission_t.c.status, mission_t.c.priority,
    mission_t.c.executor_id, mission_t.c.created_by, mission_t.c.created_at,
    mission_t.c.started_at, mission_t.c.completed_at, mission_t.c.cancelled_at,
    mission_t.c.cancel_reason, executor_t.c.name.label("executor_name"),
)  # fmt: skip
MISSIONS = sa.select(*MISSION_COLUMNS).select_from(
    mission_t.outerjoin(executor_t, executor_t.c.id == mission_t.c.executor_id)
)
_LINE_COLUMNS = (
        line_t.c.id, line_t.c.mission_id, line_t.c.sequence, line_t.c.product_id,
        line_t.c.quantity, line_t.c.done_quantity, line_t.c.from_location_id,
        line_t.c.to_location_id, line_t.c.handling_unit_id, product_t.c.sku,
        product_t.c.barcode, product_t.c.gtin, product_t.c.name.label("product_name"),
        from_t.c.code.label("from_code"), to_t.c.code.label("to_code"),
        from_t.c.kind.label("from_kind"), to_t.c.kind.label("to_kind"), line_t.c.whole_unit,
)  # fmt: skip
LINES = (  # with the unit's code for people (ADD_DONE's RETURNING goes without it)
    sa.select(*_LINE_COLUMNS, unit_t.c.code.label("unit_code"), unit_t.c.kind.label("unit_kind"))
    .outerjoin(product_t, product_t.c.id == line_t.c.product_id)  # none: a whole-unit line
    .join(from_t, from_t.c.id == line_t.c.from_location_id)
    .join(to_t, to_t.c.id == line_t.c.to_location_id)
    .outerjoin(unit_t, unit_t.c.id == line_t.c.handling_unit_id)
    .order_by(line_t.c.mission_id, line_t.c.sequence, line_t.c.id)
)
_HEAD_COLUMNS = (
        mission_t.c.id, mission_t.c.status, mission_t.c.executor_id,
        executor_t.c.user_id.label("executor_user_id"),
        executor_t.c.is_active.label("executor_active"),
)  # fmt: skip
HEAD = (
    sa.select(*_HEAD_COLUMNS)
    .select_from(mission_t.outerjoin(executor_t, executor_t.c.id == mission_t.c.executor_id))
    .where(mission_t.c.id == sa.bindparam("m"))
)
# The mission row locked until the commit (PostgreSQL; SQLite's writer holds the whole
# database already): a status change waits for a recording and a recording for it. Not a
# shared lock: PostgreSQL lets new share lockers past a waiting writer, and a cancel could
# wait for ever behind a busy mission. NO KEY: history rows naming it may still be added.
HEAD_HELD = HEAD.with_for_update(key_share=True, of=mission_t)
# The line's done quantity raised within its quantity. PostgreSQL returns the line with
# what a person reads in the same statement; SQLite cannot return the joined tables'
# columns from an UPDATE, so it reads the line after (its writer is alone anyway). A
# whole-unit line has no product to join: PostgreSQL's ADD_DONE misses it, and it is
# raised as SQLite's is (only then: a product line pays nothing more).
_RAISED = (
    line_t.c.id == sa.bindparam("l"),
    line_t.c.mission_id == sa.bindparam("m"),
    line_t.c.done_quantity + sa.bindparam("q") <= line_t.c.quantity,
)
_RAISE = sa.update(line_t).values(done_quantity=line_t.c.done_quantity + sa.bindparam("q"))
ADD_DONE = _RAISE.where(
    *_RAISED,
    product_t.c.id == line_t.c.product_id,
    from_t.c.id == line_t.c.from_location_id,
    to_t.c.id == line_t.c.to_location_id,
).returning(*_LINE_COLUMNS)
ADD_DONE_ALONE = _RAISE.where(*_RAISED).returning(line_t.c.id)
LINE = LINES.where(line_t.c.id == sa.bindparam("l"), line_t.c.mission_id == sa.bindparam("m"))
LINES_OF = LINES.where(line_t.c.mission_id == sa.bindparam("m"))
MISSION = MISSIONS.where(mission_t.c.id == sa.bindparam("m"))
STEP_COLUMNS = tuple(history_t.c[f.name] for f in fields(Step))
# The expression of the unique index uq_mission_history_user_idempotency_key, so it is read.
STEP_BY_KEY = sa.select(*STEP_COLUMNS).where(
    sa.func.coalesce(history_t.c.user_id, 0) == sa.bindparam("u"),
    history_t.c.idempotency_key == sa.bindparam("k"),
)
MOVEMENT = sa.select(*(movement_t.c[f.name] for f in fields(Movement))).where(
    movement_t.c.id == sa.bindparam("v")
)
_PLACE_COLUMNS = (
        location_t.c.id, location_t.c.code, location_t.c.name, location_t.c.kind,
        warehouse_t.c.code.label("warehouse"), location_t.c.is_active,
)  # fmt: skip
PLACE = (
    sa.select(*_PLACE_COLUMNS)
    .select_from(location_t.outerjoin(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id))
    .where(location_t.c.id == sa.bindparam("v"))
)
PRODUCT = sa.select(
    product_t.c.id, product_t.c.is_deleted, product_t.c.sku, product_t.c.name, product_t.c.barcode
).where(product_t.c.id == sa.bindparam("v"))
EXECUTOR = sa.select(
    executor_t.c.id, executor_t.c.code, executor_t.c.name, executor_t.c.is_active,
    executor_t.c.user_id,
).where(executor_t.c.id == sa.bindparam("v"))  # fmt: skip
# Nothing is written (and no row returned) when the user's idempotency key is taken.
ADD_STEP = {
    on_postgresql: (postgresql.insert if on_postgresql else sqlite.insert)(history_t)
    .values({c.name: sa.bindparam(c.name) for c in STEP_COLUMNS})
    .on_conflict_do_nothing()
    .returning(history_t.c.id)
    for on_postgresql in (True, False)
}
# When each status is reached, the mission stamps its time.
STAMPS = {"in_progress": "started_at", "completed": "completed_at", "cancelled": "cancelled_at"}


def _line(row: Any) -> MissionLine:
    values = dict(row)
    values.pop("mission_id", None)
    for name in ("unit_code", "unit_kind", "sku", "barcode", "product_name"):
        values[name] = values.get(name) or ""  # no unit, or no product (a whole-unit line)
    values["whole_unit"] = bool(values.get("whole_unit"))
    return MissionLine(**values)


def _mission(row: Any, lines: Sequence[MissionLine]) -> Mission:
    return Mission(**dict(row), lines=tuple(lines))


Rows = Callable[[Any, dict[str, Any]], list[dict[str, Any]]]


def _rows_of(conn: Connection) -> Rows:
    return lambda statement, params: [
        dict(row) for row in conn.execute(statement, params).mappings()
    ]


def read_missions(conn: Connection, rows: Sequence[Any]) -> list[Mission]:
    """The missions of `rows` (MISSIONS' columns) with their lines, in one more query."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    lines: dict[int, list[MissionLine]] = {mission_id: [] for mission_id in ids}
    for row in conn.execute(LINES.where(line_t.c.mission_id.in_(ids))).mappings():
        lines[row["mission_id"]].append(_line(row))
    return [_mission(row, lines[row["id"]]) for row in rows]


def read_mission(conn: Connection, mission_id: int, rows: Rows | None = None) -> Mission | None:
    rows = rows or _rows_of(conn)
    found = rows(MISSION, {"m": mission_id})
    if not found:
        return None
    return _mission(found[0], [_line(x) for x in rows(LINES_OF, {"m": mission_id})])


# The statements every recording runs, sent on psycopg's own cursor (as data.uow sends the
# ledger's): SQLAlchemy's execution layer costs more CPU per statement than the driver,
# and that caps how many lines the floor records per second. Same SQL, same connection and
# transaction; errors are raised as SQLAlchemy raises them.
_HOT = (HEAD_HELD, ADD_DONE, ADD_STEP[True], MISSION, LINES_OF)


@lru_cache(maxsize=8)
def _driver_sql(dialect: Dialect) -> dict[Any, str] | None:
    """None for another driver than psycopg: its statements go through SQLAlchemy."""
    if dialect.driver != "psycopg":
        return None
    return {statement: str(statement.compile(dialect=dialect)) for statement in _HOT}


def _utc(value: Any) -> Any:
    # What UtcDateTime gives on reading: every stored time in UTC.
    return value.astimezone(UTC) if isinstance(value, datetime) else value


class _DriverRows:
    def __init__(self, conn: Connection, sql: dict[Any, str]) -> None:
        self.conn, self.sql = conn, sql
        self.by_sqlalchemy = _rows_of(conn)
        self.cursor: Any = None

    def __call__(self, statement: Any, params: dict[str, Any]) -> list[dict[str, Any]]:
        sql = self.sql.get(statement)
        if sql is None:
            return self.by_sqlalchemy(statement, params)
        raw: Any = self.conn.connection.dbapi_connection
        if self.cursor is None:
            self.cursor = raw.cursor()
        dialect = self.conn.dialect
        try:
            self.cursor.execute(sql, params)
            if self.cursor.description is None:
                return []
            names = [column.name for column in self.cursor.description]
            return [dict(zip(names, map(_utc, row), strict=True)) for row in self.cursor]
        except dialect.loaded_dbapi.Error as error:
            lost = dialect.is_disconnect(error, raw, self.cursor)
            if lost:
                self.cursor = None
                self.conn.invalidate(error)
            raise sa.exc.DBAPIError.instance(
                sql, params, error, dialect.loaded_dbapi.Error,
                connection_invalidated=lost, dialect=dialect,
            ) from error  # fmt: skip

    def close(self) -> None:
        if self.cursor is not None:
            self.cursor.close()
            self.cursor = None


class SqlMissions:
    """`core.floor.ports.MissionRepository` in the transaction of `conn`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        sql = _driver_sql(conn.dialect)
        self._driver = _DriverRows(conn, sql) if sql is not None else None
        self._rows: Rows = self._driver or _rows_of(conn)

    def close(self) -> None:
        if self._driver is not None:
            self._driver.close()

    def _one(self, statement: Any, **params: Any) -> Any:
        found = self._rows(statement, params)
        return found[0] if found else None

    def place(self, location_id: int) -> Place | None:
        row = self._one(PLACE, v=location_id)
        return Place(**{**row, "is_active": bool(row["is_active"])}) if row else None

    def product(self, product_id: int) -> ProductRef | None:
        row = self._one(PRODUCT, v=product_id)
        return ProductRef(**{**row, "is_deleted": bool(row["is_deleted"])}) if row else None

    def handling_unit_open(self, handling_unit_id: int) -> bool | None:
        query = sa.select(unit_t.c.closed_at).where(unit_t.c.id == handling_unit_id)
        row = self.conn.execute(query).first()
        return None if row is None else row[0] is None

    def handling_unit(self, handling_unit_id: int) -> UnitRecord | None:
        return SqlHandlingUnits(self.conn).get(handling_unit_id)

    def executor(self, executor_id: int) -> ExecutorRecord | None:
        row = self._one(EXECUTOR, v=executor_id)
        return ExecutorRecord(**{**row, "is_active": bool(row["is_active"])}) if row else None

    def mission(self, mission_id: int) -> Mission | None:
        return read_mission(self.conn, mission_id, self._rows)

    def head(self, mission_id: int, *, hold: bool = False) -> MissionHead | None:
        row = self._one(HEAD_HELD if hold else HEAD, m=mission_id)
        if row is None:
            return None
        return MissionHead(**{**row, "executor_active": bool(row["executor_active"])})

    def line(self, mission_id: int, line_id: int) -> MissionLine | None:
        row = self._one(LINE, l=line_id, m=mission_id)
        return _line(row) if row else None

    def step_by_key(self, idempotency_key: str, user_id: int | None) -> Step | None:
        row = self._one(STEP_BY_KEY, u=user_id or 0, k=idempotency_key)
        return Step(**row) if row else None

    def movement(self, movement_id: int) -> Movement | None:
        row = self._one(MOVEMENT, v=movement_id)
        return Movement(**row) if row else None

    def insert_mission(self, fields: MissionFields) -> int:
        values = {**fields.__dict__, "status": "draft"}
        statement = sa.insert(mission_t).values(values).returning(mission_t.c.id)
        return int(self.conn.execute(statement).scalar_one())

    def replace_lines(self, mission_id: int, lines: list[LineDraft]) -> None:
        self.conn.execute(sa.delete(line_t).where(line_t.c.mission_id == mission_id))
        rows = [
            {**line.__dict__, "mission_id": mission_id, "sequence": number, "done_quantity": 0}
            for number, line in enumerate(lines, start=1)
        ]
        self.conn.execute(sa.insert(line_t), rows)

    def update_draft(self, mission_id: int, kind: str, priority: str) -> bool:
        statement = (
            sa.update(mission_t)
            .where(mission_t.c.id == mission_id, mission_t.c.status == "draft")
            .values(kind=kind, priority=priority)
        )
        return self.conn.execute(statement).rowcount == 1

    def set_status(
        self,
        mission_id: int,
        expected: str,
        status: str,
        *,
        at: datetime,
        executor_id: int | None = None,
        cancel_reason: str | None = None,
    ) -> bool:
        values: dict[str, Any] = {"status": status}
        if status in STAMPS:
            values[STAMPS[status]] = at
        if executor_id is not None:
            values["executor_id"] = executor_id
        if cancel_reason is not None:
            values["cancel_reason"] = cancel_reason
        statement = (
            sa.update(mission_t)
            .where(mission_t.c.id == mission_id, mission_t.c.status == expected)
            .values(values)
        )
        return self.conn.execute(statement).rowcount == 1

    def add_done(self, mission_id: int, line_id: int, quantity: int) -> MissionLine | None:
        params = {"l": line_id, "m": mission_id, "q": quantity}
        if self.conn.dialect.name == "postgresql":
            row = self._one(ADD_DONE, **params)
            if row is not None:
                return _line(row)
        if self._one(ADD_DONE_ALONE, **params) is None:
            return None
        return self.line(mission_id, line_id)

    def add_step(self, step: Step) -> bool:
        statement = ADD_STEP[self.conn.dialect.name == "postgresql"]
        return bool(self._rows(statement, dict(step.__dict__)))


class SqlMissionWork(SqlUnitOfWork):
    """The ledger's unit of work with the missions in the same transaction."""

    def __enter__(self) -> Self:
        super().__enter__()
        self._missions = SqlMissions(self.conn)
        self._units = SqlHandlingUnits(self.conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self._missions.close()
        finally:
            super().__exit__(exc_type, exc, tb)

    @property
    def missions(self) -> SqlMissions:
        return self._missions

    @property
    def units(self) -> SqlHandlingUnits:
        return self._units


def mission_work(db: Database) -> SqlMissionWork:
    return SqlMissionWork(db.engine, db.locations)
