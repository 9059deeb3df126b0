"""The floor board (/floor-board; issue 15) as the shift lead watches it (NiceGUI
simulation): open tasks by worker and zone, the oldest waiting orders, drawn again live
as a picker works; and the order card following the picks. Workers are refused."""

import sqlalchemy as sa
from nicegui import ElementFilter
from nicegui.testing import User

from core.orders import waves
from core.orders.picks import pick_item
from data.database import Database
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import WAIT
from tests.floor import make_bin
from tests.helpers import eventually
from tests.orders import place
from tests.picking import started_task, stock_bin


def texts(user: User, marker: str) -> list[str]:
    with user.client:  # type: ignore[union-attr]
        found = list(ElementFilter(marker=marker, local_scope=False))
        return [" ".join(str(getattr(e, "text", "")) for e in f.descendants()) for f in found]


async def test_the_board_shows_tasks_by_worker_and_the_oldest_orders_live(
    manager: User, app_database: Database
) -> None:
    db = app_database
    cup = make_product(db, sku="CUP", name="Чашка")
    stock_bin(db, cup, 5, make_bin(db, "Z-01-01"))
    waiting = place(db, [(cup, 50)], external_id="WB-WAIT-1")  # no stock: waits
    assert waiting.status == "awaiting_stock"
    order = place(db, [(cup, 2)], external_id="WB-BOARD-1")
    await open_page(manager, "/floor-board")
    await manager.should_see("По работникам", retries=WAIT)
    await manager.should_see("Никто не взял")
    await manager.should_see("WB-WAIT-1")
    task = started_task(db, order.picking_task_id or 0, "boardpicker")
    await manager.should_see("Работник boardpicker", retries=WAIT)  # live, no reload
    assert any("Z-01-01" in t and "0/1" in t for t in texts(manager, "board-task"))
    pick_item(db.unit_of_work(), task.id, task.items[0].id, 2, None)
    await eventually(lambda: any("1/1" in t for t in texts(manager, "board-task")), timeout=10)


async def test_the_order_card_follows_the_picks(manager: User, app_database: Database) -> None:
    db = app_database
    cup = make_product(db, sku="CUP-2")
    stock_bin(db, cup, 3, make_bin(db, "Z-02-01"))
    order = place(db, [(cup, 3)], external_id="WB-LIVE-1")
    task = started_task(db, order.picking_task_id or 0, "livepicker")
    await open_page(manager, f"/orders/{order.id}")
    await manager.should_see("WB-LIVE-1", retries=WAIT)
    with manager.client:  # type: ignore[union-attr]
        (lines,) = ElementFilter(marker="order-lines", local_scope=False)
    assert lines.rows[0]["picked"] in ("0", 0)  # type: ignore[attr-defined]
    pick_item(db.unit_of_work(), task.id, task.items[0].id, 3, None)

    def picked() -> bool:
        with manager.client:  # type: ignore[union-attr]
            (fresh,) = ElementFilter(marker="order-lines", local_scope=False)
        return str(fresh.rows[0]["picked"]) == "3"  # type: ignore[attr-defined]

    await eventually(picked, timeout=10)


async def test_a_worker_may_not_see_the_board(worker: User, app_database: Database) -> None:
    await open_page(worker, "/floor-board")
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="floor-board")


async def test_the_order_card_names_each_zones_task_and_its_wave(
    manager: User, app_database: Database
) -> None:
    db = app_database
    lines = []
    for code, zone in (("ZA-01", "A"), ("ZB-01", "B")):
        place_id = make_bin(db, code)
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE location SET zone = :z WHERE id = :id"),
                         {"z": zone, "id": place_id})  # fmt: skip
        product = make_product(db, sku=f"Z-{zone}")
        stock_bin(db, product, 2, place_id)
        lines.append((product, 1))
    order = place(db, lines, external_id="WB-ZONES-1")
    wave = waves.release_wave(db.unit_of_work(), waves.criteria(), None)
    first = order.picking_task_id or 0
    await open_page(manager, f"/orders/{order.id}")
    await manager.should_see(f"№{first} (зона A) · Ожидает · 0/1 · волна №{wave.wave_id}",
                             retries=WAIT)  # fmt: skip
    await manager.should_see(f"№{first + 1} (зона B) · Ожидает · 0/1 · волна №{wave.wave_id}")
