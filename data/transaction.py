"""One write transaction, as the repositories of a unit of work (data.uow) share it.

The statements every posting runs are sent on the driver's own cursor: SQLAlchemy's
execution layer costs more CPU per statement than the driver, and that caps throughput.
Same SQL, same connection, same transaction; errors are still raised as SQLAlchemy's.
A repository sends such a statement with `run` (or `run_all`); anything else goes
through `conn` as usual.
"""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from psycopg.pq import ExecStatus
from sqlalchemy.engine import Connection, Dialect, RowMapping

from data.models import UtcDateTime

TUPLES_OK = ExecStatus.TUPLES_OK
_NAMED_PARAM = re.compile(r"(?<![:\w]):(\w+)")


def psycopg_sql(statement: sa.TextClause) -> str:
    """A statement's text in psycopg's parameter style (%(name)s)."""
    return _NAMED_PARAM.sub(r"%(\1)s", statement.text.replace("%", "%%"))


class _DriverSql:
    """Statements in one driver's parameter style, and how it stores timestamps."""

    def __init__(self, dialect: Dialect, to_driver: Callable[[sa.TextClause], str]) -> None:
        self.dialect = dialect
        self.error: type[Exception] = dialect.loaded_dbapi.Error
        self._to_driver = to_driver
        self.sql: dict[sa.TextClause, str] = {}  # statement → its text for the driver
        # Every timestamp column is UtcDateTime; bind it exactly as SQLAlchemy would
        # (on SQLite that includes its text format, which ordering by time relies on).
        bind = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
        self.timestamp: Callable[[datetime], Any] = bind or (lambda value: value)
        bind_date = sa.Date().dialect_impl(dialect).bind_processor(dialect)
        self.date: Callable[[date], Any] = bind_date or (lambda value: value)

    def text(self, statement: sa.TextClause) -> str:
        # Translated once per process: the statements are module constants.
        text = self.sql.get(statement)
        if text is None:
            text = self.sql[statement] = self._to_driver(statement)
        return text

    def params(self, params: dict[str, Any]) -> dict[str, Any]:
        return {k: self._value(v) for k, v in params.items()}

    @staticmethod
    def returned_rows(cursor: Any) -> bool:
        """Whether the statement just run returned rows (RETURNING, SELECT)."""
        return bool(cursor.description)

    def _value(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return self.timestamp(value)
        if isinstance(value, date):
            return self.date(value)
        return value


class _PsycopgSql(_DriverSql):
    @staticmethod
    def returned_rows(cursor: Any) -> bool:
        # The result's status: `description` would build its column objects every call.
        result = cursor.pgresult
        return result is not None and result.status == TUPLES_OK


@lru_cache(maxsize=16)
def _driver_sql(dialect: Dialect) -> _DriverSql | None:
    """None for a driver we have not checked: its statements go through SQLAlchemy."""
    if dialect.driver == "pysqlite":  # sqlite3 takes :name as written
        return _DriverSql(dialect, lambda statement: statement.text)
    if dialect.driver == "psycopg":
        return _PsycopgSql(dialect, psycopg_sql)
    return None


# One name for every savepoint: a new one nests in the last, a rollback goes to the latest.
SAVEPOINT = sa.text("SAVEPOINT unit")
ROLLBACK_TO = sa.text("ROLLBACK TO SAVEPOINT unit")

Statements = list[tuple[sa.TextClause, list[dict[str, Any]]]]


class Transaction:
    """The connection of a unit of work, in its transaction, and its driver cursor."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._driver = _driver_sql(conn.dialect)
        self._cursor: Any = None
        self._readers: list[Any] = []  # read_together's cursors, kept for its next call

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
        self._close_readers()

    def _close_readers(self) -> None:
        for cursor in self._readers:
            cursor.close()
        self._readers = []

    def run(self, statement: sa.TextClause, params: dict[str, Any]) -> list[Any]:
        """Execute a hot statement; the rows it returns (none for plain DML)."""
        driver = self._driver
        if driver is None:
            result = self.conn.execute(statement, params)
            return list(result.all()) if result.returns_rows else []
        sql, params = driver.text(statement), driver.params(params)
        if self._cursor is None:
            self._cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            self._cursor.execute(sql, params)
            # fetchall: a RETURNING statement must run to completion before COMMIT (SQLite)
            return self._cursor.fetchall() if driver.returned_rows(self._cursor) else []
        except driver.error as error:
            raise self._wrap(error, sql, params) from error

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Work that raises inside is rolled back alone and the transaction goes on. One
        round trip on the driver, where SQLAlchemy's begin_nested takes two and its own
        CPU: the savepoint is not released on success, as the commit (or rollback) of the
        transaction ends it with the rest, and the next one nests inside it."""
        self.run(SAVEPOINT, {})
        try:
            yield
        except BaseException:
            self.run(ROLLBACK_TO, {})
            raise

    def run_each(self, statements: Statements) -> None:
        self.run_all([(statement, params) for statement, rows in statements for params in rows])

    def run_all(self, items: list[tuple[sa.TextClause, dict[str, Any]]]) -> None:
        """Execute hot statements that return no rows; with psycopg in one round trip
        (pipeline mode: sent together, errors raised when the batch is synced)."""
        driver = self._driver
        if driver is None or driver.dialect.driver != "psycopg" or len(items) < 2:
            for statement, params in items:
                self.run(statement, params)
            return
        raw: Any = self.conn.connection.dbapi_connection
        if self._cursor is None:
            self._cursor = raw.cursor()
        sql, params = "", {}
        try:
            with raw.pipeline():
                for statement, values in items:
                    sql, params = driver.text(statement), driver.params(values)
                    self._cursor.execute(sql, params)
        except driver.error as error:
            raise self._wrap(error, sql, params) from error

    def run_many(self, statement: sa.TextClause, rows: list[dict[str, Any]]) -> list[list[Any]]:
        """Execute a hot statement once per set of parameters, in order; the rows each run
        returned. With psycopg in one round trip (executemany, pipelined): each run is
        still a statement of its own."""
        driver = self._driver
        if driver is None or driver.dialect.driver != "psycopg" or len(rows) < 2:
            return [self.run(statement, params) for params in rows]
        if self._cursor is None:
            self._cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        sql, params = driver.text(statement), [driver.params(p) for p in rows]
        try:
            self._cursor.executemany(sql, params, returning=True)
        except driver.error as error:
            raise self._wrap(error, sql, params[-1]) from error
        results = [self._cursor.fetchall()]
        while self._cursor.nextset():
            results.append(self._cursor.fetchall())
        return results

    def read_together(self, items: list[tuple[sa.TextClause, dict[str, Any]]]) -> list[list[Any]]:
        """Hot reads and the rows of each; with psycopg in one round trip (pipeline mode,
        each on a cursor of its own, its rows kept for after the batch is synced)."""
        driver = self._driver
        if driver is None or driver.dialect.driver != "psycopg" or len(items) < 2:
            return [self.run(statement, params) for statement, params in items]
        raw: Any = self.conn.connection.dbapi_connection
        # A cursor costs more to make than a short read: the last call's are used again
        # (each call fetches all its rows before it returns).
        while len(self._readers) < len(items):
            self._readers.append(raw.cursor())
        cursors = self._readers[: len(items)]
        sql, params = "", {}
        try:
            with raw.pipeline():
                for cursor, (statement, values) in zip(cursors, items, strict=True):
                    sql, params = driver.text(statement), driver.params(values)
                    cursor.execute(sql, params)
            return [cursor.fetchall() for cursor in cursors]
        except driver.error as error:
            self._close_readers()
            raise self._wrap(error, sql, params) from error

    def one(self, statement: sa.TextClause | sa.TextualSelect, value: Any) -> RowMapping | None:
        """The first row of a statement that is not hot (typed columns come back typed)."""
        return self.conn.execute(statement, {"v": value}).mappings().first()

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
