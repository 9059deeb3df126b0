"""A sheet as core reads it: the header's columns and the data rows, cells as read.

data.files reads a file into a `Sheet`; core turns cells into values with `cell_text`,
`cell_code` and `cell_whole`, which never guess: a barcode that lost digits is an error.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

Cell = str | int | float | bool | date | datetime | time | timedelta | None


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
