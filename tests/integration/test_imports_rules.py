"""Importing files: every row checked first, all errors at once, and then the whole file
written in one transaction — or nothing."""

import io
import json
import threading
import time

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from core.errors import Conflict, InsufficientStock, ValidationError
from core.events import EventType
from core.imports import IMPORT_KINDS
from core.imports.order_formats import ORDER_COLUMNS
from core.stock.operations import IMPORT_COLUMNS
from data.database import Database
from data.files.workbooks import errors_workbook, example_file
from data.imports.queries import import_history
from data.imports.store import SqlImportStore
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import add_user, make_product
from tests.helpers import post, source_id, stock
from tests.import_files import csv_file, ean, errors_of, run, xlsx


def count(db: Database, table: str, where: str = "") -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text(f"SELECT count(*) FROM {table} {where}")).scalar_one()


def product_with_barcode(db: Database, **fields: object) -> tuple[int, str]:
    code = ean()
    return make_product(db, barcode=code, **fields), code


# --- Movements ---


def test_a_receipt_file_is_written_with_its_import_document_and_user(db: Database) -> None:
    kettle, kettle_code = product_with_barcode(db, name="Чайник")
    mug, mug_code = product_with_barcode(db, name="Кружка")
    user = add_user(db, "manager-1", "manager")
    content = xlsx([["Баркод", "Количество"], [kettle_code, 10], [mug_code, 4], [kettle_code, 1]])

    report = run(db, content, operation_type="RECEIPT", dry_run=False, user_id=user)

    assert report.applied and report.import_id is not None
    assert (report.rows_total, report.rows_ok, report.counts) == (3, 3, {"RECEIPT": 3})
    assert report.changes[0].description == f"Приёмка: Чайник ({kettle_code}) × 10"
    assert stock(db, kettle)["good"] == 11 and stock(db, mug)["good"] == 4
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT document, user_id FROM movement")).all()
    assert {tuple(r) for r in rows} == {(f"import:{report.import_id}", user)}
    assert ledger_discrepancies(db.engine) == []
    history = import_history(db.engine).items
    assert [(h["user"], h["applied"], h["rows_ok"], h["kind"]) for h in history] == [
        ("manager-1", True, 3, "movements")
    ]


def test_a_dry_run_reports_and_writes_nothing(db: Database) -> None:
    product, code = product_with_barcode(db)
    report = run(db, xlsx([["Баркод", "Количество"], [code, 5]]), operation_type="Приёмка")
    assert not report.applied and report.dry_run and report.import_id is None
    assert report.counts == {"RECEIPT": 1}
    assert stock(db, product)["good"] == 0
    assert count(db, "movement") == 0 and count(db, "import_batch") == 0


def test_every_error_is_reported_at_once_with_row_and_column(db: Database) -> None:
    _, code = product_with_barcode(db)
    content = xlsx(
        [
            ["Штрихкод", "Кол-во", "Операция", "Источник", "РЦ"],
            [code, 5, "Приёмка", None, None],  # fine
            [ean(), 1, "Приёмка", None, None],  # unknown barcode
            [code, "10 шт", "Приёмка", None, None],  # not a number
            [code, 1, "Отгрузка на РЦ", None, None],  # a shipment needs a DC
            [code, 1, "Возврат с ПВЗ", None, None],  # a return needs a source
            [code, 1, "Продажа", None, None],  # no such operation
            [code, 1, "RECEIPT", "Wildberries", None],  # a receipt takes no source
            [code, 1, "Перемещение", None, None],  # not from a file
            ["12345", 1, "Приёмка", None, None],  # not a barcode at all
            [code, 1, "Самовыкуп", "AliExpress", None],  # unknown source
        ]
    )
    report = run(db, content)
    assert errors_of(report) == [
        (3, "Штрихкод", "unknown_barcode"),
        (4, "Кол-во", "invalid_quantity"),
        (5, "РЦ", "distribution_center_required"),
        (6, "Источник", "source_required"),
        (7, "Операция", "unknown_operation"),
        (8, "Источник", "field_not_allowed"),
        (9, "Операция", "operation_not_importable"),
        (10, "Штрихкод", "invalid_barcode"),
        (11, "Источник", "source_not_found"),
    ]
    assert (report.rows_total, report.rows_ok, report.error_count) == (10, 1, 9)
    assert all(e.message for e in report.errors)
    assert count(db, "movement") == 0


def test_stock_is_checked_with_the_file_applied_in_order(db: Database) -> None:
    product, code = product_with_barcode(db)
    post(db, "RECEIPT", product, 2)
    content = xlsx(
        [
            ["Баркод", "Количество", "Операция", "РЦ"],
            [code, 3, "SHIPMENT_RC", "WB Коледино"],  # only 2 there yet
            [code, 5, "RECEIPT", None],
            [code, 6, "Отгрузка на РЦ", "WB Коледино"],  # 2 + 5 = 7: fine
            [code, 1, "WRITE_OFF", None],  # 1 left: fine
            [code, 1, "SHIPMENT_RC", "wb коледино"],  # nothing left
        ]
    )
    report = run(db, content, dry_run=False)
    assert errors_of(report) == [
        (2, "Количество", "insufficient_stock"),
        (6, "Количество", "insufficient_stock"),
    ]
    assert "Недостаточно товара для отгрузки" in report.errors[0].message
    assert "в наличии 2, нужно 3" in report.errors[0].message
    assert not report.applied
    assert stock(db, product)["good"] == 2  # nothing of the file was written
    assert count(db, "movement") == 1
    refused = import_history(db.engine).items[0]
    assert (refused["applied"], refused["error_count"], refused["rows_ok"]) == (False, 2, 3)


def test_a_file_mixing_operations_moves_stock_like_the_operations_page(db: Database) -> None:
    product, code = product_with_barcode(db)
    content = xlsx(
        [
            ["Баркод", "Количество", "Операция", "Источник", "РЦ", "Склад", "Направление",
             "Комментарий"],
            [code, 10, "Приёмка", None, None, None, None, "Поставка 1"],
            [code, 4, "Приёмка брака", None, None, None, None, None],
            [code, 2, "Возврат с ПВЗ", "Ozon", None, None, None, None],
            [code, 3, "Отгрузка на РЦ", "Wildberries", "WB Коледино", None, None, None],
            [code, 1, "Списание в брак", None, None, None, None, None],
            [code, 2, "Утилизация", None, None, None, None, None],
            [code, 1, "Инвентаризация", None, None, "Годный", "Недостача", "Пересчёт"],
            [code, 5, "ADJUSTMENT", None, None, "DEFECT", "gain", "Нашли на складе"],
        ]
    )  # fmt: skip
    report = run(db, content, dry_run=False)
    assert report.applied, report.errors
    assert stock(db, product) == {"good": 7, "defect": 8, "reserved": 0, "available": 7}
    with db.engine.connect() as conn:
        shipment = conn.execute(
            sa.text("SELECT source_id, distribution_center_id FROM movement "
                    "WHERE operation_type = 'SHIPMENT_RC'")
        ).one()  # fmt: skip
    assert shipment.source_id == source_id(db, "Wildberries")  # the DC's marketplace
    assert ledger_discrepancies(db.engine) == []


def test_a_dc_of_another_marketplace_and_an_adjustment_without_a_reason(db: Database) -> None:
    _, code = product_with_barcode(db)
    content = xlsx(
        [
            ["Баркод", "Количество", "Операция", "Источник", "РЦ", "Склад", "Направление"],
            [code, 1, "Отгрузка на РЦ", "Ozon", "WB Коледино", None, None],
            [code, 1, "Инвентаризация", None, None, "Годный", "Излишек"],
            [code, 1, "Инвентаризация", None, None, "Склад 5", "Излишек"],
        ]
    )
    assert errors_of(run(db, content)) == [
        (2, "РЦ", "distribution_center_mismatch"),
        (3, None, "reason_required"),  # the file has no comment column
        (4, "Склад", "invalid_warehouse"),
    ]


def test_a_movements_file_needs_its_columns_and_an_operation(db: Database) -> None:
    _, code = product_with_barcode(db)
    report = run(db, xlsx([["Баркод", "Наименование"], [code, "Чайник"]]))
    assert errors_of(report) == [(1, None, "missing_column"), (1, None, "missing_column")]
    assert "Количество" in report.errors[0].message
    assert "Операция" in report.errors[1].message
    assert report.rows_ok == 0


def test_an_unknown_kind_or_operation_is_refused(db: Database) -> None:
    content = xlsx([["Баркод", "Количество"], [ean(), 1]])
    with pytest.raises(ValidationError) as caught:
        run(db, content, "invoices")
    assert caught.value.code == "invalid_kind"
    with pytest.raises(ValidationError) as caught:
        run(db, content, operation_type="Продажа")
    assert caught.value.code == "unknown_operation"


def test_one_outbox_event_per_import(db: Database) -> None:
    _, code = product_with_barcode(db)
    content = xlsx([["Баркод", "Количество"], *[[code, 1]] * 25])
    report = run(db, content, operation_type="RECEIPT", dry_run=False)
    with db.engine.connect() as conn:
        events = conn.execute(sa.text("SELECT event_type, payload FROM outbox_event")).all()
        ids = conn.execute(sa.text("SELECT min(id), max(id) FROM movement")).one()
    assert len(events) == 1 and events[0].event_type == EventType.IMPORT_APPLIED
    payload = json.loads(events[0].payload)
    assert payload["import_id"] == report.import_id
    assert payload["document"] == f"import:{report.import_id}"
    assert payload["movements"] == 25
    assert (payload["first_movement_id"], payload["last_movement_id"]) == tuple(ids)


def test_the_same_file_again_is_flagged(db: Database) -> None:
    _, code = product_with_barcode(db)
    content = xlsx([["Баркод", "Количество"], [code, 1]])
    first = run(db, content, operation_type="RECEIPT", dry_run=False)
    again = run(db, content, operation_type="RECEIPT")
    assert not first.same_file_imported_before
    assert again.same_file_imported_before
    assert again.file_sha256 == first.file_sha256


def test_the_database_still_refuses_a_decrement_the_check_missed(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If stock changes under a running import (PostgreSQL: another process), the
    conditional statement refuses and the whole file rolls back."""
    product, code = product_with_barcode(db)
    post(db, "RECEIPT", product, 1)
    real_stock = SqlImportStore.stock

    def stale(self: SqlImportStore, ids: object) -> dict[tuple[int, int], tuple[int, int]]:
        return {key: (100, 0) for key in real_stock(self, ids)}  # as read before a shipment

    monkeypatch.setattr(SqlImportStore, "stock", stale)
    content = xlsx(
        [["Баркод", "Количество", "РЦ"], [code, 1, "WB Коледино"], [code, 5, "WB Коледино"]]
    )
    with pytest.raises(InsufficientStock):
        run(db, content, operation_type="SHIPMENT_RC", dry_run=False)
    assert stock(db, product)["good"] == 1
    assert count(db, "movement") == 1
    # the failed confirmation is in the history, with its reason
    (failed,) = import_history(db.engine).items
    assert (failed["status"], failed["applied"], failed["rows_total"]) == ("failed", False, 2)
    assert failed["reason"].startswith("Остатки изменились, пока шёл импорт")


def test_a_confirmation_the_database_fails_leaves_a_failed_history_row(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    product, code = product_with_barcode(db)

    def broken(*_: object) -> bool:
        raise sa.exc.OperationalError("UPDATE quant", {}, Exception("connection lost"))

    monkeypatch.setattr(SqlImportStore, "change_stock", broken)
    content = xlsx([["Баркод", "Количество"], [code, 4]])
    with pytest.raises(sa.exc.OperationalError):
        run(db, content, name="поставка.xlsx", operation_type="RECEIPT", dry_run=False)
    assert stock(db, product)["good"] == 0 and count(db, "movement") == 0
    (failed,) = import_history(db.engine).items
    assert (failed["file_name"], failed["status"]) == ("поставка.xlsx", "failed")
    assert "OperationalError" in failed["reason"] and "ничего не записано" in failed["reason"]


def test_two_confirmations_of_one_file_at_once_book_it_once(db: Database) -> None:
    """Two managers confirm the same previewed file in the same moment: the second waits
    for the first (PostgreSQL: a lock on the file's sha256), then sees it booked and is
    refused; its attempt is in the history."""
    product, code = product_with_barcode(db)
    content = xlsx([["Баркод", "Количество"], [code, 3]])
    inside = threading.Event()
    outcomes: dict[str, object] = {}

    def slow(stage: str, _fraction: float) -> None:
        if stage == "write" and not inside.is_set():
            inside.set()
            time.sleep(1.0)  # the other confirmation arrives meanwhile

    def confirm(name: str, progress: object = None) -> None:
        try:
            outcomes[name] = run(db, content, operation_type="RECEIPT", dry_run=False,
                                 repeat_allowed=False, progress=progress)  # fmt: skip
        except Conflict as error:
            outcomes[name] = error.code

    first = threading.Thread(target=confirm, args=("first", slow))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=confirm, args=("second",))
    second.start()
    first.join(30)
    second.join(30)
    assert getattr(outcomes["first"], "applied", False)
    assert outcomes["second"] == "file_imported_before"
    assert stock(db, product)["good"] == 3 and count(db, "movement") == 1
    history = import_history(db.engine).items
    assert [(h["status"], h["applied"]) for h in history] == [("failed", False), ("applied", True)]
    assert history[0]["reason"].startswith("Этот файл уже загружен")


# --- Products ---


def test_a_products_file_creates_new_and_updates_existing_by_barcode(db: Database) -> None:
    existing, code = product_with_barcode(db, sku="OLD-1", name="Старое имя")
    same, same_code = product_with_barcode(db, sku="S-1", name="Не меняется")
    new_code = ean()
    content = xlsx(
        [
            ["Баркод", "Артикул", "Наименование", "Мин. остаток", "Вес, г"],
            [code, None, "Новое имя", 5, None],  # an empty cell keeps the value
            [same_code, "S-1", "Не меняется", None, None],
            [new_code, "N-1", "Новинка", None, 250],
        ]
    )
    report = run(db, content, "products", dry_run=False)
    assert report.applied, report.errors
    assert report.counts == {"update": 1, "unchanged": 1, "create": 1}
    assert [c.action for c in report.changes] == ["update", "unchanged", "create"]
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT barcode, sku, name, min_stock, weight_g FROM product ORDER BY id")
        ).all()
    assert [tuple(r) for r in rows] == [
        (code, "OLD-1", "Новое имя", 5, None),
        (same_code, "S-1", "Не меняется", 0, None),
        (new_code, "N-1", "Новинка", 0, 250),
    ]
    assert existing and same


def test_a_products_file_with_duplicates_and_bad_codes_writes_nothing(db: Database) -> None:
    _, taken = product_with_barcode(db)
    first, second = ean(), ean()
    content = xlsx(
        [
            ["Штрихкод", "Артикул", "Наименование", "GTIN"],
            [first, "A", "Товар А", None],
            [first, "B", "Товар Б", None],  # the same barcode twice
            ["4601234567890", "C", "Товар В", None],  # wrong check digit
            [second, "D", "Товар Г", taken],  # GTIN is another product's barcode
            [ean(), None, "Без артикула", None],  # a new product needs an SKU
        ]
    )
    report = run(db, content, "products", dry_run=False)
    assert errors_of(report) == [
        (3, "Штрихкод", "duplicate_barcode"),
        (4, "Штрихкод", "invalid_barcode"),
        (5, "GTIN", "gtin_taken"),
        (6, "Артикул", "sku_required"),
    ]
    assert count(db, "product") == 1


# --- Opening balances ---


def test_opening_balances_set_stock_through_adjustments(db: Database) -> None:
    kettle, kettle_code = product_with_barcode(db, name="Чайник")
    mug, mug_code = product_with_barcode(db, name="Кружка")
    spoon, spoon_code = product_with_barcode(db, name="Ложка")
    post(db, "RECEIPT", kettle, 30)
    post(db, "RECEIPT_DEFECT", kettle, 2)
    post(db, "RECEIPT", spoon, 4)
    content = csv_file(
        [
            ["Остатки на 01.03"],
            ["Баркод", "Наименование", "Годный", "Брак"],
            [kettle_code, "Чайник", "25", "3"],  # loss of 5 good, gain of 1 defect
            [mug_code, "Кружка", "140", ""],  # an empty cell is zero
            [spoon_code, "Ложка", "4", "0"],  # as it is
        ]
    )
    report = run(db, content, "opening_balances", name="остатки.csv", dry_run=False)
    assert report.applied, report.errors
    assert report.counts == {"set": 2, "unchanged": 1}
    assert report.changes[0].description == f"Чайник ({kettle_code}): годный 30 → 25, брак 2 → 3"
    assert stock(db, kettle) == {"good": 25, "defect": 3, "reserved": 0, "available": 25}
    assert stock(db, mug)["good"] == 140 and stock(db, spoon)["good"] == 4
    with db.engine.connect() as conn:
        ops = conn.execute(
            sa.text(
                "SELECT DISTINCT operation_type, notes FROM movement WHERE document LIKE 'import:%'"
            )
        ).all()
    assert {tuple(r) for r in ops} == {("ADJUSTMENT", "Начальные остатки из файла «остатки.csv»")}
    assert ledger_discrepancies(db.engine) == []


def test_opening_balances_cannot_drop_below_reserved_stock(db: Database) -> None:
    product, code = product_with_barcode(db)
    post(db, "RECEIPT", product, 10)
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE quant SET reserved = 6"))
    content = xlsx([["Баркод", "Годный"], [code, 5], [code, 7]])
    assert errors_of(run(db, content, "opening_balances")) == [
        (2, "Годный", "insufficient_stock"),
        (3, "Баркод", "duplicate_barcode"),
    ]


def test_opening_balances_name_a_product_once_by_barcode_or_gtin(db: Database) -> None:
    """Each row's adjustment is reckoned from the stock before the file: two rows for one
    product would book both differences and leave neither number."""
    product, code = product_with_barcode(db, gtin="04601234567892")
    post(db, "RECEIPT", product, 10)
    content = xlsx([["Баркод", "Годный"], [code, 5], ["04601234567892", 8]])
    report = run(db, content, "opening_balances", dry_run=False)
    assert errors_of(report) == [(3, "Баркод", "duplicate_product")]
    assert not report.applied
    assert stock(db, product)["good"] == 10


# --- Files for people ---


def test_the_errors_workbook_holds_the_rows_and_their_errors(db: Database) -> None:
    _, code = product_with_barcode(db)
    content = xlsx([["Баркод", "Количество"], [code, 1], [code, "много"]], title=[["Приход"]])
    report = run(db, content, operation_type="RECEIPT")
    sheet = load_workbook(io.BytesIO(errors_workbook(content, "f.xlsx", report))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[1] == ["Строка", "Ошибка", "Баркод", "Количество"]
    assert rows[2] == [3, None, code, 1]
    assert rows[3][0] == 4 and rows[3][1].startswith("Количество: ")
    assert rows[3][2:] == [code, "много"]


def test_the_errors_workbook_names_the_column_once(db: Database) -> None:
    """The file's header names the column; the message does not name it again."""
    _, code = product_with_barcode(db)
    content = csv_file([["Штрихкод", "Кол-во", "Склад"], [code, "10 шт", "Чердак"]])
    report = run(db, content, name="f.csv", operation_type="ADJUSTMENT")
    sheet = load_workbook(io.BytesIO(errors_workbook(content, "f.csv", report))).active
    note = [[c.value for c in row] for row in sheet.iter_rows()][2][1]
    assert "Кол-во: ожидается целое число, а в ячейке «10 шт»" in note
    assert "Кол-во: Количество" not in note
    assert "Склад: Неизвестный склад: «Чердак»" in note  # a message that names no field


def test_the_errors_workbook_takes_control_characters_read_from_a_csv(db: Database) -> None:
    """A CSV may carry characters an .xlsx cannot (a vertical tab pasted into a note)."""
    _, code = product_with_barcode(db)
    content = csv_file([["Баркод", "Количество", "Комментарий"], [code, "2", "a\x0bb"],
                        [code, "0", "c\x1fd"]])  # fmt: skip
    report = run(db, content, operation_type="RECEIPT")
    assert errors_of(report) == [(3, "Количество", "invalid_quantity")]
    sheet = load_workbook(io.BytesIO(errors_workbook(content, "f.csv", report))).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert [row[-1] for row in rows[2:]] == ["ab", "cd"]


@pytest.mark.parametrize("kind", IMPORT_KINDS)
def test_example_files_name_their_columns_as_the_import_reads_them(kind: str) -> None:
    name, content = example_file(kind)
    assert name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(content)).active
    header = [c.value for c in next(sheet.iter_rows(min_row=2, max_row=2))]
    table = ORDER_COLUMNS if kind == "orders" else IMPORT_COLUMNS
    known = {n for names in table.values() for n in names}
    assert header and set(header) <= known


def test_example_files_import_cleanly_in_order(db: Database) -> None:
    for kind in ("products", "opening_balances", "movements"):
        name, content = example_file(kind)
        report = run(db, content, kind, name=name, dry_run=False)
        assert report.applied, (kind, report.errors)
    assert ledger_discrepancies(db.engine) == []
