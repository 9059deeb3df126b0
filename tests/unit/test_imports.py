"""The import use case (core.imports.run_import) over its ports in memory: a file's rows
as a reader hands them over, checked whole, then written whole or not at all."""

import pytest

from core.errors import Conflict, ValidationError
from core.events import EventType
from core.imports import ImportReport, run_import
from core.imports.sheet import Cell
from core.settings import Settings
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from tests.unit.fake_imports import import_stores, reader_of, sheet_of
from tests.unit.fakes import FakeDatabase

KETTLE, MUG = "4600000000008", "4600000000015"  # valid EAN-13


def run(
    fake: FakeDatabase,
    header: list[str],
    *rows: list[Cell],
    kind: str = "movements",
    operation_type: str | None = None,
    dry_run: bool = False,
    content: bytes = b"file",
    repeat_allowed: bool = True,
) -> ImportReport:
    return run_import(
        import_stores(fake),
        reader_of(sheet_of(header, *rows)),
        content=content,
        file_name="приёмка.xlsx",
        kind=kind,
        operation_type=operation_type,
        dry_run=dry_run,
        user_id=5,
        settings=Settings(),
        repeat_allowed=repeat_allowed,
    )


def errors_of(report: ImportReport) -> list[tuple[int, str | None, str]]:
    return [(e.row, e.column, e.code) for e in report.errors]


@pytest.fixture
def products(fake: FakeDatabase) -> tuple[int, int]:
    return fake.add_product(1, barcode=KETTLE), fake.add_product(2, barcode=MUG)


def test_a_receipt_file_is_written_whole_with_its_document_user_and_one_event(
    fake: FakeDatabase, products: tuple[int, int]
) -> None:
    kettle, mug = products
    header = ["Штрихкод", "Количество"]
    report = run(fake, header, [KETTLE, 10], [MUG, 4], [KETTLE, 1], operation_type="RECEIPT")
    assert report.applied and report.import_id is not None
    assert (report.rows_total, report.rows_ok, report.counts) == (3, 3, {"RECEIPT": 3})
    assert (fake.on_hand(kettle, "MAIN"), fake.on_hand(mug, "MAIN")) == (11, 4)
    movements = fake.tables.movements.values()
    assert {(m.document, m.user_id) for m in movements} == {(f"import:{report.import_id}", 5)}
    [(event, payload)] = fake.tables.events
    assert event == EventType.IMPORT_APPLIED
    assert (payload["first_movement_id"], payload["last_movement_id"]) == (1, 3)
    assert fake.tables.batches[report.import_id].applied


def test_a_dry_run_reports_and_writes_nothing(
    fake: FakeDatabase, products: tuple[int, int]
) -> None:
    report = run(fake, ["Штрихкод", "Количество"], [KETTLE, 5], operation_type="Приёмка",
                 dry_run=True)  # fmt: skip
    assert report.counts == {"RECEIPT": 1} and not report.applied and report.import_id is None
    assert not fake.tables.movements and not fake.tables.batches


def test_stock_is_checked_with_the_file_applied_in_order_and_a_refusal_is_recorded(
    fake: FakeDatabase, products: tuple[int, int]
) -> None:
    kettle, _ = products
    post_movement(
        fake.unit_of_work(), MovementRequest("RECEIPT", 2, product_id=kettle), user_id=None
    )
    report = run(
        fake,
        ["Штрихкод", "Количество", "Операция", "РЦ"],
        [KETTLE, 3, "SHIPMENT_RC", "WB Коледино"],  # only 2 there yet
        [KETTLE, 5, "RECEIPT", None],
        [KETTLE, 6, "Отгрузка на РЦ", "WB Коледино"],  # 2 + 5 = 7: fine
        [KETTLE, 1, "WRITE_OFF", None],  # 1 left: fine
        [KETTLE, 1, "SHIPMENT_RC", "wb коледино"],  # nothing left
    )
    assert errors_of(report) == [
        (2, "Количество", "insufficient_stock"),
        (6, "Количество", "insufficient_stock"),
    ]
    assert not report.applied and fake.on_hand(kettle, "MAIN") == 2
    assert len(fake.tables.movements) == 1
    [refused] = fake.tables.batches.values()
    assert (refused.status, refused.applied, refused.error_count) == ("refused", False, 2)


def test_every_row_error_is_reported_at_once(fake: FakeDatabase, products: tuple[int, int]) -> None:
    report = run(
        fake,
        ["Штрихкод", "Количество", "Операция", "Источник"],
        [KETTLE, 5, "Приёмка", None],  # fine
        ["4600000000022", 1, "Приёмка", None],  # unknown barcode
        [KETTLE, "10 шт", "Приёмка", None],  # not a number
        [KETTLE, 1, "Возврат с ПВЗ", None],  # a return needs a source
        [KETTLE, 1, "Перемещение", None],  # not from a file
    )
    assert errors_of(report) == [
        (3, "Штрихкод", "unknown_barcode"),
        (4, "Количество", "invalid_quantity"),
        (5, "Источник", "source_required"),
        (6, "Операция", "operation_not_importable"),
    ]
    assert not fake.tables.movements


def test_the_same_file_again_is_flagged_and_refused_when_a_repeat_is_not_allowed(
    fake: FakeDatabase, products: tuple[int, int]
) -> None:
    header, row = ["Штрихкод", "Количество"], [KETTLE, 1]
    first = run(fake, header, row, operation_type="RECEIPT")
    again = run(fake, header, row, operation_type="RECEIPT", dry_run=True)
    assert not first.same_file_imported_before and again.same_file_imported_before
    with pytest.raises(Conflict) as error:
        run(fake, header, row, operation_type="RECEIPT", repeat_allowed=False)
    assert error.value.code == "file_imported_before"
    assert fake.on_hand(products[0], "MAIN") == 1
    assert [b.status for b in fake.tables.batches.values()] == ["applied", "failed"]


def test_a_products_file_creates_new_and_updates_existing_by_barcode(
    fake: FakeDatabase, products: tuple[int, int]
) -> None:
    kettle, _ = products
    new = "4600000000039"
    report = run(
        fake,
        ["Штрихкод", "Артикул", "Наименование", "Мин. остаток"],
        [KETTLE, "KT-1", "Чайник 2 л", 3],
        [new, "CUP-9", "Чашка", None],
        kind="products",
    )
    assert report.applied and report.counts == {"update": 1, "create": 1}
    assert fake.tables.products[kettle].name == "Чайник 2 л"
    assert fake.tables.products[kettle].min_stock == 3
    assert [p.name for p in fake.tables.products.values() if p.barcode == new] == ["Чашка"]


def test_a_products_files_marking_column_takes_da_net_1_0_and_refuses_the_rest(
    fake: FakeDatabase, products: tuple[int, int]
) -> None:
    kettle, mug = products
    new = "4600000000039"
    header = ["Штрихкод", "Артикул", "Наименование", "Маркировка"]
    rows = [[KETTLE, "KT-1", "Чайник", "да"], [MUG, "MG-1", "Кружка", "0"],
            [new, "SH-1", "Кеды", 1]]  # fmt: skip
    report = run(fake, header, *rows, kind="products")
    assert report.applied
    assert fake.tables.products[kettle].requires_marking is True
    assert fake.tables.products[mug].requires_marking is False
    assert [p.requires_marking for p in fake.tables.products.values() if p.barcode == new] == [True]
    refused = run(fake, header, [KETTLE, "KT-1", "Чайник", "может быть"], kind="products")
    assert not refused.applied
    assert errors_of(refused) == [(2, "Маркировка", "invalid_requires_marking")]
    kept = run(fake, ["Штрихкод", "Маркировка"], [KETTLE, None], kind="products")
    assert kept.applied and fake.tables.products[kettle].requires_marking is True  # empty: kept


def test_opening_balances_set_the_stock_through_adjustments(
    fake: FakeDatabase, products: tuple[int, int]
) -> None:
    kettle, mug = products
    post_movement(
        fake.unit_of_work(), MovementRequest("RECEIPT", 5, product_id=kettle), user_id=None
    )
    report = run(
        fake, ["Штрихкод", "Годный", "Брак"], [KETTLE, 3, 1], [MUG, 0, 0], kind="opening_balances"
    )
    assert report.applied and report.counts == {"set": 1, "unchanged": 1}
    assert (fake.on_hand(kettle, "MAIN"), fake.on_hand(kettle, "DEFECT")) == (3, 1)
    adjustments = [m for m in fake.tables.movements.values() if m.document]
    assert {(m.operation_type, m.quantity) for m in adjustments} == {
        ("ADJUSTMENT", 2),
        ("ADJUSTMENT", 1),
    }
    assert fake.on_hand(mug, "MAIN") == 0


def test_an_unknown_kind_or_operation_is_refused_before_reading(fake: FakeDatabase) -> None:
    with pytest.raises(ValidationError) as kind:
        run(fake, ["Штрихкод"], kind="invoices")
    with pytest.raises(ValidationError) as operation:
        run(fake, ["Штрихкод"], operation_type="Продажа")
    assert (kind.value.code, operation.value.code) == ("invalid_kind", "unknown_operation")
