"""What the import needs from outside core: storage (data.imports.store implements it) and a
file reader (data.files.spreadsheets.read_file)."""

from collections.abc import Callable, Collection, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.catalog.ports import ProductData, ProductRecord
from core.events import EventType
from core.imports.plan import LedgerRow, Progress
from core.imports.sheet import Sheet
from core.model import Reference
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.stock.ports import Locations

# --- What the import needs from storage (data.imports.store implements it) ---


@dataclass(frozen=True)
class BatchRecord:
    file_name: str
    file_sha256: str
    kind: str
    operation_type: str | None
    user_id: int | None
    created_at: datetime
    rows_total: int
    rows_ok: int
    applied: bool
    error_count: int
    status: str = "applied"  # applied | refused (the file has errors) | failed
    reason: str | None = None  # why a confirmation failed


class ImportStore(Locations, Protocol):
    """One transaction: reads see it, writes commit together on `commit()`. Its locations
    are what `core.stock.resolving.resolve_locations` reads."""

    def products(self, codes: Collection[str]) -> list[ProductRecord]:
        """Products (deleted too) whose barcode or GTIN is one of `codes`."""

    def products_by_sku(self, skus: Collection[str]) -> list[ProductRecord]:
        """Products (deleted too) whose SKU is one of `skus` (an orders file may name
        products by the seller's article)."""

    def orders_unit(self) -> FulfillmentUnitOfWork:
        """The orders' repositories on this store's transaction: an orders file places
        its orders with core.orders.orders.place_order there, and they commit (or roll
        back) with the rest of the import. Its own `commit` is not for use."""

    def sources(self) -> list[Reference]: ...
    def distribution_centers(self) -> list[Reference]: ...

    def stock(self, product_ids: Collection[int]) -> dict[tuple[int, int], tuple[int, int]]:
        """(product, internal location) -> (quantity, reserved) of the loose quants."""

    def lock_file(self, file_sha256: str) -> None:
        """Wait until no other transaction is confirming the same file; held to the end."""

    def imported_before(self, file_sha256: str) -> bool: ...
    def add_batch(self, batch: BatchRecord) -> int: ...

    def finish_batch(self, import_id: int, rows_total: int, rows_ok: int) -> None: ...

    # The ledger rows of an import, written in bulk while later rows are still being checked.
    def open_ledger(self, *, document: str, user_id: int | None, at: datetime) -> None: ...
    def write_ledger(self, rows: Sequence[LedgerRow]) -> None: ...
    def abort_ledger(self) -> None:
        """Stop writing: an error was found; this transaction will not commit."""

    def close_ledger(self) -> tuple[int, int]:
        """Wait until every row is stored; (first id, last id) of the ledger rows."""

    def lock_products(self, product_ids: Collection[int]) -> list[ProductRecord]:
        """Keep these products from being deleted until this transaction ends (a delete in
        flight is waited for first); the ones among them that are deleted already."""

    def change_stock(self, changes: dict[tuple[int, int], int], at: datetime) -> bool:
        """Apply net quant changes, one conditional statement each in (product, location)
        order; False when a decrement was refused (not enough unreserved stock)."""

    def add_products(self, items: Sequence[ProductData], at: datetime) -> None: ...
    def update_products(self, items: Sequence[tuple[int, ProductData]], at: datetime) -> None: ...
    def add_event(self, event: EventType, payload: dict[str, Any], at: datetime) -> None: ...
    def commit(self) -> None: ...


StoreFactory = Callable[[bool], AbstractContextManager[ImportStore]]  # write: bool


class SheetReader(Protocol):
    """Reads a file's sheet (data.files.spreadsheets.read_file): FileRejected, with a
    Russian message, when it cannot be read — also while its rows are iterated (a row
    limit is found there). `progress` hears the "parse" stage of a file read whole."""

    def __call__(self, content: bytes, file_name: str, progress: Progress | None) -> Sheet: ...
