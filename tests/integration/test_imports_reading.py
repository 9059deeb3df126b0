"""Reading import files the way the center's spreadsheets really look: title blocks,
barcodes Excel mangled, Windows-1251 CSV, trailing formatted rows, formulas."""

import io

import sqlalchemy as sa
import xlwt
from openpyxl import Workbook
from openpyxl.styles import PatternFill

from data.database import Database
from data.files.spreadsheets import read_file
from tests.conftest import make_product
from tests.helpers import stock
from tests.import_files import (
    SETTINGS,
    csv_file,
    ean,
    errors_of,
    run,
    with_check_digit,
    with_formula,
    xlsx,
)

TITLE = [["Приёмка от ООО «Поставщик»"], ["Накладная № 15 от 01.03"], []]


def test_the_header_is_found_below_a_title_block_and_rows_keep_their_numbers(
    db: Database,
) -> None:
    code = ean()
    make_product(db, barcode=code)
    content = xlsx(
        [["Баркод", "Количество"], [code, 5], [ean(), 3]],
        title=TITLE,
    )
    report = run(db, content, operation_type="RECEIPT")
    # The title block takes rows 1-3, the header is row 4: the rows are 5 and 6.
    assert report.rows_total == 2
    assert errors_of(report) == [(6, "Баркод", "unknown_barcode")]


def test_headers_match_ignoring_case_spaces_and_punctuation(db: Database) -> None:
    code = ean()
    product = make_product(db, barcode=code)
    content = xlsx([["  ШТРИХКОД ", "кол - во", "операция"], [code, 4, "приемка"]])
    report = run(db, content, dry_run=False)
    assert report.applied, report.errors
    assert stock(db, product)["good"] == 4


def test_barcodes_keep_their_leading_zeros(db: Database) -> None:
    code = with_check_digit("046012345600")
    content = xlsx([["Штрихкод", "Артикул", "Наименование"], [code, "A-1", "Ложка"]])
    report = run(db, content, "products", dry_run=False)
    assert report.applied, report.errors
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT barcode FROM product")).scalar_one() == code


def test_a_number_cell_holding_a_whole_barcode_is_read_as_its_digits(db: Database) -> None:
    code = with_check_digit("460123456789")
    product = make_product(db, barcode=code)
    content = xlsx([["Баркод", "Кол-во"], [float(code), 2.0]])  # as Excel stores numbers
    report = run(db, content, operation_type="RECEIPT", dry_run=False)
    assert report.applied, report.errors
    assert stock(db, product)["good"] == 2


def test_scientific_notation_that_lost_digits_is_an_error_not_a_guess(db: Database) -> None:
    code = with_check_digit("460123456789")  # 13 digits
    make_product(db, barcode=code)
    lost = f"{code[0]}.{code[1:12]}E+12"  # the last digit is gone
    exact = f"{code[0]}.{code[1:]}E+12"  # every digit survived
    content = xlsx([["Баркод", "Кол-во"], [lost, 1], [exact, 1]])
    report = run(db, content, operation_type="RECEIPT")
    assert errors_of(report) == [(2, "Баркод", "invalid_barcode")]
    assert "потеряло цифры" in report.errors[0].message
    assert report.rows_ok == 1


def test_a_text_starting_with_equals_is_kept_as_text(db: Database) -> None:
    code = ean()
    name = '=HYPERLINK("http://example.com","Чайник")'
    report = run(db, xlsx([["Баркод", "Артикул", "Наименование"], [code, "=A1", name]]), "products",
                 dry_run=False)  # fmt: skip
    assert report.applied, report.errors
    with db.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT sku, name FROM product")).one()
    assert tuple(row) == ("=A1", name)


def test_formulas_are_never_evaluated(db: Database) -> None:
    code = ean()
    product = make_product(db, barcode=code)
    base = xlsx([["Баркод", "Кол-во"], [code, 1], [code, 1]])
    # B2: a formula Excel calculated (its shown value is stored); B3: one nobody calculated.
    content = with_formula(with_formula(base, "B2", "2*5", "10"), "B3", "2*5", None)
    report = run(db, content, operation_type="RECEIPT")
    assert errors_of(report) == [(3, "Кол-во", "quantity_required")]
    assert report.changes[0].description.endswith("× 10")
    assert stock(db, product)["good"] == 0  # a dry run


def test_a_windows_1251_csv_with_semicolons(db: Database) -> None:
    code = ean()
    product = make_product(db, barcode=code)
    content = csv_file(
        [["Остатки склада"], [], ["Штрихкод", "Количество", "Операция", "Комментарий"],
         [code, "7", "Приёмка", "Поставка «Весна»"]],
        delimiter=";", encoding="cp1251",
    )  # fmt: skip
    report = run(db, content, name="приёмка.csv", dry_run=False)
    assert report.applied, report.errors
    assert stock(db, product)["good"] == 7
    with db.engine.connect() as conn:
        notes = conn.execute(sa.text("SELECT notes FROM movement")).scalar_one()
    assert notes == "Поставка «Весна»"


def test_a_utf8_csv_with_a_byte_order_mark_and_commas(db: Database) -> None:
    code = ean()
    product = make_product(db, barcode=code)
    content = csv_file(
        [["Barcode", "Qty", "Operation"], [code, "3", "RECEIPT"], [f" {code} ", " 2 ", "receipt"]],
        delimiter=",", bom=True,
    )  # fmt: skip
    report = run(db, content, name="in.csv", dry_run=False)
    assert report.applied, report.errors
    assert stock(db, product)["good"] == 5  # values are trimmed


def test_csv_rows_are_numbered_by_line(db: Database) -> None:
    content = csv_file([["Баркод", "Количество"], [ean(), "1"], [ean(), "1"]], delimiter=",")
    report = run(db, content, operation_type="RECEIPT", name="x.csv")
    assert [e.row for e in report.errors] == [2, 3]


def test_trailing_empty_and_only_formatted_rows_are_ignored(db: Database) -> None:
    code = ean()
    make_product(db, barcode=code)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Баркод", "Кол-во"])
    sheet.append([code, 1])
    sheet.append(["   ", None])  # blanks typed into a cell
    fill = PatternFill("solid", fgColor="FFFF00")
    for row in range(4, 60):  # painted, bordered, formatted — but empty
        sheet.cell(row=row, column=1).fill = fill
        sheet.cell(row=row, column=2).number_format = "0.00"
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(db, buffer.getvalue(), operation_type="RECEIPT")
    assert (report.rows_total, report.rows_ok, report.errors) == (1, 1, [])


def test_quantities_must_be_positive_whole_numbers(db: Database) -> None:
    code = ean()
    make_product(db, barcode=code)
    content = xlsx(
        [["Баркод", "Количество"], [code, "10 шт"], [code, 2.5], [code, 0], [code, -3],
         [code, None], [code, "1 000"], [code, "12"]],
    )  # fmt: skip
    report = run(db, content, operation_type="RECEIPT")
    assert errors_of(report) == [
        (2, "Количество", "invalid_quantity"),
        (3, "Количество", "invalid_quantity"),
        (4, "Количество", "invalid_quantity"),
        (5, "Количество", "invalid_quantity"),
        (6, "Количество", "quantity_required"),
    ]
    assert "«10 шт»" in report.errors[0].message
    assert report.counts == {"RECEIPT": 2}


def test_the_reader_gives_the_header_and_numbered_rows() -> None:
    sheet = read_file(xlsx([["Баркод", "Кол-во"], ["1", 2]], title=TITLE), "f.xlsx", SETTINGS)
    assert sheet.header_row == 4
    assert {name: c.header for name, c in sheet.columns.items()} == {
        "barcode": "Баркод",
        "quantity": "Кол-во",
    }
    assert list(sheet.rows) == [(5, ["1", 2.0])]


def test_an_old_excel_xls_file(db: Database) -> None:
    """.xls (Excel 97–2003, written here by xlwt): text, numbers and a title block."""
    code = with_check_digit("046012345601")
    product = make_product(db, barcode=code)
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Приход")
    sheet.write(0, 0, "Приход товара")
    for column, title in enumerate(["Штрихкод", "Количество", "Операция"]):
        sheet.write(2, column, title)
    sheet.write(3, 0, code)  # text: the leading zero stays
    sheet.write(3, 1, 6)
    sheet.write(3, 2, "Приёмка")
    sheet.write(4, 0, float(code))  # a number cell: the leading zero is gone
    sheet.write(4, 1, 1)
    sheet.write(4, 2, "Приёмка")
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = run(db, buffer.getvalue(), name="old.xls")
    assert errors_of(report) == [(5, "Штрихкод", "unknown_barcode")]
    message = report.errors[0].message  # names the product the zero-less code meant
    assert f"со штрихкодом {code}" in message and "потеряла ведущие нули" in message
    assert report.counts == {"RECEIPT": 1}
    assert report.changes[0].row == 4
    assert stock(db, product)["good"] == 0
