""".xlsx workbooks for people, written with openpyxl (streamed: memory stays flat): the
errors workbook of an import and the filled-in example files. Exports (data.files.exports) have
their own faster writer for big tables without styles.
"""

import io
from collections.abc import Iterator, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from core.catalog.products import check_code
from core.errors import ValidationError
from core.imports import IMPORT_KINDS, KIND_COLUMNS, KIND_LABELS, ImportReport, RowError
from core.imports.order_formats import ORDER_COLUMNS
from core.imports.products import PRODUCT_FIELD_LABELS, PRODUCT_TEXT, PRODUCT_WHOLE
from core.imports.rows import column_title
from core.imports.sheet import Cell, is_empty
from core.stock.operations import IMPORT_COLUMNS, OPERATIONS, header_key
from data.files.sheet_reading import Limits, headers_of
from data.files.spreadsheets import raw_rows
from data.files.xlsx_parts import xml_safe

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


# --- Files for people: the errors workbook and the examples ---


ERRORS_WORKBOOK_ALL_ROWS = 50_000  # a bigger file gets only its rows with errors


def errors_workbook(content: bytes, file_name: str, report: ImportReport) -> bytes:
    """.xlsx: the file's rows as read (header included) with «Строка» (the row number in
    the file) and «Ошибка» columns in front; rows with errors are highlighted. A file of
    more than ERRORS_WORKBOOK_ALL_ROWS rows gets only the rows with errors."""
    by_row: dict[int, list[str]] = {}
    for error in report.errors:
        by_row.setdefault(error.row, []).append(_error_note(error))
    limits = Limits(len(content) + 1, 10**9, 10**12)  # it was read before
    rows = raw_rows(content, limits, headers_of(report.kind))
    header_row, header = next(rows)
    shown = report.error_count > len(report.errors)
    note = f"Ошибки в файле «{file_name}»: {report.error_count}" + (
        f" (в файле отмечены первые {len(report.errors)})" if shown else ""
    )
    only_errors = report.rows_total > ERRORS_WORKBOOK_ALL_ROWS
    if only_errors:
        note += ". Показаны только строки с ошибками"
    if header_row in by_row:
        note += ". " + "; ".join(by_row[header_row])

    def lines() -> Iterator[list[Cell]]:
        for number, cells in rows:
            problems = by_row.get(number)
            if problems or not only_errors:
                yield [number, "; ".join(problems or []), *cells]

    return write_rows_workbook(
        "Ошибки",
        ["Строка", "Ошибка", *[str(h) for h in header]],
        lines(),
        widths=[8, 60, *[max(12, min(len(str(h)) + 4, 40)) for h in header]],
        note=note,
        highlight_column=1,
    )


# What messages call a field when they name it first ("Количество: ожидается целое …"):
# the errors workbook puts the file's own header there instead of naming it twice.
_FIELD_LABELS = {
    header_key(label)
    for label in (
        *(name for names in IMPORT_COLUMNS.values() for name in names),
        *PRODUCT_TEXT.values(), *PRODUCT_WHOLE.values(), *PRODUCT_FIELD_LABELS.values(),
        "Штрихкод", "GTIN", "Количество", "Годный", "Брак",
    )
}  # fmt: skip


def _error_note(error: RowError) -> str:
    """«Кол-во: ожидается целое число…», not «Кол-во: Количество: ожидается…»."""
    if not error.column:
        return error.message
    label, colon, rest = error.message.partition(": ")
    if colon and header_key(label) in _FIELD_LABELS:
        return f"{error.column}: {rest}"
    return f"{error.column}: {error.message}"


def _example_barcode(body: str) -> str:
    for digit in "0123456789":
        try:
            return check_code(body + digit, "barcode", "Штрихкод")
        except ValidationError:
            continue
    raise AssertionError("a check digit always exists")


def example_file(kind: str) -> tuple[str, bytes]:
    """(file name, .xlsx) of a filled-in sample for `kind`: a title line, the header and
    two rows. Header names come from core.stock.operations.IMPORT_COLUMNS."""
    if kind not in IMPORT_KINDS:
        raise ValidationError("invalid_kind", "Неизвестный тип импорта", field="kind")
    one, two = _example_barcode("460123456789"), _example_barcode("046012345678")
    samples: dict[str, list[list[Cell]]] = {
        "products": [
            [one, "ART-001", "Чайник электрический 1,7 л", None, 5, 1200, 250, 180, 240],
            [two, "ART-002", "Кружка керамическая 350 мл", None, 20, 300, 120, 90, 100],
        ],
        "movements": [
            [one, 10, OPERATIONS["RECEIPT"].label_ru, None, None, "Поставка №15", None, None],
            [two, 4, OPERATIONS["SHIPMENT_RC"].label_ru, None, "WB Коледино", None, None, None],
        ],
        "opening_balances": [
            [one, "Чайник электрический 1,7 л", 25, 1, "Пересчёт на 1 число"],
            [two, "Кружка керамическая 350 мл", 140, 0, None],
        ],
        "orders": [
            ["WB-1001", one, 2, "Wildberries", None],
            ["WB-1001", two, 1, "Wildberries", None],
            ["П-15", one, 40, None, "WB Коледино"],
        ],
    }
    columns = KIND_COLUMNS[kind]
    header = [
        ORDER_COLUMNS[name][0] if kind == "orders" else column_title(name) for name in columns
    ]
    ru = KIND_LABELS[kind][0]
    notes = {
        "products": "Новые товары создаются, существующие (по штрихкоду) обновляются; "
        "пустая ячейка не меняет значение.",
        "movements": "Операция — код или название (Приёмка, Отгрузка на РЦ, …); источник и "
        "РЦ — названия из справочников. Для инвентаризации заполните «Склад», "
        "«Направление» и комментарий.",
        "opening_balances": "Остатки годного и брака станут такими, как в файле "
        "(разница проводится инвентаризацией); пустая ячейка — ноль.",
        "orders": "Строка — строка заказа; строки с одним номером — один заказ. Маркетплейс и "
        "РЦ — названия из справочников; с РЦ заказ — поставка на этот РЦ. Файлы WB, Ozon и "
        "Яндекс Маркета загружайте как есть: формат узнаётся по заголовкам.",
    }
    content = write_rows_workbook(
        ru,
        header,
        iter(samples[kind]),
        note=f"Образец файла импорта «{ru}». {notes[kind]}",
    )
    return f"example-{kind}.xlsx", content
