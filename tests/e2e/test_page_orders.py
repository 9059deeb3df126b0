"""The orders page as a manager uses it (NiceGUI simulation): the list with its status
filter, an order's card with lines, reservations by bin and timeline, and the reserve and
cancel buttons, which go through core."""

import asyncio
from typing import Any

from nicegui.testing import User

from data.database import Database
from data.orders.queries import orders
from tests.conftest import make_product, open_page
from tests.floor import location_id, make_bin
from tests.helpers import eventually, post, scan_into, stock
from tests.order_checks import check_reservations
from tests.orders import cancel, fresh, place
from ui.pages.orders import order_card


def rows(user: User, marker: str) -> list[dict[str, Any]]:
    (table,) = user.find(marker=marker).elements
    return list(table.rows)


async def test_workers_do_not_get_the_orders_page(worker: User) -> None:
    await open_page(worker, "/orders")
    await worker.should_see("Нет доступа")


async def test_the_list_filters_by_status_and_opens_a_card(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350")
    post(db, "RECEIPT", mug, 3)
    reserved = place(db, [(mug, 2)], external_id="WB-100")
    waiting = place(db, [(mug, 5)], external_id="WB-200")
    await open_page(manager, "/orders")
    await manager.should_see("Заказы")
    await manager.should_see("Заказов: 2")
    listed = rows(manager, "orders-table")
    assert [(r["external_id"], r["status"], r["units"]) for r in listed] == [
        ("WB-200", "Ждёт товар", "0 / 5"), ("WB-100", "Зарезервирован", "2 / 2"),
    ]  # fmt: skip
    await open_page(manager, "/orders?status=awaiting_stock")
    await manager.should_see("Заказов: 1")
    assert [r["external_id"] for r in rows(manager, "orders-table")] == ["WB-200"]
    await open_page(manager, f"/orders/{reserved.id}")
    await manager.should_see("Зарезервирован")
    await manager.should_see("Резерв по местам")
    (line,) = rows(manager, "order-lines")
    assert (line["product"], line["quantity"], line["reserved"]) == (
        "Кружка 350 мл · MUG-350",
        "2",
        "2",
    )
    assert [(r["location"], r["quantity"]) for r in rows(manager, "order-reservations")] == [
        ("MAIN", "2")
    ]
    await open_page(manager, f"/orders/{waiting.id}")
    await manager.should_see("Товара не хватает")
    await open_page(manager, "/orders/999999")
    await manager.should_see("Заказ не найден")


async def test_a_manager_reserves_a_new_order_and_cancels_it(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350")
    post(db, "RECEIPT", mug, 10)
    shelf = make_bin(db, "A-01-1-1", route=1)
    post(db, "TRANSFER", mug, 10, from_location_id=location_id(db, "MAIN"), to_location_id=shelf)
    draft = place(db, [(mug, 4)], external_id="OZ-1", confirm=False)
    await open_page(manager, f"/orders/{draft.id}")
    await manager.should_see("Новый")
    manager.find(marker="order-confirm").click()
    await manager.should_see("Товар зарезервирован")
    await eventually(lambda: fresh(db, draft.id).status == "reserved")
    await eventually(
        lambda: [r["location"] for r in rows(manager, "order-reservations")] == ["A-01-1-1"]
    )
    assert stock(db, mug)["reserved"] == 4

    manager.find(marker="order-cancel").click()
    manager.find(marker="cancel-reason").type("Покупатель отказался")
    manager.find(marker="cancel-confirm").click()
    await manager.should_see("Заказ отменён")
    await eventually(lambda: fresh(db, draft.id).status == "cancelled")
    await manager.should_see("Покупатель отказался")
    assert stock(db, mug)["reserved"] == 0
    check_reservations(db)


async def test_a_managers_menu_has_orders(manager: User) -> None:
    await manager.should_see("Заказы")


async def test_a_manager_types_an_order_in_with_a_scanner(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode="4600000000017")
    post(db, "RECEIPT", mug, 10)
    await open_page(manager, "/orders/new")
    manager.find(marker="order-external-id").type("TEL-1")
    for _ in range(3):  # three scans of one product: one line of 3
        await scan(manager, "4600000000017")
        await manager.should_see("Кружка 350 мл · MUG-350 · 4600000000017")
    await scan(manager, "999")
    await manager.should_see("Товар 999 не найден")
    manager.find(marker="order-create").click()
    await manager.should_see("Заказ TEL-1 создан: 3 шт.")
    await eventually(lambda: orders_of(db) == [("TEL-1", "reserved", 3)])
    assert stock(db, mug)["reserved"] == 3
    check_reservations(db)


async def test_an_order_without_lines_is_refused_on_the_form(manager: User) -> None:
    await open_page(manager, "/orders/new")
    manager.find(marker="order-external-id").type("TEL-2")
    manager.find(marker="order-save").click()
    await manager.should_see("В заказе нет строк")


async def scan(user: User, code: str) -> None:
    """A scanner: the code typed into the scan field, then Enter; the next scan waits
    until the page has answered this one."""
    await scan_into(user, "order-scan", code)


def orders_of(db: Database) -> list[tuple[str, str, int]]:
    return [(o.external_id, o.status, o.units) for o in orders(db.engine).items]


async def test_the_card_is_drawn_again_only_when_the_order_changes(
    manager: User, app_database: Database, monkeypatch: Any
) -> None:
    """A redraw under the manager's finger swallows a click (the button is replaced):
    ticks that find nothing new leave the card as it is."""
    monkeypatch.setattr(order_card, "POLL_SECONDS", 0.2)
    db = app_database
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350")
    post(db, "RECEIPT", mug, 3)
    reserved = place(db, [(mug, 2)], external_id="WB-300")
    await open_page(manager, f"/orders/{reserved.id}")
    await manager.should_see("Зарезервирован")
    header = manager.find(marker="order-header").elements.pop()
    await asyncio.sleep(1.0)  # five ticks
    assert manager.find(marker="order-header").elements.pop() is header

    cancel(db, reserved.id, "Покупатель отказался")  # elsewhere: the API, the feed
    await manager.should_see("Отменён", retries=50)
    assert manager.find(marker="order-header").elements.pop() is not header
