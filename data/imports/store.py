"""`core.imports.ImportStore` on the database: one transaction, bulk reads and bulk writes.
data.imports.importing puts it together with the use case and data.files' reader.

Ledger rows go in with COPY on PostgreSQL and executemany on SQLite (data.imports.ledger_rows);
quants then change once per (product, location) with the same atomic statements every
posting uses (data.imports.stock_changes). The daily aggregates
(data.stock.flows) are summed per key while the rows stream and written last, one
executemany per table in key order; after the commit, the daily job
(Database.run_daily_job).
"""

from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import suppress
from datetime import datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from core.catalog.products import EDITABLE, ProductData, ProductRecord
from core.errors import Conflict
from core.events import EventType
from core.imports import BatchRecord, LedgerRow
from core.model import LocationRef, Reference
from core.settings import get_settings
from data.imports.ledger_rows import CopyLedger, InsertLedger
from data.imports.orders_unit import ImportOrdersUnit
from data.imports.stock_changes import change_stock
from data.models import DistributionCenter, ImportBatch, Location, Movement, Product, Quant, Source
from data.outbox import INSERT_EVENT, event_params
from data.stock.flows import FlowTotals, local_today, write_totals
from data.stock.repository import LocationDirectory

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
        self._ledger: CopyLedger | InsertLedger | None = None
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
        if isinstance(self._ledger, CopyLedger):
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
            self._ledger = CopyLedger(self.conn, document, user_id, at)
        else:
            self._ledger = InsertLedger(self.conn, document, user_id, at)

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
        return change_stock(self.conn, changes, at)

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
