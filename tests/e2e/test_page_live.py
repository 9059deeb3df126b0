"""Live pages and low-stock alerts as a manager sees them (NiceGUI user simulation): the
balances page, the journal and the header's low-stock count follow movements posted
behind the page's back (another connection, as another process would); /alerts lists
the low products by days of cover. The app's ledger watch stops with the app."""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nicegui import ui
from nicegui.testing import User
from sqlalchemy import event

from data.database import Database
from data.users.store import SqlUserAdminStore, SqlUserStore
from tests.conftest import another_browser, arrived, make_product, open_page
from tests.helpers import dc_id, post
from ui import live
from ui.formatting import THIN_SPACE

# Bounds in seconds: alone under pytest-xdist (conftest).
pytestmark = pytest.mark.serial

LIVE_LIMIT_SECONDS = 2.0  # the issue: open pages refresh within 2 s


@pytest.fixture(autouse=True)
def no_watch_left_running() -> Iterator[None]:
    """Set up before the app (autouse), so checked after it has shut down."""
    yield
    alive = [t for t in threading.enumerate() if t.name == "ledger-watch" and t.is_alive()]
    assert not alive, "the app left its ledger watch running"


async def within(check: Callable[[], Any], limit: float = LIVE_LIMIT_SECONDS) -> float:
    """Seconds until `check()` holds; fails after `limit`."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if check():
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    assert check(), f"not within {limit} s"
    return time.monotonic() - started


def table(user: User, marker: str) -> ui.table:
    return user.find(marker=marker).elements.pop()


def cells(user: User, marker: str, key: str, *columns: str) -> dict[str, tuple[Any, ...]]:
    return {row[key]: tuple(row[c] for c in columns) for row in table(user, marker).rows}


def badge(user: User) -> ui.badge:
    # Through the bell: `find` skips hidden elements, and at zero the badge is hidden.
    bell = user.find(marker="low-stock-bell").elements.pop()
    return next(e for e in bell.default_slot.children if isinstance(e, ui.badge))


def badge_shows(user: User) -> str | None:
    """The number on the header's bell; None when it is hidden (nothing is low)."""
    element = badge(user)
    return element.text if element.visible else None


def stock_low_products(db: Database) -> dict[str, int]:
    """Five products below their minimum, with known shipments today (inside 30 days):

    SKU   min  received  shipped  available  a day  days of cover
    SOCK   10        12       12          0    0.4              0
    TEE    50        40       30         10    1.0             10
    CAP    20        19        3         16    0.1            160
    MUG    10         5        –          5      0   no shipments
    BOX     5         –        –          0      0   no shipments
    and one that is fine: PEN (min 1, 3 received).
    """
    dc = dc_id(db)
    ids = {
        sku: make_product(db, sku=sku, name=name, min_stock=minimum)
        for sku, name, minimum in (
            ("SOCK", "Носки", 10),
            ("TEE", "Футболка", 50),
            ("CAP", "Кепка", 20),
            ("MUG", "Б кружка", 10),
            ("BOX", "А коробка", 5),
            ("PEN", "Ручка", 1),
        )
    }
    for sku, received, shipped in (("SOCK", 12, 12), ("TEE", 40, 30), ("CAP", 19, 3)):
        post(db, "RECEIPT", ids[sku], received)
        post(db, "SHIPMENT_RC", ids[sku], shipped, distribution_center_id=dc)
    post(db, "RECEIPT", ids["MUG"], 5)
    post(db, "RECEIPT", ids["PEN"], 3)
    return ids


# --- balances ----------------------------------------------------------------------------


async def test_balances_follow_a_movement_posted_elsewhere(
    manager: User, app_database: Database
) -> None:
    mug = make_product(app_database, sku="MUG", name="Кружка")
    tee = make_product(app_database, sku="TEE", name="Футболка")
    post(app_database, "RECEIPT", mug, 1000)
    await open_page(manager, "/balances")
    await manager.should_see(marker="balances-table")
    manager.find(marker="balance-search").type("кружк")
    await within(lambda: list(cells(manager, "balances-table", "sku")) == ["MUG"])
    assert manager.find(marker="total-good_units").elements.pop().text == f"1{THIN_SPACE}000"

    post(app_database, "RECEIPT", mug, 65)  # not through this page: the app is not told
    post(app_database, "RECEIPT", tee, 7)
    seconds = await within(
        lambda: cells(manager, "balances-table", "sku", "good") == {"MUG": (f"1{THIN_SPACE}065",)}
    )
    print(f"balances refreshed {seconds * 1000:.0f} ms after the movement")
    await within(
        lambda: manager.find(marker="total-good_units").elements.pop().text == f"1{THIN_SPACE}072"
    )
    # The search the manager typed is kept.
    assert manager.find(marker="balance-search").elements.pop().value == "кружк"


async def test_balances_keep_the_page_the_manager_is_on(
    manager: User, app_database: Database
) -> None:
    for number in range(45):
        make_product(app_database, sku=f"P-{number:02d}", name=f"Товар {number:02d}")
    await open_page(manager, "/balances")
    await manager.should_see(marker="balances-table")
    balances = table(manager, "balances-table")
    manager.find(marker="balances-table").trigger("request", {"page": 2, "rowsPerPage": 20})
    await within(lambda: balances.rows[0]["sku"] == "P-20")
    product_21 = balances.rows[1]["product_id"]
    post(app_database, "RECEIPT", product_21, 4)
    await within(lambda: balances.rows[1]["good"] == "4")
    assert balances.pagination["page"] == 2
    assert balances.rows[0]["sku"] == "P-20"


# --- journal -----------------------------------------------------------------------------


async def test_journal_follows_movements_and_keeps_its_filter(
    manager: User, app_database: Database
) -> None:
    mug = make_product(app_database, sku="MUG", name="Кружка")
    post(app_database, "RECEIPT", mug, 10)
    await open_page(manager, "/journal?operation_type=RECEIPT")
    await manager.should_see(marker="journal")
    journal = table(manager, "journal")
    assert len(journal.rows) == 1

    post(app_database, "SHIPMENT_RC", mug, 2, distribution_center_id=dc_id(app_database))
    post(app_database, "RECEIPT", mug, 5)
    seconds = await within(lambda: len(journal.rows) == 2)
    print(f"journal refreshed {seconds * 1000:.0f} ms after the movement")
    assert [row["quantity"] for row in journal.rows] == ["5", "10"]  # newest first
    assert manager.find(marker="total").elements.pop().text == "Найдено операций: 2"
    assert manager.find(marker="operation").elements.pop().value == "RECEIPT"


# --- the header's low-stock count ----------------------------------------------------------


async def test_header_counts_low_stock_and_follows_changes(
    manager: User, app_database: Database
) -> None:
    ids = stock_low_products(app_database)
    await open_page(manager, "/products")
    # Signing in counted none; these commits (another connection) are seen within 2 s.
    await within(lambda: badge_shows(manager) == "5")

    post(app_database, "RECEIPT", ids["TEE"], 100)  # TEE is no longer low
    await within(lambda: badge_shows(manager) == "4")
    post(app_database, "SHIPMENT_RC", ids["PEN"], 3, distribution_center_id=dc_id(app_database))
    await within(lambda: badge_shows(manager) == "5")  # PEN ran out


async def test_open_pages_show_the_watchs_count_without_a_query_of_their_own(
    manager: User, create_user: Callable[[], User], app_database: Database
) -> None:
    """Every open page's bell used to count low stock itself after each change (hundreds
    of open tablets: hundreds of queries and thread hops); now the watch counts once and
    the bells read its number. Nothing reads the database on the event loop."""
    ids = stock_low_products(app_database)
    browsers = [manager] + [await another_browser(create_user, "manager") for _ in range(3)]
    for browser in browsers:
        await open_page(browser, "/products")
    for browser in browsers:
        await within(lambda b=browser: badge_shows(b) == "5")  # type: ignore[misc]
    await asyncio.sleep(1.0)  # counts due for the setup's last commits have been made
    ctx = live.app_context()
    assert ctx is not None
    statements: list[tuple[str, str]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append((threading.current_thread().name, statement))

    event.listen(ctx.db.engine, "before_cursor_execute", seen)
    try:
        post(app_database, "RECEIPT", ids["TEE"], 100)  # TEE is no longer low
        for browser in browsers:
            await within(lambda b=browser: badge_shows(b) == "4")  # type: ignore[misc]
        await asyncio.sleep(1.0)  # a bell that counted on its own would have done so
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", seen)
    loop_thread = threading.current_thread().name
    assert [s for thread, s in statements if thread == loop_thread] == []
    # The low-stock count (the dashboard's cards of the browsers' first page have a
    # low-stock figure of their own, read in another statement).
    counts = [t for t, s in statements if s.startswith("SELECT count(*)") and "min_stock" in s]
    assert counts == ["ledger-watch"]


async def test_a_bell_shows_no_new_count_once_its_user_is_deactivated(
    manager: User, app_database: Database
) -> None:
    """The bell checks the session and the role again before it shows a new number:
    a page left open by a user the admin has deactivated goes to sign-in instead."""
    ids = stock_low_products(app_database)
    await open_page(manager, "/products")
    await within(lambda: badge_shows(manager) == "5")
    shown = badge(manager)  # this page's: the browser moves on to another page
    users = SqlUserAdminStore(app_database.engine)
    record = users.get(SqlUserStore(app_database.engine).find("manager").id)  # type: ignore[union-attr]
    assert record is not None
    users.update(record.id, record.full_name, record.role, is_active=False)
    post(app_database, "RECEIPT", ids["TEE"], 100)  # the count changes: 4
    await within(lambda: manager.back_history[-1].startswith("/login"), limit=5.0)
    assert shown.text == "5"


async def test_header_shows_no_number_when_nothing_is_low(
    manager: User, app_database: Database
) -> None:
    pen = make_product(app_database, sku="PEN", name="Ручка", min_stock=2)
    post(app_database, "RECEIPT", pen, 2)
    await open_page(manager, "/balances")
    await within(lambda: badge_shows(manager) is None)  # the bell's first count may be on its way
    post(app_database, "SHIPMENT_RC", pen, 1, distribution_center_id=dc_id(app_database))
    await within(lambda: badge_shows(manager) == "1")


async def test_the_bell_opens_the_alerts(manager: User, app_database: Database) -> None:
    stock_low_products(app_database)
    await open_page(manager, "/balances")
    manager.find(marker="low-stock-bell").click()
    await arrived(manager, "/alerts")
    await manager.should_see(marker="alerts-table")


async def test_a_worker_sees_no_low_stock_count(worker: User) -> None:
    await worker.should_not_see(marker="low-stock-bell")
    await open_page(worker, "/alerts")
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="alerts-table")


# --- /alerts -------------------------------------------------------------------------------


async def test_alerts_list_low_products_by_days_of_cover(
    manager: User, app_database: Database
) -> None:
    stock_low_products(app_database)
    await open_page(manager, "/alerts")
    await manager.should_see(marker="alerts-table")
    rows = table(manager, "alerts-table").rows
    assert [
        (row["sku"], row["available"], row["min_stock"], row["avg_daily"], row["cover"])
        for row in rows
    ] == [
        ("SOCK", "0", "10", "0,4", "0"),
        ("TEE", "10", "50", "1,0", "10"),
        ("CAP", "16", "20", "0,1", "160"),
        ("BOX", "0", "5", "0", "нет отгрузок"),  # no shipments: last, by name
        ("MUG", "5", "10", "0", "нет отгрузок"),
    ]
    assert [row["sku"] for row in rows if row["urgent"]] == ["SOCK"]  # under a week left
    await manager.should_see("Товаров ниже минимума: 5")


async def test_alerts_follow_movements(manager: User, app_database: Database) -> None:
    ids = stock_low_products(app_database)
    await open_page(manager, "/alerts")
    await manager.should_see(marker="alerts-table")
    post(app_database, "RECEIPT", ids["TEE"], 100)
    await within(lambda: "TEE" not in cells(manager, "alerts-table", "sku"))
    await manager.should_see("Товаров ниже минимума: 4")


async def test_alerts_come_a_page_at_a_time(manager: User, app_database: Database) -> None:
    for number in range(25):
        make_product(app_database, sku=f"L-{number:02d}", name=f"Товар {number:02d}", min_stock=1)
    await open_page(manager, "/alerts")
    await manager.should_see(marker="alerts-table")
    alerts = table(manager, "alerts-table")
    assert len(alerts.rows) == 20
    assert alerts.pagination["rowsNumber"] == 25
    manager.find(marker="alerts-table").trigger("request", {"page": 2, "rowsPerPage": 20})
    await within(lambda: alerts.rows[0]["sku"] == "L-20")
    assert [row["sku"] for row in alerts.rows] == [f"L-{n:02d}" for n in range(20, 25)]


async def test_an_alert_opens_the_product_card(manager: User, app_database: Database) -> None:
    ids = stock_low_products(app_database)
    await open_page(manager, "/alerts")
    await manager.should_see(marker="alerts-table")
    manager.find(marker="alerts-table").trigger("rowClick", ids["TEE"])
    await arrived(manager, f"/products/{ids['TEE']}")
    await manager.should_see("Футболка")


async def test_alerts_say_so_when_nothing_is_low(manager: User, app_database: Database) -> None:
    make_product(app_database, sku="PEN", name="Ручка", min_stock=0)
    await open_page(manager, "/alerts")
    await manager.should_see("Товаров ниже минимума: 0")
    assert table(manager, "alerts-table").rows == []
