"""/journal as a manager reads it: filters (also from links), pages, reversal."""

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from nicegui.testing import User

import core.stock.movements
from core.settings import Settings
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from core.users.accounts import create_user
from data.database import Database
from data.files.exports import export_journal
from data.imports.importing import import_file
from data.imports.queries import import_history
from data.stock.journal import journal
from data.users.store import SqlUserAdminStore
from tests.conftest import add_user, make_product, open_page
from tests.helpers import dc_id, eventually, post, source_id, stock

WAIT = 50  # should_see attempts (0.1 s apart): a reversal runs in a worker thread


def element(user: User, marker: str) -> Any:
    (found,) = user.find(marker=marker).elements
    return found


def rows(user: User) -> list[dict[str, Any]]:
    return element(user, "journal").rows


def ids(user: User) -> list[int]:
    return [row["id"] for row in rows(user)]


def choose(user: User, marker: str, value: Any) -> None:
    with user.client:
        element(user, marker).value = value


async def settle() -> None:
    """Let the page's event handlers (background tasks) run."""
    for _ in range(5):
        await asyncio.sleep(0.02)


def at(monkeypatch: pytest.MonkeyPatch, when: datetime) -> None:
    """Movements posted from now on are stamped `when` (UTC)."""
    monkeypatch.setattr(core.stock.movements, "now_utc", lambda: when)


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await visitor.open("/journal")
    await visitor.should_see("Войти")
    await visitor.should_not_see(marker="journal")


async def test_worker_is_refused(worker: User) -> None:
    await worker.open("/journal")
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="journal")


async def test_the_journal_lists_movements_newest_first_in_words(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = make_product(app_database, name="Кружка 350 мл", sku="MUG-350")
    at(monkeypatch, datetime(2026, 11, 21, 9, 5, tzinfo=UTC))
    receipt = post(app_database, "RECEIPT", product, 10).movement.id
    at(monkeypatch, datetime(2026, 11, 21, 10, 0, tzinfo=UTC))
    shipment = post(
        app_database, "SHIPMENT_RC", product, 4, distribution_center_id=dc_id(app_database),
        notes="Короб 1 из 2",
    ).movement.id  # fmt: skip
    await manager.open("/journal")
    await manager.should_see("Найдено операций: 2")
    assert ids(manager) == [shipment, receipt]
    first = rows(manager)[0]
    assert first["created_at"] == "21.11.2026 13:00"  # Moscow time, stored as UTC
    assert first["operation"] == "Отгрузка на РЦ"
    assert (first["product"], first["sku"]) == ("Кружка 350 мл", "MUG-350")
    assert first["quantity"] == "4"
    assert first["route"] == "Годный → РЦ маркетплейсов"
    assert (first["reference"], first["reference_caption"]) == ("WB Коледино", "Wildberries")
    assert first["notes"] == "Короб 1 из 2"
    assert rows(manager)[1]["route"] == "Поставщики → Годный"


async def test_filters_come_from_the_address(manager: User, app_database: Database) -> None:
    mug = make_product(app_database, name="Кружка 350 мл")
    other = make_product(app_database, name="Набор отвёрток")
    wanted = post(app_database, "RECEIPT", mug, 5).movement.id
    post(app_database, "RECEIPT_DEFECT", mug, 1)
    post(app_database, "RECEIPT", other, 7)
    await manager.open(f"/journal?product_id={mug}&operation_type=RECEIPT")
    await manager.should_see("Найдено операций: 1")
    assert ids(manager) == [wanted]
    assert element(manager, "operation").value == "RECEIPT"
    assert element(manager, "product").value == mug
    await manager.should_see("Кружка 350 мл", retries=1)


async def test_source_and_distribution_center_links(manager: User, app_database: Database) -> None:
    product = make_product(app_database)
    post(app_database, "RECEIPT", product, 10)
    ozon_return = post(
        app_database, "RETURN_PICKUP", product, 1, source_id=source_id(app_database, "Ozon")
    ).movement.id
    post(app_database, "RETURN_PICKUP", product, 1, source_id=source_id(app_database))
    to_tula = post(
        app_database,
        "SHIPMENT_RC",
        product,
        2,
        distribution_center_id=dc_id(app_database, "WB Тула"),
    ).movement.id
    post(app_database, "SHIPMENT_RC", product, 2, distribution_center_id=dc_id(app_database))
    await manager.open(f"/journal?source_id={source_id(app_database, 'Ozon')}")
    await manager.should_see("Найдено операций: 1")
    assert ids(manager) == [ozon_return]
    await manager.open(f"/journal?distribution_center_id={dc_id(app_database, 'WB Тула')}")
    await manager.should_see("Найдено операций: 1")
    assert ids(manager) == [to_tula]


async def test_a_period_is_whole_days_in_moscow_time(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = make_product(app_database)
    at(monkeypatch, datetime(2026, 11, 21, 20, 30, tzinfo=UTC))  # 21.11 23:30 in Moscow
    late_evening = post(app_database, "RECEIPT", product, 1).movement.id
    at(monkeypatch, datetime(2026, 11, 21, 21, 30, tzinfo=UTC))  # 22.11 00:30 in Moscow
    after_midnight = post(app_database, "RECEIPT", product, 1).movement.id
    await manager.open("/journal?date_from=2026-11-22&date_to=2026-11-22")
    await manager.should_see("Найдено операций: 1")
    assert ids(manager) == [after_midnight]
    assert rows(manager)[0]["created_at"] == "22.11.2026 00:30"
    assert element(manager, "date-from").value == "22.11.2026"
    await manager.open("/journal?date_to=2026-11-21")  # "to" includes all of its day
    await manager.should_see("Найдено операций: 1")
    assert ids(manager) == [late_evening]


async def test_filters_chosen_on_the_page(manager: User, app_database: Database) -> None:
    mug = make_product(app_database, name="Кружка керамическая")
    other = make_product(app_database, name="Набор отвёрток")
    clerk = add_user(app_database, "clerk", "manager")
    post(app_database, "RECEIPT", mug, 5)
    by_clerk = core.stock.movements.post_movement(
        app_database.unit_of_work(),
        MovementRequest("RECEIPT_DEFECT", 2, product_id=other),
        user_id=clerk,
    ).movement.id
    post(app_database, "RECEIPT", other, 3)
    await manager.open("/journal")
    await manager.should_see("Найдено операций: 3")

    choose(manager, "user", clerk)
    await settle()
    assert ids(manager) == [by_clerk]
    choose(manager, "user", None)
    choose(manager, "operation", "RECEIPT")
    await settle()
    assert len(ids(manager)) == 2
    manager.find(marker="product").trigger("inputValue", "керамич")
    await eventually(lambda: list(element(manager, "product").options) == [mug])
    choose(manager, "product", mug)
    await settle()
    assert [row["product"] for row in rows(manager)] == ["Кружка керамическая"]

    manager.find(marker="reset").click()
    await settle()
    await manager.should_see("Найдено операций: 3")
    assert element(manager, "operation").value is None


async def test_a_typed_date_applies_and_a_wrong_one_is_flagged(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    product = make_product(app_database)
    at(monkeypatch, datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    post(app_database, "RECEIPT", product, 1)
    at(monkeypatch, datetime(2026, 11, 20, 9, 0, tzinfo=UTC))
    recent = post(app_database, "RECEIPT", product, 1).movement.id
    await manager.open("/journal")
    await manager.should_see("Найдено операций: 2")
    choose(manager, "date-from", "15.11.2026")  # typed (or picked) into the field
    await eventually(lambda: ids(manager) == [recent])
    choose(manager, "date-from", "31.02.2026")
    await settle()
    assert ids(manager) == [recent]  # not applied while it does not parse
    manager.find(marker="date-from").trigger("blur")
    await eventually(lambda: element(manager, "date-from").props.get("error") is True)
    await manager.should_see("Найдено операций: 2")  # an impossible date filters nothing


async def test_nonsense_in_the_address_is_ignored(manager: User, app_database: Database) -> None:
    post(app_database, "RECEIPT", make_product(app_database), 1)
    await manager.open("/journal?product_id=abc&operation_type=NOPE&date_from=yesterday")
    await manager.should_see("Найдено операций: 1")


async def test_pages_are_fetched_from_the_server(manager: User, app_database: Database) -> None:
    product = make_product(app_database)
    numbers = [post(app_database, "RECEIPT", product, n).movement.id for n in range(1, 31)]
    await manager.open("/journal")
    await manager.should_see("Найдено операций: 30")
    table = element(manager, "journal")
    assert ids(manager) == numbers[::-1][:25]
    assert table.pagination["rowsNumber"] == 30
    manager.find(marker="journal").trigger(
        "request", {"pagination": {"page": 2, "rowsPerPage": 25, "rowsNumber": 30}}
    )
    await settle()
    assert ids(manager) == numbers[::-1][25:]
    assert table.pagination["page"] == 2
    manager.find(marker="journal").trigger(
        "request", {"pagination": {"page": 1, "rowsPerPage": 50}}
    )
    await settle()
    assert len(ids(manager)) == 30


async def reverse(user: User, movement_id: int) -> None:
    """The row's «Сторно» button, then the confirmation dialog's."""
    user.find(marker="journal").trigger("reverse", movement_id)
    await user.should_see(marker="reverse-dialog")
    user.find(marker="reverse-confirm").click()


async def test_a_manager_reverses_a_movement_after_confirming(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, name="Кружка 350 мл")
    post(app_database, "RECEIPT", product, 10)
    shipment = post(
        app_database, "SHIPMENT_RC", product, 4, distribution_center_id=dc_id(app_database)
    ).movement.id
    await manager.open("/journal")
    manager.find(marker="journal").trigger("reverse", shipment)
    await manager.should_see(f"Сторнировать операцию №{shipment}?")
    await manager.should_see("Будет проведена обратная операция: РЦ маркетплейсов → Годный.")
    manager.find(marker="reverse-cancel").click()
    await settle()
    assert stock(app_database, product)["good"] == 6  # cancelled: nothing happened

    await reverse(manager, shipment)
    await manager.should_see(f"Операция №{shipment} сторнирована", retries=WAIT)
    assert stock(app_database, product)["good"] == 10
    newest, reversed_row = rows(manager)[0], rows(manager)[1]
    assert newest["reversal_text"] == f"сторно №{shipment}"
    assert not newest["can_reverse"]  # a reversal is not reversed again
    assert (reversed_row["id"], reversed_row["reversed_text"]) == (shipment, "сторнирована")
    assert not reversed_row["can_reverse"]
    assert journal(app_database.engine).items[0]["user"] == "manager"


async def test_reversing_twice_is_refused_with_a_message(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database)
    receipt = post(app_database, "RECEIPT", product, 5).movement.id
    await manager.open("/journal")
    manager.find(marker="journal").trigger("reverse", receipt)
    await manager.should_see(marker="reverse-dialog")
    # Meanwhile someone else reverses it (another manager, the API).
    core.stock.movements.reverse_movement(app_database.unit_of_work(), receipt, user_id=None)
    manager.find(marker="reverse-confirm").click()
    await manager.should_see(marker="reverse-error", retries=WAIT)
    assert element(manager, "reverse-error").text == "Операция уже сторнирована"
    assert stock(app_database, product)["good"] == 0
    assert journal(app_database.engine).total == 2


async def test_a_reversal_the_stock_no_longer_allows_is_refused(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database)
    receipt = post(app_database, "RECEIPT", product, 5).movement.id
    post(app_database, "SHIPMENT_RC", product, 5, distribution_center_id=dc_id(app_database))
    await manager.open("/journal")
    await reverse(manager, receipt)
    await manager.should_see(marker="reverse-error", retries=WAIT)
    assert element(manager, "reverse-error").text == (
        "Недостаточно товара для сторнирования: остаток уже израсходован"
    )
    assert stock(app_database, product)["good"] == 0
    assert journal(app_database.engine).total == 2


async def test_a_double_click_on_confirm_reverses_once(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database)
    receipt = post(app_database, "RECEIPT", product, 5).movement.id
    await manager.open("/journal")
    manager.find(marker="journal").trigger("reverse", receipt)
    await manager.should_see(marker="reverse-dialog")
    manager.find(marker="reverse-confirm").click().click()
    await manager.should_see(f"Операция №{receipt} сторнирована", retries=WAIT)
    await settle()
    assert journal(app_database.engine).total == 2
    assert stock(app_database, product)["good"] == 0


def named_user(db: Database, username: str, full_name: str) -> int:
    return create_user(
        SqlUserAdminStore(db.engine), username, full_name, "manager", "pass-12345"
    ).id


async def test_people_are_shown_by_name_and_by_login_only_without_one(
    manager: User, app_database: Database, tmp_path: Path
) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    irina = named_user(app_database, "isokolova", "Ирина Соколова")
    nameless = named_user(app_database, "night-shift", "")
    for user_id in (irina, nameless):
        request = MovementRequest("RECEIPT", 1, product_id=cup)
        post_movement(app_database.unit_of_work(), request, user_id=user_id)
    await open_page(manager, "/journal")
    assert [row["user"] for row in rows(manager)] == ["night-shift", "Ирина Соколова"]
    await open_page(manager, f"/products/{cup}")
    await manager.should_see(marker="card-movements")
    card_rows = manager.find(marker="card-movements").elements.pop().rows
    assert [row["user"] for row in card_rows] == ["night-shift", "Ирина Соколова"]
    path = tmp_path / "journal.xlsx"
    export_journal(app_database.engine, path)
    sheet = openpyxl.load_workbook(path).active
    header = [cell.value for cell in sheet[1]]
    column = header.index("Пользователь")
    assert [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "night-shift",
        "Ирина Соколова",
    ]


async def test_an_imported_movement_links_back_to_its_import(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, sku="CUP-1", name="Кружка", barcode="4601234567893")
    other = make_product(app_database, sku="TEE-1", name="Футболка")
    post(app_database, "RECEIPT", other, 1)  # typed, not imported
    for name, units in (("приход.csv", 4), ("второй.csv", 2)):
        content = f"Штрихкод;Количество\n4601234567893;{units}\n".encode()
        report = import_file(
            app_database, content=content, file_name=name, kind="movements",
            operation_type="RECEIPT", dry_run=False, settings=Settings(),
        )  # fmt: skip
        assert report.applied, report.errors
    batch = next(b for b in import_history(app_database.engine).items if b["file_name"] == name)
    await open_page(manager, "/journal")
    imported, _first, typed = rows(manager)
    assert (imported["import_text"], imported["import_link"]) == (
        f"Импорт №{batch['id']}",
        f"/import/history?import_id={batch['id']}",
    )
    assert (typed["import_text"], typed["import_link"]) == ("", "")
    await open_page(manager, imported["import_link"])
    await manager.should_see("Импортов: 1")
    history = manager.find(marker="import-history").elements.pop()
    assert [row["file_name"] for row in history.rows] == ["второй.csv"]


async def test_the_product_filter_finds_a_name_typed_in_the_wrong_layout_and_says_so(
    manager: User, app_database: Database
) -> None:
    plaid = make_product(app_database, sku="PLD-1", name="Плед флисовый")
    make_product(app_database, sku="CUP-1", name="Кружка")
    await open_page(manager, "/journal")
    picker = element(manager, "product")
    manager.find(marker="product").trigger("inputValue", "gktl")  # «плед», English layout on
    await eventually(lambda: list(picker.options) == [plaid])
    assert picker.props["hint"] == "Показаны результаты для «плед»"
    manager.find(marker="product").trigger("inputValue", "кру")
    await eventually(lambda: len(picker.options) == 1 and plaid not in picker.options)
    assert picker.props["hint"] == ""
