"""Orders files: the marketplaces' own exports (tests/fixtures/marketplaces, copied from the
shared samples with their README) and our template, each order placed by the use case
POST /orders runs, the whole file in one transaction or nothing."""

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core.imports.orders import OrderOptions
from data.database import Database
from data.files.workbooks import errors_workbook, example_file
from tests.conftest import make_product
from tests.helpers import dc_id, post, source_id
from tests.import_files import csv_file, errors_of, run, xlsx
from tests.log_capture import captured_logs
from tests.order_checks import check_reservations
from tests.order_files import SAMPLES, catalogue, orders, sample, statuses

# (file, format, marketplace, orders, lines, units, options)
CASES = [
    ("wb_fbs_orders.xlsx", "wb_fbs", "Wildberries", "customer", 15, 15, 15, None),
    ("ozon_fbs_postings.csv", "ozon_fbs", "Ozon", "customer", 9, 13, 17, None),
    ("ozon_fbs_postings_ddmmyyyy.csv", "ozon_fbs", "Ozon", "customer", 9, 13, 17, None),
    ("yandex_orders.xlsx", "yandex", "Яндекс Маркет", "customer", 5, 8, 14, None),
    ("wb_fbo_supply.xlsx", "wb_fbo", "Wildberries", "supply", 1, 8, 212, "WB Коледино"),
    ("wb_fbo_boxes.xlsx", "wb_fbo_boxes", "Wildberries", "supply", 1, 8, 212, "WB Тула"),
    ("ozon_fbo_supply.xlsx", "ozon_fbo", "Ozon", "supply", 1, 7, 177, "Ozon Пушкино"),
]


@pytest.mark.parametrize(
    ("name", "fmt", "marketplace", "kind", "n_orders", "n_lines", "units", "dc"), CASES
)
def test_each_marketplace_sample_imports_as_its_orders_and_lines(
    db: Database, name: str, fmt: str, marketplace: str, kind: str, n_orders: int,
    n_lines: int, units: int, dc: str | None,
) -> None:  # fmt: skip
    catalogue(db, stocked=100)
    options = OrderOptions("Поставка 77", dc_id(db, dc)) if dc else None

    preview = run(db, sample(name), "orders", name=name, order_options=options)
    assert errors_of(preview) == [] and preview.file_format == fmt
    assert preview.counts == {"order_create": n_orders}
    report = run(db, sample(name), "orders", name=name, order_options=options, dry_run=False)

    assert report.applied and report.file_format == fmt
    placed = orders(db)
    assert len(placed) == n_orders
    assert {(k, s) for _e, k, s, _l, _u in placed} == {(kind, marketplace)}
    assert sum(lines for *_r, lines, _u in placed) == n_lines
    assert sum(u for *_r, u in placed) == units
    if dc:
        assert placed[0][0] == "Поставка 77"
    check_reservations(db)


def test_each_wb_assembly_task_is_an_order_of_one_unit_named_by_its_number(
    db: Database,
) -> None:
    catalogue(db, stocked=100)
    run(db, sample("wb_fbs_orders.xlsx"), "orders", dry_run=False)
    sheet = load_workbook(SAMPLES / "wb_fbs_orders.xlsx", read_only=True).active
    tasks = [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert sorted(e for e, *_rest in orders(db)) == sorted(tasks)
    assert {(lines, u) for _e, _k, _s, lines, u in orders(db)} == {(1, 1)}


def test_both_ozon_date_formats_are_read_and_a_wrong_date_is_a_row_error(db: Database) -> None:
    catalogue(db)
    iso = run(db, sample("ozon_fbs_postings.csv"), "orders")
    dotted = run(db, sample("ozon_fbs_postings_ddmmyyyy.csv"), "orders")
    assert errors_of(iso) == errors_of(dotted) == []
    assert iso.changes == dotted.changes
    text = sample("ozon_fbs_postings.csv").decode("utf-8-sig")
    broken = text.replace('"2024-06-', '"2024-13-', 1).encode("utf-8-sig")

    report = run(db, broken, "orders", name="ozon.csv")

    assert [(row, code) for row, _c, code in errors_of(report)] == [(2, "invalid_date")]
    assert report.errors[0].column == "Принят в обработку"


def test_orders_waiting_for_stock_and_reserved_ones_come_out_as_post_orders_makes_them(
    db: Database,
) -> None:
    ids = catalogue(db)
    hoodie = next(b for b in ids if b.startswith("20"))
    post(db, "RECEIPT", ids[hoodie], 1)
    run(db, sample("yandex_orders.xlsx"), "orders", dry_run=False)
    assert statuses(db) == {"awaiting_stock": 5}
    check_reservations(db)


def test_unknown_barcodes_and_articles_are_row_errors_and_nothing_is_written(
    db: Database,
) -> None:
    catalogue(db, stocked=100, leave_out=2)  # two of the ten are not in the catalogue

    wb = run(db, sample("wb_fbs_orders.xlsx"), "orders", dry_run=False)
    ozon = run(db, sample("ozon_fbs_postings.csv"), "orders", dry_run=False)

    assert not wb.applied and not ozon.applied
    assert {code for _r, _c, code in errors_of(wb)} == {"unknown_barcode"}
    assert {column for _r, column, _c in errors_of(wb)} == {"Баркод"}
    assert {code for _r, _c, code in errors_of(ozon)} == {"unknown_sku"}
    assert all("не найден" in e.message for e in wb.errors + ozon.errors)
    assert orders(db) == []
    workbook = errors_workbook(sample("ozon_fbs_postings.csv"), "ozon.csv", ozon)
    marked = load_workbook(io.BytesIO(workbook), read_only=True)
    noted = [r[1] for r in marked.active.iter_rows(values_only=True) if len(r) > 1 and r[1]]
    assert any("Артикул" in str(n) for n in noted)


def test_a_repeat_import_books_nothing_new(db: Database) -> None:
    catalogue(db, stocked=100)
    first = run(db, sample("ozon_fbs_postings.csv"), "orders", dry_run=False)
    before = (orders(db), statuses(db))

    again = run(db, sample("ozon_fbs_postings_ddmmyyyy.csv"), "orders")
    assert again.counts == {"order_exists": 9}
    repeat = run(db, sample("ozon_fbs_postings.csv"), "orders", dry_run=False)

    assert first.applied and repeat.applied and repeat.same_file_imported_before
    assert (orders(db), statuses(db)) == before
    check_reservations(db)


def test_a_supply_takes_its_dc_from_the_file_name_or_says_to_choose_one(db: Database) -> None:
    catalogue(db, stocked=100)
    unnamed = run(db, sample("wb_fbo_supply.xlsx"), "orders", name="wb_fbo_supply.xlsx")
    assert [(r, code) for r, _c, code in errors_of(unnamed)] == [
        (1, "distribution_center_required")
    ]
    other = run(db, sample("wb_fbo_supply.xlsx"), "orders",
                order_options=OrderOptions(None, dc_id(db, "Ozon Пушкино")))  # fmt: skip
    assert [code for _r, _c, code in errors_of(other)] == ["distribution_center_not_found"]

    named = "Поставка WB Коледино 15.06.xlsx"
    report = run(db, sample("wb_fbo_supply.xlsx"), "orders", name=named, dry_run=False)

    assert report.applied
    with db.engine.connect() as conn:
        row = conn.execute(sa.text("SELECT external_id, distribution_center_id FROM sale_order"))
        assert [tuple(r) for r in row] == [("Поставка WB Коледино 15.06", dc_id(db))]


def test_our_template_reads_orders_by_number_with_their_marketplace_and_dc(
    db: Database,
) -> None:
    ids = catalogue(db, stocked=100)
    one, two = sorted(ids)[:2]

    def template(ozon: str) -> bytes:
        return xlsx([
            ["Номер заказа", "Штрихкод", "Количество", "Маркетплейс", "РЦ"],
            ["A-1", one, 2, "Wildberries", None],
            ["A-1", two, 1, "Wildberries", None],
            ["A-1", one, 1, "Wildberries", None],
            ["S-1", two, 5, None, "Ozon Хоругвино"],
            ["B-2", one, 1, ozon, None],
        ])  # fmt: skip

    bad = run(db, template("Озон"), "orders")
    assert [(r, code) for r, _c, code in errors_of(bad)] == [(6, "source_not_found")]
    report = run(db, template("ozon"), "orders", dry_run=False)

    assert report.file_format == "template" and report.applied
    assert orders(db) == [
        ("A-1", "customer", "Wildberries", 2, 4),
        ("S-1", "supply", "Ozon", 1, 5),
        ("B-2", "customer", "Ozon", 1, 1),
    ]
    assert source_id(db, "Ozon")


def test_a_file_of_no_known_shape_says_which_formats_are_read(db: Database) -> None:
    content = csv_file([["Баркод", "Склад продавца"], ["4600000000011", "Подольск"]])
    report = run(db, content, "orders", name="x.csv")
    assert [code for _r, _c, code in errors_of(report)] == ["unknown_order_format"]
    assert "Wildberries FBS" in report.errors[0].message


def test_the_orders_example_file_imports_as_our_template(db: Database) -> None:
    name, content = example_file("orders")
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert name == "example-orders.xlsx"
    assert ("Номер заказа", "Штрихкод", "Количество", "Маркетплейс", "РЦ") in rows
    for code in {row[1] for row in rows[2:]}:
        make_product(db, barcode=code, sku=f"EX-{code}")
    report = run(db, content, "orders")
    assert report.file_format == "template" and errors_of(report) == []
    assert report.counts == {"order_create": 2}


def test_each_imported_order_is_said_once_in_the_log_after_the_commit(db: Database) -> None:
    catalogue(db, stocked=100)
    with captured_logs() as out:
        run(db, sample("ozon_fbs_postings.csv"), "orders", dry_run=False)
        run(db, sample("ozon_fbs_postings.csv"), "orders", dry_run=False)  # a repeat: no line
    placed = out.events("order placed")
    assert sorted(line["external_id"] for line in placed) == sorted(o[0] for o in orders(db))
    assert len(placed) == 9 and all(isinstance(line["order_id"], int) for line in placed)
    with captured_logs() as out:  # a preview places nothing and says nothing
        assert run(db, sample("wb_fbs_orders.xlsx"), "orders").counts
    assert out.events("order placed") == []
