"""The import use case's ports in memory: `core.imports.ImportStore` on a FakeDatabase's
tables (one transaction: a copy, kept on commit) and a `SheetReader` that hands over rows
as a spreadsheet reader would have read them (data.files does the parsing)."""

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from core.catalog.ports import ProductData, ProductRecord
from core.errors import Conflict
from core.events import EventType
from core.imports import BatchRecord, LedgerRow, Progress, Sheet, StoreFactory
from core.imports.sheet import Cell, Column
from core.model import LocationRef, Movement, Reference
from core.stock.operations import IMPORT_COLUMNS
from tests.unit.fakes import FakeDatabase, FakeProductStore, FakeStock


class FakeImportStore:
    def __init__(self, db: FakeDatabase) -> None:
        self._db = db
        self.tables = db.tables.copy()
        self._stock = FakeStock(self.tables, db.locations)
        self._ledger: tuple[str, int | None, datetime] | None = None
        self._first_id: int | None = None

    def products(self, codes: Collection[str]) -> list[ProductRecord]:
        wanted = set(codes)
        return [
            p
            for p in self.tables.products.values()
            if p.barcode in wanted or (p.gtin and p.gtin in wanted)
        ]

    def lock_products(self, product_ids: Collection[int]) -> list[ProductRecord]:
        """One writer at a time here, as on SQLite: nothing to wait for; the deleted ones."""
        wanted = set(product_ids)
        return [p for p in self.tables.products.values() if p.id in wanted and p.is_deleted]

    def sources(self) -> list[Reference]:
        return [Reference(s.id, s.name, s.is_active) for s in self.tables.sources.values()]

    def distribution_centers(self) -> list[Reference]:
        dcs = self.tables.dcs.values()
        return [Reference(d.id, d.name, d.is_active, d.source_id) for d in dcs]

    def location(self, code: str) -> LocationRef:
        return self._stock.location(code)

    def location_by_id(self, location_id: int) -> LocationRef | None:
        return self._stock.location_by_id(location_id)

    def stock(self, product_ids: Collection[int]) -> dict[tuple[int, int], tuple[int, int]]:
        wanted = set(product_ids)
        return {
            k: (q.quantity, q.reserved) for k, q in self.tables.quants.items() if k[0] in wanted
        }

    def lock_file(self, file_sha256: str) -> None:
        pass  # one unit at a time: no other confirmation to wait for

    def imported_before(self, file_sha256: str) -> bool:
        batches = self.tables.batches.values()
        return any(b.file_sha256 == file_sha256 and b.applied for b in batches)

    def add_batch(self, batch: BatchRecord) -> int:
        import_id = self.tables.new_id("import_batch")
        self.tables.batches[import_id] = batch
        return import_id

    def finish_batch(self, import_id: int, rows_total: int, rows_ok: int) -> None:
        batch = self.tables.batches[import_id]
        self.tables.batches[import_id] = replace(batch, rows_total=rows_total, rows_ok=rows_ok)

    def open_ledger(self, *, document: str, user_id: int | None, at: datetime) -> None:
        self._ledger = (document, user_id, at)
        self._first_id = None

    def write_ledger(self, rows: Sequence[LedgerRow]) -> None:
        assert self._ledger is not None, "open_ledger first"
        document, user_id, at = self._ledger
        for op, product, quantity, src, dst, source, dc, notes in rows:
            movement_id = self.tables.new_id("movement")
            self._first_id = self._first_id or movement_id
            self.tables.movements[movement_id] = Movement(
                operation_type=op, product_id=product, quantity=quantity,
                from_location_id=src, to_location_id=dst, source_id=source,
                distribution_center_id=dc, user_id=user_id, notes=notes,
                idempotency_key=None, document=document, reversal_of=None, created_at=at,
                id=movement_id,
            )  # fmt: skip

    def abort_ledger(self) -> None:
        self._ledger = None

    def close_ledger(self) -> tuple[int, int]:
        assert self._ledger is not None, "open_ledger first"
        self._ledger = None
        first = self._first_id or 0
        return (first, self.tables.last_id.get("movement", 0) if first else 0)

    def change_stock(self, changes: dict[tuple[int, int], int], at: datetime) -> bool:
        for (product_id, location_id), change in sorted(changes.items()):
            if change > 0:
                self._stock.put(product_id, location_id, change, at)
            elif not self._stock.take(product_id, location_id, -change):
                return False
        return True

    def add_products(self, items: Sequence[ProductData], at: datetime) -> None:
        products = FakeProductStore(self)
        for item in items:
            self._refusing_duplicates(lambda item=item: products.insert(item))

    def update_products(self, items: Sequence[tuple[int, ProductData]], at: datetime) -> None:
        products = FakeProductStore(self)
        for product_id, item in items:
            self._refusing_duplicates(lambda p=product_id, i=item: products.update(p, i))

    def add_event(self, event: EventType, payload: dict[str, Any], at: datetime) -> None:
        self.tables.events.append((event, payload))

    def commit(self) -> None:
        self._db.tables = self.tables
        self.tables = self.tables.copy()
        self._stock = FakeStock(self.tables, self._db.locations)

    @staticmethod
    def _refusing_duplicates(write: Any) -> None:
        try:
            write()
        except Conflict as error:
            raise Conflict(
                "barcode_taken",
                "Штрихкод или GTIN из файла только что занял другой товар: проверьте файл ещё раз",
            ) from error


def import_stores(db: FakeDatabase) -> StoreFactory:
    """A store per transaction; whatever it did not commit is dropped."""

    @contextmanager
    def session(write: bool) -> Iterator[FakeImportStore]:
        yield FakeImportStore(db)

    return session


def sheet_of(header: Sequence[str], *rows: Sequence[Cell]) -> Sheet:
    """A sheet whose header cells are the first names of IMPORT_COLUMNS' fields (or any
    text, which names no field); data rows start on row 2."""
    fields = {names[0]: name for name, names in IMPORT_COLUMNS.items()}
    columns = {
        fields[title]: Column(fields[title], i, title)
        for i, title in enumerate(header)
        if title in fields
    }
    numbered = [(number, list(cells)) for number, cells in enumerate(rows, start=2)]
    ignored = [title for title in header if title not in fields]
    return Sheet(1, list(header), columns, iter(numbered), len(rows), ignored=ignored)


def reader_of(sheet: Sheet) -> Any:
    """A `SheetReader` that returns this sheet, whatever the file."""

    def read(content: bytes, file_name: str, progress: Progress | None) -> Sheet:
        return sheet

    return read
