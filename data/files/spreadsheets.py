"""Reading import files (.xlsx, .xls, .csv) into core's `Sheet` (core.imports.sheet).

A file is read into a `Sheet`: the header row (found below any title block) with the
columns it names, and the data rows with the row numbers the spreadsheet shows. Cells are
given as read — text, float, int, bool, date; core turns them into values.

Hostile files are refused before the parser sees them: the size, the declared and the
actual unpacked size of an .xlsx (a zip), and the row count of its sheet.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from xml.etree import ElementTree

import python_calamine

from core.imports import FileRejected, too_large_message
from core.imports import Progress as StageProgress
from core.imports.order_formats import ORDER_COLUMNS, ORDER_ITEM_FIELDS
from core.imports.sheet import Cell, Column, Sheet, cell_text, is_empty
from core.settings import Settings
from core.stock.operations import IMPORT_COLUMNS, header_key

Progress = Callable[[float], None]

HEADER_SCAN_ROWS = 50  # the header must be within the first rows (a title block above it)
MAX_COLUMNS = 200  # an import file has a dozen columns; a sheet far wider is not one
# calamine holds a sheet as a full grid, from A1 to the last used row and column, at about
# 33 bytes a cell: a grid is allowed this many cells per permitted row (20 M cells, some
# 650 MB, for the default million rows), so a few cells far apart cannot ask for gigabytes.
GRID_CELLS_PER_ROW = 20
# An .xlsx part that expands more than this many times over is a zip bomb, not a sheet
# (a real worksheet compresses 5–20 times).
MAX_ZIP_RATIO = 200
_ZIP_RATIO_FROM = 10 * 1024 * 1024  # small parts compress as they like
_CHUNK = 1024 * 1024


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


# --- Reading ---


def read_sheet(
    content: bytes,
    file_name: str,
    limits: Limits,
    progress: Progress | None = None,
    headers: Headers = STOCK_HEADERS,
) -> Sheet:
    """The file's header and data rows. Raises SpreadsheetError when it cannot be read."""
    if len(content) > limits.max_bytes:
        raise SpreadsheetError("file_too_large", too_large_message(limits.max_bytes))
    if not content.strip():
        raise SpreadsheetError("not_a_spreadsheet", "Файл пустой")
    if content.startswith(b"PK\x03\x04"):
        _check_zip(content, limits)
        return _read_workbook(content, "xlsx", limits, progress, headers)
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .xls (or encrypted)
        return _read_workbook(content, "xls", limits, progress, headers)
    return _read_csv(content, file_name, limits, progress, headers)


_NOT_A_SPREADSHEET = (
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


def _split_header(
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


def _data_rows(
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
            raise SpreadsheetError("too_many_rows", _too_many_rows(max_rows))
        if progress is not None and count % step == 0 and total:
            progress(min(count / total, 1.0))
        yield number, cells


def _too_many_rows(max_rows: int) -> str:
    return f"В файле больше {max_rows:,} строк: разделите его на части".replace(",", " ")


def _read_workbook(
    content: bytes, kind: str, limits: Limits, progress: Progress | None, headers: Headers
) -> Sheet:
    try:
        workbook = python_calamine.CalamineWorkbook.from_object(io.BytesIO(content))
        index = _first_worksheet(workbook)
        sheet = workbook.get_sheet_by_index(index)
    except python_calamine.PasswordError:
        raise SpreadsheetError(
            "not_a_spreadsheet", "Файл защищён паролем: снимите защиту и загрузите снова"
        ) from None
    except Exception:  # calamine's errors (zip, XML, OLE) and panics alike: not a sheet
        raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET) from None
    # iter_rows starts at the sheet's first row, so position + 1 is the row number shown.
    numbered = ((i + 1, row) for i, row in enumerate(_rows_of(sheet)))
    number, cells, columns = _split_header(numbered, headers)
    total = max((sheet.end or (0, 0))[0] + 1 - number, 0)
    _check_row_count(total, limits)
    return Sheet(
        header_row=number,
        header=[cell_text(v) for v in cells],
        columns=columns,
        rows=_data_rows(numbered, limits.max_rows, total, progress),
        size_hint=total,
        kind=kind,
        ignored=_ignored(cells, columns),
    )


def _rows_of(sheet: Any) -> Iterator[list[Cell]]:
    try:
        yield from sheet.iter_rows()
    except Exception:
        raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET) from None


def _first_worksheet(workbook: Any) -> int:
    """The first visible worksheet (not a chart or a hidden sheet)."""
    for index, meta in enumerate(workbook.sheets_metadata):
        visible = meta.visible == python_calamine.SheetVisibleEnum.Visible
        if meta.typ == python_calamine.SheetTypeEnum.WorkSheet and visible:
            return index
    raise SpreadsheetError("not_a_spreadsheet", "В файле нет ни одного листа с таблицей")


def _ignored(cells: Sequence[Cell], columns: dict[str, Column]) -> list[str]:
    used = {c.index for c in columns.values()}
    return [cell_text(v) for i, v in enumerate(cells) if i not in used and not is_empty(v)]


# --- .xlsx guard: a zip whose parts must not expand beyond reason ---


def _check_zip(content: bytes, limits: Limits) -> None:
    """Refuse a zip bomb before the parser unpacks it.

    The declared sizes are checked first; then every part is unpacked here, in chunks
    and bounded by its declared size (zipfile stops there and checks the CRC), so a part
    that lies about its size is caught too. The first sheet's rows and widest column
    are counted on the way, so a sheet too big to hold in memory is refused as well.
    Every worksheet is measured, not only the one that will be read."""
    archive_too_large = SpreadsheetError(
        "archive_too_large",
        "Файл распаковывается в слишком большой объём: это не похоже на обычную таблицу",
    )
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET) from None
    declared = sum(p.file_size for p in parts)
    if declared > limits.max_unpacked_bytes:
        raise archive_too_large
    for part in parts:
        if part.file_size > _ZIP_RATIO_FROM and part.file_size > MAX_ZIP_RATIO * max(
            part.compress_size, 1
        ):
            raise archive_too_large
    sheet_parts = _sheet_parts(archive)
    try:
        for part in parts:
            if part.is_dir():
                continue
            if part.filename in sheet_parts:
                _check_grid(_scan_sheet(archive, part), limits)
            else:
                with archive.open(part) as stream:
                    while stream.read(_CHUNK):
                        pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError):
        # a bad CRC (a part larger than it claims), an unsupported compression, truncation
        raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET) from None


def _check_row_count(rows: int, limits: Limits) -> None:
    if rows > 2 * limits.max_rows + 1000:  # even allowing for formatted blank rows
        raise SpreadsheetError("too_many_rows", _too_many_rows(limits.max_rows))


def _check_grid(scan: "_SheetScan", limits: Limits) -> None:
    # Rows that hold a value, counted exactly: the title block and the header may come on
    # top of the permitted data rows, nothing more (the reader counts data rows again).
    if scan.value_rows > limits.max_rows + HEADER_SCAN_ROWS:
        raise SpreadsheetError("too_many_rows", _too_many_rows(limits.max_rows))
    rows, width = scan.rows, scan.width
    _check_row_count(rows, limits)  # the grid's height: blank formatted rows cost memory too
    if width > MAX_COLUMNS:
        raise SpreadsheetError(
            "too_many_columns",
            f"В таблице больше {MAX_COLUMNS} столбцов: это не похоже на файл импорта",
        )
    if rows * width > GRID_CELLS_PER_ROW * max(limits.max_rows, 1000):
        raise SpreadsheetError(
            "sheet_too_large",
            f"Таблица занимает {rows:,} строк × {width} столбцов (до последней заполненной "
            "ячейки): удалите лишние ячейки справа и снизу или разделите файл на части"
            .replace(",", " "),
        )  # fmt: skip


# A cell's or a row's own position: r="AB12" or r="12". Found with C-level reductions
# (max, set, count): a million-row sheet is scanned in about 2 s.
_CELL_ROW = re.compile(rb' r="[A-Z]{1,3}([0-9]{1,7})"')
_CELL_COLUMN = re.compile(rb' r="([A-Z]{1,3})[0-9]')
# The namespace prefix some writers give every tag (<x:row>): the patterns below use it.
_PREFIX = re.compile(rb"<(?:([A-Za-z_][\w.-]*):)?(?:worksheet|sheetData)\b")
_CARRY_LIMIT = 16 * _CHUNK  # a "row" longer than this is measured in parts
_OVERLAP = 256


class _SheetScan:
    """Measures a worksheet's XML, fed in whole rows."""

    def __init__(self, head: bytes) -> None:
        found = _PREFIX.search(head)
        prefix = found.group(1) + b":" if found and found.group(1) else b""
        self.row_tag = b"<" + prefix + b"row"
        tag, cell = re.escape(self.row_tag), re.escape(b"<" + prefix + b"c")
        self._row_ref = re.compile(tag + rb' [^>]*?r="([0-9]{1,7})"')
        # A row without a value: <row …/>, or a row of value-less cells <c …/> (styled
        # blanks). Any other row is counted as holding a value: never fewer than there are.
        self._blank_row = re.compile(
            tag + rb"\b[^>]*(?:/>|>(?:\s*" + cell + rb"\b[^>]*/>)*\s*</" + re.escape(prefix)
            + rb"row>)"
        )  # fmt: skip
        self.last_row = 0  # the highest row number cells and rows give
        self.tags = 0  # row tags (for rows that give no number)
        self.width = 1  # the widest column
        self.value_rows = 0  # rows holding at least one value

    @property
    def rows(self) -> int:
        """The grid's height: from row 1 to the last row."""
        return max(self.tags, self.last_row)

    def add(self, part: bytes) -> None:
        """Measure whole rows (and whatever precedes the first one)."""
        numbers = _CELL_ROW.findall(part) + self._row_ref.findall(part)
        self.last_row = max(self.last_row, max(map(int, numbers), default=0))
        columns = set(_CELL_COLUMN.findall(part))
        self.width = max(self.width, max(map(_column_number, columns), default=0))
        tags = part.count(self.row_tag + b" ") + part.count(self.row_tag + b">")
        self.tags += tags
        self.value_rows += max(tags - len(self._blank_row.findall(part)), 0)

    def last_row_start(self, window: bytes) -> int:
        """Where the last row tag in `window` starts; -1: none."""
        return max(window.rfind(self.row_tag + b" "), window.rfind(self.row_tag + b">"))


def _scan_sheet(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> _SheetScan:
    """The grid a worksheet part spans (from A1 to its last row and widest column, by the
    positions cells and rows give, or by counting row tags) and its rows with values,
    read in chunks. A chunk is measured up to its last row tag; that row waits for the
    next chunk, so no row is cut in two."""
    scan: _SheetScan | None = None
    carry = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_CHUNK):
            window = carry + chunk
            scan = scan or _SheetScan(window[:4096])
            last = scan.last_row_start(window)
            if last > 0:
                scan.add(window[:last])
                carry = window[last:]
            elif len(window) > _CARRY_LIMIT:  # one giant "row": measured in parts
                scan.add(window)
                carry = window[-_OVERLAP:]  # a cell reference cut here is found again
            else:
                carry = window
    scan = scan or _SheetScan(carry)
    scan.add(carry)
    return scan


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _sheet_parts(archive: zipfile.ZipFile) -> set[str]:
    """The zip paths of the workbook's worksheets (workbook.xml's relationships), and
    whatever lies under xl/worksheets/."""
    parts = {name for name in archive.namelist() if name.startswith("xl/worksheets/")}
    try:
        with archive.open("xl/_rels/workbook.xml.rels") as stream:
            if archive.getinfo("xl/_rels/workbook.xml.rels").file_size > 10 * 1024 * 1024:
                return parts
            rels = ElementTree.parse(stream).getroot()
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError):
        return parts
    for rel in rels.iter(_RELS):
        target = rel.get("Target", "")
        if rel.get("Type", "").endswith("/worksheet") and target:
            parts.add(target.lstrip("/") if target.startswith("/") else f"xl/{target}")
    return parts


# --- .csv ---


def _decode(content: bytes) -> tuple[str, str]:
    if b"\x00" in content:  # binary, UTF-16, or a damaged file (no cell may hold a NUL)
        raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET)
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET) from None
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1251"), "cp1251"
    except UnicodeDecodeError:
        raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET) from None


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[Cell]]]:
    """Rows with the line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for row in reader:
            yield line + 1, list(row)
            line = reader.line_num
    except csv.Error:
        raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET) from None


def _read_csv(
    content: bytes, file_name: str, limits: Limits, progress: Progress | None, headers: Headers
) -> Sheet:
    text, encoding = _decode(content)
    best: tuple[int, str] | None = None
    for delimiter in (";", ",", "\t"):
        try:
            found = _split_header(_csv_rows(text, delimiter), headers)
        except SpreadsheetError:
            continue
        if best is None or len(found[2]) > best[0]:
            best = (len(found[2]), delimiter)
    if best is None:
        if not _looks_like_text(text):
            raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET)
        raise headers.no_header()
    delimiter = best[1]
    numbered = _csv_rows(text, delimiter)
    number, cells, columns = _split_header(numbered, headers)
    total = max(text.count("\n") + 1 - number, 0)
    return Sheet(
        header_row=number,
        header=[cell_text(v) for v in cells],
        columns=columns,
        rows=_data_rows(numbered, limits.max_rows, total, progress),
        size_hint=total,
        kind="csv",
        delimiter=delimiter,
        encoding=encoding,
        ignored=_ignored(cells, columns),
    )


def _looks_like_text(text: str) -> bool:
    sample = text[:4096]
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in sample)
    return printable >= 0.95 * len(sample)


def raw_rows(
    content: bytes, limits: Limits, headers: Headers = STOCK_HEADERS
) -> Iterator[tuple[int, list[Cell]]]:
    """Every row of the file from its header down, as read (for the errors workbook)."""
    sheet = read_sheet(content, "", limits, headers=headers)
    yield sheet.header_row, list(sheet.header)
    yield from sheet.rows


def limits_of(settings: Settings) -> Limits:
    return Limits(
        max_bytes=settings.import_max_bytes,
        max_rows=settings.import_max_rows,
        max_unpacked_bytes=settings.import_max_unpacked_bytes,
    )


def read_file(
    content: bytes,
    file_name: str,
    settings: Settings,
    progress: StageProgress | None = None,
    headers: Headers = STOCK_HEADERS,
) -> Sheet:
    """The file's sheet, or FileRejected with a Russian message (also while its rows are
    read: a row limit is found there). With `settings` bound, core's SheetReader."""
    try:
        sheet = read_sheet(
            content,
            file_name,
            limits_of(settings),
            (lambda f: progress("parse", f)) if progress else None,
            headers,
        )
    except SpreadsheetError as error:
        raise FileRejected(error.code, error.message) from None
    sheet.rows = _rejecting(sheet.rows)
    return sheet


def _rejecting(rows: Iterator[tuple[int, list[Cell]]]) -> Iterator[tuple[int, list[Cell]]]:
    try:
        yield from rows
    except SpreadsheetError as error:
        raise FileRejected(error.code, error.message) from None
