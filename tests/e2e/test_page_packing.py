"""The packing table's pages (/packing, /packing/{id}) in NiceGUI's simulated user: a
worker takes a task, is refused a product not in the order and one more than was picked
(nothing counted), builds boxes unit by unit (each scan counted at once), closes them with
weight and dimensions, is refused «Упаковано» while units are outside a box, packs, prints
the labels to a real TCP printer the test starts (one ^XA…^XZ a package), is told in
Russian when the printer is down and still downloads the labels, and ships — and the
database shows what the screens said."""

import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from nicegui.testing import User

from core.orders.packing import ItemRequest, PackageRequest, add_package
from data.database import Database
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import element, linked_executor, shown, text
from tests.helpers import eventually, scan_into
from tests.integration.test_label_printing import Printer, closed_port
from tests.order_checks import check_reservations
from tests.orders import fresh
from tests.packing import picked_order, ready_to_ship, started, task

WAIT = 50


@pytest.fixture
def label_printer() -> Iterator[Printer]:
    server = Printer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def station_printer(db: Database, address: str) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE location SET printer_address = :a WHERE code = 'PACK-1'"),
                     {"a": address})  # fmt: skip


def flash(user: User) -> str:
    """The scan banner's message ("" while it is hidden)."""
    return text(user, "scan-flash-text") if shown(user, "scan-flash") else ""


async def scan(user: User, code: str) -> None:
    await scan_into(user, "pack-scan", code)


async def close_box(user: User, weight: float, length: int, width: int, height: int) -> None:
    await eventually(lambda: element(user, "box-dialog").value)
    for marker, value in (("box-weight", weight), ("box-length", length), ("box-width", width),
                          ("box-height", height)):  # fmt: skip
        element(user, marker).set_value(value)
    user.find(marker="box-confirm").click()


async def test_a_worker_packs_prints_and_ships_on_the_tablet(
    worker: User, app_database: Database, label_printer: Printer
) -> None:
    db = app_database
    linked_executor(db)
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode="4600000000017")
    cup = make_product(db, name="Чашка 200 мл", sku="CUP-200", barcode="4600000000024")
    make_product(db, sku="PLATE-1", barcode="4600000000031")  # a product not in the order
    order = picked_order(db, [(mug, 2), (cup, 1)], external_id="WB-77", spare=3)
    task_id = order.packing_task_id or 0
    station_printer(db, label_printer.address)

    await open_page(worker, "/packing")
    await worker.should_see("Заказ WB-77")
    worker.find(marker="packing-take").click()
    await eventually(lambda: shown(worker, "pack-scan"))
    assert task(db, task_id).status == "in_progress"

    # Wrong scans: refused with the buzz, nothing counted.
    await scan(worker, "4600000000031")
    await eventually(lambda: flash(worker) == "Этого товара нет в заказе: «4600000000031»")
    assert text(worker, "pack-box-state") == "Коробка не открыта: отсканируйте товар"
    await scan(worker, "4600000000017")
    await eventually(lambda: flash(worker) == "+1 MUG-350 в коробку 1: 1 шт.")
    assert text(worker, f"pack-left-{mug}").startswith(
        "Упаковать: 1 шт. · упаковано 0 · в коробке 1"
    )
    await scan(worker, "4600000000017")
    await eventually(lambda: flash(worker) == "+1 MUG-350 в коробку 1: 2 шт.")
    await scan(worker, "4600000000017")
    await eventually(lambda: flash(worker) == "MUG-350: всё уже упаковано")
    assert text(worker, "pack-box-state") == "Коробка 1: 2 шт."
    assert task(db, task_id).packages == ()

    # «Упаковано» too early: core's refusal as it says it.
    worker.find(marker="pack-done").click()
    await eventually(lambda: flash(worker)
                     == "Не всё собранное упаковано: осталось 3 шт.")  # fmt: skip

    # Box 1: a bag of two mugs; «Новая коробка» closes it and opens the next.
    worker.find(marker="box-type-bag").click()
    assert text(worker, "pack-box-state") == "Пакет 1: 2 шт."
    worker.find(marker="pack-new-box").click()
    await eventually(lambda: element(worker, "box-dialog").value)
    element(worker, "box-weight").set_value(0.8)
    element(worker, "box-length").set_value(30)
    element(worker, "box-width").set_value(20)
    await eventually(lambda: "Объёмный вес: — кг" in text(worker, "box-computed"))
    worker.find(marker="box-confirm").click()
    await eventually(lambda: "Укажите вес и все три размера" in text(worker, "box-problem"))
    element(worker, "box-height").set_value(10)
    await eventually(lambda: text(worker, "box-computed")
                     == "Объёмный вес: 1,2 кг · расчётный: 1,2 кг")  # fmt: skip
    worker.find(marker="box-confirm").click()
    await eventually(lambda: len(task(db, task_id).packages) == 1, timeout=10)
    first = task(db, task_id).packages[0]
    assert (first.packaging_type, first.weight_kg, first.chargeable_weight_kg) == ("bag", 0.8, 1.2)
    assert [(i.product_id, i.quantity) for i in first.items] == [(mug, 2)]
    await eventually(lambda: text(worker, "pack-box-state") == "Пакет 2: 0 шт.")
    check_reservations(db)

    # Box 2: the cup, closed by «Закрыть коробку».
    worker.find(marker="box-type-box").click()
    await scan(worker, "4600000000024")
    assert text(worker, f"pack-left-{cup}").startswith("Упаковать: 0 шт.")
    worker.find(marker="pack-close-box").click()
    await close_box(worker, 2.5, 40, 30, 20)
    await eventually(lambda: len(task(db, task_id).packages) == 2, timeout=10)
    assert task(db, task_id).packages[1].chargeable_weight_kg == 4.8
    await worker.should_see(marker="pack-package-2", retries=WAIT)

    worker.find(marker="pack-done").click()
    await worker.should_see(marker="labels-print", retries=WAIT)
    assert task(db, task_id).status == "packed" and fresh(db, order.id).status == "packed"

    # Labels: one job to the station's printer, a label a package.
    worker.find(marker="labels-print").click()
    await eventually(lambda: label_printer.received.is_set(), timeout=10)
    job = label_printer.jobs[0].decode("utf-8")
    labels = [part for part in job.split("^XZ") if part.strip()]
    assert len(labels) == 2 and all(part.strip().startswith("^XA") for part in labels)
    assert "Коробка 1 из 2" in labels[0] and "Коробка 2 из 2" in labels[1]
    assert "WB-77" in labels[0] and f"^FD{first.barcode}^FS" in labels[0]
    await eventually(lambda: flash(worker).startswith(
        f"Этикетки отправлены на принтер {label_printer.address}: 2"))  # fmt: skip

    # The printer down: said in Russian, the downloads stay.
    station_printer(db, f"127.0.0.1:{closed_port()}")
    worker.find(marker="labels-print").click()
    await eventually(lambda: "недоступен" in flash(worker), timeout=10)
    assert "Этикетку можно скачать (ZPL или PDF)" in flash(worker)
    worker.find(marker="labels-zpl").click()
    zpl = (await worker.download.next(timeout=20)).content.decode("utf-8")
    assert zpl.count("^XA") == 2 and zpl.count("^XZ") == 2
    worker.find(marker="labels-pdf").click()
    pdf = (await worker.download.next(timeout=20)).content
    assert pdf.startswith(b"%PDF")

    # Ship: no tracking number is refused; the scanned one ships.
    worker.find(marker="ship-confirm").click()
    await eventually(lambda: "Укажите трек-номер" in flash(worker))
    await scan(worker, "RP123456789RU")
    assert element(worker, "ship-tracking").value == "RP123456789RU"
    worker.find(marker="ship-confirm").click()
    await worker.should_see(marker="ship-done", retries=WAIT)
    assert text(worker, "ship-done") == "Отгружено: manual, трек RP123456789RU"
    assert task(db, task_id).status == "shipped"
    after = fresh(db, order.id)
    assert (after.status, after.tracking_number) == ("shipped", "RP123456789RU")
    check_reservations(db)


async def test_packed_is_refused_while_a_package_has_no_dimensions(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, sku="MUG-350", barcode="4600000000017")
    order = picked_order(db, [(mug, 1)], external_id="WB-78")
    task_id = order.packing_task_id or 0
    started(db, task_id)
    request = PackageRequest("envelope", [ItemRequest(1, product_id=mug)])  # through the API
    add_package(db.unit_of_work(), task_id, request, None)
    await open_page(manager, f"/packing/{task_id}")
    await manager.should_see(marker="pack-done")
    manager.find(marker="pack-done").click()
    await eventually(lambda: flash(manager) == "Укажите вес и габариты посылок: 1")
    assert task(db, task_id).status == "in_progress"


async def test_the_order_card_shows_its_packing_and_package_labels(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, sku="MUG-350", barcode="4600000000017")
    order, task_id = ready_to_ship(db, [(mug, 3)], external_id="WB-79")
    box = task(db, task_id).packages[0]
    await open_page(manager, f"/orders/{order.id}")
    await manager.should_see(f"№{task_id} · Упаковано · 3/3")
    assert text(manager, "order-package-1").startswith("1. Коробка · 1,2 кг · 30×20×10 см")
    assert text(manager, "order-package-1").endswith(f"расчётный 1,2 кг · {box.barcode}")
    manager.find(marker="order-package-label-1").click()
    zpl = (await manager.download.next(timeout=20)).content.decode("utf-8")
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    assert "WB-79" in zpl and "Коробка 1 из 1" in zpl and f"^FD{box.barcode}^FS" in zpl


async def test_a_worker_cannot_pack_a_task_another_executor_started(
    worker: User, app_database: Database
) -> None:
    db = app_database
    linked_executor(db)
    mug = make_product(db, sku="MUG-350", barcode="4600000000017")
    order = picked_order(db, [(mug, 1)], external_id="WB-80")
    task_id = order.packing_task_id or 0
    started(db, task_id)  # by another packer
    await open_page(worker, "/packing")
    worker.find(marker="packing-scan").type("WB-80").trigger("keydown.enter")
    await worker.should_see("Это задание упаковывает другой исполнитель", retries=WAIT)
    assert not shown(worker, "pack-scan") and not shown(worker, "pack-done")
    await open_page(worker, "/packing")
    worker.find(marker="packing-scan").type("WB-404").trigger("keydown.enter")
    await eventually(lambda: flash(worker) == "Нет задания на упаковку для «WB-404»")
