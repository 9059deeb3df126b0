"""Reading import files (.xlsx, .xls, .csv) and writing small workbooks (examples, errors).

A file is read into a `Sheet`: the header row (found below any title block) with the
columns it names, and the data rows with the row numbers the spreadsheet shows. Cells are
given as read — text, float, int, bool, date — and turned into values by `cell_text`,
`cell_code` and `cell_whole`, which never guess: a barcode that lost digits is an error.

Hostile files are refused before the parser sees them: the size, the declared and the
actual unpacked size of an .xlsx (a zip), and the row count of its sheet.
"""

import csv
import ctypes
import gc
import io
import platform
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from xml.etree import ElementTree

import python_calamine
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from core.operations import IMPORT_COLUMNS, header_key
from data.exports import xml_safe

Cell = str | int | float | bool | date | datetime | time | timedelta | None
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

_FIELD_BY_HEADER: dict[str, str] = {
    header_key(name): field for field, names in IMPORT_COLUMNS.items() for name in names
}


class SpreadsheetError(Exception):
    """The whole file cannot be read; `code` as in core.imports.FileRejected."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class CellError(ValueError):
    """One cell's value cannot be used; the message says why, in Russian."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Column:
    field: str
    index: int  # 0-based position in the row
    header: str  # as written in the file


@dataclass
class Sheet:
    header_row: int  # the header's row number as the spreadsheet shows it
    header: list[str]  # every header cell, as text
    columns: dict[str, Column]  # recognised fields
    rows: Iterator[tuple[int, list[Cell]]]  # data rows (row number, cells); empty rows skipped
    size_hint: int  # rows the file may hold below the header (for progress); 0: unknown
    kind: str = "xlsx"  # "xlsx" | "xls" | "csv"
    delimiter: str | None = None
    encoding: str | None = None
    ignored: list[str] = field(default_factory=list)  # headers that name no known field


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_rows: int
    max_unpacked_bytes: int


# --- Cells ---


def is_empty(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def cell_text(value: Cell) -> str:
    """Any cell as trimmed text; a whole number stored as a float is written without ".0"."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


_DIGITS = re.compile(r"\d+")
_DIGITS_POINT_ZERO = re.compile(r"(\d+)[.,]0+")
_SCIENTIFIC = re.compile(r"(\d+)(?:[.,](\d*))?[eE]\+?(\d+)")
_LOST_DIGITS = (
    "число в научной записи ({value}) потеряло цифры: задайте столбцу текстовый формат "
    "и введите код заново"
)


def cell_code(value: Cell) -> str:
    """A barcode or GTIN as its digits, exactly as the file has them (leading zeros kept).

    A number cell is taken only when it holds a whole number exactly; Excel's scientific
    notation written out as text ("4.60123456789E+12") is taken only when every digit
    survived. Anything else is returned as trimmed text for the code's own check."""
    if value is None:
        return ""
    if isinstance(value, bool | datetime | date | time | timedelta):
        raise CellError("invalid_code", "ожидаются цифры кода, а в ячейке дата или логическое")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and 0 <= value < 2**53:
            return str(int(value))
        raise CellError("code_digits_lost", _LOST_DIGITS.format(value=repr(value)))
    text = value.strip()
    if _DIGITS.fullmatch(text):
        return text
    if match := _DIGITS_POINT_ZERO.fullmatch(text):
        return match.group(1)
    if match := _SCIENTIFIC.fullmatch(text):
        whole, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3))
        if len(fraction) == exponent:
            return whole + fraction  # every digit is written out: exact
        raise CellError("code_digits_lost", _LOST_DIGITS.format(value=text))
    return text


_GROUPED = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+")


def cell_whole(value: Cell) -> int | None:
    """A whole number (any sign), or None for an empty cell. "10 шт" or 2.5 is an error."""
    if is_empty(value):
        return None
    if isinstance(value, bool):
        raise CellError("not_a_number", "ожидается целое число, а в ячейке логическое значение")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError("not_whole", f"ожидается целое число, а в ячейке {cell_text(value)}")
    if not isinstance(value, str):
        raise CellError("not_a_number", "ожидается целое число, а в ячейке дата или время")
    text = value.strip()
    sign = 1
    if text[:1] in "-−":
        sign, text = -1, text[1:].strip()
    if _GROUPED.fullmatch(text):  # "1 000": digit groups as Russian Excel writes them
        text = re.sub(r"\D", "", text)
    if _DIGITS.fullmatch(text):
        return sign * int(text)
    if match := _DIGITS_POINT_ZERO.fullmatch(text):
        return sign * int(match.group(1))
    raise CellError("not_a_number", f"ожидается целое число, а в ячейке «{value.strip()}»")


# --- Reading ---


def read_sheet(
    content: bytes, file_name: str, limits: Limits, progress: Progress | None = None
) -> Sheet:
    """The file's header and data rows. Raises SpreadsheetError when it cannot be read."""
    if len(content) > limits.max_bytes:
        raise SpreadsheetError("file_too_large", too_large_message(limits.max_bytes))
    if not content.strip():
        raise SpreadsheetError("not_a_spreadsheet", "Файл пустой")
    if content.startswith(b"PK\x03\x04"):
        _check_zip(content, limits)
        return _read_workbook(content, "xlsx", limits, progress)
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .xls (or encrypted)
        return _read_workbook(content, "xls", limits, progress)
    return _read_csv(content, file_name, limits, progress)


def too_large_message(limit: int) -> str:
    size = f"{limit / 2**20:.3g} МБ" if limit >= 2**20 else f"{max(limit // 1024, 1)} КБ"
    return f"Файл больше {size.replace('.', ',')}: разделите его на части"


_NOT_A_SPREADSHEET = (
    "Файл не похож на таблицу: загрузите .xlsx, .xls или .csv "
    "(текст в UTF-8 или Windows-1251, разделитель «;» или «,»)"
)


def _header_fields(cells: Sequence[Cell]) -> dict[str, Column]:
    found: dict[str, Column] = {}
    for index, value in enumerate(cells[:MAX_COLUMNS]):
        if not isinstance(value, str) or not value.strip():
            continue
        name = _FIELD_BY_HEADER.get(header_key(value))
        if name is not None and name not in found:  # the first column of a field wins
            found[name] = Column(name, index, value.strip())
    return found


def _is_header(found: dict[str, Column]) -> bool:
    return "barcode" in found and len(found) >= 2


def _no_header() -> SpreadsheetError:
    names = ", ".join(f"«{n}»" for n in IMPORT_COLUMNS["barcode"][:3])
    return SpreadsheetError(
        "no_header",
        f"Не найдена строка заголовков: нужен столбец {names} и хотя бы ещё один "
        "столбец из образца (например, «Количество» или «Наименование»)",
    )


def _split_header(
    numbered: Iterator[tuple[int, list[Cell]]],
) -> tuple[int, list[Cell], dict[str, Column]]:
    """Consume rows up to and including the header; (row number, cells, columns)."""
    for seen, (number, cells) in enumerate(numbered):
        if seen >= HEADER_SCAN_ROWS:
            break
        found = _header_fields(cells)
        if _is_header(found):
            return number, cells, found
    raise _no_header()


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


def _read_workbook(content: bytes, kind: str, limits: Limits, progress: Progress | None) -> Sheet:
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
    number, cells, columns = _split_header(numbered)
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


def _read_csv(content: bytes, file_name: str, limits: Limits, progress: Progress | None) -> Sheet:
    text, encoding = _decode(content)
    best: tuple[int, str] | None = None
    for delimiter in (";", ",", "\t"):
        try:
            found = _split_header(_csv_rows(text, delimiter))
        except SpreadsheetError:
            continue
        if best is None or len(found[2]) > best[0]:
            best = (len(found[2]), delimiter)
    if best is None:
        if not _looks_like_text(text):
            raise SpreadsheetError("not_a_spreadsheet", _NOT_A_SPREADSHEET)
        raise _no_header()
    delimiter = best[1]
    numbered = _csv_rows(text, delimiter)
    number, cells, columns = _split_header(numbered)
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


def raw_rows(content: bytes, limits: Limits) -> Iterator[tuple[int, list[Cell]]]:
    """Every row of the file from its header down, as read (for the errors workbook)."""
    sheet = read_sheet(content, "", limits)
    yield sheet.header_row, list(sheet.header)
    yield from sheet.rows


# --- Writing ---

HEADER_FONT = Font(bold=True)
ERROR_FILL = PatternFill("solid", fgColor="FFF2CC")
ERROR_FONT = Font(color="9C0006")


def _text_cell(sheet: Any, value: Cell, **style: Any) -> WriteOnlyCell:
    if isinstance(value, str):
        value = xml_safe(value)  # a control character read from the file cannot be written
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"  # a text starting with "=" stays text, never a formula
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


def write_rows_workbook(
    title: str,
    header: Sequence[str],
    rows: Iterator[Sequence[Cell]],
    *,
    widths: Sequence[int] | None = None,
    note: str | None = None,
    highlight_column: int | None = None,
) -> bytes:
    """An .xlsx (streamed: memory stays flat) with an optional note row, a bold frozen
    header with an autofilter, and `rows`; `highlight_column` marks the rows whose cell
    in that column is filled (the error column)."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    widths = widths or [max(12, min(len(h) + 4, 40)) for h in header]
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    header_row = 1
    if note:
        sheet.append([_text_cell(sheet, note, font=HEADER_FONT)])
        header_row = 2
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(header))}{header_row}"
    sheet.append([_text_cell(sheet, h, font=HEADER_FONT) for h in header])
    for row in rows:
        mark = highlight_column
        if mark is not None and mark < len(row) and not is_empty(row[mark]):
            cells = [_text_cell(sheet, v, fill=ERROR_FILL) for v in row]
            cells[mark].font = ERROR_FONT
            sheet.append(cells)
        else:
            sheet.append([_text_cell(sheet, v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Memory ---


def _malloc_trim() -> Callable[[int], int] | None:
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_memory() -> None:
    """Give the memory of a big file read back to the system. Freed memory otherwise stays
    with the process (glibc keeps it in its arenas, one per thread that read a file): after
    three big imports the process kept 2 GB."""
    gc.collect()
    if _TRIM is not None:
        _TRIM(0)
