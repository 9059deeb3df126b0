"""Bins from an Excel or CSV list (core.floor.bin_import): every row checked first, Russian
errors with the row and column, all or nothing."""

import pytest

from core.floor.bin_import import import_bins
from core.floor.locations import LocationData, create_location
from core.imports import FileRejected
from core.settings import Settings
from data.database import Database
from data.floor.bin_files import example_bin_file, read_bin_file
from data.floor.locations import LocationFilter, locations
from data.floor.store import SqlLocationStore
from tests.import_files import csv_file, xlsx

SETTINGS = Settings()


def run(db: Database, content: bytes, *, apply: bool = True, name: str = "bins.xlsx"):  # type: ignore[no-untyped-def]
    store = SqlLocationStore(db.engine, db.locations)
    return import_bins(store, read_bin_file(content, name, SETTINGS), apply=apply)


def bins(db: Database) -> list[tuple[str, str, str | None, int, str]]:
    page = locations(db.engine, LocationFilter(kind="bin"), limit=500)
    return [
        (r["code"], r["name"], r["zone"], r["route_sequence"], r["warehouse"]) for r in page.items
    ]


def test_a_clean_list_creates_every_bin_in_route_order(db: Database) -> None:
    content = xlsx(
        [
            ["Код ячейки", "Наименование", "Зона", "Порядок обхода", "Склад"],
            ["a-01-1", "Первая", "a", 100, None],
            ["A-01-2", None, "A", None, "Годный"],
            ["BR-1", "Полка брака", None, "300", "Брак"],
        ],
        title=[["Ячейки склада на 1 декабря"]],
    )
    report = run(db, content)
    assert (report.applied, report.error_count, report.rows_total) == (True, 0, 3)
    assert bins(db) == [
        ("A-01-1", "Первая", "A", 100, "MAIN"),
        ("A-01-2", "A-01-2", "A", 110, "MAIN"),  # no number: after the row above
        ("BR-1", "Полка брака", None, 300, "DEFECT"),
    ]


def test_rows_without_route_numbers_go_after_the_route_so_far(db: Database) -> None:
    create_location(SqlLocationStore(db.engine), LocationData("X-1", route_sequence=42))
    run(db, csv_file([["Code", "Name"], ["C-1", "Один"], ["C-2", "Два"]]), name="bins.csv")
    assert [(code, route) for code, _, _, route, _ in bins(db)] == [
        ("X-1", 42), ("C-1", 50), ("C-2", 60),
    ]  # fmt: skip


def test_a_file_with_any_error_creates_nothing_and_names_each_row(db: Database) -> None:
    create_location(SqlLocationStore(db.engine), LocationData("D-9"))
    content = xlsx(
        [
            ["Код", "Наименование", "Порядок обхода", "Склад"],
            ["D-1", "Хорошая", 10, None],  # row 2: fine
            ["D 2", "Пробел в коде", 20, None],  # row 3
            ["D-1", "Повтор", 30, None],  # row 4
            ["D-9", "Уже есть", 40, None],  # row 5
            ["D-3", "Дробный маршрут", 2.5, None],  # row 6
            ["D-4", "Чужой склад", 50, "Склад №2"],  # row 7
            [None, "Без кода", 60, None],  # row 8
        ]
    )
    report = run(db, content)
    assert report.applied is False
    found = [(e.row, e.column, e.code) for e in report.errors]
    assert found == [
        (3, "Код", "invalid_code"),
        (4, "Код", "duplicate_code"),
        (5, "Код", "location_code_taken"),
        (6, "Порядок обхода", "invalid_route"),
        (7, "Склад", "invalid_warehouse"),
        (8, "Код", "code_required"),
    ]
    messages = {e.row: e.message for e in report.errors}
    assert messages[4] == "Код D-1 уже есть в строке 2"
    assert messages[5] == "Место с кодом D-9 уже есть на складе"
    assert messages[6] == "ожидается целое число, а в ячейке 2.5"
    assert "Годный (MAIN) или Брак (DEFECT)" in messages[7]
    assert bins(db) == [("D-9", "D-9", None, 10, "MAIN")]  # nothing from the file


def test_a_check_alone_writes_nothing(db: Database) -> None:
    report = run(db, xlsx([["Код", "Зона"], ["E-1", "E"]]), apply=False)
    assert (report.applied, report.error_count, [b.code for b in report.bins]) == (
        False, 0, ["E-1"],
    )  # fmt: skip
    assert bins(db) == []


def test_a_file_without_a_code_column_is_refused_whole(db: Database) -> None:
    with pytest.raises(FileRejected) as refused:
        run(db, xlsx([["Штрихкод", "Количество"], ["4600000000008", 1]]))
    assert refused.value.code == "no_header"
    assert "«Код»" in refused.value.message


def test_the_example_file_imports_as_it_is(db: Database) -> None:
    report = run(db, example_bin_file())
    assert report.error_count == 0 and report.applied
    assert [(code, warehouse) for code, _, _, _, warehouse in bins(db)] == [
        ("B-01-1-1", "MAIN"), ("B-01-2-1", "MAIN"), ("BR-1", "DEFECT"),
    ]  # fmt: skip
