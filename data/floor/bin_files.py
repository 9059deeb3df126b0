"""Bin list files: read with the import's spreadsheet reader under the bins' header names
(core.floor.bin_import.BIN_COLUMNS), and the example file people fill in."""

from core.floor.bin_import import BIN_COLUMNS, REQUIRED_COLUMN
from core.imports.sheet import Sheet
from core.settings import Settings
from data.files.sheet_reading import Headers
from data.files.spreadsheets import read_file
from data.files.workbooks import write_rows_workbook

BIN_HEADERS = Headers(BIN_COLUMNS, REQUIRED_COLUMN, " (например, «Наименование» или «Зона»)")
EXAMPLE_NAME = "example-bins.xlsx"


def read_bin_file(content: bytes, file_name: str, settings: Settings) -> Sheet:
    """The file's header and rows; FileRejected (core.imports) when it cannot be read."""
    return read_file(content, file_name, settings, headers=BIN_HEADERS)


def example_bin_file() -> bytes:
    header = [names[0] for names in BIN_COLUMNS.values()]
    rows = [
        ["B-01-1-1", "Зона B, стеллаж 01, ярус 1, место 1", "B", 10, "Годный"],
        ["B-01-2-1", "Зона B, стеллаж 01, ярус 2, место 1", "B", 20, "Годный"],
        ["BR-1", "Полка брака 1", "BR", None, "Брак"],
    ]
    note = (
        "Образец списка ячеек. Обязателен только «Код» (латинские буквы, цифры, «-», «_», "
        "«.»); пустой порядок обхода — следом за строкой выше; склад — Годный или Брак."
    )
    return write_rows_workbook("Ячейки", header, iter(rows), note=note)
