"""Bins from an Excel list (code, name, zone, route order, warehouse), as the other imports
do it: every row is checked first and every problem reported with its row, column and a
Russian message; a file with any error creates nothing, a clean one every bin in one
transaction. The file itself is read by data.files.spreadsheets (BIN_COLUMNS are its
header names); a row without a route number follows the one above it.
"""

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

from core.errors import DomainError, ValidationError
from core.floor.locations import (
    MAX_ROUTE,
    ROUTE_STEP,
    LocationData,
    LocationKind,
    LocationStore,
    check_code,
    check_name,
    check_route,
    check_zone,
    codes_taken,
    next_route,
)
from core.imports.plan import MAX_REPORTED_ERRORS, RowError
from core.imports.sheet import Cell, CellError, Sheet, cell_text, cell_whole
from core.stock.operations import WAREHOUSE_NAMES, WAREHOUSES, header_key

MAX_ROWS = 20_000
# Header names, first the one the example file writes; compared case-, space- and
# «ё»-insensitively (core.stock.operations.header_key), like every import's.
BIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("Код", "Код ячейки", "Код места", "Ячейка", "Адрес", "Code", "Bin"),
    "name": ("Наименование", "Название", "Name"),
    "zone": ("Зона", "Zone"),
    "route": ("Порядок обхода", "Маршрут", "Очерёдность", "Route order", "Route"),
    "warehouse": ("Склад", "Warehouse"),
}
REQUIRED_COLUMN = "code"
T = TypeVar("T")
_WAREHOUSE_BY_NAME = {
    header_key(name): code for code in WAREHOUSES for name in (code, *WAREHOUSE_NAMES.get(code, ()))
}


@dataclass
class BinFileReport:
    rows_total: int = 0
    bins: list[LocationData] = field(default_factory=list)  # the clean rows, in file order
    errors: list[RowError] = field(default_factory=list)  # at most MAX_REPORTED_ERRORS
    error_count: int = 0
    applied: bool = False

    def add_error(self, row: int, column: str | None, code: str, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, code, message))


def check_bin_file(store: LocationStore, sheet: Sheet) -> BinFileReport:
    """Every row read and checked; nothing written."""
    report = BinFileReport()
    headers = {name: column.header for name, column in sheet.columns.items()}
    seen: dict[str, int] = {}  # code -> the row that has it first
    rows: list[tuple[int, LocationData, bool]] = []  # number, bin, route given
    for number, cells in sheet.rows:
        report.rows_total += 1
        if report.rows_total > MAX_ROWS:
            report.add_error(number, None, "too_many_rows",
                             f"В файле больше {MAX_ROWS:,} строк: разделите его на части"
                             .replace(",", " "))  # fmt: skip
            break
        item = _read_row(number, cells, sheet, headers, report)
        if item is None:
            continue
        data, route_given = item
        if data.code in seen:
            report.add_error(number, headers.get("code"), "duplicate_code",
                             f"Код {data.code} уже есть в строке {seen[data.code]}")  # fmt: skip
            continue
        seen[data.code] = number
        rows.append((number, data, route_given))
    taken = set(store.taken_codes(list(seen))) if seen else set()
    for number, data, _ in rows:
        if data.code in taken:
            report.add_error(number, headers.get("code"), "location_code_taken",
                             f"Место с кодом {data.code} уже есть на складе")  # fmt: skip
    if report.error_count:
        report.errors.sort(key=lambda error: error.row)  # as the file reads, top down
        return report
    report.bins = _numbered(store, rows)
    if any(b.route_sequence is not None and b.route_sequence > MAX_ROUTE for b in report.bins):
        report.add_error(sheet.header_row, headers.get("route"), "invalid_route_sequence",
                         "Порядок обхода уходит за предел: задайте номера в файле")  # fmt: skip
        report.bins = []
    return report


def _read_row(
    number: int, cells: list[Cell], sheet: Sheet, headers: dict[str, str], report: BinFileReport
) -> tuple[LocationData, bool] | None:
    """The row's bin and whether it gives its route number; None when it has errors (each
    reported)."""
    errors_before = report.error_count

    def raw(name: str) -> Cell:
        column = sheet.columns.get(name)
        return None if column is None or column.index >= len(cells) else cells[column.index]

    def checked(name: str, check: Callable[[], T]) -> T | None:
        try:
            return check()
        except (DomainError, CellError) as error:
            code = error.code if isinstance(error, DomainError) else f"invalid_{name}"
            report.add_error(number, headers.get(name), code, error.message)
            return None

    code = checked("code", lambda: check_code(cell_text(raw("code"))))
    zone = checked("zone", lambda: check_zone(cell_text(raw("zone"))))
    name = checked("name", lambda: check_name(cell_text(raw("name")), code or ""))
    route = checked("route", lambda: _route(raw("route")))
    warehouse = checked("warehouse", lambda: _warehouse(cell_text(raw("warehouse"))))
    if report.error_count > errors_before or code is None or name is None or warehouse is None:
        return None
    data = LocationData(code, name, LocationKind.BIN, warehouse, zone, route)
    return data, route is not None


def _route(value: Cell) -> int | None:
    number = cell_whole(value)
    return None if number is None else check_route(number)


def _warehouse(text: str) -> str:
    if not text:
        return "MAIN"
    code = _WAREHOUSE_BY_NAME.get(header_key(text))
    if code is None:
        raise ValidationError("invalid_warehouse", f"Склад «{text}»: Годный (MAIN) или Брак "
                              "(DEFECT)")  # fmt: skip
    return code


def _numbered(
    store: LocationStore, rows: list[tuple[int, LocationData, bool]]
) -> list[LocationData]:
    """Rows without a route number follow the row above them (ROUTE_STEP further on); the
    first of them, the end of its warehouse's route."""
    ends: dict[str, int] = {}
    numbered: list[LocationData] = []
    previous: int | None = None
    for _, data, given in rows:
        if given:
            previous = data.route_sequence
        else:
            if previous is None:
                if data.warehouse not in ends:
                    ends[data.warehouse] = store.route_end(data.warehouse)
                previous = next_route(ends[data.warehouse]) - ROUTE_STEP
            previous += ROUTE_STEP
            data = replace(data, route_sequence=previous)
        numbered.append(data)
    return numbered


def import_bins(store: LocationStore, sheet: Sheet, *, apply: bool) -> BinFileReport:
    """Check the file; with `apply` and no errors, create every bin in one transaction.
    A code taken between the check and the write refuses the whole file (Conflict)."""
    report = check_bin_file(store, sheet)
    if apply and not report.error_count and report.bins:
        taken = store.taken_codes([b.code for b in report.bins])
        if taken:
            raise codes_taken(sorted(taken))
        store.insert_many(report.bins)
        report.applied = True
    return report
