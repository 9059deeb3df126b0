"""What every import file format's reader shares: the headers a kind of file may
have, the limits, the whole-file error, finding the header row below any title block and
yielding the data rows with the row numbers the spreadsheet shows."""

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from core.imports.order_formats import ORDER_COLUMNS, ORDER_ITEM_FIELDS
from core.imports.sheet import Cell, Column, cell_text, is_empty
from core.stock.operations import IMPORT_COLUMNS, header_key

Progress = Callable[[float], None]
HEADER_SCAN_ROWS = 50  # the header must be within the first rows (a title block above it)
MAX_COLUMNS = 200  # an import file has a dozen columns; a sheet far wider is not one


@dataclass(frozen=True)
class Headers:
    """The columns a kind of file has: header names per field (core's tables), and the
    field a header row must name (with at least one more) to be taken for the header;
    a tuple: any one of those fields."""

    names: Mapping[str, Sequence[str]]
    required: str | tuple[str, ...]
    example: str = ""  # other columns the message suggests

    @cached_property
    def field_by_header(self) -> dict[str, str]:
        return {header_key(n): field for field, names in self.names.items() for n in names}

    @property
    def required_fields(self) -> tuple[str, ...]:
        return (self.required,) if isinstance(self.required, str) else self.required

    def no_header(self) -> "SpreadsheetError":
        names = ", ".join(f"«{n}»" for field in self.required_fields for n in self.names[field][:3])
        return SpreadsheetError(
            "no_header",
            f"Не найдена строка заголовков: нужен столбец {names} и хотя бы ещё один "
            f"столбец из образца{self.example}",
        )


# Products, movements and opening balances (DESIGN.md §5).
STOCK_HEADERS = Headers(IMPORT_COLUMNS, "barcode", " (например, «Количество» или «Наименование»)")
# Orders: the marketplaces' exports and our template (core.imports.order_formats).
ORDER_HEADERS = Headers(ORDER_COLUMNS, ORDER_ITEM_FIELDS, " (например, «Количество»)")


def headers_of(kind: str) -> Headers:
    """The columns a kind of import file is read with."""
    return ORDER_HEADERS if kind == "orders" else STOCK_HEADERS


class SpreadsheetError(Exception):
    """The whole file cannot be read; `code` as in core.imports.FileRejected."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_unpacked_bytes: int


NOT_A_SPREADSHEET = (
    "Файл не похож на таблицу: загрузите .xlsx, .xls или .csv "
    "(текст в UTF-8 или Windows-1251, разделитель «;» или «,»)"
)


def _header_fields(cells: Sequence[Cell], headers: Headers) -> dict[str, Column]:
    found: dict[str, Column] = {}
    for index, value in enumerate(cells[:MAX_COLUMNS]):
        if not isinstance(value, str) or not value.strip():
            continue
        name = headers.field_by_header.get(header_key(value))
        if name is not None and name not in found:  # the first column of a field wins
            found[name] = Column(name, index, value.strip())
    return found


def split_header(
    numbered: Iterator[tuple[int, list[Cell]]], headers: Headers
) -> tuple[int, list[Cell], dict[str, Column]]:
    """Consume rows up to and including the header; (row number, cells, columns)."""
    for seen, (number, cells) in enumerate(numbered):
        if seen >= HEADER_SCAN_ROWS:
            break
        found = _header_fields(cells, headers)
        if any(f in found for f in headers.required_fields) and len(found) >= 2:
            return number, cells, found
    raise headers.no_header()


def data_rows(
    numbered: Iterator[tuple[int, list[Cell]]],
    max_rows: int,
    total: int,
    progress: Progress | None,
) -> Iterator[tuple[int, list[Cell]]]:
    count = 0
    step = max(total // 50, 1000)
    for number, cells in numbered:
        if all(is_empty(v) for v in cells):
            continue  # blank or only formatted: trailing rows of a sheet are often like that
        count += 1
        if count > max_rows:
            raise SpreadsheetError("too_many_rows", too_many_rows(max_rows))
        if progress is not None and count % step == 0 and total:
            progress(min(count / total, 1.0))
        yield number, cells


def too_many_rows(max_rows: int) -> str:
    return f"В файле больше {max_rows:,} строк: разделите его на части".replace(",", " ")


def ignored_cells(cells: Sequence[Cell], columns: dict[str, Column]) -> list[str]:
    used = {c.index for c in columns.values()}
    return [cell_text(v) for i, v in enumerate(cells) if i not in used and not is_empty(v)]
