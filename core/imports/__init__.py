"""Imports of Excel and CSV files: products, movements and opening balances.

Every row is checked before anything is kept — against the catalog, the reference data
and, for stock, the running balances as if the rows were applied in order, starting from
the current stock. A file with a single error keeps nothing; a clean file is written in
one transaction with bulk statements (ledger rows in bulk, then one conditional statement
per product and location for the net change), so a process that dies mid-write leaves
nothing. A movements file streams: while the database stores one chunk of ledger rows
(COPY on PostgreSQL), the next chunk is read and checked; the first error stops the
writing and the transaction is never committed.

The rules are the ones every posting obeys: the operations table decides what a row
needs (core.stock.requests.check_request), core.catalog.products decides what a product may be.

The package: `plan` (the report and the plan), `sheet` (a file's rows as core reads them,
cells into values), `ports` (storage and the file reader, as Protocols), `rows` (errors
and one row read by field), `importer` (what every kind shares), `movements`,
`opening_balances` and `products` (the row rules of each kind), `use_case` (run_import),
`queue` (big files take turns). Reading files and writing workbooks is data.files';
data.imports.importing.import_file puts the parts together. Core imports neither data nor ui.
"""

from core.imports.importer import importable
from core.imports.plan import (
    IMPORT_KINDS,
    KIND_COLUMNS,
    KIND_LABELS,
    MAX_PREVIEW,
    MAX_REPORTED_ERRORS,
    FileRejected,
    ImportReport,
    LedgerRow,
    PlannedChange,
    Progress,
    RowError,
    Waiting,
    file_too_large,
    too_large_message,
)
from core.imports.ports import BatchRecord, ImportStore, SheetReader, StoreFactory
from core.imports.queue import ImportQueue, ImportQueueTimeout
from core.imports.sheet import Cell, CellError, Column, Sheet
from core.imports.use_case import file_sha256, run_import

__all__ = [
    "IMPORT_KINDS",
    "KIND_COLUMNS",
    "KIND_LABELS",
    "MAX_PREVIEW",
    "MAX_REPORTED_ERRORS",
    "BatchRecord",
    "Cell",
    "CellError",
    "Column",
    "FileRejected",
    "ImportQueue",
    "ImportQueueTimeout",
    "ImportReport",
    "ImportStore",
    "LedgerRow",
    "PlannedChange",
    "Progress",
    "RowError",
    "Sheet",
    "SheetReader",
    "StoreFactory",
    "Waiting",
    "file_sha256",
    "file_too_large",
    "importable",
    "run_import",
    "too_large_message",
]
