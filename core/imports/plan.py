"""What an import reports and plans: the report, its rows' errors and changes, the plan."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from core.catalog.ports import ProductData
from core.errors import DomainError
from core.settings import Settings

IMPORT_KINDS = ("products", "movements", "opening_balances", "orders")
KIND_LABELS: dict[str, tuple[str, str]] = {
    "products": ("Товары", "Products"),
    "movements": ("Операции", "Movements"),
    "opening_balances": ("Начальные остатки", "Opening balances"),
    "orders": ("Заказы", "Orders"),
}
# The columns each kind reads, in the order example files write them.
KIND_COLUMNS: dict[str, tuple[str, ...]] = {
    "products": (
        "barcode", "sku", "name", "gtin", "min_stock", "weight_g", "length_mm", "width_mm",
        "height_mm", "requires_marking",
    ),
    "movements": (
        "barcode", "quantity", "operation", "source", "distribution_center", "notes",
        "warehouse", "direction",
    ),
    "opening_balances": ("barcode", "name", "good", "defect", "notes"),
    "orders": ("order", "barcode", "quantity", "source", "distribution_center"),
}  # fmt: skip
MAX_PREVIEW = 1000  # planned changes kept for the preview; `counts` has the totals
MAX_REPORTED_ERRORS = 10_000  # errors listed; `error_count` has them all


Progress = Callable[[str, float], None]
Waiting = Callable[[int], None]  # imports ahead of this one (running or queued)


LedgerRow = tuple[str, int, int, int, int, int | None, int | None, str | None]
# operation_type, product_id, quantity, from_location_id, to_location_id, source_id,
# distribution_center_id, notes


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
    # opening_balances: set | unchanged; orders: order_create | order_exists (the row is
    # the order's first)
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
    # orders: the format the headers were recognised as (core.imports.order_formats)
    file_format: str | None = None


class FileRejected(DomainError):
    """The whole file cannot be read. `.code`: file_too_large (HTTP 413), not_a_spreadsheet,
    no_header, too_many_rows, too_many_columns, archive_too_large (HTTP 422)."""

    kind = "invalid"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message, field="file")

    @property
    def status(self) -> int:
        return 413 if self.code == "file_too_large" else 422


@dataclass(frozen=True)
class Job:
    import_id: int | None  # None: a dry run, nothing is written
    user_id: int | None
    at: datetime
    progress: Progress

    @property
    def document(self) -> str:
        return f"import:{self.import_id}"


@dataclass
class Plan:
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


def too_large_message(limit: int) -> str:
    size = f"{limit / 2**20:.3g} МБ" if limit >= 2**20 else f"{max(limit // 1024, 1)} КБ"
    return f"Файл больше {size.replace('.', ',')}: разделите его на части"


def file_too_large(settings: Settings) -> FileRejected:
    """The error of an upload over `settings.import_max_bytes` (HTTP 413)."""
    return FileRejected("file_too_large", too_large_message(settings.import_max_bytes))
