"""The products pages as a manager uses them: the catalogue list, the product dialog,
soft delete and restore, and the product card (NiceGUI user simulation)."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from itertools import count
from typing import Any

import sqlalchemy as sa
from nicegui import ui
from nicegui.testing import User

from core.catalog.products import gtin_check_digit_ok
from data.catalog.queries import products
from data.database import Database
from tests.conftest import ADMIN_PASSWORD, arrived, left_page, open_page
from tests.conftest import make_product as make_any_product
from tests.helpers import dc_id, post
from ui.formatting import THIN_SPACE, format_time
from ui.pages.catalog.product_card import stock_changes

# Valid EAN-13 codes (GS1 check digit) that make_product's 46000000NNNNN barcodes never take.
NEW_BARCODE = "4601234567893"
NEW_GTIN = "4607654321091"


_numbers = count(1)


def valid_ean13(prefix: str, number: int) -> str:
    body = f"{prefix}{number:0{12 - len(prefix)}d}"
    return next(body + d for d in "0123456789" if gtin_check_digit_ok(body + d))


def make_product(db: Database, **fields: Any) -> int:
    """A product with a barcode that passes core's checks, so that it can be edited."""
    fields.setdefault("barcode", valid_ean13("462", next(_numbers)))
    return make_any_product(db, **fields)


async def until(check: Callable[[], Any], timeout: float = 5.0) -> None:
    """Wait for a background reload (handlers run the query in a thread)."""
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def table_of(user: User, marker: str = "products-table") -> ui.table:
    return user.find(marker=marker).elements.pop()


def skus(user: User) -> list[str]:
    return [row["sku"] for row in table_of(user).rows]


def live_products(db: Database) -> list[dict[str, Any]]:
    return products(db.engine, deleted=None, limit=500).items


async def open_products(user: User) -> None:
    await open_page(user, "/products")
    await user.should_see(marker="products-table")


async def open_new_product_dialog(user: User) -> None:
    user.find(marker="add-product").click()
    await user.should_see(marker="product-save")


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await visitor.open("/products")
    await visitor.should_see("Войти")
    await visitor.should_not_see(marker="products-table")


async def test_sign_in_brings_the_visitor_back_to_the_card_asked_for(
    visitor: User, app_database: Database
) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    await visitor.open(f"/products/{cup}")  # redirected to sign-in
    visitor.find("Имя пользователя").type("admin")
    visitor.find("Пароль").type(ADMIN_PASSWORD)
    form = visitor.client
    visitor.find("Войти").click()
    await left_page(visitor, form)  # the card's address was already the last one opened
    await arrived(visitor, f"/products/{cup}")
    await visitor.should_see(marker="card-name")


async def test_a_warehouse_worker_may_not_open_products(worker: User) -> None:
    await open_page(worker, "/products")
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="products-table")


async def test_the_list_shows_products_and_their_count(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, sku="CUP-1", name="Кружка синяя", min_stock=1500)
    make_product(app_database, sku="TEE-1", name="Футболка")
    await open_products(manager)
    rows = table_of(manager).rows
    assert [row["sku"] for row in rows] == ["CUP-1", "TEE-1"]  # by name
    assert rows[0]["min_stock"] == f"1{THIN_SPACE}500"
    await manager.should_see("Найдено товаров: 2")


async def test_search_by_name_sku_or_barcode(manager: User, app_database: Database) -> None:
    make_product(app_database, sku="CUP-1", name="Кружка синяя")
    make_product(app_database, sku="CUP-2", name="Кружка красная")
    tee = make_product(app_database, sku="TEE-1", name="Футболка", barcode=NEW_BARCODE)
    await open_products(manager)
    search = manager.find(marker="product-search")

    search.type("КРУЖКА")  # case does not matter, Cyrillic included
    await until(lambda: sorted(skus(manager)) == ["CUP-1", "CUP-2"])
    await manager.should_see("Найдено товаров: 2")

    search.clear().type("tee-")
    await until(lambda: skus(manager) == ["TEE-1"])

    search.clear().type(NEW_BARCODE)  # a scanned barcode
    await until(lambda: [row["id"] for row in table_of(manager).rows] == [tee])

    search.clear().type("нет такого")
    await until(lambda: skus(manager) == [])
    await manager.should_see("Найдено товаров: 0")


async def test_a_scan_with_enter_searches_at_once(manager: User, app_database: Database) -> None:
    make_product(app_database, sku="CUP-1", name="Кружка")
    tee = make_product(app_database, sku="TEE-1", name="Футболка", barcode=NEW_BARCODE)
    await open_products(manager)
    # The scanner's Enter arrives before the debounced value: the page uses the text sent.
    manager.find(marker="product-search").trigger("keydown.enter", NEW_BARCODE)
    await until(lambda: [row["id"] for row in table_of(manager).rows] == [tee])


async def test_pages_come_from_the_server_one_at_a_time(
    manager: User, app_database: Database
) -> None:
    for number in range(60):
        make_product(app_database, sku=f"P-{number:02d}", name=f"Товар {number:02d}")
    await open_products(manager)
    table = table_of(manager)
    assert len(table.rows) == 20  # only the first page was sent to the browser
    assert table.pagination["rowsNumber"] == 60

    page_2 = {"page": 2, "rowsPerPage": 20, "sortBy": "sku", "descending": False}
    manager.find(marker="products-table").trigger("request", page_2)
    await until(lambda: skus(manager)[:1] == ["P-20"])
    assert skus(manager) == [f"P-{n:02d}" for n in range(20, 40)]
    assert table.pagination["page"] == 2
    assert table.pagination["rowsNumber"] == 60

    last_first = {"page": 1, "rowsPerPage": 50, "sortBy": "sku", "descending": True}
    manager.find(marker="products-table").trigger("request", last_first)
    await until(lambda: skus(manager)[:1] == ["P-59"])
    assert len(skus(manager)) == 50


async def test_creating_with_a_wrong_barcode_shows_why_and_saves_nothing(
    manager: User, app_database: Database
) -> None:
    await open_products(manager)
    await open_new_product_dialog(manager)
    manager.find(marker="product-sku").type("NEW-1")
    manager.find(marker="product-name").type("Новый товар")
    manager.find(marker="product-barcode").type("4601234567890")  # wrong check digit
    manager.find(marker="product-save").click()
    await manager.should_see("Штрихкод: неверная контрольная цифра")
    barcode_field = manager.find(marker="product-barcode").elements.pop()
    assert barcode_field.error == "Штрихкод: неверная контрольная цифра"
    assert live_products(app_database) == []

    manager.find(marker="product-barcode").clear().type("46012345678AB")
    manager.find(marker="product-save").click()
    await manager.should_see("Штрихкод: только цифры")
    assert live_products(app_database) == []


async def test_a_barcode_or_gtin_already_taken_is_refused(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, sku="OLD", name="Старый товар", barcode=NEW_BARCODE)
    await open_products(manager)
    await open_new_product_dialog(manager)
    manager.find(marker="product-sku").type("NEW-1")
    manager.find(marker="product-name").type("Новый товар")
    manager.find(marker="product-barcode").type(NEW_GTIN)
    manager.find(marker="product-gtin").type(NEW_BARCODE)
    manager.find(marker="product-save").click()
    await manager.should_see(f"GTIN {NEW_BARCODE} уже есть у товара «Старый товар»")
    gtin_field = manager.find(marker="product-gtin").elements.pop()
    assert gtin_field.error and "уже есть" in gtin_field.error
    assert len(live_products(app_database)) == 1


async def test_creating_a_product_opens_its_card(manager: User, app_database: Database) -> None:
    await open_products(manager)
    await open_new_product_dialog(manager)
    manager.find(marker="product-sku").type("NEW-1")
    manager.find(marker="product-name").type("Новый товар")
    manager.find(marker="product-barcode").type(NEW_BARCODE)
    manager.find(marker="product-gtin").type(NEW_GTIN)
    manager.find(marker="product-min_stock").clear().type("12")
    manager.find(marker="product-weight_g").type("350")
    manager.find(marker="product-save").click()
    await until(lambda: len(live_products(app_database)) == 1)
    [saved] = live_products(app_database)
    await arrived(manager, f"/products/{saved['id']}")
    assert (saved["sku"], saved["name"], saved["barcode"], saved["gtin"]) == (
        "NEW-1",
        "Новый товар",
        NEW_BARCODE,
        NEW_GTIN,
    )
    assert (saved["min_stock"], saved["weight_g"], saved["length_mm"]) == (12, 350, None)
    assert manager.find(marker="card-name").elements.pop().text == "Новый товар"


async def test_editing_a_product(manager: User, app_database: Database) -> None:
    product = make_product(app_database, sku="CUP-1", name="Кружка")
    await open_products(manager)
    manager.find(marker="products-table").trigger("edit", product)
    await manager.should_see(marker="product-save")
    manager.find(marker="product-name").clear().type("Кружка большая")
    manager.find(marker="product-min_stock").clear().type("5")
    manager.find(marker="product-save").click()
    await until(lambda: [row["name"] for row in table_of(manager).rows] == ["Кружка большая"])
    [saved] = live_products(app_database)
    assert (saved["name"], saved["min_stock"], saved["sku"]) == ("Кружка большая", 5, "CUP-1")


async def test_soft_delete_after_confirmation_and_restore(
    manager: User, app_database: Database
) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    make_product(app_database, sku="TEE-1", name="Футболка")
    post(app_database, "RECEIPT", cup, 3)
    await open_products(manager)

    manager.find(marker="products-table").trigger("delete", cup)
    await manager.should_see("Удалить товар?")
    await manager.should_see(  # its units would drop out of the balances
        "Удалить нельзя: на складе есть этот товар — годный 3, брак 0. Сначала отгрузите, "
        "спишите или утилизируйте остаток."
    )
    [button] = manager.find(marker="confirm-delete").elements
    assert not button.enabled
    post(app_database, "WRITE_OFF", cup, 3)
    post(app_database, "UTILIZATION", cup, 3)
    await open_products(manager)
    manager.find(marker="products-table").trigger("delete", cup)
    await manager.should_see("Удалить товар?")
    manager.find(marker="confirm-delete").click()
    await until(lambda: skus(manager) == ["TEE-1"])
    assert {p["sku"]: p["is_deleted"] for p in live_products(app_database)} == {
        "CUP-1": True,
        "TEE-1": False,
    }

    with manager:
        manager.find(marker="deleted-filter").elements.pop().value = True
    await until(lambda: skus(manager) == ["CUP-1"])
    assert table_of(manager).rows[0]["is_deleted"] is True

    manager.find(marker="products-table").trigger("restore", cup)
    await until(lambda: skus(manager) == [])
    assert all(not p["is_deleted"] for p in live_products(app_database))


async def test_clicking_a_row_opens_the_product_card(manager: User, app_database: Database) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    await open_products(manager)
    manager.find(marker="products-table").trigger("rowClick", cup)  # Quasar's row-click
    await arrived(manager, f"/products/{cup}")
    await manager.should_see(marker="card-name")
    await manager.should_see("Кружка")


async def test_the_card_shows_stock_and_latest_movements(
    manager: User, app_database: Database
) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка", min_stock=2000)
    post(app_database, "RECEIPT", cup, 1500)
    post(app_database, "RECEIPT_DEFECT", cup, 7)
    post(app_database, "WRITE_OFF", cup, 2, notes="Разбита")
    post(app_database, "SHIPMENT_RC", cup, 100, distribution_center_id=dc_id(app_database))
    await open_page(manager, f"/products/{cup}")
    await manager.should_see("Кружка")
    for marker, text in (
        ("card-good", f"1{THIN_SPACE}398"),
        ("card-defect", "9"),
        ("card-reserved", "0"),
        ("card-available", f"1{THIN_SPACE}398"),
    ):
        assert manager.find(marker=marker).elements.pop().text == text
    await manager.should_see("Доступно меньше минимального остатка")

    rows = table_of(manager, "card-movements").rows
    assert [(r["operation"], r["good"], r["defect"]) for r in rows] == [
        ("Отгрузка на РЦ", "\u2212100", ""),
        ("Списание в брак", "\u22122", "+2"),
        ("Приёмка брака", "", "+7"),
        ("Приёмка", f"+1{THIN_SPACE}500", ""),
    ]
    assert rows[0]["party"] == "WB Коледино"
    assert rows[1]["notes"] == "Разбита"
    link = manager.find(marker="card-journal-link").elements.pop()
    assert link.props["href"] == f"/journal?product_id={cup}"


async def test_the_card_of_a_deleted_product_still_shows_its_stock(
    manager: User, app_database: Database
) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    post(app_database, "RECEIPT", cup, 4)
    with app_database.engine.begin() as conn:  # deleted in stock, as earlier versions allowed
        conn.execute(sa.text("UPDATE product SET is_deleted = :yes WHERE id = :id"),
                     {"yes": True, "id": cup})  # fmt: skip
    await open_page(manager, f"/products/{cup}")
    await manager.should_see(marker="card-deleted")
    assert manager.find(marker="card-good").elements.pop().text == "4"
    await manager.should_not_see(marker="card-edit")
    manager.find(marker="card-restore").click()
    await manager.should_see(marker="card-edit")
    assert all(not p["is_deleted"] for p in live_products(app_database))


async def test_editing_from_the_card(manager: User, app_database: Database) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    await open_page(manager, f"/products/{cup}")
    manager.find(marker="card-edit").click()
    await manager.should_see(marker="product-save")
    manager.find(marker="product-barcode").clear().type("123")
    manager.find(marker="product-save").click()
    await manager.should_see("Штрихкод: 8, 12, 13 или 14 цифр")
    manager.find(marker="product-barcode").clear().type(NEW_BARCODE)
    manager.find(marker="product-save").click()
    await until(lambda: live_products(app_database)[0]["barcode"] == NEW_BARCODE)
    await manager.should_not_see(marker="product-save")  # the dialog closed
    await manager.should_see(NEW_BARCODE)  # the card shows the new barcode


async def test_an_unknown_product_gets_a_friendly_message(manager: User) -> None:
    for address in ("/products/999999", "/products/abc"):
        response = await manager.http_client.get(address)
        assert response.status_code == 404
        assert "Товар не найден" in response.text
        assert "К списку товаров" in response.text


async def test_a_worker_may_not_open_a_card(worker: User, app_database: Database) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    await open_page(worker, f"/products/{cup}")
    await worker.should_see("Нет доступа")
    await worker.should_not_see("Кружка")


def test_times_are_shown_in_the_configured_zone() -> None:
    late_evening_utc = datetime(2024, 12, 31, 21, 30, tzinfo=UTC)
    assert format_time(late_evening_utc, "Europe/Moscow") == "01.01.2025 00:30"
    assert format_time(late_evening_utc, "Asia/Yekaterinburg") == "01.01.2025 02:30"
    assert format_time(datetime(2024, 6, 1, 9, 5), "Europe/Moscow") == "01.06.2024 12:05"
    assert format_time(None, "Europe/Moscow") == ""


def test_stock_changes_follow_the_warehouse_of_each_side() -> None:
    warehouse_of = {1: "MAIN", 2: "DEFECT", 3: "MAIN"}  # 3: a bin in the main warehouse
    write_off = {"from_location_id": 1, "to_location_id": 2, "quantity": 5}
    receipt = {"from_location_id": 99, "to_location_id": 1, "quantity": 7}  # 99: virtual
    between_bins = {"from_location_id": 1, "to_location_id": 3, "quantity": 4}
    assert stock_changes(write_off, warehouse_of) == (-5, 5)
    assert stock_changes(receipt, warehouse_of) == (7, 0)
    assert stock_changes(between_bins, warehouse_of) == (0, 0)


async def test_a_search_typed_in_the_wrong_layout_shows_what_it_found_and_says_so(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, sku="PLD-1", name="Плед флисовый")
    make_product(app_database, sku="TEE-1", name="Футболка чёрная")
    await open_products(manager)
    search = manager.find(marker="product-search")
    search.type("gktl")  # «плед» with the English layout on
    await until(lambda: skus(manager) == ["PLD-1"])
    await manager.should_see("Показаны результаты для «плед»")
    search.clear().type("черн")  # «ё» typed as «е»
    await until(lambda: skus(manager) == ["TEE-1"])
    await manager.should_not_see("Показаны результаты для")


async def test_the_list_shows_stock_and_turns_delete_off_for_a_product_in_stock(
    manager: User, app_database: Database
) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    make_product(app_database, sku="TEE-1", name="Футболка")
    post(app_database, "RECEIPT", cup, 5)
    post(app_database, "WRITE_OFF", cup, 2)
    await open_products(manager)
    rows = {row["sku"]: row for row in table_of(manager).rows}
    assert (rows["CUP-1"]["good"], rows["CUP-1"]["defect"]) == ("3", "2")
    assert (rows["TEE-1"]["good"], rows["TEE-1"]["defect"]) == ("0", "0")
    assert rows["CUP-1"]["delete_refused"] == (
        "Удалить нельзя: на складе есть этот товар — годный 3, брак 2. Сначала отгрузите, "
        "спишите или утилизируйте остаток."
    )
    assert rows["TEE-1"]["delete_refused"] == ""
    slot = table_of(manager).slots["body-cell-actions"].template
    assert ':disable="!!props.row.delete_refused"' in slot
    assert ':title="props.row.delete_refused' in slot


async def test_the_card_turns_delete_off_and_says_why_while_the_product_is_in_stock(
    manager: User, app_database: Database
) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    post(app_database, "RECEIPT", cup, 4)
    await open_page(manager, f"/products/{cup}")
    [button] = manager.find(marker="card-delete").elements
    assert not button.enabled
    await manager.should_see(
        "Удалить нельзя: на складе есть этот товар — годный 4, брак 0. Сначала отгрузите, "
        "спишите или утилизируйте остаток."
    )


async def test_a_delete_refused_at_the_click_says_why_and_turns_the_button_off(
    manager: User, app_database: Database
) -> None:
    cup = make_product(app_database, sku="CUP-1", name="Кружка")
    await open_products(manager)
    manager.find(marker="products-table").trigger("delete", cup)
    await manager.should_see("Удалить товар?")
    post(app_database, "RECEIPT", cup, 2)  # stock arrives while the dialog is open
    manager.find(marker="confirm-delete").click()
    await manager.should_see("Товар есть на складе: сначала отгрузите", marker="delete-in-stock")
    [button] = manager.find(marker="confirm-delete").elements
    assert not button.enabled
    assert [p["is_deleted"] for p in live_products(app_database)] == [False]


async def test_an_empty_catalogue_says_where_to_start(manager: User) -> None:
    await open_products(manager)
    await manager.should_see(marker="where-to-start")
    await manager.should_see("uv run main.py --demo")
    manager.find(marker="start-add-product").click()
    await manager.should_see(marker="product-save")


async def test_a_catalogue_with_products_shows_no_start_hints(
    manager: User, app_database: Database
) -> None:
    make_product(app_database, sku="CUP-1", name="Кружка")
    await open_products(manager)
    await manager.should_not_see(marker="where-to-start")
