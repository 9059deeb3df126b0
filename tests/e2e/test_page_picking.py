"""The tablet's picking pages (/picking, /picking/{id}) in NiceGUI's simulated user: a
worker without an executor is told so; a worker takes a task, is refused a wrong bin and
a wrong product, picks one item, skips the other with a reason and completes — and the
database shows what the screens said (invariant 6 included)."""

from nicegui.testing import User

from core.orders.picks import pick_item
from data.database import Database
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import element, linked_executor, shown, text
from tests.floor import make_bin
from tests.helpers import eventually, scan_into
from tests.order_checks import check_reservations
from tests.orders import fresh, place
from tests.picking import started_task, stock_bin, task

WAIT = 50


async def scan(user: User, code: str) -> None:
    await scan_into(user, "pick-scan", code)


async def test_a_worker_without_an_executor_cannot_take_a_task(worker: User) -> None:
    await open_page(worker, "/picking")
    await worker.should_see("Вы не привязаны к исполнителю")


async def test_a_worker_picks_and_skips_on_the_tablet(worker: User, app_database: Database) -> None:
    db = app_database
    linked_executor(db)
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode="4600000000017")
    cup = make_product(db, name="Чашка 200 мл", sku="CUP-200", barcode="4600000000024")
    stock_bin(db, mug, 5, make_bin(db, "A-01-1-1", route=1))
    stock_bin(db, cup, 5, make_bin(db, "B-02-1-1", route=2))
    order = place(db, [(mug, 2), (cup, 1)], external_id="WB-42")

    await open_page(worker, "/picking")
    await worker.should_see("Заказ WB-42")
    worker.find(marker="picking-take").click()
    await eventually(lambda: shown(worker, "pick-scan"))
    assert text(worker, "pick-place") == "A-01-1-1"
    await scan(worker, "B-02-1-1")
    assert text(worker, "scan-flash-text") == "Не та ячейка: нужна A-01-1-1"
    await scan(worker, "A-01-1-1")
    await scan(worker, "4600000000024")
    assert text(worker, "scan-flash-text") == "Не тот товар: нужен MUG-350"
    await scan(worker, "4600000000017")
    await eventually(lambda: shown(worker, "pick-quantity"))
    assert element(worker, "pick-quantity").value == 2
    worker.find(marker="pick-confirm").click()
    await worker.should_see("Взято 2 шт. из A-01-1-1", retries=WAIT)
    await eventually(lambda: text(worker, "pick-place") == "B-02-1-1")
    worker.find(marker="pick-skip").click()
    worker.find(marker="skip-confirm").click()
    await worker.should_see(marker="pick-all-done", retries=WAIT)
    t = task(db, order.picking_task_id or 0)
    assert [i.status for i in t.items] == ["picked", "skipped"]
    assert t.items[1].reason == "Ячейка пуста"
    check_reservations(db)
    worker.find(marker="pick-complete").click()
    await worker.should_see("Заказов на сборку нет", retries=WAIT)
    assert fresh(db, order.id).status == "picking"  # until its packing task starts


async def test_the_order_card_names_its_picking_task(manager: User, app_database: Database) -> None:
    db = app_database
    mug = make_product(db, sku="MUG-350", barcode="4600000000017")
    stock_bin(db, mug, 5, make_bin(db, "A-01-1-1"))
    order = place(db, [(mug, 2)], external_id="WB-43")
    t = started_task(db, order.picking_task_id or 0)
    pick_item(db.unit_of_work(), t.id, t.items[0].id, 1, None)
    await open_page(manager, f"/orders/{order.id}")
    await manager.should_see(f"№{t.id} · В работе · 1/1")
