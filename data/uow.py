"""The unit of work behind `core.ports.UnitOfWork`: one database transaction.

The stock statements are written out as SQL on purpose: each is one atomic statement
that PostgreSQL and SQLite (≥ 3.35) both run as written. A decrement never reads the
balance into Python first.
"""

import json
import logging
import re
from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from threading import Lock
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine, RowMapping

from core.model import LocationRef, Movement, MovementDraft, ProductRef, Reference
from core.settings import get_settings
from data.daily_job import FOLDS
from data.db import write_connection
from data.flows import STATEMENTS, FlowTotals, local_today, write_totals
from data.models import UtcDateTime

log = logging.getLogger(__name__)
_AT = sa.bindparam("at", type_=UtcDateTime())

# Lower unreserved stock, or change nothing when there is not enough of it.
TAKE = sa.text(
    "UPDATE quant SET quantity = quantity - :q "
    "WHERE product_id = :p AND location_id = :l AND handling_unit_id IS NULL "
    "AND quantity - reserved >= :q RETURNING quantity"
)
ON_HAND = sa.text(
    "SELECT quantity, reserved FROM quant "
    "WHERE product_id = :p AND location_id = :l AND handling_unit_id IS NULL"
)
# Raise stock, creating the quant on first arrival. An empty quant that refills is new
# stock for FIFO, so it takes the new arrival time.
PUT = sa.text(
    "INSERT INTO quant (product_id, location_id, handling_unit_id, quantity, reserved, "
    "received_at) VALUES (:p, :l, NULL, :q, 0, :at) "
    "ON CONFLICT (product_id, location_id) WHERE handling_unit_id IS NULL DO UPDATE SET "
    "quantity = quant.quantity + excluded.quantity, "
    "received_at = CASE WHEN quant.quantity = 0 THEN excluded.received_at "
    "ELSE quant.received_at END"
).bindparams(_AT)
MOVEMENT_COLUMNS = (
    "operation_type, product_id, quantity, from_location_id, to_location_id, source_id, "
    "distribution_center_id, user_id, notes, idempotency_key, document, reversal_of, created_at"
)
# Nothing is inserted (and no row returned) when the idempotency key or the reversal
# target is already taken; a concurrent twin waits for the first and then sees it.
INSERT_MOVEMENT = sa.text(
    f"INSERT INTO movement ({MOVEMENT_COLUMNS}) VALUES (:operation_type, :product_id, "
    ":quantity, :from_location_id, :to_location_id, :source_id, :distribution_center_id, "
    ":user_id, :notes, :idempotency_key, :document, :reversal_of, :created_at) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("created_at", type_=UtcDateTime()))
INSERT_EVENT = sa.text(
    "INSERT INTO outbox_event (event_type, payload, created_at) VALUES (:t, :p, :at)"
).bindparams(_AT)


def _select_movement(where: str) -> sa.TextClause:
    return sa.text(f"SELECT id, {MOVEMENT_COLUMNS} FROM movement WHERE {where}").columns(
        created_at=UtcDateTime()
    )


MOVEMENT_BY_ID = _select_movement("id = :v")
# The expression of the unique index uq_movement_user_idempotency_key, so it is read.
MOVEMENT_BY_KEY = _select_movement("coalesce(user_id, 0) = :u AND idempotency_key = :v")
# The names come along so that the answer to a posting is built without reading again.
PRODUCT_BY_ID = sa.text("SELECT id, is_deleted, sku, name, barcode FROM product WHERE id = :v")
PRODUCT_BY_BARCODE = sa.text(
    "SELECT id, is_deleted, sku, name, barcode FROM product WHERE barcode = :v"
)
SOURCE = sa.text("SELECT id, name, is_active FROM source WHERE id = :v")
DISTRIBUTION_CENTER = sa.text(
    "SELECT d.id, d.name, d.is_active, d.source_id AS parent_id, s.name AS parent_name "
    "FROM distribution_center d JOIN source s ON s.id = d.source_id WHERE d.id = :v"
)
LOCATIONS = sa.text(
    "SELECT l.id, l.code, l.name, l.kind, l.is_active, w.code AS warehouse_code "
    "FROM location l LEFT JOIN warehouse w ON w.id = l.warehouse_id"
)


# The statements every posting runs are sent on the driver's own cursor: SQLAlchemy's
# execution layer costs more CPU per statement than the driver, and that caps throughput.
# Same SQL, same connection, same transaction; errors are still raised as SQLAlchemy's.
_HOT = (
    PRODUCT_BY_ID, PRODUCT_BY_BARCODE, SOURCE, DISTRIBUTION_CENTER, INSERT_MOVEMENT, TAKE,
    PUT, INSERT_EVENT, *STATEMENTS,
)  # fmt: skip
_NAMED_PARAM = re.compile(r"(?<![:\w]):(\w+)")


class _DriverSql:
    """The hot statements in one driver's parameter style, and how it stores timestamps."""

    def __init__(self, dialect: Dialect, to_driver: Callable[[str], str]) -> None:
        self.dialect = dialect
        self.error: type[Exception] = dialect.loaded_dbapi.Error
        self.sql = {statement: to_driver(statement.text) for statement in _HOT}
        # Every timestamp column is UtcDateTime; bind it exactly as SQLAlchemy would
        # (on SQLite that includes its text format, which ordering by time relies on).
        bind = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
        self.timestamp: Callable[[datetime], Any] = bind or (lambda value: value)
        bind_date = sa.Date().dialect_impl(dialect).bind_processor(dialect)
        self.date: Callable[[date], Any] = bind_date or (lambda value: value)

    def params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {k: self._value(v) for k, v in params.items()}

    def _value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.timestamp(value)
        if isinstance(value, date):
            return self.date(value)
        return value


@lru_cache(maxsize=16)
def _driver_sql(dialect: Dialect) -> _DriverSql | None:
    """None for a driver we have not checked: its statements go through SQLAlchemy."""
    if dialect.driver == "pysqlite":  # sqlite3 takes :name as written
        return _DriverSql(dialect, lambda text: text)
    if dialect.driver == "psycopg":
        return _DriverSql(
            dialect, lambda text: _NAMED_PARAM.sub(r"%(\1)s", text.replace("%", "%%"))
        )
    return None


class LocationDirectory:
    """Locations by code and id, loaded once per process and reloaded on a miss."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = Lock()
        self._by_id: dict[int, LocationRef] = {}
        self._by_code: dict[str, LocationRef] = {}

    def reload(self, conn: Connection) -> None:
        rows = conn.execute(LOCATIONS).mappings().all()
        by_id = {
            r["id"]: LocationRef(
                id=r["id"],
                code=r["code"],
                name=r["name"],
                is_internal=r["kind"] == "internal",
                warehouse_code=r["warehouse_code"],
                is_active=bool(r["is_active"]),
            )
            for r in rows
        }
        with self._lock:
            self._by_id = by_id
            self._by_code = {loc.code: loc for loc in by_id.values()}

    def by_code(self, conn: Connection, code: str) -> LocationRef:
        if code not in self._by_code:
            self.reload(conn)
        try:
            return self._by_code[code]
        except KeyError:
            raise RuntimeError(f"location {code} is missing: the database is not seeded") from None

    def by_id(self, conn: Connection, location_id: int) -> LocationRef | None:
        if location_id not in self._by_id:
            self.reload(conn)
        return self._by_id.get(location_id)


class SqlUnitOfWork:
    def __init__(self, engine: Engine, locations: LocationDirectory) -> None:
        self._engine = engine
        self._locations = locations

    def __enter__(self) -> Self:
        self._connection_cm = write_connection(self._engine)
        self.conn = self._connection_cm.__enter__()
        self._transaction = self.conn.begin()
        self._driver = _driver_sql(self._engine.dialect)
        self._cursor: Any = None
        self._flows: FlowTotals | None = None
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            try:
                if self._cursor is not None:
                    self._cursor.close()
                if self._transaction.is_active:
                    self._transaction.rollback()
            finally:
                self._connection_cm.__exit__(exc_type, exc, tb)
        except Exception:
            if not self._committed:
                raise
            # The work is committed: a connection lost now must not turn into an error
            # that tells the caller it was not done.
            log.warning("releasing a connection after a commit failed", exc_info=True)

    def commit(self) -> None:
        """Once this returns, the work is durable and nothing else this unit does raises."""
        zone = get_settings().time_zone
        if self._flows:
            # The aggregates of the movements, last: every writer locks quants before
            # aggregates (and aggregates in table and key order), so none can deadlock.
            write_totals(self.conn, self._flows, local_today(zone), self._run_each)
        self._transaction.commit()
        self._committed = True
        try:
            FOLDS.run(self._engine, zone)  # the first commit of a day folds yesterday's shards
        except Exception:  # it logs its own database errors; this is for anything else
            log.exception("the daily aggregate job failed after a commit")

    def _run(self, statement: sa.TextClause, params: dict[str, Any]) -> list[Any]:
        """Execute one of the hot statements; the rows it returns (none for plain DML)."""
        driver = self._driver
        if driver is None:
            result = self.conn.execute(statement, params)
            return list(result.all()) if result.returns_rows else []
        sql, params = driver.sql[statement], driver.params(params)
        if self._cursor is None:
            self._cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            self._cursor.execute(sql, params)
            # fetchall: a RETURNING statement must run to completion before COMMIT (SQLite)
            return self._cursor.fetchall() if self._cursor.description else []
        except driver.error as error:
            raise self._wrap(error, sql, params) from error

    def _run_each(self, statements: list[tuple[sa.TextClause, list[dict[str, Any]]]]) -> None:
        self._run_all([(statement, params) for statement, rows in statements for params in rows])

    def _run_all(self, items: list[tuple[sa.TextClause, dict[str, Any]]]) -> None:
        """Execute hot statements that return no rows; with psycopg in one round trip
        (pipeline mode: sent together, errors raised when the batch is synced)."""
        driver = self._driver
        if driver is None or driver.dialect.driver != "psycopg" or len(items) < 2:
            for statement, params in items:
                self._run(statement, params)
            return
        raw: Any = self.conn.connection.dbapi_connection
        if self._cursor is None:
            self._cursor = raw.cursor()
        sql, params = "", {}
        try:
            with raw.pipeline():
                for statement, values in items:
                    sql, params = driver.sql[statement], driver.params(values)
                    self._cursor.execute(sql, params)
        except driver.error as error:
            raise self._wrap(error, sql, params) from error

    def _wrap(self, error: Exception, sql: str, params: dict[str, Any]) -> BaseException:
        """The error as SQLAlchemy raises it; a lost connection is dropped from the pool."""
        assert self._driver is not None
        dialect = self._driver.dialect
        dbapi_connection = self.conn.connection.dbapi_connection
        lost = dialect.is_disconnect(error, dbapi_connection, self._cursor)
        if lost:
            self._cursor = None  # belongs to the connection being discarded
            self.conn.invalidate(error)
        return sa.exc.DBAPIError.instance(
            sql, params, error, self._driver.error, connection_invalidated=lost, dialect=dialect
        )

    def _one(self, statement: sa.TextClause | sa.TextualSelect, value: Any) -> RowMapping | None:
        return self.conn.execute(statement, {"v": value}).mappings().first()

    def product(self, product_id: int) -> ProductRef | None:
        return _product(self._run(PRODUCT_BY_ID, {"v": product_id}))

    def product_by_barcode(self, barcode: str) -> ProductRef | None:
        return _product(self._run(PRODUCT_BY_BARCODE, {"v": barcode}))

    def location(self, code: str) -> LocationRef:
        return self._locations.by_code(self.conn, code)

    def location_by_id(self, location_id: int) -> LocationRef | None:
        return self._locations.by_id(self.conn, location_id)

    def source(self, source_id: int) -> Reference | None:
        rows = self._run(SOURCE, {"v": source_id})  # id, name, is_active
        return Reference(rows[0][0], rows[0][1], bool(rows[0][2])) if rows else None

    def distribution_center(self, dc_id: int) -> Reference | None:
        rows = self._run(DISTRIBUTION_CENTER, {"v": dc_id})
        if not rows:
            return None
        id_, name, is_active, parent_id, parent_name = rows[0]
        return Reference(id_, name, bool(is_active), parent_id, parent_name)

    def movement(self, movement_id: int) -> Movement | None:
        row = self._one(MOVEMENT_BY_ID, movement_id)
        return Movement(**row) if row else None

    def movement_by_key(self, idempotency_key: str, user_id: int | None) -> Movement | None:
        params = {"v": idempotency_key, "u": user_id or 0}
        row = self.conn.execute(MOVEMENT_BY_KEY, params).mappings().first()
        return Movement(**row) if row else None

    def add_movement(self, draft: MovementDraft) -> Movement | None:
        rows = self._run(INSERT_MOVEMENT, draft.__dict__)
        if not rows:
            return None
        self._count_flow(draft)
        return Movement(**draft.__dict__, id=rows[0][0])

    def _count_flow(self, draft: MovementDraft) -> None:
        """Remember the movement for the daily aggregates, written on commit."""
        src = self._locations.by_id(self.conn, draft.from_location_id)
        dst = self._locations.by_id(self.conn, draft.to_location_id)
        if self._flows is None:
            self._flows = FlowTotals(get_settings().time_zone)
        self._flows.add(
            at=draft.created_at,
            product_id=draft.product_id,
            operation_type=draft.operation_type,
            source_id=draft.source_id,
            distribution_center_id=draft.distribution_center_id,
            quantity=draft.quantity,
            from_warehouse=src.warehouse_code if src else None,
            to_warehouse=dst.warehouse_code if dst else None,
            reversal=draft.reversal_of is not None,
        )

    def take(self, product_id: int, location_id: int, quantity: int) -> bool:
        params = {"p": product_id, "l": location_id, "q": quantity}
        return bool(self._run(TAKE, params))

    def put(self, product_id: int, location_id: int, quantity: int, at: datetime) -> None:
        params = {"p": product_id, "l": location_id, "q": quantity, "at": at}
        self._run(PUT, params)

    def on_hand(self, product_id: int, location_id: int) -> tuple[int, int]:
        row = self.conn.execute(ON_HAND, {"p": product_id, "l": location_id}).first()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def add_event(self, event_type: str, payload: dict[str, Any]) -> None:
        params = {
            "t": event_type,
            "p": json.dumps(payload, ensure_ascii=False),
            "at": datetime.fromisoformat(payload["created_at"]),
        }
        self._run(INSERT_EVENT, params)


def _product(rows: list[Any]) -> ProductRef | None:
    if not rows:
        return None
    id_, is_deleted, sku, name, barcode = rows[0]
    return ProductRef(id_, bool(is_deleted), sku, name, barcode)
