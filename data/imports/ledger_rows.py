"""How an import's ledger rows go in: COPY … FROM STDIN on PostgreSQL (psycopg),
executemany on SQLite or any other driver. Both take rows of core.imports.LedgerRow and
write the columns below; the user, document and time are the import's."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from core.imports import LedgerRow
from data.models import UtcDateTime

COPY_COLUMNS = (
    "operation_type", "product_id", "quantity", "from_location_id", "to_location_id",
    "source_id", "distribution_center_id", "user_id", "notes", "document", "created_at",
)  # fmt: skip


class CopyLedger:
    """COPY … FROM STDIN on this transaction's connection, open across write() calls:
    PostgreSQL stores one chunk while the next is being read and checked. psycopg flushes
    every megabyte, so the client never runs far ahead of the server."""

    def __init__(self, conn: Connection, document: str, user_id: int | None, at: datetime):
        raw: Any = conn.connection.dbapi_connection
        self._tail = (user_id, document, at)
        self._cursor = raw.cursor()
        self._context = self._cursor.copy(f"COPY movement ({', '.join(COPY_COLUMNS)}) FROM STDIN")
        self._copy = self._context.__enter__()

    def write(self, rows: Sequence[LedgerRow]) -> None:
        write_row, (user_id, document, at) = self._copy.write_row, self._tail
        for op, product, quantity, src, dst, source, dc, notes in rows:
            write_row((op, product, quantity, src, dst, source, dc, user_id, notes, document, at))

    def abort(self) -> None:
        """Cancel the COPY: the server discards it and the transaction can only roll back."""
        error = ImportAborted("the import stopped: nothing of it is kept")
        try:
            self._context.__exit__(type(error), error, None)
        finally:
            self._cursor.close()

    def close(self) -> None:
        try:
            self._context.__exit__(None, None, None)
        finally:
            self._cursor.close()


class ImportAborted(Exception):
    pass


class InsertLedger:
    """executemany on the driver (SQLite, or a driver without COPY)."""

    def __init__(self, conn: Connection, document: str, user_id: int | None, at: datetime):
        dialect = conn.dialect
        bind = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
        created_at = bind(at) if bind else at  # as SQLAlchemy stores it (SQLite: its text)
        self._conn = conn
        self._tail = (user_id, document, created_at)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        marks = ", ".join(mark for _ in COPY_COLUMNS)
        self._statement = f"INSERT INTO movement ({', '.join(COPY_COLUMNS)}) VALUES ({marks})"

    def write(self, rows: Sequence[LedgerRow]) -> None:
        user_id, document, created_at = self._tail
        batch = [
            (op, product, quantity, src, dst, source, dc, user_id, notes, document, created_at)
            for op, product, quantity, src, dst, source, dc, notes in rows
        ]
        if batch:
            self._conn.exec_driver_sql(self._statement, batch)

    def abort(self) -> None:
        pass  # the rows are in this transaction, which will not commit

    def close(self) -> None:
        pass
