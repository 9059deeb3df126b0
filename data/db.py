"""Engines and transactions for SQLite (embedded default) and PostgreSQL."""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from core.periods import local_day

WRITE = "wms_write"  # execution option: this connection will write
# A pooled connection is pinged before use only if it sat idle this long; one back from a
# unit of work a moment ago is alive, and a ping per checkout is a round trip per posting.
PING_AFTER_IDLE_SECONDS = 1.0
_IDLE_SINCE = "wms_idle_since"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def create_engine(url: str, *, sqlite_synchronous: str = "FULL", **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        return _create_sqlite_engine(url, sqlite_synchronous, **kwargs)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    engine = sa.create_engine(url, **kwargs)
    _ping_idle_connections(engine)
    return engine


def _ping_idle_connections(engine: Engine) -> None:
    """pool_pre_ping, but skipped for a connection that was checked in under a second ago."""

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.get(_IDLE_SINCE)  # None: a new connection, alive by definition
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # As pool_pre_ping does: the server likely restarted, so drop every pooled
            # connection; the pool then opens a fresh one for this checkout.
            raise sa.exc.InvalidatePoolError(str(error)) from error


def single_read(engine: Engine) -> Connection:
    """A connection for one read-only statement: on PostgreSQL in autocommit, so it costs
    no BEGIN and no ROLLBACK round trips (one statement sees one snapshot anyway). SQLite
    keeps its own BEGIN handling (its connection's isolation level must stay as set)."""
    if is_sqlite(engine):
        return engine.connect()
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _create_sqlite_engine(url: str, synchronous: str, **kwargs: Any) -> Engine:
    database = sa.engine.make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.close()
        # SQLite's lower() folds ASCII only; searches must fold Cyrillic too.
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        # A stored UTC time's local date in a time zone (PostgreSQL: timezone(); the
        # dashboard's orders per day, data.dashboard.orders).
        dbapi_connection.create_function("wms_local_day", 2, _local_day, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A writer takes the write lock up front: a deferred transaction that upgrades
        # later can fail with SQLITE_BUSY instead of waiting its turn.
        immediate = conn.get_execution_options().get(WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _local_day(value: object, zone: object) -> str | None:
    """'2026-03-01 21:30:00.000000' (naive UTC, as SQLite stores it), 'Europe/Moscow' →
    '2026-03-02'."""
    if not isinstance(value, str) or not isinstance(zone, str):
        return None
    at = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return local_day(at, zone).isoformat()


@contextmanager
def write_connection(engine: Engine) -> Iterator[Connection]:
    """A connection whose transactions are write transactions (BEGIN IMMEDIATE on SQLite)."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        yield conn


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """An ORM session for writes; commit explicitly, anything else rolls back."""
    with write_connection(engine) as conn, Session(bind=conn) as session:
        yield session


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        yield conn
