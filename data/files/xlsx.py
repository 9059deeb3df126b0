"""A small streaming .xlsx writer of our own (SpreadsheetML, ECMA-376), and `write_table`.

Rows go straight into the zip entry of the sheet, so memory stays flat however many rows
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
with its header. The package's fixed parts and the cell texts are in data.files.xlsx_parts.
"""

import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from operator import itemgetter
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from data.files.xlsx_parts import (
    DATETIME,
    HEADER,
    MAIN_NS,
    QUANTITY,
    REL_NS,
    XML_DECL,
    column_letter,
    excel_time,
    inline_cell,
    text_style,
    write_package,
    xml_safe,
)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_MAX_ROWS = 1_048_576
# Distinct texts kept for the shared strings table (names, SKUs, places: a catalogue's
# worth); memory is bounded by this, not by the number of rows.
MAX_SHARED_STRINGS = 200_000
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
        self.tz = zone(time_zone)
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
                return inline_cell(ref, text)
            clean = xml_safe(text)
            if not clean:
                return ""
            tail = f' s="{text_style(clean)}" t="s"><v>{len(self._shared)}</v></c>'
            self._shared[text] = tail
        self._shared_count += 1
        return f'<c r="{ref}"{tail}'

    def _cell_writer(self, column: Column) -> Callable[[str, Any], str]:
        tz = self.tz
        text_cell = self._shared_cell if column.shared else inline_cell

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
                return f'<c r="{ref}" s="{DATETIME}"><v>{excel_time(value, tz)!r}</v></c>'
            if isinstance(value, date):
                return moment(ref, datetime.combine(value, datetime.min.time(), tz))
            return text_cell(ref, str(value))

        def text(ref: str, value: Any) -> str:
            return text_cell(ref, value if type(value) is str else str(value))

        writers = {"int": number(0), "quantity": number(QUANTITY), "datetime": moment}
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
                f'{XML_DECL}<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
                '<sheetViews><sheetView workbookViewId="0">'
                '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
                '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
                "</sheetView></sheetViews>"
                '<sheetFormatPr defaultRowHeight="15"/>'
                f"<cols>{cols}</cols><sheetData>"
            ).encode()
        )
        header = "".join(
            f'<c r="{letter}1" s="{HEADER}" t="inlineStr"><is><t>{escape(c.header)}</t></is></c>'
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
        write_package(self._zip, self._sheets, self._letters[-1], self._shared, self._shared_count)
        self._zip.close()


def zone(name: str) -> ZoneInfo:
    """The time zone `name`, Moscow when it is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Europe/Moscow")


def _sheet_title(title: str) -> str:
    """Excel's rules for a sheet name: at most 31 characters, none of : \\ / ? * [ ]."""
    cleaned = re.sub(r"[:\\/?*\[\]]", " ", title).strip().strip("'")
    return cleaned[:31] or "Лист1"


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
