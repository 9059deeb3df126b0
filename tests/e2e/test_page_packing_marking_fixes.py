"""Putting marking codes right on the packing tablet (/packing/{id}): a wrong DataMatrix
is taken out of the open box (its unit with it) or out of a closed box (through core, the
unit stays there uncoded), and a unit in a closed box without a code — a product flagged
«requires marking» after it was packed — gets its code by a scan, so `pack` never stays
refused with `marking_codes_missing` and no way out on the page."""

from nicegui.testing import User

from core.catalog.products import update_product
from data.catalog.store import SqlProductStore
from data.database import Database
from data.marking.queries import order_codes
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import linked_executor, shown, text
from tests.e2e.test_page_packing import WAIT, close_box, flash, scan
from tests.helpers import eventually
from tests.marking import GS, shoes_code, valid_ean13
from tests.order_checks import check_reservations
from tests.packing import package, picked_order, started, task

SHOES = valid_ean13("460000000007")


def serial_of(code: str) -> str:
    return code.split(GS)[0][18:]  # 01 + GTIN-14 + 21, then the serial


async def test_a_wrong_code_is_taken_out_of_the_open_box_or_a_closed_one(
    worker: User, app_database: Database
) -> None:
    db = app_database
    linked_executor(db)
    shoes = make_product(db, name="Кеды 43", sku="SHOE-43", barcode=SHOES, requires_marking=True)
    order = picked_order(db, [(shoes, 2)], external_id="OZ-171")
    task_id = order.packing_task_id or 0
    await open_page(worker, "/packing")
    await worker.should_see("Заказ OZ-171")
    worker.find(marker="packing-take").click()
    await eventually(lambda: shown(worker, "pack-scan"))
    assert not shown(worker, "pack-undo-code")  # nothing to undo yet

    # Two codes into the open box; the last one undone, then the first by its «✕».
    first, wrong = shoes_code(SHOES), shoes_code(SHOES)
    await scan(worker, first)
    await scan(worker, wrong)
    await eventually(lambda: text(worker, "pack-box-state") == "Коробка 1: 2 шт.")
    worker.find(marker="pack-undo-code").click()
    await eventually(lambda: text(worker, "pack-box-state") == "Коробка 1: 1 шт.")
    assert flash(worker) == f"Код снят: SHOE-43 · {serial_of(wrong)}, единица вынута из коробки"
    assert "Упаковать: 1 шт. · упаковано 0 · в коробке 1" in text(worker, f"pack-left-{shoes}")
    worker.find(marker="pack-box-code-remove-1").click()
    await eventually(lambda: text(worker, "pack-box-state") == "Коробка 1: 0 шт.")
    assert not shown(worker, "pack-undo-code")

    # Scanned again (nothing was stored), the box closed with both codes.
    second = shoes_code(SHOES)
    await scan(worker, first)
    await scan(worker, second)
    await eventually(lambda: text(worker, "pack-box-state") == "Коробка 1: 2 шт.")
    worker.find(marker="pack-close-box").click()
    await close_box(worker, 1.2, 35, 25, 15)
    await eventually(lambda: len(order_codes(db.engine, order.id)) == 2, timeout=10)

    # A stored code taken out through core: its unit stays in box 1 without a code.
    stored = {c.code: c.id for c in order_codes(db.engine, order.id)}
    await eventually(lambda: shown(worker, f"pack-code-remove-{stored[second]}"))
    worker.find(marker=f"pack-code-remove-{stored[second]}").click()
    await eventually(lambda: [c.code for c in order_codes(db.engine, order.id)] == [first])
    await eventually(lambda: shown(worker, f"pack-uncoded-1-{shoes}"))
    assert flash(worker) == f"Код снят: SHOE-43 · {serial_of(second)} (коробка 1)"
    worker.find(marker="pack-done").click()
    await eventually(lambda: flash(worker).startswith("Не отсканированы коды маркировки"))

    # Its right code scanned: it goes to box 1, and the order packs.
    right = shoes_code(SHOES)
    await scan(worker, right)
    await eventually(lambda: flash(worker) == "Код SHOE-43 добавлен в коробку 1")
    assert sorted(c.code for c in order_codes(db.engine, order.id)) == sorted([first, right])
    await eventually(lambda: not shown(worker, f"pack-uncoded-1-{shoes}"))
    worker.find(marker="pack-done").click()
    await worker.should_see(marker="labels-print", retries=WAIT)
    assert task(db, task_id).status == "packed"
    check_reservations(db)


async def test_units_packed_before_their_product_was_flagged_get_codes_by_a_scan(
    manager: User, app_database: Database
) -> None:
    db = app_database
    barcode = valid_ean13("460000000008")
    boots = make_product(db, sku="BOOT-44", barcode=barcode)
    order = picked_order(db, [(boots, 2)], external_id="WB-172")
    task_id = order.packing_task_id or 0
    started(db, task_id)
    package(db, task_id, [(boots, 1)])
    package(db, task_id, [(boots, 1)])
    update_product(SqlProductStore(db.engine), boots, {"requires_marking": True})

    await open_page(manager, f"/packing/{task_id}")
    await manager.should_see(marker="pack-uncoded-1-" + str(boots))
    assert "без кода маркировки 1 шт." in text(manager, f"pack-uncoded-2-{boots}")
    note = "Маркировка: без кода в коробке 1 — 1 шт., в коробке 2 — 1 шт."
    assert text(manager, f"pack-marked-{boots}").startswith(note)
    manager.find(marker="pack-done").click()
    await eventually(lambda: flash(manager) == "Не отсканированы коды маркировки: BOOT-44 — 2 шт.")

    # Each scan goes to a box with an uncoded unit; a third has none to go to.
    codes = [shoes_code(barcode) for _ in range(3)]
    await scan(manager, codes[0])
    await eventually(lambda: flash(manager) == "Код BOOT-44 добавлен в коробку 1")
    await scan(manager, codes[0])
    await eventually(lambda: flash(manager) == "Этот код маркировки уже отсканирован или отгружен")
    await scan(manager, codes[1])
    await eventually(lambda: flash(manager) == "Код BOOT-44 добавлен в коробку 2")
    await scan(manager, codes[2])
    await eventually(lambda: flash(manager) == "BOOT-44: всё уже упаковано")
    got = {(c.code, c.package_number) for c in order_codes(db.engine, order.id)}
    assert got == {(codes[0], 1), (codes[1], 2)}
    assert not shown(manager, f"pack-uncoded-1-{boots}")
    assert "без кода" not in text(manager, f"pack-marked-{boots}")
    manager.find(marker="pack-done").click()
    await manager.should_see(marker="labels-print", retries=WAIT)
    assert task(db, task_id).status == "packed"
