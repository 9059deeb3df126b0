""".xlsx guard: a zip whose parts must not expand beyond reason. Hostile files are
refused before the parser sees them: the declared and the actual unpacked size, and the
row count and width of each worksheet."""

import io
import re
import zipfile
from xml.etree import ElementTree

from data.files.sheet_reading import (
    HEADER_SCAN_ROWS,
    MAX_COLUMNS,
    NOT_A_SPREADSHEET,
    Limits,
    SpreadsheetError,
    too_many_rows,
)

# calamine holds a sheet as a full grid, from A1 to the last used row and column, at about
# 33 bytes a cell: a grid is allowed this many cells per permitted row (20 M cells, some
# 650 MB, for the default million rows), so a few cells far apart cannot ask for gigabytes.
GRID_CELLS_PER_ROW = 20
# An .xlsx part that expands more than this many times over is a zip bomb, not a sheet
# (a real worksheet compresses 5–20 times).
MAX_ZIP_RATIO = 200
_ZIP_RATIO_FROM = 10 * 1024 * 1024  # small parts compress as they like
_CHUNK = 1024 * 1024


def check_zip(content: bytes, limits: Limits) -> None:
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
        raise SpreadsheetError("not_a_spreadsheet", NOT_A_SPREADSHEET) from None
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
        raise SpreadsheetError("not_a_spreadsheet", NOT_A_SPREADSHEET) from None


def check_row_count(rows: int, limits: Limits) -> None:
    if rows > 2 * limits.max_rows + 1000:  # even allowing for formatted blank rows
        raise SpreadsheetError("too_many_rows", too_many_rows(limits.max_rows))


def _check_grid(scan: "_SheetScan", limits: Limits) -> None:
    # Rows that hold a value, counted exactly: the title block and the header may come on
    # top of the permitted data rows, nothing more (the reader counts data rows again).
    if scan.value_rows > limits.max_rows + HEADER_SCAN_ROWS:
        raise SpreadsheetError("too_many_rows", too_many_rows(limits.max_rows))
    rows, width = scan.rows, scan.width
    check_row_count(rows, limits)  # the grid's height: blank formatted rows cost memory too
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
