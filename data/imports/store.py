"""`core.imports.ImportStore` on the database: one transaction, bulk reads and bulk writes;
and `import_file`, the import use case (core.imports.run_import) put together with this
store and data.files' reader.

Ledger rows go in with COPY on PostgreSQL and executemany on SQLite; quants then change
once per (product, location) with the same atomic statements every posting uses
(data.stock.repository.TAKE and PUT), in (product, location) order, so a decrement is
still refused by the database when the stock is not there. The daily aggregates
(data.stock.flows) are summed per key while the rows stream and written last, one
executemany per table in key order; after the commit, the daily job
(Database.run_daily_job).
"""

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from datetime import datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from core.catalog.products import EDITABLE, ProductData, ProductRecord
from core.errors import Conflict
from core.events import EventType
from core.imports import (
    BatchRecord,
    ImportQueue,
    ImportReport,
    ImportStore,
    LedgerRow,
    Progress,
    Sheet,
    Waiting,
    run_import,
)
from core.imports.orders import OrderOptions
from core.model import LocationRef, Reference
from core.settings import Settings, get_settings
from data.database import Database
from data.db import read_connection, write_connection
from data.files.memory import release_memory
from data.files.spreadsheets import headers_of, read_file
from data.imports.orders_unit import ImportOrdersUnit
from data.models import (
    DistributionCenter,
    ImportBatch,
    Location,
    Movement,
    Product,
    Quant,
    Source,
    UtcDateTime,
)
from data.outbox import INSERT_EVENT, event_params
from data.stock.flows import FlowTotals, local_today, write_totals
from data.stock.repository import PUT, TAKE, LocationDirectory
from data.transaction import psycopg_sql

product_t = Product.__table__
quant_t = Quant.__table__
location_t = Location.__table__
movement_t = Movement.__table__
source_t = Source.__table__
dc_t = DistributionCenter.__table__
batch_t = ImportBatch.__table__

_PRODUCT_COLUMNS = [product_t.c[name] for name in (*EDITABLE, "id", "is_deleted")]
_CHUNK = 500  # values per IN (...) list
# The advisory lock space of import confirmations ("impt"), keyed by the file's sha256.
_FILE_LOCKS = 0x696D_7074
_LOAD_ALL_FROM = 20_000  # more keys than this: one scan beats many IN lists
# The stock statements in psycopg's parameter style (%(name)s), for its pipeline mode.
_PSYCOPG_SQL = {statement: psycopg_sql(statement) for statement in (TAKE, PUT)}
_COPY_COLUMNS = (
    "operation_type", "product_id", "quantity", "from_location_id", "to_location_id",
    "source_id", "distribution_center_id", "user_id", "notes", "document", "created_at",
)  # fmt: skip


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


class SqlImportStore:
    def __init__(
        self,
        conn: Connection,
        locations: LocationDirectory,
        engine: Engine,
        after_commit: Callable[[], None],
    ) -> None:
        self.conn = conn
        self._locations = locations
        self._engine = engine
        self._after_commit = after_commit
        self._transaction = conn.begin()
        self._ledger: _CopyLedger | _InsertLedger | None = None
        self._document = ""
        self._reader: Connection | None = None
        self._flows = FlowTotals(get_settings().time_zone)
        self._ledger_at: datetime | None = None
        self._orders: ImportOrdersUnit | None = None

    def commit(self) -> None:
        zone = get_settings().time_zone
        if self._flows:
            # After the quants (change_stock), like every writer: no deadlocks.
            write_totals(self.conn, self._flows, local_today(zone), self._execute_many)
        self._transaction.commit()
        self._after_commit()  # Database.after_import: logs its own failures

    def _execute_many(self, statements: list[tuple[sa.TextClause, list[dict[str, Any]]]]) -> None:
        for statement, rows in statements:
            self.conn.execute(statement, rows)

    def rollback(self) -> None:
        # A COPY still open must end before a rollback; if the connection is gone, the
        # rollback below (or the server) ends the transaction anyway.
        with suppress(Exception):
            self.abort_ledger()
        if self._orders is not None:
            with suppress(Exception):
                self._orders.close()
            self._orders = None
        try:
            if self._transaction.is_active:
                self._transaction.rollback()
        finally:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def _reads(self) -> Connection:
        """Where reads go. Once a COPY has streamed ledger rows on this transaction's
        connection (PostgreSQL), that connection can answer nothing else until the COPY
        ends, so reads go to a second one: under READ COMMITTED it sees the same
        committed catalog and stock (this transaction changes no quant before the end),
        and the conditional statements at the end guard the stock in any case."""
        if self._reader is not None:
            return self._reader
        if isinstance(self._ledger, _CopyLedger):
            self._reader = self._engine.connect()
            return self._reader
        return self.conn

    # --- reads ---

    def products(self, codes: Collection[str]) -> list[ProductRecord]:
        wanted = list(codes)
        if not wanted:
            return []
        query = sa.select(*_PRODUCT_COLUMNS)
        if len(wanted) > _LOAD_ALL_FROM:
            keys = set(wanted)
            return [
                ProductRecord(**row)
                for row in self._reads().execute(query).mappings()
                if row["barcode"] in keys or (row["gtin"] and row["gtin"] in keys)
            ]
        found: dict[int, ProductRecord] = {}
        for chunk in _chunks(wanted, _CHUNK):
            condition = sa.or_(product_t.c.barcode.in_(chunk), product_t.c.gtin.in_(chunk))
            for row in self._reads().execute(query.where(condition)).mappings():
                found[row["id"]] = ProductRecord(**row)
        return list(found.values())

    def products_by_sku(self, skus: Collection[str]) -> list[ProductRecord]:
        found: list[ProductRecord] = []
        for chunk in _chunks(list(skus), _CHUNK):
            query = sa.select(*_PRODUCT_COLUMNS).where(product_t.c.sku.in_(chunk))
            found.extend(ProductRecord(**row) for row in self._reads().execute(query).mappings())
        return found

    def orders_unit(self) -> ImportOrdersUnit:
        # An orders file writes no ledger rows itself, so no COPY holds the connection.
        if self._orders is None:
            self._orders = ImportOrdersUnit(self.conn, self._locations)
        return self._orders

    def sources(self) -> list[Reference]:
        rows = self._reads().execute(
            sa.select(source_t.c.id, source_t.c.name, source_t.c.is_active)
        )
        return [Reference(r.id, r.name, bool(r.is_active)) for r in rows]

    def distribution_centers(self) -> list[Reference]:
        rows = self._reads().execute(
            sa.select(dc_t.c.id, dc_t.c.name, dc_t.c.is_active, dc_t.c.source_id)
        )
        return [Reference(r.id, r.name, bool(r.is_active), r.source_id) for r in rows]

    def location(self, code: str) -> LocationRef:
        return self._locations.by_code(self._reads(), code)

    def location_by_id(self, location_id: int) -> LocationRef | None:
        return self._locations.by_id(self._reads(), location_id)

    def stock(self, product_ids: Collection[int]) -> dict[tuple[int, int], tuple[int, int]]:
        ids = list(product_ids)
        if not ids:
            return {}
        query = (
            sa.select(
                quant_t.c.product_id, quant_t.c.location_id, quant_t.c.quantity, quant_t.c.reserved
            )
            .join(location_t, location_t.c.id == quant_t.c.location_id)
            .where(location_t.c.kind != "virtual", quant_t.c.handling_unit_id.is_(None))
        )
        if len(ids) > _LOAD_ALL_FROM:
            keep = set(ids)
            rows = [r for r in self._reads().execute(query) if r.product_id in keep]
        else:
            rows = []
            for chunk in _chunks(ids, _CHUNK):
                reads = self._reads()
                rows.extend(reads.execute(query.where(quant_t.c.product_id.in_(chunk))))
        return {(r.product_id, r.location_id): (r.quantity, r.reserved) for r in rows}

    def lock_file(self, file_sha256: str) -> None:
        """PostgreSQL: an advisory lock on the file's sha256 until this transaction ends.
        SQLite: nothing to do, a write transaction (BEGIN IMMEDIATE) already excludes
        every other writer."""
        if self.conn.dialect.name == "postgresql":
            key = int.from_bytes(bytes.fromhex(file_sha256[:8]), "big", signed=True)
            self.conn.execute(
                sa.text("SELECT pg_advisory_xact_lock(:space, :key)"),
                {"space": _FILE_LOCKS, "key": key},
            )

    def imported_before(self, file_sha256: str) -> bool:
        query = (
            sa.select(batch_t.c.id)
            .where(batch_t.c.file_sha256 == file_sha256, batch_t.c.applied.is_(True))
            .limit(1)
        )
        return self.conn.execute(query).first() is not None

    # --- writes ---

    def add_batch(self, batch: BatchRecord) -> int:
        statement = sa.insert(batch_t).values(**batch.__dict__).returning(batch_t.c.id)
        return int(self.conn.execute(statement).scalar_one())

    def finish_batch(self, import_id: int, rows_total: int, rows_ok: int) -> None:
        self.conn.execute(
            sa.update(batch_t)
            .where(batch_t.c.id == import_id)
            .values(rows_total=rows_total, rows_ok=rows_ok)
        )

    # --- the ledger rows of an import ---

    def open_ledger(self, *, document: str, user_id: int | None, at: datetime) -> None:
        dialect = self.conn.dialect
        self._document = document
        self._ledger_at = at
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            self._ledger = _CopyLedger(self.conn, document, user_id, at)
        else:
            self._ledger = _InsertLedger(self.conn, document, user_id, at)

    def write_ledger(self, rows: Sequence[LedgerRow]) -> None:
        assert self._ledger is not None and self._ledger_at is not None, "open_ledger first"
        self._ledger.write(rows)
        self._count_flows(rows, self._ledger_at)

    def _count_flows(self, rows: Sequence[LedgerRow], at: datetime) -> None:
        warehouses: dict[int, str | None] = {}

        def warehouse(location_id: int) -> str | None:
            if location_id not in warehouses:
                location = self._locations.by_id(self._reads(), location_id)
                warehouses[location_id] = location.warehouse_code if location else None
            return warehouses[location_id]

        add = self._flows.add
        for op, product, quantity, src, dst, source, dc, _notes in rows:
            add(
                at=at, product_id=product, operation_type=op, source_id=source,
                distribution_center_id=dc, quantity=quantity, from_warehouse=warehouse(src),
                to_warehouse=warehouse(dst), reversal=False,
            )  # fmt: skip

    def abort_ledger(self) -> None:
        self._flows.clear()
        if self._ledger is not None:
            self._ledger.abort()
            self._ledger = None

    def close_ledger(self) -> tuple[int, int]:
        assert self._ledger is not None, "open_ledger first"
        self._ledger.close()
        self._ledger = None
        span = self.conn.execute(
            sa.select(sa.func.min(movement_t.c.id), sa.func.max(movement_t.c.id)).where(
                movement_t.c.document == self._document
            )
        ).one()
        return (span[0] or 0, span[1] or 0)

    def lock_products(self, product_ids: Collection[int]) -> list[ProductRecord]:
        """PostgreSQL: FOR KEY SHARE on the products' rows, on this transaction's own
        connection (the ledger rows are in, no COPY is open). A delete takes the row FOR
        UPDATE first (data.catalog): one in flight is waited for and then seen, and a later
        one waits for this commit. SQLite: a plain read, writers take turns already."""
        deleted: list[int] = []
        for chunk in _chunks(sorted(product_ids), _CHUNK):
            query = (
                sa.select(product_t.c.id, product_t.c.is_deleted)
                .where(product_t.c.id.in_(chunk))
                .order_by(product_t.c.id)
                .with_for_update(read=True, key_share=True)
            )
            deleted.extend(row.id for row in self.conn.execute(query) if row.is_deleted)
        records: list[ProductRecord] = []
        for chunk in _chunks(deleted, _CHUNK):  # rare: a product deleted meanwhile
            query = sa.select(*_PRODUCT_COLUMNS).where(product_t.c.id.in_(chunk))
            records.extend(ProductRecord(**row) for row in self.conn.execute(query).mappings())
        return records

    def change_stock(self, changes: dict[tuple[int, int], int], at: datetime) -> bool:
        items = sorted(changes.items())  # (product, location) order: no deadlocks
        dialect = self.conn.dialect
        raw: Any = self.conn.connection.dbapi_connection
        if dialect.name == "postgresql" and dialect.driver == "psycopg":
            return self._change_stock_pipelined(raw, items, at)
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
                self.conn.execute(PUT, {**params, "at": at})
            elif self.conn.execute(TAKE, params).first() is None:
                return False
        return True

    @staticmethod
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

    def add_products(self, items: Sequence[ProductData], at: datetime) -> None:
        if not items:
            return
        values = [
            {**item.__dict__, "is_deleted": False, "created_at": at, "updated_at": at}
            for item in items
        ]
        self._refusing_duplicates(lambda: self.conn.execute(sa.insert(product_t), values))

    def update_products(self, items: Sequence[tuple[int, ProductData]], at: datetime) -> None:
        if not items:
            return
        statement = (
            sa.update(product_t)
            .where(product_t.c.id == sa.bindparam("product_id"))
            .values({name: sa.bindparam(name) for name in (*EDITABLE, "updated_at")})
        )
        values = [
            {**item.__dict__, "product_id": product_id, "updated_at": at}
            for product_id, item in items
        ]
        self._refusing_duplicates(lambda: self.conn.execute(statement, values))

    def _refusing_duplicates(self, write: Callable[[], Any]) -> None:
        try:
            with self.conn.begin_nested():
                write()
        except IntegrityError as error:
            # A product created meanwhile took a barcode or GTIN the file gives.
            raise Conflict(
                "barcode_taken",
                "Штрихкод или GTIN из файла только что занял другой товар: проверьте файл ещё раз",
            ) from error

    def add_event(self, event: EventType, payload: dict[str, Any], at: datetime) -> None:
        self.conn.execute(INSERT_EVENT, event_params(event, payload, at))


class _CopyLedger:
    """COPY … FROM STDIN on this transaction's connection, open across write() calls:
    PostgreSQL stores one chunk while the next is being read and checked. psycopg flushes
    every megabyte, so the client never runs far ahead of the server."""

    def __init__(self, conn: Connection, document: str, user_id: int | None, at: datetime):
        raw: Any = conn.connection.dbapi_connection
        self._tail = (user_id, document, at)
        self._cursor = raw.cursor()
        self._context = self._cursor.copy(f"COPY movement ({', '.join(_COPY_COLUMNS)}) FROM STDIN")
        self._copy = self._context.__enter__()

    def write(self, rows: Sequence[LedgerRow]) -> None:
        write_row, (user_id, document, at) = self._copy.write_row, self._tail
        for op, product, quantity, src, dst, source, dc, notes in rows:
            write_row((op, product, quantity, src, dst, source, dc, user_id, notes, document, at))

    def abort(self) -> None:
        """Cancel the COPY: the server discards it and the transaction can only roll back."""
        error = _ImportAborted("the import stopped: nothing of it is kept")
        try:
            self._context.__exit__(type(error), error, None)
        finally:
            self._cursor.close()

    def close(self) -> None:
        try:
            self._context.__exit__(None, None, None)
        finally:
            self._cursor.close()


class _ImportAborted(Exception):
    pass


class _InsertLedger:
    """executemany on the driver (SQLite, or a driver without COPY)."""

    def __init__(self, conn: Connection, document: str, user_id: int | None, at: datetime):
        dialect = conn.dialect
        bind = UtcDateTime().dialect_impl(dialect).bind_processor(dialect)
        created_at = bind(at) if bind else at  # as SQLAlchemy stores it (SQLite: its text)
        self._conn = conn
        self._tail = (user_id, document, created_at)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        marks = ", ".join(mark for _ in _COPY_COLUMNS)
        self._statement = f"INSERT INTO movement ({', '.join(_COPY_COLUMNS)}) VALUES ({marks})"

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


@contextmanager
def _session(db: Database, write: bool) -> Iterator[ImportStore]:
    """A store on one transaction: a write one (BEGIN IMMEDIATE on SQLite) or a read one.
    Anything not committed rolls back."""
    connect = write_connection if write else read_connection
    with connect(db.engine) as conn:
        store = SqlImportStore(conn, db.locations, db.engine, db.after_import)
        try:
            yield store
        finally:
            store.rollback()


def store_factory(db: Database) -> Callable[[bool], AbstractContextManager[ImportStore]]:
    return lambda write: _session(db, write)


QUEUE = ImportQueue(release_memory)


def import_file(
    db: Database,
    *,
    content: bytes,
    file_name: str,
    kind: str,
    operation_type: str | None = None,
    dry_run: bool = True,
    user_id: int | None = None,
    settings: Settings,
    progress: Progress | None = None,
    repeat_allowed: bool = True,
    waiting: Waiting | None = None,
    fallback_operation: str | None = None,
    order_options: OrderOptions | None = None,
) -> ImportReport:
    """Check a file and, unless `dry_run` or any row has an error, write it whole.

    `fallback_operation`: the operation of a movements file that names none, neither by
    `operation_type` nor in an «Операция» column (the page offers the last one used); the
    report says it was taken (`operation_inferred`).

    A big file waits for its turn in QUEUE first; `waiting(n)` hears how many imports are
    ahead of it while it waits (ImportQueueTimeout when the wait is too long).

    `repeat_allowed=False`: refuse (Conflict `file_imported_before`) a file whose sha256
    was imported already — the page passes it when its preview said the file was new, so
    a file another manager imported meanwhile is not booked twice without a question.

    Raises FileRejected when the file cannot be read at
    all, ValidationError for a bad `kind` or `operation_type`, InsufficientStock when the
    stock changed under a running import (PostgreSQL; the file then writes nothing)."""

    def read(content: bytes, file_name: str, progress: Progress | None) -> Sheet:
        return read_file(content, file_name, settings, progress, headers_of(kind))

    with QUEUE.slot(content, settings, waiting):
        return run_import(
            store_factory(db),
            read,
            content=content,
            file_name=file_name,
            kind=kind,
            operation_type=operation_type,
            dry_run=dry_run,
            user_id=user_id,
            settings=settings,
            progress=progress,
            repeat_allowed=repeat_allowed,
            fallback_operation=fallback_operation,
            order_options=order_options,
        )
