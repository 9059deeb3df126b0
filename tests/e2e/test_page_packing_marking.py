"""Marking codes on the packing tablet (/packing/{id}): a marked product's unit is
counted by its DataMatrix — its plain barcode, an unreadable code and a code scanned
twice are refused with the buzz and nothing counted — and the box goes to core with its
codes, which the order then shows."""

from nicegui.testing import User

from core.orders.packing import ItemRequest, PackageRequest, add_package
from data.database import Database
from data.marking.queries import order_codes
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import element, linked_executor, shown, text
from tests.e2e.test_page_packing import WAIT, close_box, flash, scan
from tests.helpers import eventually, scan_into, source_id
from tests.marking import GS, shoes_code, valid_ean13
from tests.order_checks import check_reservations
from tests.packing import BOX, packed, picked_order, ship, started, task

SHOES = valid_ean13("460000000004")
CUP = "4600000000024"


async def test_a_marked_unit_is_counted_by_its_datamatrix_on_the_tablet(
    worker: User, app_database: Database
) -> None:
    db = app_database
    linked_executor(db)
    shoes = make_product(db, name="Кеды 42", sku="SHOE-42", barcode=SHOES, requires_marking=True)
    cup = make_product(db, name="Чашка 200 мл", sku="CUP-200", barcode=CUP)
    order = picked_order(db, [(shoes, 2), (cup, 1)], external_id="OZ-16")
    task_id = order.packing_task_id or 0
    await open_page(worker, "/packing")
    await worker.should_see("Заказ OZ-16")
    worker.find(marker="packing-take").click()
    await eventually(lambda: shown(worker, "pack-scan"))
    assert "DataMatrix" in text(worker, f"pack-marked-{shoes}")

    # The plain barcode of a marked product, and a code that cannot be read: refused.
    await scan(worker, SHOES)
    await eventually(lambda: flash(worker) == "SHOE-42: Сканируйте код маркировки (DataMatrix)")
    await scan(worker, f"01{SHOES.zfill(14)}21ABC")
    await eventually(lambda: "Настройте сканер" in flash(worker))
    assert text(worker, "pack-box-state") == "Коробка не открыта: отсканируйте товар"

    # Its DataMatrix counts the unit, however the scanner sent GS; twice is refused.
    first = shoes_code(SHOES)
    await scan(worker, "]d2" + first.replace(GS, "<GS>"))
    await eventually(lambda: flash(worker) == "+1 SHOE-42 в коробку 1: 1 шт.")
    await scan(worker, first.replace(GS, ""))
    await eventually(lambda: flash(worker) == "Этот код маркировки уже отсканирован или отгружен")
    second = shoes_code(SHOES)
    await scan(worker, second.replace(GS, "^]"))
    await eventually(lambda: flash(worker) == "+1 SHOE-42 в коробку 1: 2 шт.")
    await scan(worker, CUP)
    await eventually(lambda: flash(worker) == "+1 CUP-200 в коробку 1: 1 шт.")

    worker.find(marker="pack-close-box").click()
    await close_box(worker, 1.5, 40, 30, 20)
    await eventually(lambda: len(task(db, task_id).packages) == 1, timeout=10)
    codes = order_codes(db.engine, order.id)
    assert sorted(c.code for c in codes) == sorted([first, second])
    assert {(c.product_id, c.package_number, c.status) for c in codes} == {(shoes, 1, "packed")}
    worker.find(marker="pack-done").click()
    await worker.should_see(marker="labels-print", retries=WAIT)
    assert task(db, task_id).status == "packed"
    check_reservations(db)


async def test_the_order_card_lists_its_codes_and_gives_their_file(
    manager: User, app_database: Database
) -> None:
    db = app_database
    boots = make_product(db, sku="BOOT-40", barcode=valid_ean13("460000000005"),
                         requires_marking=True)  # fmt: skip
    order = picked_order(db, [(boots, 2)], external_id="WB-160")
    task_id = order.packing_task_id or 0
    started(db, task_id)
    barcode = valid_ean13("460000000005")
    codes = [shoes_code(barcode), shoes_code(barcode)]
    request = PackageRequest("box", [ItemRequest(2, product_id=boots)], **BOX,
                             marking_codes=codes)  # fmt: skip
    add_package(db.unit_of_work(), task_id, request, None)
    await open_page(manager, f"/orders/{order.id}")
    await manager.should_see(marker="order-codes-title")
    assert text(manager, "order-codes-title") == "Коды маркировки: 2"
    rows = element(manager, "order-codes").rows  # КИ: 01 GTIN 21 serial
    assert sorted(r["code"] for r in rows) == sorted(c.split(GS)[0] for c in codes)
    manager.find(marker="order-codes-csv").click()
    got = (await manager.download.next(timeout=20)).content.decode("utf-8-sig")
    assert all(code in got for code in codes) and "WB-160" in got

    # Shipped: today's codes from the orders list, for «вывод из оборота».
    packed(db, task_id)
    ship(db, task_id, "manual", "TRK-160")
    await open_page(manager, "/orders")
    manager.find(marker="codes-period").click()
    await eventually(lambda: element(manager, "codes-period-dialog").value)
    manager.find(marker="codes-period-csv").click()
    day = (await manager.download.next(timeout=20)).content.decode("utf-8-sig")
    assert all(code in day for code in codes) and day.count("Отгружен") >= 3  # header + 2


async def test_a_marked_unit_comes_back_by_its_datamatrix_on_the_returns_tablet(
    worker: User, app_database: Database
) -> None:
    db = app_database
    barcode = valid_ean13("460000000006")
    boots = make_product(db, name="Ботинки", sku="BOOT-41", barcode=barcode, requires_marking=True)
    order = picked_order(db, [(boots, 1)], external_id="WB-161", source_id=source_id(db))
    task_id = order.packing_task_id or 0
    started(db, task_id)
    code = shoes_code(barcode)
    request = PackageRequest("box", [ItemRequest(1, product_id=boots)], **BOX,
                             marking_codes=[code])  # fmt: skip
    add_package(db.unit_of_work(), task_id, request, None)
    packed(db, task_id)
    ship(db, task_id, "manual", "TRK-161")
    await open_page(worker, "/returns")
    await scan_into(worker, "ret-scan", "TRK-161")
    await eventually(lambda: text(worker, "ret-order-number") == "Заказ WB-161")
    await scan_into(worker, "ret-scan", barcode)  # the plain barcode: booking refused
    await eventually(lambda: shown(worker, "ret-good"))
    worker.find(marker="ret-good").click()
    await eventually(lambda: flash(worker) == "Сканируйте код маркировки (DataMatrix)")
    await scan_into(worker, "ret-scan", "]d2" + code.replace(GS, "<GS>"))
    await eventually(lambda: shown(worker, "ret-good"))
    worker.find(marker="ret-good").click()
    await eventually(lambda: flash(worker).startswith("Принят «Ботинки»"))
    assert [c.status for c in order_codes(db.engine, order.id)] == ["returned"]
