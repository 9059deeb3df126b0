"""The balances page as a manager uses it: stock per product, totals, search, the
"below minimum" filter and server-side pages (NiceGUI user simulation)."""

import asyncio
import importlib
from collections.abc import Callable
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User

from data.database import Database
from tests.conftest import another_browser, arrived, make_product, open_page
from tests.helpers import dc_id, post
from ui.formatting import THIN_SPACE


async def until(check: Callable[[], Any], timeout: float = 5.0) -> None:
    """Wait for a background reload (handlers run the query in a thread)."""
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def table_of(user: User) -> ui.table:
    return user.find(marker="balances-table").elements.pop()


def rows_by_sku(user: User) -> dict[str, dict[str, Any]]:
    return {row["sku"]: row for row in table_of(user).rows}


def total(user: User, key: str) -> str:
    return user.find(marker=f"total-{key}").elements.pop().text


async def open_balances(user: User) -> None:
    await open_page(user, "/balances")
    await user.should_see(marker="balances-table")


def stock_two_products(db: Database) -> tuple[int, int]:
    """A mug well stocked (minimum 10) and a tee below its minimum of 50."""
    mug = make_product(db, sku="MUG", name="Кружка", min_stock=10)
    tee = make_product(db, sku="TEE", name="Футболка", min_stock=50)
    post(db, "RECEIPT", mug, 1200)
    post(db, "RECEIPT_DEFECT", mug, 3)
    post(db, "SHIPMENT_RC", mug, 200, distribution_center_id=dc_id(db))
    post(db, "RECEIPT", tee, 40)
    post(db, "WRITE_OFF", tee, 5)
    return mug, tee


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await visitor.open("/balances")
    await visitor.should_see("Войти")
    await visitor.should_not_see(marker="balances-table")


async def test_a_warehouse_worker_may_not_see_balances(worker: User) -> None:
    await open_page(worker, "/balances")
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="balances-table")


async def test_each_product_shows_good_defect_reserved_and_available(
    manager: User, app_database: Database
) -> None:
    stock_two_products(app_database)
    make_product(app_database, sku="NEW", name="Ящик", min_stock=0)  # never received
    await open_balances(manager)
    rows = rows_by_sku(manager)
    assert {
        sku: (row["good"], row["defect"], row["reserved"], row["available"])
        for sku, row in rows.items()
    } == {
        "MUG": (f"1{THIN_SPACE}000", "3", "0", f"1{THIN_SPACE}000"),
        "TEE": ("35", "5", "0", "35"),
        "NEW": ("0", "0", "0", "0"),
    }
    assert [sku for sku, row in rows.items() if row["low"]] == ["TEE"]
    await manager.should_see("Товаров: 3")


async def test_totals_on_top(manager: User, app_database: Database) -> None:
    stock_two_products(app_database)
    await open_balances(manager)
    assert total(manager, "good_units") == f"1{THIN_SPACE}035"
    assert total(manager, "defect_units") == "8"
    assert total(manager, "reserved_units") == "0"
    assert total(manager, "available_units") == f"1{THIN_SPACE}035"
    assert total(manager, "products_in_stock") == "2"
    assert total(manager, "low_stock_products") == "1"


async def test_totals_refresh_on_request(manager: User, app_database: Database) -> None:
    mug, _ = stock_two_products(app_database)
    await open_balances(manager)
    post(app_database, "RECEIPT", mug, 65)
    manager.find(marker="refresh").click()
    await until(lambda: total(manager, "good_units") == f"1{THIN_SPACE}100")
    await until(lambda: rows_by_sku(manager)["MUG"]["good"] == f"1{THIN_SPACE}065")


async def test_below_minimum_only(manager: User, app_database: Database) -> None:
    stock_two_products(app_database)
    await open_balances(manager)
    manager.find(marker="low-only").click()
    await until(lambda: list(rows_by_sku(manager)) == ["TEE"])
    await manager.should_see("Товаров: 1")
    manager.find(marker="low-only").click()
    await until(lambda: sorted(rows_by_sku(manager)) == ["MUG", "TEE"])


async def test_below_minimum_from_a_link(manager: User, app_database: Database) -> None:
    stock_two_products(app_database)
    await open_page(manager, "/balances?low=true")
    await manager.should_see(marker="balances-table")
    assert list(rows_by_sku(manager)) == ["TEE"]


async def test_search(manager: User, app_database: Database) -> None:
    stock_two_products(app_database)
    await open_balances(manager)
    search = manager.find(marker="balance-search")
    search.type("футб")
    await until(lambda: list(rows_by_sku(manager)) == ["TEE"])
    search.clear().type("mug")
    await until(lambda: list(rows_by_sku(manager)) == ["MUG"])
    search.clear()
    await until(lambda: sorted(rows_by_sku(manager)) == ["MUG", "TEE"])


async def test_pages_come_from_the_server(manager: User, app_database: Database) -> None:
    for number in range(60):
        make_product(app_database, sku=f"P-{number:02d}", name=f"Товар {number:02d}")
    await open_balances(manager)
    table = table_of(manager)
    assert len(table.rows) == 20
    assert table.pagination["rowsNumber"] == 60
    manager.find(marker="balances-table").trigger("request", {"page": 2, "rowsPerPage": 20})
    await until(lambda: table.rows[0]["sku"] == "P-20")
    assert [row["sku"] for row in table.rows] == [f"P-{n:02d}" for n in range(20, 40)]
    assert table.pagination["page"] == 2


async def test_clicking_a_row_opens_the_product_card(manager: User, app_database: Database) -> None:
    mug, _ = stock_two_products(app_database)
    await open_balances(manager)
    manager.find(marker="balances-table").trigger("rowClick", mug)  # Quasar's row-click
    await arrived(manager, f"/products/{mug}")
    await manager.should_see(marker="card-name")
    await manager.should_see("Кружка")


def watch_address(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The addresses the page puts in the browser's history (history.replaceState)."""
    seen: list[str] = []
    monkeypatch.setattr(ui.navigate.history, "replace", seen.append)
    return seen


async def test_columns_sort_on_the_server_and_the_address_keeps_the_order(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    stock_two_products(app_database)  # MUG: 1000 good, 3 defect; TEE: 35 good, 5 defect
    make_product(app_database, sku="ZIP", name="Анорак", min_stock=0)
    await open_balances(manager)
    addresses = watch_address(monkeypatch)
    assert list(rows_by_sku(manager)) == ["ZIP", "MUG", "TEE"]  # by name
    request = {"page": 1, "rowsPerPage": 20, "sortBy": "available", "descending": True}
    manager.find(marker="balances-table").trigger("request", request)
    await until(lambda: list(rows_by_sku(manager)) == ["MUG", "TEE", "ZIP"])
    request = {"page": 1, "rowsPerPage": 20, "sortBy": "defect", "descending": False}
    manager.find(marker="balances-table").trigger("request", request)
    await until(lambda: list(rows_by_sku(manager)) == ["ZIP", "MUG", "TEE"])
    manager.find(marker="low-only").click()
    await until(lambda: list(rows_by_sku(manager)) == ["TEE"])
    await until(lambda: addresses[-1:] == ["/balances?low=true&sort=defect"])
    assert "/balances?sort=available&desc=true" in addresses
    assert all(column["sortable"] for column in table_of(manager).columns)


async def test_search_low_and_order_come_from_the_address(
    manager: User, app_database: Database
) -> None:
    stock_two_products(app_database)
    make_product(app_database, sku="TEE-2", name="Футболка белая", min_stock=5)
    await open_page(manager, "/balances?q=TEE&low=true&sort=good&desc=true")
    await manager.should_see(marker="balances-table")
    assert list(rows_by_sku(manager)) == ["TEE", "TEE-2"]
    assert manager.find(marker="balance-search").elements.pop().value == "TEE"
    assert manager.find(marker="low-only").elements.pop().value is True
    pagination = table_of(manager).pagination
    assert (pagination["sortBy"], pagination["descending"]) == ("good", True)


async def test_a_search_typed_in_the_wrong_layout_says_what_it_shows(
    manager: User, app_database: Database
) -> None:
    stock_two_products(app_database)
    await open_balances(manager)
    manager.find(marker="balance-search").type("aen")  # «фут» with the English layout on
    await until(lambda: list(rows_by_sku(manager)) == ["TEE"])
    await manager.should_see("Показаны результаты для «фут»")


async def test_an_empty_warehouse_says_where_to_start(manager: User) -> None:
    await open_balances(manager)
    await manager.should_see(marker="where-to-start")
    await manager.should_see("Загрузить из Excel")
    manager.find(marker="start-import").click()
    await arrived(manager, "/import")


async def test_open_balances_pages_share_one_read_per_change(
    manager: User,
    create_user: Callable[[], User],
    app_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every open balances page refreshes after a change; those showing the same list
    take one read of it (the page and the totals) between them, not one each."""
    mug, _ = stock_two_products(app_database)
    browsers = [manager] + [await another_browser(create_user, "manager") for _ in range(3)]
    for browser in browsers:
        await open_balances(browser)
    # The module as the running app loaded it (the simulation reloads the app per test).
    await asyncio.sleep(1.0)  # refreshes for the setup's commits are done
    page_module = importlib.import_module("ui.pages.stock.balances")
    real_summary = page_module.summary
    totals_read: list[int] = []

    def counted_summary(engine: Any) -> dict[str, int]:
        totals_read.append(1)
        return real_summary(engine)

    monkeypatch.setattr(page_module, "summary", counted_summary)
    await asyncio.sleep(0.6)  # no change meanwhile: nothing is read
    assert totals_read == []
    post(app_database, "RECEIPT", mug, 65)  # another connection, as another process
    for browser in browsers:
        await until(lambda b=browser: total(b, "good_units") == f"1{THIN_SPACE}100")  # type: ignore[misc]
    await asyncio.sleep(1.0)  # a page that read on its own would have done so by now
    assert len(totals_read) == 1
