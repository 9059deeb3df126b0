"""Waves and batch picking pages in NiceGUI's simulated user (issue 15): a worker takes a
batch on the tablet, is refused a wrong bin, picks two orders' shares at one stop (one of
them short), and sorts the cart at the put wall, the screen naming each unit's slot; a
manager releases a wave and its card shows progress and what blocks it."""

import sqlalchemy as sa
from nicegui.testing import User

from core.orders import batches, waves
from data.database import Database
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import element, linked_executor, shown, text
from tests.floor import make_bin, worker_with_executor
from tests.helpers import eventually, scan_into
from tests.order_checks import check_reservations
from tests.orders import fresh, place
from tests.picking import stock_bin, task

WAIT = 50


async def test_a_worker_picks_a_batch_and_puts_it_to_orders(
    worker: User, app_database: Database
) -> None:
    db = app_database
    linked_executor(db)
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode="4600000000017")
    cup = make_product(db, name="Чашка 200 мл", sku="CUP-200", barcode="4600000000024")
    stock_bin(db, mug, 5, make_bin(db, "A-01-1-1", route=1))
    stock_bin(db, cup, 5, make_bin(db, "B-02-1-1", route=2))
    one = place(db, [(mug, 2)], external_id="WB-1")
    two = place(db, [(mug, 2), (cup, 1)], external_id="WB-2")
    batch, _ = batches.create_batch(
        db.unit_of_work(), [one.picking_task_id or 0, two.picking_task_id or 0], None
    )

    await open_page(worker, "/picking")  # a batch's orders are not picked one by one
    await worker.should_see("Заказов на сборку нет")
    await open_page(worker, "/batches")
    await worker.should_see(f"Партия №{batch.id}")
    worker.find(marker="batch-take").click()
    await eventually(lambda: shown(worker, "batch-scan"), timeout=20)
    assert text(worker, "batch-place") == "A-01-1-1"  # one stop for both orders' mugs
    await scan_into(worker, "batch-scan", "B-02-1-1")
    assert text(worker, "scan-flash-text") == "Не та ячейка: нужна A-01-1-1"
    await scan_into(worker, "batch-scan", "A-01-1-1")
    await scan_into(worker, "batch-scan", "4600000000017")
    await eventually(lambda: text(worker, "batch-slot") == "В ячейку 1 — 2 шт.")
    worker.find(marker="batch-confirm").click()
    await eventually(lambda: text(worker, "batch-slot") == "В ячейку 2 — 2 шт.", timeout=20)
    element(worker, "batch-quantity").set_value(1)
    worker.find(marker="batch-short").click()  # the second order found one mug only
    await eventually(lambda: text(worker, "batch-place") == "B-02-1-1", timeout=20)
    await scan_into(worker, "batch-scan", "B-02-1-1")
    await scan_into(worker, "batch-scan", "4600000000024")
    await eventually(lambda: shown(worker, "batch-confirm"))
    worker.find(marker="batch-confirm").click()
    await worker.should_see(marker="batch-all-done", retries=WAIT)
    assert task(db, one.picking_task_id or 0).status == "completed"
    second = fresh(db, two.id)
    assert [(x.picked, x.reserved) for x in second.lines] == [(1, 0), (1, 0)]
    assert fresh(db, one.id).lines[0].picked == 2
    check_reservations(db)

    worker.find(marker="batch-to-put-wall").click()
    await worker.should_see(marker="put-scan", retries=WAIT)
    for slot in ("Ячейка 1", "Ячейка 1", "Ячейка 2"):
        await scan_into(worker, "put-scan", "4600000000017")
        assert text(worker, "put-target") == slot
    await scan_into(worker, "put-scan", "4600000000017")
    assert "уже разложены" in text(worker, "scan-flash-text")
    await scan_into(worker, "put-scan", "4600000000024")
    assert text(worker, "put-target") == "Ячейка 2"
    await worker.should_see(marker="put-pack", retries=WAIT)


async def test_a_manager_releases_a_wave_and_sees_what_blocks_it(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, sku="MUG-350", barcode="4600000000017")
    stock_bin(db, mug, 3, make_bin(db, "A-01-1-1", route=1))
    place(db, [(mug, 1)], external_id="OZ-1")
    place(db, [(mug, 2)], external_id="OZ-2")
    place(db, [(mug, 5)], external_id="OZ-3")  # waits for stock
    await open_page(manager, "/waves")
    await manager.should_see("Волн пока нет")
    manager.find(marker="wave-preview").click()
    await manager.should_see("Подходит заказов: 2", retries=WAIT)
    manager.find(marker="wave-release").click()
    await manager.should_see("Ждут товара по условиям волны: 1", retries=WAIT)
    await manager.should_see("Заказов собрано 0 из 2")
    with db.engine.connect() as conn:
        waves_made = conn.execute(sa.text("SELECT order_count, batch_count FROM pick_wave")).all()
        batch_id = conn.execute(sa.text("SELECT id FROM pick_batch")).scalar_one()
    assert [tuple(w) for w in waves_made] == [(2, 1)]
    # Picked behind the page's back: the card follows (ui.live), and names the short.
    actor, executor = worker_with_executor(db, "picker")
    batch = batches.take_batch(db.unit_of_work, batch_id, executor, actor.user_id)
    first, second = (p for s in batches.stops(batch) for pr in s.products for p in pr.portions)
    batches.pick_in_batch(db.unit_of_work, batch_id, first.item_id, first.quantity, None)
    await manager.should_see("Заказов собрано 1 из 2", retries=WAIT)
    batches.pick_in_batch(db.unit_of_work, batch_id, second.item_id, 0, None)
    await manager.should_see("Недостача или пропуск: 1 поз. (заказы OZ-2)", retries=WAIT)


async def test_a_manager_breaks_up_a_batch_from_the_wave_card(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, sku="MUG-350", barcode="4600000000017")
    stock_bin(db, mug, 5, make_bin(db, "A-01-1-1", route=1))
    orders = [place(db, [(mug, 1)], external_id=f"YM-{n}") for n in range(2)]
    done = waves.release_wave(db.unit_of_work(), waves.criteria(), None, batch_size=2)
    await open_page(manager, f"/waves/{done.wave_id}")
    await manager.should_see(marker="wave-dissolve")
    manager.find(marker="wave-dissolve").click()
    await manager.should_see("Партия №1 расформирована: заказов по одному — 2", retries=WAIT)
    assert all(task(db, o.picking_task_id or 0).batch_id is None for o in orders)
    await manager.should_not_see(marker="wave-dissolve", retries=WAIT)


async def test_a_batch_page_lets_a_worker_take_a_free_batch_but_not_anothers(
    worker: User, app_database: Database
) -> None:
    db = app_database
    linked_executor(db)
    mug = make_product(db, sku="MUG-350", barcode="4600000000017")
    stock_bin(db, mug, 10, make_bin(db, "A-01-1-1", route=1))
    free, _ = batches.create_batch(
        db.unit_of_work(), [place(db, [(mug, 1)]).picking_task_id or 0 for _ in range(2)], None
    )
    taken, _ = batches.create_batch(
        db.unit_of_work(), [place(db, [(mug, 1)]).picking_task_id or 0 for _ in range(2)], None
    )
    _, someone = worker_with_executor(db, "someone")
    batches.take_batch(db.unit_of_work, taken.id, someone, None)
    await open_page(worker, f"/batches/{taken.id}")
    await worker.should_see("Эта партия у другого сборщика")
    await worker.should_not_see(marker="batch-take")
    await open_page(worker, f"/batches/{free.id}")
    await worker.should_see("Партия ещё не взята")
    worker.find(marker="batch-take").click()
    await eventually(lambda: shown(worker, "batch-scan"), timeout=20)
    await worker.should_see("A-01-1-1")
