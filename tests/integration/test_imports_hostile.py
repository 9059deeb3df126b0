"""Files that are not what they claim: each gets a clear Russian message, quickly, and
none reaches the parser in a shape that could exhaust memory."""

import io
import os
import struct
import time
import zipfile
from collections.abc import Callable

import pytest
from openpyxl import Workbook

from core.imports import FileRejected
from core.settings import Settings
from data.files.spreadsheets import read_file
from tests.import_files import SETTINGS, csv_file, xlsx

# Each refusal within 2 s: alone under pytest-xdist (conftest).
pytestmark = pytest.mark.serial

HEADER = ["Баркод", "Количество"]


def rejected(content: bytes, settings: Settings = SETTINGS, name: str = "file.xlsx") -> str:
    """The code of the FileRejected the file gets (within two seconds)."""
    started = time.perf_counter()
    with pytest.raises(FileRejected) as caught:
        read_file(content, name, settings)
    assert time.perf_counter() - started < 2.0
    error = caught.value
    assert error.message and any("а" <= ch <= "я" for ch in error.message.lower())
    assert error.status == (413 if error.code == "file_too_large" else 422)
    return error.code


def add_part(content: bytes, name: str, data_stream: Callable[[], bytes], size: int) -> bytes:
    """The .xlsx with one more part of `size` bytes (written in chunks)."""
    out = io.BytesIO(content)
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open(name, "w") as part,
    ):
        written = 0
        while written < size:
            chunk = data_stream()[: size - written]
            part.write(chunk)
            written += len(chunk)
        part.close()
    return out.getvalue()


def lie_about_size(content: bytes, name: str, claimed: int) -> bytes:
    """Change a part's declared unpacked size (local and central headers) to `claimed`."""
    data = bytearray(content)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(name)
    struct.pack_into("<I", data, info.header_offset + 22, claimed)
    encoded = name.encode()
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if bytes(data[at + 46 : at + 46 + length]) == encoded:
            struct.pack_into("<I", data, at + 24, claimed)
            break
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


def test_files_that_are_not_spreadsheets() -> None:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n" + os.urandom(4000)
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(2000)
    not_xlsx = io.BytesIO()
    with zipfile.ZipFile(not_xlsx, "w") as archive:
        archive.writestr("readme.txt", "это архив, а не таблица")
    ole_junk = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + os.urandom(5000)
    truncated = xlsx([HEADER, ["4601234567893", 1]])[:700]
    for content in (pdf, png, not_xlsx.getvalue(), ole_junk, truncated, b"", b"   \n"):
        assert rejected(content) == "not_a_spreadsheet"


def test_a_file_without_a_recognisable_header() -> None:
    letter = "Добрый день!\nВысылаю накладную.\nС уважением, склад\n".encode()
    assert rejected(letter, name="letter.csv") == "no_header"
    assert rejected(xlsx([["Дата", "Сумма"], ["01.03", 100]])) == "no_header"


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read() -> None:
    settings = Settings(import_max_bytes=10_000)
    content = csv_file([HEADER, *[["4601234567893", "1"]] * 1000])
    assert len(content) > 10_000
    assert rejected(content, settings, "big.csv") == "file_too_large"


def test_an_archive_that_expands_hugely_is_refused_before_unpacking() -> None:
    zeros = bytes(1024 * 1024)
    bomb = add_part(xlsx([HEADER]), "xl/media/image1.bin", lambda: zeros, 120 * 1024 * 1024)
    assert len(bomb) < 1024 * 1024  # 120 MB of zeros packs into a few hundred KB
    assert rejected(bomb) == "archive_too_large"


def test_an_archive_over_the_unpacked_limit_is_refused() -> None:
    settings = Settings(import_max_unpacked_bytes=2 * 1024 * 1024)
    noise = add_part(xlsx([HEADER]), "xl/media/image1.bin", lambda: os.urandom(65536), 3 * 2**20)
    assert rejected(noise, settings) == "archive_too_large"


def test_an_archive_that_lies_about_its_sizes_is_caught() -> None:
    zeros = bytes(1024 * 1024)
    content = add_part(xlsx([HEADER]), "xl/media/image1.bin", lambda: zeros, 30 * 1024 * 1024)
    liar = lie_about_size(content, "xl/media/image1.bin", 1000)
    assert zipfile.ZipFile(io.BytesIO(liar)).getinfo("xl/media/image1.bin").file_size == 1000
    assert rejected(liar) == "not_a_spreadsheet"


def _many_rows(rows: int) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(HEADER)
    for _ in range(rows):
        sheet.append(["4601234567893", 1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_huge_row_count_is_refused_from_the_archive_before_parsing() -> None:
    settings = Settings(import_max_rows=1000)
    assert rejected(_many_rows(5000), settings) == "too_many_rows"


def test_rows_just_over_the_limit_are_counted_exactly_before_parsing() -> None:
    """Rows with values are counted in the archive, so 10 % over the limit is refused
    before the parser holds the sheet (it used to let twice the limit through)."""
    settings = Settings(import_max_rows=1000)
    assert rejected(_many_rows(1100), settings) == "too_many_rows"
    # a title block above the header is room the count allows
    workbook = Workbook()
    sheet = workbook.active
    for line in (["Приёмка №7"], ["от 01.12"], [], HEADER, *[["4601234567893", 1]] * 1000):
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert sum(1 for _ in read_file(buffer.getvalue(), "ok.xlsx", settings).rows) == 1000


def test_rows_beyond_the_limit_are_refused_while_reading() -> None:
    settings = Settings(import_max_rows=1000)
    sheet = read_file(_many_rows(1000), "ok.xlsx", settings)
    assert sum(1 for _ in sheet.rows) == 1000
    with pytest.raises(FileRejected) as caught:
        list(read_file(_many_rows(1001), "big.xlsx", settings).rows)
    assert caught.value.code == "too_many_rows"
    with pytest.raises(FileRejected) as caught:
        content = csv_file([HEADER, *[["4601234567893", "1"]] * 1001])
        list(read_file(content, "big.csv", settings).rows)
    assert caught.value.code == "too_many_rows"


def test_a_sheet_far_too_wide_is_refused() -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet["ZZ1"] = "x"  # column 702: the parser would hold 702 cells for every row
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert rejected(buffer.getvalue()) == "too_many_columns"


def _workbook(*, hidden_first: bool = False, **far_cells: str) -> bytes:
    """An .xlsx with a normal header and a few values at the given far-away cells; with
    `hidden_first`, they sit on a hidden first sheet and the file is read from the second."""
    workbook = Workbook()
    sheet = workbook.active
    if hidden_first:
        sheet.sheet_state = "hidden"
        shown = workbook.create_sheet("Приёмка")
        shown.append(HEADER)
        shown.append(["4601234567893", 1])
    else:
        sheet.append(HEADER)
        sheet.append(["4601234567893", 1])
    for cell, value in far_cells.items():
        sheet[cell] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_a_few_cells_far_apart_cannot_make_the_reader_build_a_huge_grid() -> None:
    """Two rows of data and one cell at GR1048576 are a tiny file, but the reader would
    hold the whole 1,048,576 × 200 grid in memory (gigabytes)."""
    content = _workbook(GR1048576="x")
    assert len(content) < 10_000
    assert rejected(content) == "sheet_too_large"
    # the bound is the grid: rows × columns against the row limit
    settings = Settings(import_max_rows=1000)
    assert rejected(_workbook(T5000="x"), settings) == "too_many_rows"
    assert rejected(_workbook(GR1500="x"), settings) == "sheet_too_large"  # 1500 × 200
    sheet = read_file(_workbook(T900="x"), "ok.xlsx", settings)  # 900 × 20: allowed
    assert sheet.header[:2] == HEADER


def test_a_hidden_first_sheet_is_measured_too() -> None:
    assert rejected(_workbook(hidden_first=True, GR1048576="x")) == "sheet_too_large"
    sheet = read_file(_workbook(hidden_first=True), "ok.xlsx", SETTINGS)
    assert sheet.header[:2] == HEADER


def test_a_nul_anywhere_in_a_csv_makes_it_unreadable() -> None:
    """Not only in the first bytes: PostgreSQL cannot store a NUL, so a preview that let
    one through would promise a write that then fails."""
    rows = [HEADER, *[["4601234567893", "1"]] * 5000, ["4601234567893", "1\x00"]]
    content = csv_file(rows)
    assert len(content) > 65536
    assert rejected(content, name="file.csv") == "not_a_spreadsheet"
