"""Errors collected over the whole file, and one data row's cells read by field."""

from core.errors import DomainError
from core.imports.plan import MAX_REPORTED_ERRORS, RowError
from core.imports.sheet import Cell, CellError, Sheet, cell_code, cell_text, cell_whole
from core.stock.operations import IMPORT_COLUMNS

# --- Errors, collected over the whole file ---

# core.stock.requests names request fields; a file names columns.
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


class Errors:
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


def column_title(field_name: str) -> str:
    return IMPORT_COLUMNS[field_name][0]


def missing_column(errors: Errors, header_row: int, field_name: str, why: str = "") -> None:
    names = " / ".join(f"«{n}»" for n in IMPORT_COLUMNS[field_name][:3])
    errors.add(header_row, None, "missing_column", f"В файле нет столбца {names}{why}")


# --- Cells into values ---

YES = frozenset({"да", "д", "1", "true", "yes", "y", "+", "истина"})
NO = frozenset({"нет", "н", "0", "false", "no", "n", "-", "−", "ложь"})


class Row:
    """Cells of one data row, read by field."""

    __slots__ = ("cells", "columns", "errors", "number")

    def __init__(self, number: int, cells: list[Cell], sheet: Sheet, errors: Errors) -> None:
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
        return cell_text(self.raw(name))

    def code(self, name: str, what: str) -> str | None:
        try:
            return cell_code(self.raw(name)) or None
        except CellError as error:
            self.errors.add(self.number, name, f"invalid_{name}", f"{what}: {error.message}")
            return None

    def yes_no(self, name: str, what: str) -> bool | None:
        """«да»/«нет», 1/0, true/false, +/− (an empty cell: None, the value stays)."""
        text = cell_text(self.raw(name)).lower()
        if not text:
            return None
        if text in YES:
            return True
        if text in NO:
            return False
        self.errors.add(self.number, name, f"invalid_{name}", f"{what}: «да» или «нет»")
        return None

    def whole(self, name: str, what: str) -> int | None:
        try:
            return cell_whole(self.raw(name))
        except CellError as error:
            code = (
                "invalid_quantity" if name in ("quantity", "good", "defect") else f"invalid_{name}"
            )
            self.errors.add(self.number, name, code, f"{what}: {error.message}")
            return None
