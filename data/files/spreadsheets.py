"""Reading import files (.xlsx, .xls, .csv) into core's `Sheet` (core.imports.sheet).

A file is read into a `Sheet`: the header row (found below any title block) with the
columns it names, and the data rows with the row numbers the spreadsheet shows. Cells are
given as read — text, float, int, bool, date; core turns them into values.

Hostile files are refused before the parser sees them: the size, the declared and the
actual unpacked size of an .xlsx (a zip), and the row count of its sheet
(data.files.xlsx_guard). What every format shares is in data.files.sheet_reading; the
.csv reader in data.files.csv_reading.
"""

import io
from collections.abc import Iterator
from typing import Any

import python_calamine

from core.imports import FileRejected, too_large_message
from core.imports import Progress as StageProgress
from core.imports.sheet import Cell, Sheet, cell_text
from core.settings import Settings
from data.files.csv_reading import read_csv
from data.files.sheet_reading import (
    NOT_A_SPREADSHEET,
    STOCK_HEADERS,
    Headers,
    Limits,
    Progress,
    SpreadsheetError,
    data_rows,
    ignored_cells,
    split_header,
)
from data.files.xlsx_guard import check_row_count, check_zip


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
        check_zip(content, limits)
        return _read_workbook(content, "xlsx", limits, progress, headers)
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE2: .xls (or encrypted)
        return _read_workbook(content, "xls", limits, progress, headers)
    return read_csv(content, file_name, limits, progress, headers)


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
        raise SpreadsheetError("not_a_spreadsheet", NOT_A_SPREADSHEET) from None
    # iter_rows starts at the sheet's first row, so position + 1 is the row number shown.
    numbered = ((i + 1, row) for i, row in enumerate(_rows_of(sheet)))
    number, cells, columns = split_header(numbered, headers)
    total = max((sheet.end or (0, 0))[0] + 1 - number, 0)
    check_row_count(total, limits)
    return Sheet(
        header_row=number,
        header=[cell_text(v) for v in cells],
        columns=columns,
        rows=data_rows(numbered, limits.max_rows, total, progress),
        size_hint=total,
        kind=kind,
        ignored=ignored_cells(cells, columns),
    )


def _rows_of(sheet: Any) -> Iterator[list[Cell]]:
    try:
        yield from sheet.iter_rows()
    except Exception:
        raise SpreadsheetError("not_a_spreadsheet", NOT_A_SPREADSHEET) from None


def _first_worksheet(workbook: Any) -> int:
    """The first visible worksheet (not a chart or a hidden sheet)."""
    for index, meta in enumerate(workbook.sheets_metadata):
        visible = meta.visible == python_calamine.SheetVisibleEnum.Visible
        if meta.typ == python_calamine.SheetTypeEnum.WorkSheet and visible:
            return index
    raise SpreadsheetError("not_a_spreadsheet", "В файле нет ни одного листа с таблицей")


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
