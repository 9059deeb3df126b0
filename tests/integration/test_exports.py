"""Exports to .xlsx: what a manager opens in Excel must be right — a frozen bold header with
a filter, numbers as numbers, barcodes as text with their leading zeros, nothing a
spreadsheet could run as a formula, and exactly the rows the page's filters show.
From data.files.exports directly, through the REST API and through the pages' buttons."""

import io
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import openpyxl
import pytest
from nicegui import app as nicegui_app
from nicegui.testing import User
from openpyxl.worksheet.worksheet import Worksheet

import data.stock.journal
from core.settings import Settings
from data.database import Database
from data.files import exports
from data.files.exports import XlsxWriter
from data.imports.importing import import_file
from tests.api_client import assert_error, barcode, signed_in
from tests.conftest import make_product, open_page
from tests.helpers import dc_id, post, source_id

MOSCOW = "Europe/Moscow"
HOSTILE = ('=HYPERLINK("http://evil","x")', "+7 999 123-45-67", "-2+3", "@SUM(A1)", "\tx")


def workbook(source: bytes | Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(source) if isinstance(source, bytes) else source)


def table(sheet: Worksheet) -> list[dict[str, Any]]:
    """Data rows as dicts by header."""
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row, strict=True)) for row in rows[1:]]


def write(db: Database, tmp_path: Path, kind: str, **filters: Any) -> openpyxl.Workbook:
    path = tmp_path / f"{kind}.xlsx"
    export = {
        "products": exports.export_products,
        "balances": exports.export_balances,
        "journal": exports.export_journal,
    }[kind]
    export(db.engine, path, **filters, time_zone=MOSCOW)
    return workbook(path)


def assert_well_formed(content: bytes) -> None:
    """Every part parses as XML, no cell anywhere is a formula."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        assert {"[Content_Types].xml", "xl/workbook.xml", "xl/styles.xml"} <= set(names)
        for name in names:
            root = ElementTree.fromstring(archive.read(name))
            assert not [e for e in root.iter() if e.tag.endswith("}f")], name


# --- The file itself ---


def test_header_is_bold_frozen_and_filtered_and_columns_have_widths(
    db: Database, tmp_path: Path
) -> None:
    make_product(db, sku="MUG", name="Кружка")
    sheet = write(db, tmp_path, "products").active
    assert sheet.title == "Товары"
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:L2"  # … «Маркировка», «Удалён», «Создан»
    header = next(sheet.iter_rows(max_row=1))
    assert [c.value for c in header][:5] == [
        "Артикул", "Наименование", "Штрихкод", "GTIN", "Мин. остаток",
    ]  # fmt: skip
    assert all(c.font.b for c in header)
    widths = {sheet.column_dimensions[c.column_letter].width for c in header}
    assert min(widths) >= 8 and sheet.column_dimensions["B"].width >= 40  # the name fits


def test_barcodes_are_text_with_leading_zeros_and_numbers_are_numbers(
    db: Database, tmp_path: Path
) -> None:
    make_product(
        db, sku="0042", name="Чай", barcode="0460123456789", gtin="04601234567890", min_stock=12
    )
    sheet = write(db, tmp_path, "products").active
    row = next(sheet.iter_rows(min_row=2, max_row=2))
    by_header = {h.value: c for h, c in zip(sheet[1], row, strict=True)}
    for header, text in (("Штрихкод", "0460123456789"), ("GTIN", "04601234567890")):
        cell = by_header[header]
        assert (cell.value, cell.data_type, cell.number_format) == (text, "s", "@")
    assert (by_header["Артикул"].value, by_header["Артикул"].data_type) == ("0042", "s")
    assert by_header["Мин. остаток"].value == 12
    assert by_header["Мин. остаток"].data_type == "n"


def test_text_that_looks_like_a_formula_stays_text(db: Database, tmp_path: Path) -> None:
    """OWASP: = + - @ and tab at the start are neutralised — string cells, never formulas,
    with Excel's quote prefix so editing the cell keeps it text; the data is unchanged."""
    for i, name in enumerate(HOSTILE):
        make_product(db, sku=f"H{i}", name=name)
    make_product(db, sku="OK", name="Обычный товар")
    path = tmp_path / "products.xlsx"
    exports.export_products(db.engine, path, sort="sku")
    assert_well_formed(path.read_bytes())
    sheet = workbook(path).active
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    for i, name in enumerate(HOSTILE):
        cell = cells[f"H{i}"]
        assert (cell.value, cell.data_type, cell.quotePrefix) == (name, "s", True)
    assert cells["OK"].quotePrefix is False


def test_times_are_excel_dates_on_the_warehouse_clock(db: Database, tmp_path: Path) -> None:
    mug = make_product(db)
    posted = post(db, "RECEIPT", mug, 5).movement
    sheet = write(db, tmp_path, "journal").active
    moment = table(sheet)[0]["Дата и время"]
    assert isinstance(moment, datetime)
    expected = posted.created_at.astimezone(exports._zone(MOSCOW)).replace(tzinfo=None)
    assert abs(moment - expected) < timedelta(seconds=1)
    assert sheet["B2"].number_format == "dd.mm.yyyy hh:mm"


def test_control_characters_and_long_texts_do_not_break_the_file(tmp_path: Path) -> None:
    columns = [exports.Column("Текст", "text", 20, "t")]
    rows = [{"t": "bell\x07 and nul\x00"}, {"t": "я" * 40_000}, {"t": "  spaced  "}]
    path = tmp_path / "odd.xlsx"
    exports.write_table(path, "Лист", columns, rows)
    assert_well_formed(path.read_bytes())
    values = [r["Текст"] for r in table(workbook(path).active)]
    assert values == ["bell and nul", "я" * exports.EXCEL_MAX_TEXT, "  spaced  "]


def test_a_table_longer_than_a_sheet_continues_on_the_next(tmp_path: Path) -> None:
    columns = [exports.Column("№", "int", 6, "n")]
    path = tmp_path / "long.xlsx"
    with XlsxWriter(path, "Журнал", columns, max_rows=4) as writer:  # header + 3 rows a sheet
        for n in range(1, 8):
            writer.append([n])
    book = workbook(path)
    assert book.sheetnames == ["Журнал", "Журнал (2)", "Журнал (3)"]
    assert [[r["№"] for r in table(book[name])] for name in book.sheetnames] == [
        [1, 2, 3], [4, 5, 6], [7],
    ]  # fmt: skip
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames)


def test_an_empty_export_still_has_its_header(db: Database, tmp_path: Path) -> None:
    sheet = write(db, tmp_path, "journal").active
    assert sheet.max_row == 1 and sheet["A1"].value == "№"


# --- The pages' filters ---


def test_products_export_follows_search_and_deleted_filter(db: Database, tmp_path: Path) -> None:
    make_product(db, sku="TEE-1", name="Футболка белая")
    make_product(db, sku="TEE-2", name="Футболка чёрная", is_deleted=True)
    make_product(db, sku="MUG", name="Кружка")
    live = table(write(db, tmp_path, "products", q="футболка").active)
    assert [r["Артикул"] for r in live] == ["TEE-1"]
    gone = table(write(db, tmp_path, "products", deleted=True).active)
    assert [(r["Артикул"], r["Удалён"]) for r in gone] == [("TEE-2", "да")]
    both = table(write(db, tmp_path, "products", deleted=None, sort="sku").active)
    assert [r["Артикул"] for r in both] == ["MUG", "TEE-1", "TEE-2"]


def test_balances_export_has_the_numbers_of_the_page_and_its_filters(
    db: Database, tmp_path: Path
) -> None:
    mug = make_product(db, sku="MUG", name="Кружка", min_stock=10)
    tee = make_product(db, sku="TEE", name="Футболка", min_stock=50)
    post(db, "RECEIPT", mug, 1200)
    post(db, "RECEIPT_DEFECT", mug, 3)
    post(db, "RECEIPT", tee, 40)
    rows = {r["Артикул"]: r for r in table(write(db, tmp_path, "balances").active)}
    assert {k: (r["Годный"], r["Брак"], r["Доступно"]) for k, r in rows.items()} == {
        "MUG": (1200, 3, 1200),
        "TEE": (40, 0, 40),
    }
    assert (rows["TEE"]["Ниже минимума"], rows["MUG"]["Ниже минимума"]) == ("да", None)
    low = table(write(db, tmp_path, "balances", low_only=True).active)
    assert [r["Артикул"] for r in low] == ["TEE"]
    found = table(write(db, tmp_path, "balances", q="круж").active)
    assert [r["Артикул"] for r in found] == ["MUG"]
    typed = table(write(db, tmp_path, "balances", q="rhe;").active)  # «круж», English layout
    assert [r["Артикул"] for r in typed] == ["MUG"]
    by_defect = table(write(db, tmp_path, "balances", sort="defect", descending=True).active)
    assert [r["Артикул"] for r in by_defect] == ["MUG", "TEE"]
    by_available = table(write(db, tmp_path, "balances", sort="available").active)
    assert [r["Артикул"] for r in by_available] == ["TEE", "MUG"]


def test_journal_export_follows_the_filters_newest_first(db: Database, tmp_path: Path) -> None:
    mug = make_product(db, sku="MUG", name="Кружка")
    tee = make_product(db, sku="TEE", name="Футболка")
    post(db, "RECEIPT", mug, 10)
    post(db, "RECEIPT", tee, 20)
    post(db, "SHIPMENT_RC", mug, 4, distribution_center_id=dc_id(db))
    post(db, "RETURN_PICKUP", tee, 1, source_id=source_id(db), notes="=cmd|' /C calc'!A0")
    everything = table(write(db, tmp_path, "journal").active)
    assert [(r["Операция"], r["Артикул"], r["Количество"]) for r in everything] == [
        ("Возврат с ПВЗ", "TEE", 1),
        ("Отгрузка на РЦ", "MUG", 4),
        ("Приёмка", "TEE", 20),
        ("Приёмка", "MUG", 10),
    ]
    shipment = everything[1]
    assert (shipment["Откуда"], shipment["Куда"], shipment["РЦ"]) == (
        "Годный", "РЦ маркетплейсов", "WB Коледино",
    )  # fmt: skip
    assert everything[0]["Источник"] == "Wildberries"
    assert everything[0]["Комментарий"] == "=cmd|' /C calc'!A0"
    receipts = data.stock.journal.JournalFilter(operation_type="RECEIPT", product_id=mug)
    only = table(write(db, tmp_path, "journal", flt=receipts).active)
    assert [(r["Операция"], r["Артикул"]) for r in only] == [("Приёмка", "MUG")]
    future = data.stock.journal.JournalFilter(date_from=datetime.now(UTC) + timedelta(days=1))
    assert table(write(db, tmp_path, "journal", flt=future).active) == []


def test_journal_is_read_in_chunks_without_losing_or_repeating_a_movement(
    db: Database, tmp_path: Path
) -> None:
    """An import writes its movements with one timestamp: the keyset must break ties by id."""
    product = make_product(db, barcode="4601234567893")
    post(db, "RECEIPT", product, 1)
    csv = "Баркод;Количество\n" + "".join(f"4601234567893;{n}\n" for n in range(2, 9))
    report = import_file(
        db, content=csv.encode(), file_name="r.csv", kind="movements",
        operation_type="RECEIPT", dry_run=False, settings=Settings(),
    )  # fmt: skip
    assert report.applied, report.errors
    post(db, "RECEIPT", product, 9)
    whole = [m["id"] for m in data.stock.journal.journal(db.engine, limit=100).items]
    chunks = list(data.stock.journal.journal_chunks(db.engine, chunk_size=2))
    assert [len(c) for c in chunks] == [2, 2, 2, 2, 1]
    assert [m["id"] for c in chunks for m in c] == whole
    path = tmp_path / "journal.xlsx"
    assert exports.export_journal(db.engine, path, chunk_size=3) == 9
    assert [r["Количество"] for r in table(workbook(path).active)] == [9, *range(8, 0, -1)]


# --- The REST API ---


def xlsx_of(response: httpx.Response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == exports.XLSX_MEDIA_TYPE
    assert ".xlsx" in response.headers["content-disposition"]
    assert_well_formed(response.content)
    return workbook(response.content)


async def test_api_exports_with_the_list_filters(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    leading_zero = barcode("0460")
    mug = await api.new_product(name="Кружка", min_stock=10, barcode=leading_zero)
    tee = await api.new_product(name="Футболка", min_stock=1)
    await api.move("RECEIPT", mug["id"], 8)
    await api.move("RECEIPT", tee["id"], 4)
    await api.move("WRITE_OFF", tee["id"], 1)

    products = table(xlsx_of(await api.get("/exports/products", params={"q": "круж"})).active)
    assert [(r["Наименование"], r["Штрихкод"]) for r in products] == [("Кружка", leading_zero)]

    low = table(xlsx_of(await api.get("/exports/balances", params={"low_only": "true"})).active)
    assert [(r["Наименование"], r["Годный"]) for r in low] == [("Кружка", 8)]

    journal = await api.get(
        "/exports/journal",
        params={"operation_type": "RECEIPT", "product_id": tee["id"],
                "date_from": datetime.now(UTC).date().isoformat()},
    )  # fmt: skip
    rows = table(xlsx_of(journal).active)
    assert [(r["Операция"], r["Наименование"], r["Количество"]) for r in rows] == [
        ("Приёмка", "Футболка", 4)
    ]
    everything = table(xlsx_of(await api.get("/exports/journal")).active)
    assert len(everything) == 3


async def test_api_export_refuses_bad_filters_with_the_error_body(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    wrong = await api.get("/exports/journal", params={"operation_type": "NOPE"})
    assert_error(wrong, 422, "unknown_operation")
    assert_error(await api.get("/exports/journal", params={"date_to": "вчера"}), 422)
    assert_error(await api.get("/exports/balances", params={"low_only": "maybe"}), 422)


@pytest.mark.parametrize("path", ["/exports/products", "/exports/balances", "/exports/journal"])
async def test_api_exports_need_a_manager_token(
    visitor: User, app_database: Database, path: str
) -> None:
    anonymous = await signed_in(visitor.http_client, app_database)
    anonymous.token = None
    assert_error(await anonymous.get(path), 401, "not_authenticated")
    worker = await signed_in(visitor.http_client, app_database, role="worker")
    assert_error(await worker.get(path), 403, "forbidden")
    manager = await signed_in(visitor.http_client, app_database, role="manager")
    xlsx_of(await manager.get(path))


async def test_api_exports_are_documented_as_files(visitor: User) -> None:
    schema = (await visitor.http_client.get("/openapi.json")).json()
    for kind in ("products", "balances", "journal"):
        ok = schema["paths"][f"/api/v1/exports/{kind}"]["get"]["responses"]["200"]
        assert exports.XLSX_MEDIA_TYPE in ok["content"]


# --- The pages' buttons ---


async def test_balances_button_downloads_what_the_page_shows(
    manager: User, app_database: Database
) -> None:
    mug = make_product(app_database, sku="MUG", name="Кружка", min_stock=10)
    tee = make_product(app_database, sku="TEE", name="Футболка", min_stock=50)
    post(app_database, "RECEIPT", mug, 100)
    post(app_database, "RECEIPT", tee, 5)
    await open_page(manager, "/balances?low=true")
    await manager.should_see(marker="balances-table")
    manager.find(marker="export-balances").click()
    response = await manager.download.next(timeout=10)
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    rows = table(workbook(response.content).active)
    assert [(r["Артикул"], r["Годный"]) for r in rows] == [("TEE", 5)]
    again = await manager.http_client.get(str(response.request.url))
    assert again.status_code == 404  # a download address works once


async def test_journal_button_downloads_with_the_address_filters(
    manager: User, app_database: Database
) -> None:
    mug = make_product(app_database, sku="MUG", name="Кружка")
    tee = make_product(app_database, sku="TEE", name="Футболка")
    post(app_database, "RECEIPT", mug, 7)
    post(app_database, "RECEIPT", tee, 3)
    await open_page(manager, f"/journal?product_id={tee}")
    await manager.should_see(marker="journal")
    manager.find(marker="export-journal").click()
    response = await manager.download.next(timeout=10)
    rows = table(workbook(response.content).active)
    assert [(r["Артикул"], r["Количество"]) for r in rows] == [("TEE", 3)]


async def test_products_button_downloads_and_another_browser_cannot_fetch_it(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_product(app_database, sku="MUG", name="Кружка", barcode="0000000000017")
    await open_page(manager, "/products")
    await manager.should_see(marker="products-table")
    fetch = manager.download._get
    strangers: list[int] = []

    async def stranger_first(src: Any) -> None:
        # Another browser (no session of the manager) asks for the same address first.
        transport = httpx.ASGITransport(nicegui_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
            strangers.append((await other.get(str(src))).status_code)
        await fetch(src)

    monkeypatch.setattr(manager.download, "_get", stranger_first)
    manager.find(marker="export-products").click()
    response = await manager.download.next(timeout=10)
    assert strangers == [404] and response.status_code == 200
    row = table(workbook(response.content).active)[0]
    assert (row["Артикул"], row["Штрихкод"]) == ("MUG", "0000000000017")


async def test_a_worker_has_no_export(worker: User) -> None:
    await open_page(worker, "/balances")
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="export-balances")


async def test_low_stock_button_downloads_the_quantity_to_order(
    manager: User, app_database: Database
) -> None:
    mug = make_product(app_database, sku="MUG", name="Кружка", min_stock=10)
    tee = make_product(app_database, sku="TEE", name="Футболка", min_stock=50)
    make_product(app_database, sku="CAP", name="Кепка", min_stock=4)  # none at all
    post(app_database, "RECEIPT", mug, 100)  # well above its minimum: not listed
    post(app_database, "RECEIPT", tee, 12)
    post(app_database, "SHIPMENT_RC", tee, 6, distribution_center_id=dc_id(app_database))
    await open_page(manager, "/alerts")
    await manager.should_see(marker="alerts-table")
    manager.find(marker="export-low_stock").click()
    response = await manager.download.next(timeout=10)
    assert response.status_code == 200
    book = workbook(response.content)
    assert book.active.title == "Дефицит"
    rows = table(book.active)
    to_order = "Заказать до мин. остатка, шт."
    assert [(r["Артикул"], r["Доступно"], r["Мин. остаток"], r[to_order]) for r in rows] == [
        ("TEE", 6, 50, 44),  # runs out first: 6 left at 0.2 a day
        ("CAP", 0, 4, 4),  # no shipments: after those with a rate
    ]
    assert rows[0]["Хватит на, дн."] == 30
    assert rows[0]["Штрихкод"] is not None
