"""Quality control on the tablet as a worker uses it (NiceGUI simulation, issue 15): take
a check from /qc, scan each unit, tap good or a defect with its reason (a wrong scan is
refused in red), attach a photo (a fake one refused), finish; the defect is written off
and shorted and the order card shows the check, its photo and the timeline's reason."""

from collections.abc import Callable, Iterator

import pytest
from nicegui import ElementFilter, ui
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User

from core.orders.picking import assign_task, start_task
from core.orders.picks import pick_item
from core.settings import get_settings
from data.database import Database
from data.orders.quality import check, order_checks
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import WAIT, linked_executor, shown
from tests.e2e.test_page_putaway_count import flash, scan, text
from tests.floor import make_bin
from tests.helpers import eventually
from tests.order_checks import check_reservations
from tests.orders import place
from tests.picking import stock_bin
from tests.quality import picked_into_check

MUG = "4600000000017"
PLATE = "4600000000024"
JPEG = b"\xff\xd8\xff\xe0" + b"\x11" * 100


@pytest.fixture
def qc_on(app_database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("WMS_QC_ORDER_KINDS", "customer")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


async def upload(user: User, content: bytes, name: str) -> None:
    with user.client:  # type: ignore[union-attr]
        (field,) = ElementFilter(kind=ui.upload, marker="qc-upload", local_scope=False)
    await field.handle_uploads([SmallFileUpload(name, "image/jpeg", content)])


async def test_a_worker_checks_an_order_unit_by_unit(
    qc_on: None, worker: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode=MUG)
    make_product(db, name="Тарелка", sku="PLATE", barcode=PLATE)
    stock_bin(db, mug, 2, make_bin(db, "QC-PAGE-1"))
    _order, qc = picked_into_check(db, [(mug, 2)], external_id="WB-QC-1")
    await worker.should_see("Контроль качества")  # in the floor menu
    await open_page(worker, "/qc")
    await worker.should_see("Заказ WB-QC-1", retries=WAIT)
    worker.find(marker="qc-take").click()
    await eventually(lambda: shown(worker, "qc-scan"))
    assert text(worker, "qc-count") == "Проверено 0 из 2; брак 0"

    await scan(worker, "qc-scan", PLATE)  # not in the order: refused, nothing counted
    await eventually(lambda: flash(worker) == "«Тарелка» нет в этом заказе: не тот товар")
    await scan(worker, "qc-scan", MUG)
    await eventually(lambda: shown(worker, "qc-good"))
    assert text(worker, "qc-product") == "Кружка 350 мл · MUG-350"
    worker.find(marker="qc-good").click()
    await eventually(lambda: text(worker, "qc-count") == "Проверено 1 из 2; брак 0")
    assert not shown(worker, "qc-finish")

    await upload(worker, b"<html>not a photo</html>", "evil.jpg")
    await eventually(lambda: flash(worker).startswith("Это не фотография"))
    await upload(worker, JPEG, "../../etc/passwd.jpg")
    await eventually(lambda: flash(worker) == "Фото сохранено")
    await eventually(lambda: shown(worker, "qc-photo"))

    await scan(worker, "qc-scan", MUG)
    await eventually(lambda: shown(worker, "qc-defect"))
    worker.find(marker="qc-defect").click()
    await eventually(lambda: shown(worker, "qc-reason"))
    worker.find(marker="qc-reason", content="Повреждена упаковка").click()
    await eventually(lambda: shown(worker, "qc-finish"))
    worker.find(marker="qc-finish").click()
    await worker.should_see("MUG-350: брак «Повреждена упаковка», списан в брак; недостача",
                            retries=WAIT)  # fmt: skip
    done = check(db.engine, qc.id)
    assert done is not None and done.status == "failed" and len(done.photos) == 1
    assert done.photos[0].file_name.endswith(".jpg") and "passwd" not in done.photos[0].file_name
    check_reservations(db)
    assert ledger_discrepancies(db.engine) == []


async def test_the_order_card_shows_its_checks(
    qc_on: None, manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка", sku="MUG", barcode=MUG)
    stock_bin(db, mug, 1, make_bin(db, "QC-CARD-1"))
    order, _qc = picked_into_check(db, [(mug, 1)], external_id="WB-QC-2")
    await open_page(manager, f"/orders/{order.id}")
    await manager.should_see("Контроль качества", retries=WAIT)
    await manager.should_see(marker="order-qc")
    await manager.should_see("контроль качества: проверка", retries=WAIT)


async def test_a_photo_is_served_only_to_the_signed_in(
    qc_on: None, worker: User, app_database: Database, create_user: Callable[[], User]
) -> None:
    db = app_database
    mug = make_product(db, barcode=MUG)
    stock_bin(db, mug, 1, make_bin(db, "QC-PH-1"))
    _order, qc = picked_into_check(db, [(mug, 1)])
    await open_page(worker, "/qc")
    worker.find(marker="qc-take").click()
    await eventually(lambda: shown(worker, "qc-scan"))
    await upload(worker, JPEG, "a.jpg")
    await eventually(lambda: shown(worker, "qc-photo"))
    [photo] = check(db.engine, qc.id).photos  # type: ignore[union-attr]
    served = await worker.http_client.get(f"/qc-photos/{photo.id}")  # type: ignore[union-attr]
    assert served.status_code == 200 and served.content == JPEG
    assert served.headers["content-type"] == "image/jpeg"
    stranger = create_user()  # another browser, never signed in
    refused = await stranger.http_client.get(f"/qc-photos/{photo.id}")  # type: ignore[union-attr]
    assert refused.status_code == 404 and JPEG not in refused.content


async def test_completing_picking_says_the_order_goes_to_its_check(
    qc_on: None, worker: User, app_database: Database
) -> None:
    db = app_database
    executor = linked_executor(db)
    mug = make_product(db, barcode=MUG)
    stock_bin(db, mug, 1, make_bin(db, "QC-PK-1"))
    order = place(db, [(mug, 1)], external_id="WB-QC-3")
    task_id = order.picking_task_id or 0
    assign_task(db.unit_of_work(), task_id, executor, None)
    t = start_task(db.unit_of_work(), task_id, None).task
    pick_item(db.unit_of_work(), task_id, t.items[0].id, 1, None)
    await open_page(worker, f"/picking/{task_id}")
    await worker.should_see(marker="pick-all-done", retries=WAIT)
    worker.find(marker="pick-complete").click()
    await worker.should_see("Сборка завершена: заказ — на контроль качества", retries=WAIT)
    assert [c.status for c in order_checks(db.engine, order.id)] == ["pending"]
