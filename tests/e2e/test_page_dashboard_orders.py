"""The dashboard's orders as a manager reads them: «нет данных» when nothing was picked or
shipped (never a made-up zero), then the figures of a few known orders — the shortage
rate, the orders per day by status, the backlog by status."""

from typing import Any

from nicegui.testing import User

from core.orders.picks import pick_item, skip_item
from data.database import Database
from tests.conftest import make_product
from tests.helpers import post
from tests.orders import cancel, place
from tests.packing import ready_to_ship, ship
from tests.picking import started_task
from ui.formatting import THIN_SPACE


def element(user: User, marker: str) -> Any:
    (found,) = user.find(marker=marker).elements
    return found


def text(user: User, marker: str) -> str:
    return str(element(user, marker).text)


def bars(user: User, key: str) -> dict[str, int]:
    """Trace (or bar) name → its total."""
    figure = element(user, f"chart-{key}").figure
    if key == "order_backlog":
        (trace,) = figure["data"]
        return dict(zip(trace["x"], trace["y"], strict=True))
    return {t["name"]: sum(t["y"]) for t in figure["data"]}


async def test_with_no_orders_the_cards_say_no_data(manager: User) -> None:
    await manager.open("/?days=7")
    await manager.should_see("Заказы за период")
    assert text(manager, "order_shortage_rate") == "нет данных"
    assert text(manager, "order_shortage_rate-before") == "было нет данных"
    assert text(manager, "order_lead_time") == "нет данных"
    assert element(manager, "chart-orders_per_day").figure["data"] == []
    assert element(manager, "chart-order_backlog").figure["data"] == []


async def test_the_figures_of_known_orders(manager: User, app_database: Database) -> None:
    db = app_database
    products = [make_product(db) for _ in range(3)]
    for product in products:
        post(db, "RECEIPT", product, 5)
    picked = place(db, [(p, 1) for p in products])
    assert picked.picking_task_id is not None
    task = started_task(db, picked.picking_task_id)
    first, second, third = (item.id for item in task.items)
    pick_item(db.unit_of_work(), task.id, first, 1, None)
    pick_item(db.unit_of_work(), task.id, second, 0, None)  # short: the bin was empty
    skip_item(db.unit_of_work(), task.id, third, "Не нашёл", None)
    place(db, [(products[0], 2)])  # reserved
    place(db, [(products[0], 50)])  # awaiting stock
    cancel(db, place(db, [(products[1], 1)]).id)

    await manager.open("/?days=7")
    await manager.should_see("Заказы за период")
    assert text(manager, "order_shortage_rate") == f"67{THIN_SPACE}%"  # 2 of 3 items
    assert text(manager, "order_lead_time") == "нет данных"  # nothing shipped yet
    assert bars(manager, "orders_per_day") == {
        "Сборка": 1, "Ждёт товар": 1, "Зарезервирован": 1, "Отменён": 1,
    }  # fmt: skip
    assert bars(manager, "order_backlog") == {
        "Ждёт товар": 1, "Зарезервирован": 1, "Сборка": 1,
    }  # fmt: skip


async def test_an_order_shipped_by_the_use_cases_shows_its_lead_time_and_units(
    manager: User, app_database: Database
) -> None:
    db = app_database
    product = make_product(db)
    _, task_id = ready_to_ship(db, [(product, 3)])
    ship(db, task_id)  # create → pick → pack → ship: seconds, so minutes on the card
    await manager.open("/?days=7")
    await manager.should_see("Заказы за период")
    assert text(manager, "order_lead_time") == "0 мин"
    assert text(manager, "shipped") == "3"  # the order's SHIPMENT_ORDER counts as shipped
