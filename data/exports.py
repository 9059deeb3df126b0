"""Exports to .xlsx: products, balances and the journal, with the filters of their pages.

The file is written by a small streaming writer of our own (SpreadsheetML, ECMA-376):
rows go straight into the zip entry of the sheet, so memory stays flat however many rows
there are. openpyxl's write-only mode streams too, but builds a Cell object and an XML
element per cell: about ten times slower here (bench/exports.py compares them); for a
million journal rows that is minutes instead of well under one. Tests read the files
back with openpyxl.

What every file has: a bold, frozen header row with an autofilter, column widths that fit
the data, numbers as number cells, times as Excel dates in the warehouse's time zone, and
every text as a text cell — barcodes and GTINs too (leading zeros kept, never 4.6E+12),
in the "@" (text) format so that editing them in Excel keeps them text. Repeating texts
(names, SKUs, places) go to the shared strings table, capped, so memory stays bounded.

Formula injection (OWASP "CSV injection"): a text is never written as a formula — it is a
string cell, which Excel and LibreOffice show as is and never evaluate. A text that
starts with = + - @ (or a tab or line break) gets, in addition, Excel's own "quote prefix"
cell style: exactly what Excel records when a person types '=…, so the cell stays literal
text even when someone edits it and presses Enter. The value itself is not changed (no
apostrophe added to the data): an exported file imports back exactly.

A sheet holds at most 1,048,576 rows; a longer export continues on a next sheet, each
with its header.
"""

import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.engine import Engine

from core.operations import IMPORT_COLUMNS, OPERATIONS, VIRTUAL_LOCATIONS
from core.stock import is_low
from data import queries
from data.dashboard import low_stock

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_TEXT = 32_767
# Distinct texts kept for the shared strings table (names, SKUs, places: a catalogue's
# worth); memory is bounded by this, not by the number of rows.
MAX_SHARED_STRINGS = 200_000
# Starts of a text that a spreadsheet could take for a formula (OWASP: = + - @ tab CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
Progress = Callable[[int], None]  # rows written so far


@dataclass(frozen=True)
class Column:
    header: str
    kind: str  # "text", "code" (barcode/GTIN: text), "int", "quantity", "datetime", "yes_no"
    width: float  # characters
    key: str = ""  # the row's field; empty when `value` computes the cell
    value: Callable[[dict[str, Any]], Any] | None = None
    # Values repeat (names, places, users): written once in the shared strings table.
    shared: bool = True

    def of(self, row: dict[str, Any]) -> Any:
        return self.value(row) if self.value is not None else row.get(self.key)


def _import_name(field: str) -> str:
    """The header an import file uses for `field`: an exported file imports back."""
    return IMPORT_COLUMNS[field][0]


def _yes(flag: Any) -> str:
    return "да" if flag else ""


# --- What each export holds (one place for the pages and the API) ---

PRODUCT_COLUMNS: tuple[Column, ...] = (
    Column(_import_name("sku"), "text", 18, "sku"),
    Column(_import_name("name"), "text", 48, "name"),
    Column(_import_name("barcode"), "code", 16, "barcode"),
    Column(_import_name("gtin"), "code", 16, "gtin"),
    Column(_import_name("min_stock"), "quantity", 13, "min_stock"),
    Column(_import_name("weight_g"), "int", 9, "weight_g"),
    Column(_import_name("length_mm"), "int", 11, "length_mm"),
    Column(_import_name("width_mm"), "int", 11, "width_mm"),
    Column(_import_name("height_mm"), "int", 11, "height_mm"),
    Column("Удалён", "yes_no", 9, value=lambda r: _yes(r.get("is_deleted"))),
    Column("Создан", "datetime", 17, "created_at"),
)

BALANCE_COLUMNS: tuple[Column, ...] = (
    Column(_import_name("sku"), "text", 18, "sku"),
    Column(_import_name("name"), "text", 48, "name"),
    Column(_import_name("barcode"), "code", 16, "barcode"),
    Column(_import_name("good"), "quantity", 11, "good"),
    Column(_import_name("defect"), "quantity", 11, "defect"),
    Column("Резерв", "quantity", 11, "reserved"),
    Column("Доступно", "quantity", 11, "available"),
    Column(_import_name("min_stock"), "quantity", 13, "min_stock"),
    Column(
        "Ниже минимума", "yes_no", 15, value=lambda r: _yes(is_low(r["available"], r["min_stock"]))
    ),
)


# The «Дефицит» page (/alerts) as a purchase list: what to order to get back to the minimum.
LOW_STOCK_COLUMNS: tuple[Column, ...] = (
    Column(_import_name("sku"), "text", 18, "sku"),
    Column(_import_name("name"), "text", 48, "name"),
    Column(_import_name("barcode"), "code", 16, "barcode"),
    Column("Доступно", "quantity", 11, "available"),
    Column(_import_name("min_stock"), "quantity", 13, "min_stock"),
    Column("Отгрузки в день (30 дн.)", "quantity", 14,
           value=lambda r: round(r["avg_daily_shipped"], 2)),
    Column("Хватит на, дн.", "quantity", 12,
           value=lambda r: None if r["days_of_cover"] is None else round(r["days_of_cover"], 1)),
    # Enough to bring available stock back up to the minimum, never less than nothing.
    Column("Заказать до мин. остатка, шт.", "quantity", 16,
           value=lambda r: max(0, r["min_stock"] - r["available"])),
)  # fmt: skip


def journal_columns(location_names: dict[str, str]) -> tuple[Column, ...]:
    def place(code: str | None) -> str:
        return location_names.get(code or "", code or "")

    def operation_label(row: dict[str, Any]) -> str:
        op = OPERATIONS.get(row["operation_type"])
        return op.label_ru if op else row["operation_type"]

    return (
        Column("№", "int", 10, "id"),
        Column("Дата и время", "datetime", 17, "created_at"),
        Column(_import_name("operation"), "text", 18, value=operation_label),
        Column(_import_name("sku"), "text", 18, "sku"),
        Column(_import_name("barcode"), "code", 16, "barcode"),
        Column(_import_name("name"), "text", 40, "product_name"),
        Column(_import_name("quantity"), "quantity", 12, "quantity"),
        Column("Откуда", "text", 16, value=lambda r: place(r["from_location"])),
        Column("Куда", "text", 16, value=lambda r: place(r["to_location"])),
        Column(_import_name("source"), "text", 14, "source_name"),
        Column(_import_name("distribution_center"), "text", 18, "distribution_center_name"),
        Column("Пользователь", "text", 20, "user_name"),
        Column(_import_name("notes"), "text", 30, "notes", shared=False),
        Column("Сторно операции №", "int", 12, "reversal_of"),
        Column("Документ", "text", 12, "document", shared=False),
    )


# --- The streaming .xlsx writer ---

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Cell styles (indexes into cellXfs below).
_HEADER, _DATETIME, _TEXT, _TEXT_QUOTED, _QUANTITY = 1, 2, 3, 4, 5
_STYLES = f"""{_XML_DECL}<styleSheet xmlns="{_MAIN_NS}">
<numFmts count="1"><numFmt numFmtId="164" formatCode="dd.mm.yyyy hh:mm"/></numFmts>
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>
<fills count="3"><fill><patternFill patternType="none"/></fill>\
<fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF7"/><bgColor indexed="64"/>\
</patternFill></fill></fills>
<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>\
<border><left/><right/><top/><bottom style="thin"><color auto="1"/></bottom><diagonal/>\
</border></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="6">\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" \
applyBorder="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" \
quotePrefix="1"/>\
<xf numFmtId="3" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
</cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""

# Characters XML 1.0 cannot carry at all (a control character typed into a note).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_EXCEL_EPOCH = datetime(1899, 12, 30)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def excel_time(value: datetime, tz: ZoneInfo) -> float:
    """An aware time as Excel's serial day number, on the wall clock of `tz`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)  # the database stores UTC
    delta = value.astimezone(tz).replace(tzinfo=None) - _EXCEL_EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


def is_formula_like(text: str) -> bool:
    return text.startswith(FORMULA_STARTS)


def xml_safe(text: str) -> str:
    """`text` without what an .xlsx cannot hold: XML 1.0's forbidden characters, and
    anything past Excel's 32,767 characters a cell."""
    return _NOT_XML.sub("", text)[:EXCEL_MAX_TEXT]


def _text_style(text: str) -> int:
    return _TEXT_QUOTED if is_formula_like(text) else _TEXT


def _t_element(text: str) -> str:
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f"<t{space}>{escape(text)}</t>"


@lru_cache(maxsize=4096)
def _inline_body(text: str) -> str:
    """An inline text cell after its reference (for texts that rarely repeat: notes)."""
    text = xml_safe(text)
    if not text:
        return ""
    return f' s="{_text_style(text)}" t="inlineStr"><is>{_t_element(text)}</is></c>'


def _inline_cell(ref: str, text: str) -> str:
    body = _inline_body(text)
    return f'<c r="{ref}"{body}' if body else ""


class XlsxWriter:
    """Writes one table to an .xlsx file, row by row, in constant memory.

    Use as a context manager; `append` one sequence of values per row, in `columns` order.
    """

    def __init__(
        self,
        target: str | Path | IO[bytes],
        title: str,
        columns: Sequence[Column],
        *,
        time_zone: str = "Europe/Moscow",
        max_rows: int = EXCEL_MAX_ROWS,
    ) -> None:
        self.columns = tuple(columns)
        self.title = _sheet_title(title)
        self.tz = _zone(time_zone)
        self.rows_written = 0
        self._max_rows = max(2, max_rows)
        self._letters = [column_letter(i) for i in range(len(self.columns))]
        # Shared strings: text → the cell's tail (style and index), in index order. Capped,
        # so memory stays bounded whatever the data; past the cap texts are written inline.
        self._shared: dict[str, str] = {}
        self._shared_count = 0
        self._cells = [self._cell_writer(c) for c in self.columns]
        self._zip = zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheets: list[tuple[str, int]] = []  # (name, last row) of each finished sheet
        self._sheet: IO[bytes] | None = None
        self._row = 0  # the sheet's last written row number
        self._buffer: list[str] = []

    def __enter__(self) -> "XlsxWriter":
        return self

    def __exit__(self, kind: object, *_: object) -> None:
        if kind is None:
            self.close()
        else:
            self._zip.close()  # a broken file; the caller discards it

    def _shared_cell(self, ref: str, text: str) -> str:
        tail = self._shared.get(text)
        if tail is None:
            if len(self._shared) >= MAX_SHARED_STRINGS:
                return _inline_cell(ref, text)
            clean = xml_safe(text)
            if not clean:
                return ""
            tail = f' s="{_text_style(clean)}" t="s"><v>{len(self._shared)}</v></c>'
            self._shared[text] = tail
        self._shared_count += 1
        return f'<c r="{ref}"{tail}'

    def _cell_writer(self, column: Column) -> Callable[[str, Any], str]:
        tz = self.tz
        text_cell = self._shared_cell if column.shared else _inline_cell

        def number(style: int) -> Callable[[str, Any], str]:
            attr = f' s="{style}"' if style else ""

            def cell(ref: str, value: Any) -> str:
                kind = type(value)
                if kind is int or kind is float:  # not bool, whose type is its own
                    return f'<c r="{ref}"{attr}><v>{value!r}</v></c>'
                if kind is Decimal:  # PostgreSQL's sums
                    return cell(ref, int(value) if value == value.to_integral() else float(value))
                return text_cell(ref, str(value))

            return cell

        def moment(ref: str, value: Any) -> str:
            if isinstance(value, datetime):
                return f'<c r="{ref}" s="{_DATETIME}"><v>{excel_time(value, tz)!r}</v></c>'
            if isinstance(value, date):
                return moment(ref, datetime.combine(value, datetime.min.time(), tz))
            return text_cell(ref, str(value))

        def text(ref: str, value: Any) -> str:
            return text_cell(ref, value if type(value) is str else str(value))

        writers = {"int": number(0), "quantity": number(_QUANTITY), "datetime": moment}
        return writers.get(column.kind, text)

    def _start_sheet(self) -> None:
        number = len(self._sheets) + 1
        self._sheet = self._zip.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True)
        cols = "".join(
            f'<col min="{i}" max="{i}" width="{c.width}" customWidth="1"/>'
            for i, c in enumerate(self.columns, start=1)
        )
        self._sheet.write(
            (
                f'{_XML_DECL}<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
                '<sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                "</sheetView></sheetViews>"
                '<sheetFormatPr defaultRowHeight="15"/>'
                f"<cols>{cols}</cols><sheetData>"
            ).encode()
        )
        header = "".join(
            f'<c r="{letter}1" s="{_HEADER}" t="inlineStr"><is><t>{escape(c.header)}</t></is></c>'
            for letter, c in zip(self._letters, self.columns, strict=True)
        )
        self._sheet.write(f'<row r="1">{header}</row>'.encode())
        self._row = 1

    def _finish_sheet(self) -> None:
        assert self._sheet is not None
        self._flush()
        last = self._letters[-1]
        self._sheet.write(
            f'</sheetData><autoFilter ref="A1:{last}{self._row}"/></worksheet>'.encode()
        )
        self._sheet.close()
        self._sheets.append((self._sheet_name(len(self._sheets)), self._row))
        self._sheet = None

    def _sheet_name(self, index: int) -> str:
        return self.title if index == 0 else _sheet_title(f"{self.title} ({index + 1})")

    def _flush(self) -> None:
        if self._buffer and self._sheet is not None:
            self._sheet.write("".join(self._buffer).encode())
            self._buffer.clear()

    def append(self, values: Sequence[Any]) -> None:
        if self._sheet is None:
            self._start_sheet()
        elif self._row >= self._max_rows:
            self._finish_sheet()
            self._start_sheet()
        self._row += 1
        row = self._row
        cells = "".join(
            write(f"{letter}{row}", value)
            for letter, write, value in zip(self._letters, self._cells, values, strict=True)
            if value is not None and value != ""
        )
        self._buffer.append(f'<row r="{row}">{cells}</row>')
        self.rows_written += 1
        if len(self._buffer) >= 1000:
            self._flush()

    def close(self) -> None:
        if self._sheet is None and not self._sheets:
            self._start_sheet()  # no rows: the header alone
        if self._sheet is not None:
            self._finish_sheet()
        self._write_package()
        self._zip.close()

    def _write_package(self) -> None:
        count = len(self._sheets)
        sheet_types = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, count + 1)
        )
        self._zip.writestr(
            "[Content_Types].xml",
            f'{_XML_DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            'content-types">'
            '<Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            f"{sheet_types}</Types>",
        )
        self._zip.writestr(
            "_rels/.rels",
            f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{_REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>",
        )
        sheets = "".join(
            f'<sheet name={quoteattr(name)} sheetId="{i}" r:id="rId{i}"/>'
            for i, (name, _) in enumerate(self._sheets, start=1)
        )
        last = self._letters[-1]
        # Excel keeps each sheet's autofilter range in this hidden name as well.
        filters = "".join(
            '<definedName name="_xlnm._FilterDatabase" '
            f'localSheetId="{i}" hidden="1">'
            f"{escape(_quoted_sheet(name))}!$A$1:${last}${rows}</definedName>"
            for i, (name, rows) in enumerate(self._sheets)
        )
        self._zip.writestr(
            "xl/workbook.xml",
            f'{_XML_DECL}<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            f"<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets>"
            f"<definedNames>{filters}</definedNames></workbook>",
        )
        relations = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL_NS}/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, count + 1)
        )
        self._zip.writestr(
            "xl/_rels/workbook.xml.rels",
            f'{_XML_DECL}<Relationships xmlns="{_PKG_REL_NS}">{relations}'
            f'<Relationship Id="rId{count + 1}" Type="{_REL_NS}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{count + 2}" Type="{_REL_NS}/sharedStrings" '
            'Target="sharedStrings.xml"/>'
            "</Relationships>",
        )
        self._zip.writestr("xl/styles.xml", _STYLES)
        with self._zip.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(
                f'{_XML_DECL}<sst xmlns="{_MAIN_NS}" count="{self._shared_count}" '
                f'uniqueCount="{len(self._shared)}">'.encode()
            )
            batch: list[str] = []
            for text in self._shared:
                batch.append(f"<si>{_t_element(xml_safe(text))}</si>")
                if len(batch) >= 1000:
                    part.write("".join(batch).encode())
                    batch.clear()
            part.write(("".join(batch) + "</sst>").encode())


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Moscow")


def _sheet_title(title: str) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of : \\ / ? * [ ]."""
    cleaned = re.sub(r"[:\\/?*\[\]]", " ", title).strip().strip("'")
    return cleaned[:31] or "Лист1"


def _quoted_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def write_table(
    target: str | Path | IO[bytes],
    title: str,
    columns: Sequence[Column],
    rows: Iterable[dict[str, Any]],
    *,
    time_zone: str = "Europe/Moscow",
    progress: Progress | None = None,
) -> int:
    """Write `rows` (dicts) through `columns` to an .xlsx; the number of rows written."""
    getters = [c.value or itemgetter(c.key) for c in columns]
    with XlsxWriter(target, title, columns, time_zone=time_zone) as writer:
        for row in rows:
            writer.append([get(row) for get in getters])
            if progress is not None and writer.rows_written % 10_000 == 0:
                progress(writer.rows_written)
        written = writer.rows_written
    if progress is not None:
        progress(written)
    return written


# --- The three exports ---


def export_products(
    engine: Engine,
    target: str | Path | IO[bytes],
    *,
    q: str | None = None,
    deleted: bool | None = False,
    sort: str = "name",
    descending: bool = False,
    time_zone: str = "Europe/Moscow",
    progress: Progress | None = None,
) -> int:
    # The text the page found its rows by (the other keyboard layout when that found them).
    q = queries.products(engine, q=q, deleted=deleted, limit=1).searched_for or q
    rows = queries.iter_products(engine, q=q, deleted=deleted, sort=sort, descending=descending)
    return write_table(
        target, "Товары", PRODUCT_COLUMNS, rows, time_zone=time_zone, progress=progress
    )


def export_balances(
    engine: Engine,
    target: str | Path | IO[bytes],
    *,
    q: str | None = None,
    low_only: bool = False,
    sort: str = "name",
    descending: bool = False,
    time_zone: str = "Europe/Moscow",
    progress: Progress | None = None,
) -> int:
    # The text the page found its rows by (the other keyboard layout when that found them).
    q = queries.balances(engine, q=q, low_only=low_only, limit=1).searched_for or q
    rows = queries.iter_balances(engine, q=q, low_only=low_only, sort=sort, descending=descending)
    return write_table(
        target, "Остатки", BALANCE_COLUMNS, rows, time_zone=time_zone, progress=progress
    )


def export_low_stock(
    engine: Engine,
    target: str | Path | IO[bytes],
    *,
    time_zone: str = "Europe/Moscow",
    progress: Progress | None = None,
) -> int:
    """The products below their minimum, in the /alerts order, with the quantity to order."""

    def rows() -> Iterator[dict[str, Any]]:
        offset = 0
        while True:  # the alerts come a page at a time; a catalogue's worth at most
            page = low_stock(engine, limit=queries.MAX_PAGE, offset=offset)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    return write_table(
        target, "Дефицит", LOW_STOCK_COLUMNS, rows(), time_zone=time_zone, progress=progress
    )


def location_names(engine: Engine) -> dict[str, str]:
    """Location code → the name people know it by (as the journal page shows it)."""
    names = {str(code): name for code, name in VIRTUAL_LOCATIONS.items()}
    names.update({loc["code"]: loc["name"] for loc in queries.internal_locations(engine)})
    return names


def export_journal(
    engine: Engine,
    target: str | Path | IO[bytes],
    flt: queries.JournalFilter | None = None,
    *,
    time_zone: str = "Europe/Moscow",
    progress: Progress | None = None,
    chunk_size: int = queries.EXPORT_CHUNK,
) -> int:
    def rows() -> Iterator[dict[str, Any]]:
        for chunk in queries.journal_chunks(engine, flt, chunk_size=chunk_size):
            yield from chunk

    columns = journal_columns(location_names(engine))
    return write_table(target, "Журнал", columns, rows(), time_zone=time_zone, progress=progress)


EXPORT_TITLES = {
    "products": "Товары", "balances": "Остатки", "journal": "Журнал", "low_stock": "Дефицит",
}  # fmt: skip


def export_file_name(kind: str, now: datetime, time_zone: str = "Europe/Moscow") -> str:
    """E.g. «Журнал 2026-11-22 15-30.xlsx», on the warehouse's clock."""
    local = now.astimezone(_zone(time_zone))
    return f"{EXPORT_TITLES[kind]} {local:%Y-%m-%d %H-%M}.xlsx"
