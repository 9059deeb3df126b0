"""The quant changes of an import, once per (product, location) at its end, with the
same atomic statements every posting uses (data.stock.repository.TAKE and PUT): a
decrement is still refused by the database when the stock is not there."""

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from data.models import UtcDateTime
from data.stock.repository import PUT, TAKE
from data.transaction import psycopg_sql

# The stock statements in psycopg's parameter style (%(name)s), for its pipeline mode.
_PSYCOPG_SQL = {statement: psycopg_sql(statement) for statement in (TAKE, PUT)}


def change_stock(conn: Connection, changes: dict[tuple[int, int], int], at: datetime) -> bool:
    """Change each (product, location) quant by its amount with data.stock.repository's
    TAKE and PUT, in (product, location) order; False when a TAKE found too little."""
    items = sorted(changes.items())  # (product, location) order: no deadlocks
    dialect = conn.dialect
    raw: Any = conn.connection.dbapi_connection
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        return _change_stock_pipelined(raw, items, at)
    if dialect.name == "sqlite" and dialect.driver == "pysqlite":
        bind = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
        stamp = bind(at) if bind else at
        cursor = raw.cursor()
        try:
            for (product_id, location_id), change in items:
                params = {"p": product_id, "l": location_id, "q": abs(change)}
                if change > 0:
                    cursor.execute(PUT.text, {**params, "at": stamp})
                    continue
                cursor.execute(TAKE.text, params)
                if not cursor.fetchall():
                    return False
        finally:
            cursor.close()
        return True
    for (product_id, location_id), change in items:  # any other driver: SQLAlchemy
        params = {"p": product_id, "l": location_id, "q": abs(change)}
        if change > 0:
            conn.execute(PUT, {**params, "at": at})
        elif conn.execute(TAKE, params).first() is None:
            return False
    return True


def _change_stock_pipelined(
    raw: Any, items: list[tuple[tuple[int, int], int]], at: datetime
) -> bool:
    """The same statements in psycopg's pipeline mode: sent without waiting for each
    answer (one round trip per batch, not per statement), still one per quant."""
    take, put = _PSYCOPG_SQL[TAKE], _PSYCOPG_SQL[PUT]
    takes = []
    with raw.pipeline():
        for (product_id, location_id), change in items:
            params = {"p": product_id, "l": location_id, "q": abs(change)}
            cursor = raw.cursor()
            if change > 0:
                cursor.execute(put, {**params, "at": at})
            else:
                cursor.execute(take, params)
                takes.append(cursor)
    return all(cursor.fetchone() is not None for cursor in takes)
