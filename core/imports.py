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
needs (core.movements.check_request), core.catalog decides what a product may be.
"""

import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from itertools import islice
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from core.catalog import (
    EDITABLE,
    GTIN_LENGTHS,
    ProductData,
    ProductRecord,
    check_code,
    clean,
)
from core.errors import Conflict, DomainError, InsufficientStock, ValidationError
from core.model import LocationRef, Reference
from core.movements import (
    MAX_NOTES,
    MovementRequest,
    check_quantity,
    check_request,
    resolve_locations,
)
from core.operations import (
    DIRECTION_NAMES,
    IMPORT_COLUMNS,
    MAX_QUANTITY,
    OPERATIONS,
    WAREHOUSE_NAMES,
    WAREHOUSES,
    Direction,
    Operation,
    Requirement,
    header_key,
    operation_by_name,
)
from core.settings import Settings
from data import spreadsheets
from data.spreadsheets import Cell, CellError, Sheet

if TYPE_CHECKING:
    from data.database import Database

IMPORT_KINDS = ("products", "movements", "opening_balances")
KIND_LABELS: dict[str, tuple[str, str]] = {
    "products": ("Товары", "Products"),
    "movements": ("Операции", "Movements"),
    "opening_balances": ("Начальные остатки", "Opening balances"),
}
# The columns each kind reads, in the order example files write them.
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "products": (
        "barcode", "sku", "name", "gtin", "min_stock", "weight_g", "length_mm", "width_mm",
        "height_mm",
    ),
    "movements": (
        "barcode", "quantity", "operation", "source", "distribution_center", "notes",
        "warehouse", "direction",
    ),
    "opening_balances": ("barcode", "name", "good", "defect", "notes"),
}  # fmt: skip
MAX_PREVIEW = 1000  # planned changes kept for the preview; `counts` has the totals
MAX_REPORTED_ERRORS = 10_000  # errors listed; `error_count` has them all
EVENT_IMPORT_APPLIED = "import.applied"

log = logging.getLogger(__name__)

Progress = Callable[[str, float], None]
Waiting = Callable[[int], None]  # imports ahead of this one (running or queued)
T = TypeVar("T")


@dataclass(frozen=True)
class RowError:
    """One problem in the file."""

    row: int  # 1-based row number as the spreadsheet shows it (header included; CSV: line)
    column: str | None  # the header text of the offending column as written, or None
    code: str  # stable, e.g. "unknown_barcode", "invalid_quantity", "insufficient_stock"
    message: str  # Russian, for people


@dataclass(frozen=True)
class PlannedChange:
    """What a valid row will do (for the preview)."""

    row: int
    action: str  # products: create | update | unchanged; movements: the operation code;
    # opening_balances: set | unchanged
    description: str  # Russian, short


@dataclass(frozen=True)
class ImportReport:
    kind: str
    dry_run: bool
    rows_total: int
    rows_ok: int
    applied: bool  # true only when written
    errors: list[RowError]  # at most MAX_REPORTED_ERRORS; error_count has the total
    changes: list[PlannedChange]  # at most the first MAX_PREVIEW; counts has the totals
    counts: dict[str, int]  # action -> number of rows
    file_name: str
    file_sha256: str
    import_id: int | None  # history row id when applied (or recorded as refused)
    same_file_imported_before: bool  # a previous successful import had the same sha256
    error_count: int = 0  # every error found, also those beyond the listed ones
    # movements: the operation for rows without one (chosen, or the fallback for a file
    # without an «Операция» column); `operation_inferred`: it was that fallback
    operation_type: str | None = None
    operation_inferred: bool = False


class FileRejected(DomainError):
    """The whole file cannot be read. `.code`: file_too_large (HTTP 413), not_a_spreadsheet,
    no_header, too_many_rows, too_many_columns, archive_too_large (HTTP 422)."""

    kind = "invalid"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, field="file")

    @property
    def status(self) -> int:
        return 413 if self.code == "file_too_large" else 422


class ImportQueueTimeout(DomainError):
    """The import waited for its turn longer than settings.import_queue_timeout_seconds
    (HTTP 503: nothing was read or written; try again later)."""

    kind = "conflict"

    def __init__(self) -> None:
        super().__init__(
            "import_queue_timeout",
            "Сейчас загружаются другие большие файлы, а очередь не дошла до этого: "
            "файл не прочитан и ничего не записано. Повторите позже",
            field="file",
        )


class ImportQueue:
    """At most `limit` imports of big files run at once in this process, first come first
    served: reading a sheet holds it whole in memory, so three million-row files at once
    would take gigabytes. Small files never wait. When an import ends its memory goes back
    to the system (data.spreadsheets.release_memory)."""

    def __init__(self) -> None:
        self._turn = threading.Condition()
        self._running = 0
        self._queued: list[object] = []  # waiting imports, in order of arrival

    @contextmanager
    def slot(
        self, content: bytes, settings: Settings, waiting: Waiting | None = None
    ) -> Iterator[None]:
        if len(content) < settings.import_queue_from_bytes:
            yield
            return
        self._wait(max(settings.import_max_parallel, 1), settings, waiting)
        try:
            yield
        finally:
            with self._turn:
                self._running -= 1
                self._turn.notify_all()
            spreadsheets.release_memory()

    def _wait(self, limit: int, settings: Settings, waiting: Waiting | None) -> None:
        me = object()
        deadline = time.monotonic() + settings.import_queue_timeout_seconds
        said = -1
        with self._turn:
            self._queued.append(me)
            try:
                while True:
                    ahead = self._queued.index(me)
                    if ahead == 0 and self._running < limit:
                        self._running += 1
                        return
                    if waiting is not None and self._running + ahead != said:
                        said = self._running + ahead
                        waiting(said)
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise ImportQueueTimeout
                    self._turn.wait(left)
            finally:
                self._queued.remove(me)
                self._turn.notify_all()  # the ones behind move up

    @property
    def running(self) -> int:
        return self._running


QUEUE = ImportQueue()


# --- What the import needs from storage (data.imports implements it) ---

LedgerRow = tuple[str, int, int, int, int, int | None, int | None, str | None]
# operation_type, product_id, quantity, from_location_id, to_location_id, source_id,
# distribution_center_id, notes


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


class ImportStore(Protocol):
    """One transaction: reads see it, writes commit together on `commit()`."""

    def products(self, codes: Collection[str]) -> list[ProductRecord]:
        """Products (deleted too) whose barcode or GTIN is one of `codes`."""

    def sources(self) -> list[Reference]: ...
    def distribution_centers(self) -> list[Reference]: ...
    def location(self, code: str) -> LocationRef: ...
    def location_by_id(self, location_id: int) -> LocationRef | None: ...

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

    def change_stock(self, changes: dict[tuple[int, int], int], at: datetime) -> bool:
        """Apply net quant changes, one conditional statement each in (product, location)
        order; False when a decrement was refused (not enough unreserved stock)."""

    def add_products(self, items: Sequence[ProductData], at: datetime) -> None: ...
    def update_products(self, items: Sequence[tuple[int, ProductData]], at: datetime) -> None: ...
    def add_event(self, event_type: str, payload: dict[str, Any], at: datetime) -> None: ...
    def commit(self) -> None: ...


StoreFactory = Callable[[bool], AbstractContextManager[ImportStore]]  # write: bool


# --- Errors, collected over the whole file ---

# core.movements names request fields; a file names columns.
_FIELD_OF_REQUEST = {
    "source_id": "source",
    "distribution_center_id": "distribution_center",
    "notes": "notes",
    "warehouse": "warehouse",
    "direction": "direction",
    "quantity": "quantity",
    "operation_type": "operation",
    "barcode": "barcode",
}


class _Errors:
    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = headers  # field -> header as written
        self.items: list[RowError] = []
        self.count = 0
        self.rows: set[int] = set()

    def add(self, row: int, field_name: str | None, code: str, message: str) -> None:
        self.count += 1
        self.rows.add(row)
        if len(self.items) < MAX_REPORTED_ERRORS:
            column = self.headers.get(field_name) if field_name else None
            self.items.append(RowError(row, column, code, message))

    def domain(self, row: int, error: DomainError, default_field: str | None = None) -> None:
        name = _FIELD_OF_REQUEST.get(error.field or "", error.field) or default_field
        self.add(row, name, error.code, error.message)


def _column_title(field_name: str) -> str:
    return IMPORT_COLUMNS[field_name][0]


def _missing_column(errors: _Errors, header_row: int, field_name: str, why: str = "") -> None:
    names = " / ".join(f"«{n}»" for n in IMPORT_COLUMNS[field_name][:3])
    errors.add(header_row, None, "missing_column", f"В файле нет столбца {names}{why}")


# --- Cells into values ---


class _Row:
    """Cells of one data row, read by field."""

    __slots__ = ("cells", "columns", "errors", "number")

    def __init__(self, number: int, cells: list[Cell], sheet: Sheet, errors: _Errors) -> None:
        self.number = number
        self.cells = cells
        self.columns = sheet.columns
        self.errors = errors

    def raw(self, name: str) -> Cell:
        column = self.columns.get(name)
        if column is None or column.index >= len(self.cells):
            return None
        return self.cells[column.index]

    def text(self, name: str) -> str:
        return spreadsheets.cell_text(self.raw(name))

    def code(self, name: str, what: str) -> str | None:
        try:
            return spreadsheets.cell_code(self.raw(name)) or None
        except CellError as error:
            self.errors.add(self.number, name, f"invalid_{name}", f"{what}: {error.message}")
            return None

    def whole(self, name: str, what: str) -> int | None:
        try:
            return spreadsheets.cell_whole(self.raw(name))
        except CellError as error:
            code = (
                "invalid_quantity" if name in ("quantity", "good", "defect") else f"invalid_{name}"
            )
            self.errors.add(self.number, name, code, f"{what}: {error.message}")
            return None


# --- The use case ---


def file_too_large(settings: Settings) -> FileRejected:
    """The error of an upload over `settings.import_max_bytes` (HTTP 413)."""
    return FileRejected("file_too_large", spreadsheets.too_large_message(settings.import_max_bytes))


def file_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _clean_file_name(file_name: str) -> str:
    name = os.path.basename((file_name or "").replace("\\", "/")).strip()
    return (name or "file")[:255]


def _limits(settings: Settings) -> spreadsheets.Limits:
    return spreadsheets.Limits(
        max_bytes=settings.import_max_bytes,
        max_rows=settings.import_max_rows,
        max_unpacked_bytes=settings.import_max_unpacked_bytes,
    )


def read_file(
    content: bytes, file_name: str, settings: Settings, progress: Progress | None = None
) -> Sheet:
    """The file's sheet, or FileRejected with a Russian message (also while its rows are
    read: a row limit is found there)."""
    try:
        sheet = spreadsheets.read_sheet(
            content,
            file_name,
            _limits(settings),
            (lambda f: progress("parse", f)) if progress else None,
        )
    except spreadsheets.SpreadsheetError as error:
        raise FileRejected(error.code, error.message) from None
    sheet.rows = _rejecting(sheet.rows)
    return sheet


def _rejecting(rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[tuple[int, list[Cell]]]:
    try:
        yield from rows
    except spreadsheets.SpreadsheetError as error:
        raise FileRejected(error.code, error.message) from None


def import_file(
    db: "Database",
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
    from data.imports import store_factory  # data depends on core, not the other way

    with QUEUE.slot(content, settings, waiting):
        return run_import(
            store_factory(db),
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
        )


def run_import(
    stores: StoreFactory,
    *,
    content: bytes,
    file_name: str,
    kind: str,
    operation_type: str | None,
    dry_run: bool,
    user_id: int | None,
    settings: Settings,
    progress: Progress | None = None,
    repeat_allowed: bool = True,
    fallback_operation: str | None = None,
) -> ImportReport:
    report_progress: Progress = progress or (lambda _stage, _fraction: None)
    if kind not in IMPORT_KINDS:
        raise ValidationError(
            "invalid_kind", "Тип импорта: products, movements или opening_balances", field="kind"
        )
    # Checked for every kind (a bad name is an error, not ignored); used by movements.
    chosen_op = _default_operation(operation_type)
    default_op = chosen_op if kind == "movements" else None
    file_name = _clean_file_name(file_name)
    if len(content) > settings.import_max_bytes:  # before hashing or parsing anything
        raise file_too_large(settings)
    sha = file_sha256(content)
    report_progress("parse", 0.0)
    importer_class = _IMPORTERS[kind]
    # A movements file reads its rows while checking them (and reports that stage).
    reading = None if importer_class.streams else report_progress
    sheet = read_file(content, file_name, settings, reading)
    inferred = (
        kind == "movements"
        and default_op is None
        and "operation" not in sheet.columns
        and bool(fallback_operation)
    )
    if inferred:
        default_op = _default_operation(fallback_operation)
    headers = {name: column.header for name, column in sheet.columns.items()}
    errors = _Errors(headers)
    importer = importer_class(sheet, errors, default_op, file_name)
    importer.parse()
    report_progress("parse", 1.0)

    def rows_ok() -> int:
        if sheet.header_row in errors.rows:  # a column is missing: no row can be taken
            return 0
        return importer.rows_total - len(errors.rows)

    def finish(plan: "_Plan", applied: bool, import_id: int | None, before: bool) -> ImportReport:
        return ImportReport(
            kind=kind,
            dry_run=dry_run,
            rows_total=importer.rows_total,
            rows_ok=rows_ok(),
            applied=applied,
            errors=sorted(errors.items, key=lambda e: e.row),
            changes=plan.changes,
            counts=dict(plan.counts),
            file_name=file_name,
            file_sha256=sha,
            import_id=import_id,
            same_file_imported_before=before,
            error_count=errors.count,
            operation_type=default_op.code if default_op else None,
            operation_inferred=inferred,
        )

    def batch(status: str, at: datetime, reason: str | None = None) -> BatchRecord:
        return BatchRecord(
            file_name=file_name,
            file_sha256=sha,
            kind=kind,
            operation_type=default_op.code if default_op else None,
            user_id=user_id,
            created_at=at,
            rows_total=importer.rows_total,
            rows_ok=rows_ok(),
            applied=status == "applied",
            error_count=errors.count,
            status=status,
            reason=reason,
        )

    try:
        with stores(not dry_run) as store:
            if not dry_run:
                # Confirmations of one file take turns, so the second one sees the first
                # one's history row (and refuses, unless a repeat is allowed).
                store.lock_file(sha)
            before = store.imported_before(sha)
            if before and not dry_run and not repeat_allowed:
                raise Conflict(
                    "file_imported_before",
                    "Этот файл уже загружен — возможно, другим пользователем, пока был открыт "
                    "предпросмотр. Загрузите его ещё раз, только если так и задумано",
                )
            at = datetime.now(UTC)
            # The history row goes first (its id names the ledger rows' document); it is
            # completed at the end and commits with everything else, or not at all.
            import_id = None if dry_run else store.add_batch(batch("applied", at))
            job = _Job(import_id, user_id, at, report_progress)
            plan = importer.check(store, job)
            if dry_run:
                report_progress("check", 1.0)
                return finish(plan, False, None, before)
            if not errors.count:
                assert import_id is not None
                importer.write(store, plan, job)
                store.finish_batch(import_id, importer.rows_total, rows_ok())
                store.commit()
                report_progress("write", 1.0)
                return finish(plan, True, import_id, before)
    except Exception as error:
        if not dry_run:  # rolled back whole; the attempt and its reason are recorded
            _record_failure(stores, batch("failed", datetime.now(UTC), _failure_reason(error)))
        raise
    # Refused for its errors: nothing of the file was written; the attempt is recorded.
    with stores(True) as store:
        import_id = store.add_batch(batch("refused", datetime.now(UTC)))
        store.commit()
    return finish(plan, False, import_id, before)


def _failure_reason(error: Exception) -> str:
    if isinstance(error, DomainError):
        return error.message[:500]
    return f"Сбой при записи ({type(error).__name__}): файл не загружен, ничего не записано"


def _record_failure(stores: StoreFactory, record: BatchRecord) -> None:
    """A history row for a confirmation that failed, in a transaction of its own. When
    even that fails (the database is gone), the original error is what the caller sees."""
    try:
        with stores(True) as store:
            store.add_batch(record)
            store.commit()
    except Exception:
        log.warning(
            "the failed import of %s could not be recorded", record.file_name, exc_info=True
        )


@dataclass(frozen=True)
class _Job:
    import_id: int | None  # None: a dry run, nothing is written
    user_id: int | None
    at: datetime
    progress: Progress

    @property
    def document(self) -> str:
        return f"import:{self.import_id}"


def _default_operation(operation_type: str | None) -> Operation | None:
    if operation_type is None or not operation_type.strip():
        return None
    op = operation_by_name(operation_type)
    if op is None:
        raise ValidationError(
            "unknown_operation",
            f"Неизвестная операция «{operation_type.strip()}»",
            field="operation_type",
        )
    if not importable(op):
        raise ValidationError(
            "operation_not_importable", _not_importable_message(op), field="operation_type"
        )
    return op


def importable(op: Operation) -> bool:
    """Whether a file may carry this operation (a transfer names locations, which files don't)."""
    return not op.needs(Requirement.LOCATIONS)


def _not_importable_message(op: Operation) -> str:
    return f"Операцию «{op.label_ru}» из файла загрузить нельзя: проведите её на странице операций"


@dataclass
class _Plan:
    changes: list[PlannedChange] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    ledger: list[LedgerRow] = field(default_factory=list)
    stock: dict[tuple[int, int], int] = field(default_factory=dict)  # net change
    new_products: list[ProductData] = field(default_factory=list)
    changed_products: list[tuple[int, ProductData]] = field(default_factory=list)
    written: int = 0  # ledger rows stored so far
    ledger_span: tuple[int, int] = (0, 0)  # first and last ledger id

    def planned(self, row: int, action: str, describe: Callable[[], str]) -> None:
        self.counts[action] = self.counts.get(action, 0) + 1
        if len(self.changes) < MAX_PREVIEW:
            self.changes.append(PlannedChange(row, action, describe()))


def _stage(job: _Job, stage: str) -> Callable[[float], None]:
    return lambda fraction: job.progress(stage, fraction)


def _fractions(total: int, progress: Callable[[float], None]) -> Callable[[int], None]:
    step = max(total // 50, 1000)

    def tick(done: int) -> None:
        if done % step == 0 and total:
            progress(min(done / total, 1.0))

    return tick


def _product_label(product: ProductRecord) -> str:
    return f"{product.name} ({product.barcode})"


class _Importer:
    kind = ""
    required: tuple[str, ...] = ()
    streams = False  # True: rows are read in check(), chunk by chunk, not in parse()

    def __init__(
        self, sheet: Sheet, errors: _Errors, default_op: Operation | None, file_name: str
    ) -> None:
        self.sheet = sheet
        self.errors = errors
        self.default_op = default_op
        self.file_name = file_name
        self.rows_total = 0
        self._first_row_of: dict[str, int] = {}  # barcode → its first row (_unique_barcode)
        self._zeros_lost: dict[str, ProductRecord] = {}  # see _products_by_code
        for name in self.required:
            if name not in sheet.columns:
                _missing_column(errors, sheet.header_row, name)

    def parse(self) -> None:
        for number, cells in self.sheet.rows:
            self.rows_total += 1
            self.parse_row(_Row(number, cells, self.sheet, self.errors))

    def parse_row(self, row: _Row) -> None:
        raise NotImplementedError

    def check(self, store: ImportStore, job: _Job) -> _Plan:
        raise NotImplementedError

    def write(self, store: ImportStore, plan: _Plan, job: _Job) -> None:
        raise NotImplementedError

    def _barcode(self, row: _Row) -> str | None:
        code = row.code("barcode", "Штрихкод")
        if "barcode" in self.sheet.columns and spreadsheets.is_empty(row.raw("barcode")):
            self.errors.add(row.number, "barcode", "barcode_required", "Укажите штрихкод")
        return code

    def _unique_barcode(self, row: _Row) -> str | None:
        """The row's barcode; a file that sets a product's stock or card names each
        product once, so a second row with the same barcode is an error."""
        code = self._barcode(row)
        if code:
            first = self._first_row_of.setdefault(code, row.number)
            if first != row.number:
                self.errors.add(
                    row.number, "barcode", "duplicate_barcode",
                    f"Штрихкод {code} уже есть в строке {first}",
                )  # fmt: skip
        return code

    def _product(
        self, number: int, code: str, by_code: dict[str, ProductRecord]
    ) -> ProductRecord | None:
        product = by_code.get(code)
        if product is None:
            try:
                check_code(code, "barcode", "Штрихкод")
            except ValidationError as error:  # not a barcode at all: say what is wrong
                self.errors.domain(number, error)
                return None
            message = f"Товар со штрихкодом {code} не найден"
            if (twin := self._zeros_lost.get(code)) is not None:
                message += (
                    f"; есть товар «{twin.name}» со штрихкодом {twin.barcode} — похоже, ячейка "
                    "была числом и потеряла ведущие нули: задайте столбцу текстовый формат"
                )
            self.errors.add(number, "barcode", "unknown_barcode", message)
            return None
        if product.is_deleted:
            self.errors.add(
                number, "barcode", "product_deleted",
                f"Товар «{product.name}» ({code}) удалён: восстановите его или уберите строку",
            )  # fmt: skip
            return None
        return product

    def _event(self, store: ImportStore, job: _Job, extra: dict[str, Any]) -> None:
        # One event per import, not per movement: a million-row file would otherwise
        # double the rows written and flood every consumer; the movements are the ones
        # with document "import:<id>", their ids in [first_movement_id, last_movement_id].
        payload = {
            "import_id": job.import_id,
            "document": job.document,
            "kind": self.kind,
            "file_name": self.file_name,
            "rows": self.rows_total,
            "created_at": job.at.isoformat(),
            **extra,
        }
        store.add_event(EVENT_IMPORT_APPLIED, payload, job.at)


# --- Movements ---


class _Move:
    __slots__ = (
        "bad", "barcode", "dc", "direction", "notes", "number", "op", "quantity", "source",
        "warehouse",
    )  # fmt: skip

    def __init__(self, number: int) -> None:
        self.number = number
        self.bad = False  # a cell the field rules depend on could not be read


_WAREHOUSE_BY_NAME = {
    header_key(name): code
    for code, names in WAREHOUSE_NAMES.items()
    for name in (code, *names, WAREHOUSES[code])
}
_DIRECTION_BY_NAME = {
    **{header_key(name): str(d) for d, names in DIRECTION_NAMES.items() for name in (d, *names)},
    "+": str(Direction.GAIN),
    "-": str(Direction.LOSS),
    "−": str(Direction.LOSS),
}


class _MovementImporter(_Importer):
    kind = "movements"
    required = ("barcode", "quantity")
    streams = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        if self.default_op is None and "operation" not in self.sheet.columns:
            _missing_column(
                self.errors, self.sheet.header_row, "operation",
                " — или выберите одну операцию для всего файла",
            )  # fmt: skip
        self._barcodes: dict[str, str] = {}  # one string object per distinct code
        self._operations: dict[str, Operation | None] = {}

    def parse(self) -> None:
        """Nothing up front: check() reads the rows in chunks, so that the ledger rows of
        one chunk are stored while the next is read and checked."""

    def _parse(self, chunk: list[tuple[int, list[Cell]]]) -> list[_Move]:
        """Rows into _Move records. The common cells (digits as text, whole numbers) take a
        short path; anything else goes through data.spreadsheets' careful readers."""
        columns = self.sheet.columns

        def index(name: str) -> int:
            column = columns.get(name)
            return column.index if column is not None else -1

        barcode_at, quantity_at = index("barcode"), index("quantity")
        optional = any(
            name in columns
            for name in (
                "operation",
                "source",
                "distribution_center",
                "notes",
                "warehouse",
                "direction",
            )
        )
        codes = self._barcodes
        rows: list[_Move] = []
        errors = self.errors
        default_op = self.default_op
        for number, cells in chunk:
            width = len(cells)
            move = _Move(number)
            row: _Row | None = None
            value = cells[barcode_at] if 0 <= barcode_at < width else None
            if type(value) is str and value.isascii() and value.isdigit():
                move.barcode = codes.setdefault(value, value)
            else:
                row = _Row(number, cells, self.sheet, errors)
                code = self._barcode(row)
                move.barcode = codes.setdefault(code, code) if code else None
            value = cells[quantity_at] if 0 <= quantity_at < width else None
            if type(value) is float and value.is_integer() and 0 < value <= MAX_QUANTITY:
                move.quantity = int(value)
            elif type(value) is int and 0 < value <= MAX_QUANTITY:
                move.quantity = value
            else:
                row = row or _Row(number, cells, self.sheet, errors)
                move.quantity = self._quantity(row)
            move.op = default_op
            move.source = move.dc = move.notes = move.warehouse = move.direction = None
            if optional:
                row = row or _Row(number, cells, self.sheet, errors)
                self._optional(row, move)
            rows.append(move)
        self.rows_total += len(chunk)
        return rows

    def _quantity(self, row: _Row) -> int | None:
        quantity = row.whole("quantity", "Количество")
        if "quantity" in self.sheet.columns and spreadsheets.is_empty(row.raw("quantity")):
            self.errors.add(row.number, "quantity", "quantity_required", "Укажите количество")
            return None
        if quantity is None:
            return None
        try:
            return check_quantity(quantity)
        except ValidationError as error:
            self.errors.add(row.number, "quantity", "invalid_quantity", error.message)
            return None

    def _optional(self, row: _Row, move: _Move) -> None:
        move.op = self._operation(row, move)
        move.source = row.text("source") or None
        move.dc = row.text("distribution_center") or None
        move.notes = row.text("notes") or None
        move.warehouse = self._named(row, move, "warehouse", _WAREHOUSE_BY_NAME, "склад")
        move.direction = self._named(row, move, "direction", _DIRECTION_BY_NAME, "направление")

    def _operation(self, row: _Row, move: _Move) -> Operation | None:
        text = row.text("operation")
        if not text:
            if self.default_op is None and "operation" in self.sheet.columns:
                self.errors.add(row.number, "operation", "operation_required", "Укажите операцию")
            return self.default_op
        op = self._operations.get(text) if text in self._operations else operation_by_name(text)
        self._operations[text] = op
        if op is None:
            self.errors.add(
                row.number, "operation", "unknown_operation",
                f"Неизвестная операция «{text}»: укажите код (например, RECEIPT) "
                "или название (например, Приёмка)",
            )  # fmt: skip
            return None
        if not importable(op):
            self.errors.add(
                row.number, "operation", "operation_not_importable", _not_importable_message(op)
            )
            return None
        return op

    def _named(
        self, row: _Row, move: _Move, name: str, names: dict[str, str], what: str
    ) -> str | None:
        text = row.text(name)
        if not text:
            return None
        value = names.get(header_key(text)) or names.get(text)
        if value is None:
            self.errors.add(row.number, name, f"invalid_{name}", f"Неизвестный {what}: «{text}»")
            move.bad = True
        return value

    def check(self, store: ImportStore, job: _Job) -> _Plan:
        """Read, check and — when writing — store the rows chunk by chunk: while the
        database takes one chunk of ledger rows (COPY on PostgreSQL), the next is read and
        checked. The first error stops the writing; the transaction then never commits."""
        plan = _Plan()
        self._sources = {header_key(s.name): s for s in store.sources()}
        self._dcs = {header_key(d.name): d for d in store.distribution_centers()}
        self._shapes: dict[tuple[Any, ...], DomainError | tuple[LocationRef, LocationRef]] = {}
        self._by_code: dict[str, ProductRecord] = {}
        self._running: dict[tuple[int, int], list[int]] = {}  # (product, location): [qty, reserved]
        self._stocked: set[int] = set()
        writing = job.import_id is not None
        stage = "write" if writing else "check"
        total = max(self.sheet.size_hint, 1)
        ledger_open = False
        for chunk in _chunks(self.sheet.rows, _CHUNK_ROWS):
            moves = self._parse(chunk)
            self._look_up(store, moves)
            ledger = self._check_chunk(store, plan, moves)
            if writing and not self.errors.count:
                if not ledger_open:
                    store.open_ledger(document=job.document, user_id=job.user_id, at=job.at)
                    ledger_open = True
                store.write_ledger(ledger)
                plan.written += len(ledger)
            elif ledger_open:
                store.abort_ledger()
                ledger_open = False
            job.progress(stage, min(self.rows_total / total, 0.95))
        if ledger_open:
            plan.ledger_span = store.close_ledger()
        return plan

    def _look_up(self, store: ImportStore, moves: list[_Move]) -> None:
        """Products of codes not seen in earlier chunks, and their stock."""
        by_code = self._by_code
        new = {m.barcode for m in moves if m.barcode and m.barcode not in by_code}
        if not new:
            return
        found = _products_by_code(store, new, self._zeros_lost)
        by_code.update(found)
        fresh = {p.id for p in found.values()} - self._stocked
        self._stocked |= fresh
        for key, balance in store.stock(fresh).items():
            self._running[key] = list(balance)

    def _check_chunk(self, store: ImportStore, plan: _Plan, moves: list[_Move]) -> list[LedgerRow]:
        errors = self.errors
        by_code = self._by_code
        shapes = self._shapes
        running = self._running
        net = plan.stock
        ledger: list[LedgerRow] = []
        for move in moves:
            product = by_code.get(move.barcode) if move.barcode else None
            if move.barcode and (product is None or product.is_deleted):
                product = self._product(move.number, move.barcode, by_code)
            source = (
                self._reference(move, move.source, self._sources, "source") if move.source else None
            )
            dc = (
                self._reference(move, move.dc, self._dcs, "distribution_center")
                if move.dc
                else None
            )
            op = move.op
            not_found = (move.source and source is None) or (move.dc and dc is None)
            if op is None or move.bad or not_found:
                continue
            if source is not None and dc is not None and op.needs(Requirement.DISTRIBUTION_CENTER):
                if dc.parent_id != source.id:
                    errors.add(
                        move.number, "distribution_center", "distribution_center_mismatch",
                        f"РЦ «{dc.name}» не относится к источнику «{source.name}»",
                    )  # fmt: skip
                    continue
                source = None  # the DC's own marketplace: redundant, not a contradiction
            notes = move.notes
            # What a row needs depends only on its shape (operation, references, notes or
            # not, warehouse and direction): checked once per shape with core's own rules.
            key = (
                op.code,
                source.id if source else None,
                dc.id if dc else None,
                0 if not notes else (2 if len(notes) > MAX_NOTES else 1),
                move.warehouse,
                move.direction,
            )
            shape = shapes.get(key)
            if shape is None:
                shape = shapes[key] = self._shape(store, op, source, dc, move)
            if isinstance(shape, DomainError):
                errors.domain(move.number, shape)
                continue
            if product is None or move.quantity is None or move.number in errors.rows:
                continue
            src, dst = shape
            quantity = move.quantity
            # Applied in file order to the running balance (unreserved stock only).
            if src.is_internal:
                balance = running.setdefault((product.id, src.id), [0, 0])
                available = balance[0] - balance[1]
                if available < quantity:
                    errors.add(
                        move.number, "quantity", "insufficient_stock",
                        f"{op.shortage_message}: {_product_label(product)} — в наличии "
                        f"{max(available, 0)}, нужно {quantity} (с учётом строк выше)",
                    )  # fmt: skip
                    continue
                balance[0] -= quantity
                net[(product.id, src.id)] = net.get((product.id, src.id), 0) - quantity
            if dst.is_internal:
                running.setdefault((product.id, dst.id), [0, 0])[0] += quantity
                net[(product.id, dst.id)] = net.get((product.id, dst.id), 0) + quantity
            # As core.movements does: a shipment records its DC's marketplace as the source.
            source_id = dc.parent_id if dc else (source.id if source else None)
            ledger.append(
                (op.code, product.id, quantity, src.id, dst.id, source_id,
                 dc.id if dc else None, notes)
            )  # fmt: skip
            plan.planned(
                move.number,
                op.code,
                lambda op=op, product=product, quantity=quantity, move=move: (
                    f"{op.label_ru}: {_product_label(product)} × {quantity}"
                    + (f" → {move.dc}" if move.dc else "")
                    + (f" ← {move.source}" if move.source and not move.dc else "")
                ),
            )
        return ledger

    def _reference(
        self, move: _Move, name: str | None, known: dict[str, Reference], field_name: str
    ) -> Reference | None:
        if not name:
            return None
        found = known.get(header_key(name))
        if found is None or not found.is_active:
            what = "Источник" if field_name == "source" else "РЦ"
            self.errors.add(
                move.number, field_name, f"{field_name}_not_found",
                f"{what} «{name}» не найден или отключён",
            )  # fmt: skip
            return None
        return found

    @staticmethod
    def _shape(
        store: ImportStore,
        op: Operation,
        source: Reference | None,
        dc: Reference | None,
        move: _Move,
    ) -> DomainError | tuple[LocationRef, LocationRef]:
        """core.movements' field rules for a row of this shape, and where it moves stock."""
        request = MovementRequest(
            op.code,
            1,
            source_id=source.id if source else None,
            distribution_center_id=dc.id if dc else None,
            notes=move.notes,
            warehouse=move.warehouse,
            direction=move.direction,
        )
        try:
            check_request(request)
        except DomainError as error:
            return error
        return resolve_locations(store, op, request)

    def write(self, store: ImportStore, plan: _Plan, job: _Job) -> None:
        first, last = plan.ledger_span  # the rows went in while the file was checked
        _apply_stock(store, plan, job)
        self._event(
            store, job,
            {"movements": plan.written, "first_movement_id": first,
             "last_movement_id": last, "operations": dict(plan.counts)},
        )  # fmt: skip


def _apply_stock(store: ImportStore, plan: _Plan, job: _Job) -> None:
    if not store.change_stock({k: v for k, v in plan.stock.items() if v}, job.at):
        # Checked against the stock read in this transaction, so only a concurrent
        # change (PostgreSQL) gets here; the transaction rolls back whole.
        raise InsufficientStock(
            "Остатки изменились, пока шёл импорт: файл не загружен, проверьте его ещё раз"
        )
    job.progress("write", 0.98)


def _write_ledger(store: ImportStore, plan: _Plan, job: _Job) -> None:
    """The plan's ledger rows (opening balances: built whole, written at the end)."""
    if plan.ledger:
        store.open_ledger(document=job.document, user_id=job.user_id, at=job.at)
        for chunk in _chunks(plan.ledger, _CHUNK_ROWS):
            store.write_ledger(chunk)
            plan.written += len(chunk)
            job.progress("write", 0.9 * plan.written / len(plan.ledger))
        plan.ledger_span = store.close_ledger()
    _apply_stock(store, plan, job)


_CHUNK_ROWS = 20_000


def _chunks(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _products_by_code(
    store: ImportStore,
    codes: Collection[str],
    zeros_lost: dict[str, ProductRecord] | None = None,
) -> dict[str, ProductRecord]:
    """Products by barcode and by GTIN; a barcode wins over another product's GTIN.

    `zeros_lost` receives, for a code not found, the product it names once its leading
    zeros are back (a number cell drops them) — for the error message, never a guess."""
    products = store.products(codes)
    found = {p.gtin: p for p in products if p.gtin}
    found.update({p.barcode: p for p in products})
    if zeros_lost is not None:
        padded = {
            "0" * n + code: code
            for code in set(codes) - found.keys()
            for n in (1, 2)
            if len(code) + n in GTIN_LENGTHS
        }
        if padded:
            for code, product in _products_by_code(store, padded).items():
                if code in padded:
                    zeros_lost[padded[code]] = product
    return found


# --- Opening balances ---


class _Balance:
    __slots__ = ("barcode", "defect", "good", "notes", "number")

    def __init__(self, number: int) -> None:
        self.number = number


class _OpeningBalanceImporter(_Importer):
    kind = "opening_balances"
    required = ("barcode",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.rows: list[_Balance] = []
        columns = self.sheet.columns
        if "good" not in columns and "defect" not in columns:
            _missing_column(
                self.errors, self.sheet.header_row, "good",
                " (или «Брак»): укажите остатки, которые надо установить",
            )  # fmt: skip

    def parse_row(self, row: _Row) -> None:
        item = _Balance(row.number)
        item.barcode = self._unique_barcode(row)
        item.good = self._stock(row, "good", "Годный")
        item.defect = self._stock(row, "defect", "Брак")
        item.notes = row.text("notes") or None
        self.rows.append(item)

    def _stock(self, row: _Row, name: str, what: str) -> int | None:
        """None: the file has no such column (that stock stays); an empty cell is zero."""
        if name not in self.sheet.columns:
            return None
        value = row.whole(name, what)
        if value is None:
            return None if row.number in self.errors.rows else 0
        if value < 0 or value > MAX_QUANTITY:
            self.errors.add(
                row.number, name, "invalid_quantity",
                f"{what}: целое число от 0 до {MAX_QUANTITY:,}".replace(",", " "),
            )  # fmt: skip
            return None
        return value

    def check(self, store: ImportStore, job: _Job) -> _Plan:
        progress = _stage(job, "check")
        plan = _Plan()
        codes = {r.barcode for r in self.rows if r.barcode}
        by_code = _products_by_code(store, codes, self._zeros_lost)
        found: list[tuple[_Balance, ProductRecord]] = []
        row_of_product: dict[int, int] = {}
        for item in self.rows:
            product = self._product(item.number, item.barcode, by_code) if item.barcode else None
            if product is None:
                continue
            # One row per product, also when one row names it by barcode and another by
            # GTIN: each row's adjustment is reckoned from the stock before the file.
            first = row_of_product.setdefault(product.id, item.number)
            if first != item.number:
                if item.number in self.errors.rows:  # the same barcode twice: said already
                    continue
                self.errors.add(
                    item.number, "barcode", "duplicate_product",
                    f"Товар «{product.name}» уже есть в строке {first} (по штрихкоду или GTIN)",
                )  # fmt: skip
                continue
            found.append((item, product))
        stock = store.stock({p.id for _, p in found})
        default_notes = f"Начальные остатки из файла «{self.file_name}»"[:MAX_NOTES]
        tick = _fractions(len(found), progress)
        for done, (item, product) in enumerate(found, 1):
            tick(done)
            if item.number in self.errors.rows:
                continue
            legs = self._legs(store, item, product, stock, item.notes or default_notes)
            if legs is None:
                continue
            said = []
            for leg, key, (before, after, what) in legs:
                plan.ledger.append(leg)
                plan.stock[key] = plan.stock.get(key, 0) + after - before
                said.append(f"{what} {before} → {after}")
            plan.planned(
                item.number,
                "set" if legs else "unchanged",
                lambda product=product, said=said: (
                    f"{_product_label(product)}: " + (", ".join(said) if said else "без изменений")
                ),
            )
        return plan

    def _legs(
        self,
        store: ImportStore,
        item: _Balance,
        product: ProductRecord,
        stock: dict[tuple[int, int], tuple[int, int]],
        notes: str,
    ) -> list[tuple[LedgerRow, tuple[int, int], tuple[int, int, str]]] | None:
        """The ADJUSTMENT movements that bring one product to the file's numbers (None
        after an error): (ledger row, quant key, (before, after, what))."""
        adjustment = OPERATIONS["ADJUSTMENT"]
        legs = []
        for warehouse, target, name, what in (
            ("MAIN", item.good, "good", "годный"),
            ("DEFECT", item.defect, "defect", "брак"),
        ):
            if target is None:
                continue  # the file has no such column: that stock stays as it is
            location = store.location(warehouse)
            quantity, reserved = stock.get((product.id, location.id), (0, 0))
            if target == quantity:
                continue
            if target < reserved:
                message = (
                    f"{what.capitalize()}: нельзя установить {target} — {reserved} шт. "
                    "зарезервировано под заказы"
                )
                self.errors.add(item.number, name, "insufficient_stock", message)
                return None
            direction = Direction.GAIN if target > quantity else Direction.LOSS
            request = MovementRequest(
                adjustment.code, abs(target - quantity), notes=notes, warehouse=warehouse,
                direction=direction,
            )  # fmt: skip
            try:
                _, diff, clean_notes = check_request(request)
            except DomainError as error:
                self.errors.domain(item.number, error, name)
                return None
            src, dst = resolve_locations(store, adjustment, request)
            leg = (adjustment.code, product.id, diff, src.id, dst.id, None, None, clean_notes)
            legs.append((leg, (product.id, location.id), (quantity, target, what)))
        return legs

    def write(self, store: ImportStore, plan: _Plan, job: _Job) -> None:
        _write_ledger(store, plan, job)
        first, last = plan.ledger_span
        self._event(
            store, job,
            {"movements": len(plan.ledger), "first_movement_id": first,
             "last_movement_id": last, "products": dict(plan.counts)},
        )  # fmt: skip


# --- Products ---

_PRODUCT_TEXT = {"sku": "Артикул", "name": "Наименование"}
_PRODUCT_WHOLE = {
    "min_stock": "Мин. остаток",
    "weight_g": "Вес",
    "length_mm": "Длина",
    "width_mm": "Ширина",
    "height_mm": "Высота",
}
_PRODUCT_FIELD_LABELS = {
    "sku": "артикул", "name": "наименование", "gtin": "GTIN", "min_stock": "мин. остаток",
    "weight_g": "вес", "length_mm": "длина", "width_mm": "ширина", "height_mm": "высота",
}  # fmt: skip


class _ProductRow:
    __slots__ = ("barcode", "number", "values")

    def __init__(self, number: int) -> None:
        self.number = number


class _ProductImporter(_Importer):
    kind = "products"
    required = ("barcode",)

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.rows: list[_ProductRow] = []

    def parse_row(self, row: _Row) -> None:
        item = _ProductRow(row.number)
        item.barcode = self._unique_barcode(row)
        values: dict[str, Any] = {}  # only the cells the file fills
        for name in _PRODUCT_TEXT:
            if text := row.text(name):
                values[name] = text
        if "gtin" in self.sheet.columns and (gtin := row.code("gtin", "GTIN")):
            values["gtin"] = gtin
        for name, what in _PRODUCT_WHOLE.items():
            if name in self.sheet.columns and (number := row.whole(name, what)) is not None:
                values[name] = number
        item.values = values
        self.rows.append(item)

    def check(self, store: ImportStore, job: _Job) -> _Plan:
        progress = _stage(job, "check")
        plan = _Plan()
        codes = {r.barcode for r in self.rows if r.barcode}
        codes |= {r.values["gtin"] for r in self.rows if "gtin" in r.values}
        known = store.products(codes)
        by_barcode = {p.barcode: p for p in known}
        holder_of = {p.gtin: p for p in known if p.gtin}
        holder_of.update(by_barcode)  # a code names one product, as barcode or as GTIN
        in_file: dict[str, int] = {}  # codes the file gives, -> row
        tick = _fractions(len(self.rows), progress)
        for done, item in enumerate(self.rows, 1):
            tick(done)
            if not item.barcode or item.number in self.errors.rows:
                self._claim(in_file, item)
                continue
            existing = by_barcode.get(item.barcode)
            if existing is not None and existing.is_deleted:
                self.errors.add(
                    item.number, "barcode", "product_deleted",
                    f"Товар «{existing.name}» ({item.barcode}) удалён: восстановите его "
                    "в карточке товара или уберите строку",
                )  # fmt: skip
                continue
            if existing is None:
                data = ProductData(
                    sku=item.values.get("sku", ""),
                    name=item.values.get("name", ""),
                    barcode=item.barcode,
                    **{k: v for k, v in item.values.items() if k not in ("sku", "name")},
                )
            else:
                base = ProductData(**{n: getattr(existing, n) for n in EDITABLE})
                data = replace(base, **item.values)
            try:
                data = clean(data)
            except DomainError as error:
                self.errors.domain(item.number, error)
                continue
            if not self._codes_free(item, data, existing, holder_of, in_file):
                continue
            self._plan(plan, item, data, existing)
        return plan

    def _claim(self, in_file: dict[str, int], item: _ProductRow) -> None:
        for code in (item.barcode, item.values.get("gtin")):
            if code:
                in_file.setdefault(code, item.number)

    def _codes_free(
        self,
        item: _ProductRow,
        data: ProductData,
        existing: ProductRecord | None,
        holder_of: dict[str, ProductRecord],
        in_file: dict[str, int],
    ) -> bool:
        """Neither code may name another product, in the database or elsewhere in the file."""
        ok = True
        for code, name, what in (
            (data.barcode, "barcode", "Штрихкод"),
            (data.gtin, "gtin", "GTIN"),
        ):
            if not code:
                continue
            holder = holder_of.get(code)
            if holder is not None and (existing is None or holder.id != existing.id):
                deleted = " (удалён — его можно восстановить)" if holder.is_deleted else ""
                message = f"{what} {code} уже есть у товара «{holder.name}»{deleted}"
                self.errors.add(item.number, name, f"{name}_taken", message)
                ok = False
                continue
            other_row = in_file.get(code, item.number)
            if other_row != item.number:
                message = f"{what} {code} уже есть в строке {other_row}"
                self.errors.add(item.number, name, f"{name}_taken", message)
                ok = False
        self._claim(in_file, item)
        return ok

    def _plan(
        self, plan: _Plan, item: _ProductRow, data: ProductData, existing: ProductRecord | None
    ) -> None:
        if existing is None:
            plan.new_products.append(data)
            plan.planned(
                item.number, "create", lambda: f"Новый товар: {data.name} ({data.barcode})"
            )
            return
        changed = [n for n in EDITABLE if getattr(existing, n) != getattr(data, n)]
        if not changed:
            plan.planned(
                item.number, "unchanged", lambda: f"{_product_label(existing)}: без изменений"
            )
            return
        plan.changed_products.append((existing.id, data))
        plan.planned(
            item.number,
            "update",
            lambda: (
                f"{_product_label(existing)}: изменится "
                + ", ".join(_PRODUCT_FIELD_LABELS.get(n, n) for n in changed)
            ),
        )

    def write(self, store: ImportStore, plan: _Plan, job: _Job) -> None:
        store.update_products(plan.changed_products, job.at)
        job.progress("write", 0.5)
        store.add_products(plan.new_products, job.at)
        self._event(store, job, {"products": dict(plan.counts)})


_IMPORTERS: dict[str, type[_Importer]] = {
    "products": _ProductImporter,
    "movements": _MovementImporter,
    "opening_balances": _OpeningBalanceImporter,
}


# --- Files for people: the errors workbook and the examples ---


ERRORS_WORKBOOK_ALL_ROWS = 50_000  # a bigger file gets only its rows with errors


def errors_workbook(content: bytes, file_name: str, report: ImportReport) -> bytes:
    """.xlsx: the file's rows as read (header included) with «Строка» (the row number in
    the file) and «Ошибка» columns in front; rows with errors are highlighted. A file of
    more than ERRORS_WORKBOOK_ALL_ROWS rows gets only the rows with errors."""
    by_row: dict[int, list[str]] = {}
    for error in report.errors:
        by_row.setdefault(error.row, []).append(_error_note(error))
    limits = spreadsheets.Limits(len(content) + 1, 10**9, 10**12)  # it was read before
    rows = spreadsheets.raw_rows(content, limits)
    header_row, header = next(rows)
    shown = report.error_count > len(report.errors)
    note = f"Ошибки в файле «{file_name}»: {report.error_count}" + (
        f" (в файле отмечены первые {len(report.errors)})" if shown else ""
    )
    only_errors = report.rows_total > ERRORS_WORKBOOK_ALL_ROWS
    if only_errors:
        note += ". Показаны только строки с ошибками"
    if header_row in by_row:
        note += ". " + "; ".join(by_row[header_row])

    def lines() -> Iterator[list[Cell]]:
        for number, cells in rows:
            problems = by_row.get(number)
            if problems or not only_errors:
                yield [number, "; ".join(problems or []), *cells]

    return spreadsheets.write_rows_workbook(
        "Ошибки",
        ["Строка", "Ошибка", *[str(h) for h in header]],
        lines(),
        widths=[8, 60, *[max(12, min(len(str(h)) + 4, 40)) for h in header]],
        note=note,
        highlight_column=1,
    )


# What messages call a field when they name it first ("Количество: ожидается целое …"):
# the errors workbook puts the file's own header there instead of naming it twice.
_FIELD_LABELS = {
    header_key(label)
    for label in (
        *(name for names in IMPORT_COLUMNS.values() for name in names),
        *_PRODUCT_TEXT.values(), *_PRODUCT_WHOLE.values(), *_PRODUCT_FIELD_LABELS.values(),
        "Штрихкод", "GTIN", "Количество", "Годный", "Брак",
    )
}  # fmt: skip


def _error_note(error: RowError) -> str:
    """«Кол-во: ожидается целое число…», not «Кол-во: Количество: ожидается…»."""
    if not error.column:
        return error.message
    label, colon, rest = error.message.partition(": ")
    if colon and header_key(label) in _FIELD_LABELS:
        return f"{error.column}: {rest}"
    return f"{error.column}: {error.message}"


def _example_barcode(body: str) -> str:
    for digit in "0123456789":
        try:
            return check_code(body + digit, "barcode", "Штрихкод")
        except ValidationError:
            continue
    raise AssertionError("a check digit always exists")


def example_file(kind: str) -> tuple[str, bytes]:
    """(file name, .xlsx) of a filled-in sample for `kind`: a title line, the header and
    two rows. Header names come from core.operations.IMPORT_COLUMNS."""
    if kind not in IMPORT_KINDS:
        raise ValidationError("invalid_kind", "Неизвестный тип импорта", field="kind")
    one, two = _example_barcode("460123456789"), _example_barcode("046012345678")
    samples: dict[str, list[list[Cell]]] = {
        "products": [
            [one, "ART-001", "Чайник электрический 1,7 л", None, 5, 1200, 250, 180, 240],
            [two, "ART-002", "Кружка керамическая 350 мл", None, 20, 300, 120, 90, 100],
        ],
        "movements": [
            [one, 10, OPERATIONS["RECEIPT"].label_ru, None, None, "Поставка №15", None, None],
            [two, 4, OPERATIONS["SHIPMENT_RC"].label_ru, None, "WB Коледино", None, None, None],
        ],
        "opening_balances": [
            [one, "Чайник электрический 1,7 л", 25, 1, "Пересчёт на 1 число"],
            [two, "Кружка керамическая 350 мл", 140, 0, None],
        ],
    }
    columns = KIND_COLUMNS[kind]
    header = [_column_title(name) for name in columns]
    ru = KIND_LABELS[kind][0]
    notes = {
        "products": "Новые товары создаются, существующие (по штрихкоду) обновляются; "
        "пустая ячейка не меняет значение.",
        "movements": "Операция — код или название (Приёмка, Отгрузка на РЦ, …); источник и "
        "РЦ — названия из справочников. Для инвентаризации заполните «Склад», "
        "«Направление» и комментарий.",
        "opening_balances": "Остатки годного и брака станут такими, как в файле "
        "(разница проводится инвентаризацией); пустая ячейка — ноль.",
    }
    content = spreadsheets.write_rows_workbook(
        ru,
        header,
        iter(samples[kind]),
        note=f"Образец файла импорта «{ru}». {notes[kind]}",
    )
    return f"example-{kind}.xlsx", content
