"""Reading a .csv import file: UTF-8 (with or without a BOM) or Windows-1251, the
delimiter («;», «,» or tab) the one that finds the most header columns."""

import csv
import io
from collections.abc import Iterator

from core.imports.sheet import Cell, Sheet, cell_text
from data.files.sheet_reading import (
    NOT_A_SPREADSHEET,
    Headers,
    Limits,
    Progress,
    SpreadsheetError,
    data_rows,
    ignored_cells,
    split_header,
)


def _decode(content: bytes) -> tuple[str, str]:
    if b"\x00" in content:  # binary, UTF-16, or a damaged file (no cell may hold a NUL)
        raise SpreadsheetError("not_a_spreadsheet", NOT_A_SPREADSHEET)
    if content.startswith(b"\xef\xbb\xbf"):
        try:
            return content[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            raise SpreadsheetError("not_a_spreadsheet", NOT_A_SPREADSHEET) from None
    try:
        return content.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1251"), "cp1251"
    except UnicodeDecodeError:
        raise SpreadsheetError("not_a_spreadsheet", NOT_A_SPREADSHEET) from None


def _csv_rows(text: str, delimiter: str) -> Iterator[tuple[int, list[Cell]]]:
    """Rows with the line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for row in reader:
            yield line + 1, list(row)
            line = reader.line_num
    except csv.Error:
        raise SpreadsheetError("not_a_spreadsheet", NOT_A_SPREADSHEET) from None


def read_csv(
    content: bytes, file_name: str, limits: Limits, progress: Progress | None, headers: Headers
) -> Sheet:
    text, encoding = _decode(content)
    best: tuple[int, str] | None = None
    for delimiter in (";", ",", "\t"):
        try:
            found = split_header(_csv_rows(text, delimiter), headers)
        except SpreadsheetError:
            continue
        if best is None or len(found[2]) > best[0]:
            best = (len(found[2]), delimiter)
    if best is None:
        if not _looks_like_text(text):
            raise SpreadsheetError("not_a_spreadsheet", NOT_A_SPREADSHEET)
        raise headers.no_header()
    delimiter = best[1]
    numbered = _csv_rows(text, delimiter)
    number, cells, columns = split_header(numbered, headers)
    total = max(text.count("\n") + 1 - number, 0)
    return Sheet(
        header_row=number,
        header=[cell_text(v) for v in cells],
        columns=columns,
        rows=data_rows(numbered, limits.max_rows, total, progress),
        size_hint=total,
        kind="csv",
        delimiter=delimiter,
        encoding=encoding,
        ignored=ignored_cells(cells, columns),
    )


def _looks_like_text(text: str) -> bool:
    sample = text[:4096]
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in sample)
    return printable >= 0.95 * len(sample)
