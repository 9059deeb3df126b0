"""Operational alerts as a manager sees them (NiceGUI user simulation): /alerts shows a
picking task in progress past its limit with a link to its order's card, the header's
bell counts it with low stock, and both follow when the task is no longer late. The
task's start is set in the past through the database (no sleeping)."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
from nicegui import ui
from nicegui.testing import User

from core.periods import now_utc
from data.database import Database
from tests.conftest import arrived, make_product, open_page
from tests.e2e.test_page_live import badge_shows, within
from tests.floor import make_bin
from tests.helpers import post
from tests.orders import place
from tests.packing import picked_order, started
from tests.picking import started_task, stock_bin

pytestmark = pytest.mark.serial  # bounds in seconds: alone under pytest-xdist (conftest)


def picking_started(db: Database, task_id: int, hours_ago: float) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE picking_task SET started_at = :at WHERE id = :id"),
            {"at": now_utc() - timedelta(hours=hours_ago), "id": task_id},
        )


def late_picking(db: Database) -> tuple[int, str, int]:
    """An order whose picking started three hours ago: (order id, its number, task id)."""
    pen = make_product(db, sku="PEN", name="Ручка")
    stock_bin(db, pen, 5, make_bin(db, "A-1"))
    order = place(db, [(pen, 2)], external_id="WB-LATE")
    task = started_task(db, order.picking_task_id or 0)
    picking_started(db, task.id, hours_ago=3)
    return order.id, order.external_id, task.id


async def test_a_late_picking_task_is_shown_with_a_link_to_its_order(
    manager: User, app_database: Database
) -> None:
    order_id, number, task_id = late_picking(app_database)
    await open_page(manager, "/alerts")
    await manager.should_see(marker="alerts-picking")
    await manager.should_see("Сборка дольше 2 ч")
    await manager.should_see(f"сборка №{task_id}")
    link = manager.find(marker=f"alert-order-{order_id}").elements.pop()
    assert isinstance(link, ui.link)
    assert (link.text, link.props["href"]) == (f"Заказ {number}", f"/orders/{order_id}")
    await manager.should_see(marker="alerts-table")  # low stock is still below
    manager.find(marker=f"alert-order-{order_id}").click()
    await arrived(manager, f"/orders/{order_id}")
    await manager.should_see(number)


async def test_the_bell_counts_the_alert_and_both_follow_the_task(
    manager: User, app_database: Database
) -> None:
    _order_id, _number, task_id = late_picking(app_database)
    make_product(app_database, sku="LOW", name="Мало", min_stock=3)  # and one low product
    await open_page(manager, "/alerts")
    await manager.should_see(marker="alerts-picking")
    await within(lambda: badge_shows(manager) == "2", limit=5.0)
    picking_started(app_database, task_id, hours_ago=1)  # not late (any more)
    await within(lambda: badge_shows(manager) == "1", limit=5.0)
    await manager.should_not_see(marker="alerts-picking", retries=50)
    await manager.should_see(marker="alerts-none")


async def test_a_worker_sees_neither(worker: User, app_database: Database) -> None:
    late_picking(app_database)
    await open_page(worker, "/alerts")
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="alerts-picking")


async def test_late_packing_and_a_reservation_left_behind(
    manager: User, app_database: Database
) -> None:
    cup, mug = make_product(app_database, sku="CUP"), make_product(app_database, sku="MUG")
    packing = picked_order(app_database, [(cup, 1)])
    task = started(app_database, packing.packing_task_id or 0)
    post(app_database, "RECEIPT", mug, 3)
    reserved = place(app_database, [(mug, 1)])  # no TTL set: the sweep does not run
    with app_database.engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE packing_task SET started_at = :at WHERE id = :id"),
            {"at": now_utc() - timedelta(minutes=90), "id": task.id},
        )
        conn.execute(sa.text("UPDATE sale_order SET reserved_until = :at WHERE id = :id"),
                     {"at": now_utc() - timedelta(minutes=20), "id": reserved.id})  # fmt: skip
    await open_page(manager, "/alerts")
    await manager.should_see("Упаковка без веса и размеров дольше 1 ч")
    await manager.should_see(f"упаковка №{task.id}")
    await manager.should_see("нет коробок")
    await manager.should_see(marker=f"alert-order-{packing.id}")
    await manager.should_see("Резерв истёк, но не снят")
    await manager.should_see(marker=f"alert-order-{reserved.id}")
    await manager.should_see("мин назад")  # expired 20 (or, on a slow machine, 21) minutes ago
