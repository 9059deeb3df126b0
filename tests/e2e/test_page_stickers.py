"""Stickers from the pages: after receipts on /operations the manager prints the supply's
stickers (counts preset from the receipt, editable) to a packing station's printer — a real
TCP printer the test starts — or downloads the PDF; a receipt's journal row opens the same
dialog for its supply (an import's receipts together, reversed ones left out); a supply's
order card prints its box stickers and a marketplace's PDF labels to the same printer."""

import io
import threading
from collections.abc import Iterator

import pypdfium2 as pdfium
import pytest
import sqlalchemy as sa
import zxingcpp
from nicegui.elements.upload_files import SmallFileUpload
from nicegui.testing import User

from core.labels.stickers import product_sticker
from core.stock.movements import reverse_movement
from data.database import Database
from data.files.stickers import product_stickers_pdf
from data.stickers.queries import receipt_lines
from tests.api_client import barcode
from tests.conftest import make_product, open_page
from tests.e2e.test_page_operations import element, posted, scan, submit, text
from tests.helpers import dc_id, eventually, post
from tests.integration.test_label_printing import Printer, closed_port
from tests.packing import ready_to_ship, task

WAIT = 50


@pytest.fixture
def label_printer() -> Iterator[Printer]:
    server = Printer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def station_printer(db: Database, address: str | None) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE location SET printer_address = :a WHERE code = 'PACK-1'"),
                     {"a": address})  # fmt: skip


async def receive(user: User, code: str, quantity: int) -> None:
    await scan(user, code)
    await user.should_see(marker="product-card")
    user.find(marker="quantity").clear().type(str(quantity))
    await submit(user)
    await posted(user)


async def test_after_receipts_the_manager_prints_the_supplys_stickers(
    manager: User, app_database: Database, label_printer: Printer
) -> None:
    db = app_database
    station_printer(db, label_printer.address)
    shirt_code, socks_code = barcode(), barcode()  # valid EAN-13: printed as EAN-13
    shirt = make_product(db, name="Футболка Basic, белый, размер S", barcode=shirt_code)
    socks = make_product(db, name="Носки, размер 41–45", barcode=socks_code)
    await manager.open("/operations")
    await manager.should_not_see(marker="receipt-stickers")
    await receive(manager, shirt_code, 7)
    await receive(manager, socks_code, 3)
    await receive(manager, shirt_code, 2)
    assert text(manager, "receipt-stickers") == "Печать стикеров: товаров 2"

    manager.find(marker="receipt-stickers").click()
    await manager.should_see(marker="stickers-dialog", retries=WAIT)
    assert element(manager, f"stickers-count-{shirt}").value == 9  # both receipts of it
    assert element(manager, f"stickers-count-{socks}").value == 3
    with manager.client:
        element(manager, f"stickers-count-{socks}").value = 1  # edited
    manager.find(marker="stickers-print").click()
    await eventually(lambda: label_printer.received.is_set(), timeout=10)
    job = label_printer.jobs[0].decode("utf-8")
    assert job.count("^XA") == 2
    shirt_zpl, socks_zpl = sorted(
        job.split("^XZ")[:2], key=lambda part: shirt_code[:12] not in part
    )
    assert f"^BEN,104,Y,N^FD{shirt_code[:12]}^FS" in shirt_zpl and "^PQ9" in shirt_zpl
    assert f"^FD{socks_code[:12]}^FS" in socks_zpl and "^PQ1" in socks_zpl
    assert "Размер S · белый" in shirt_zpl and "Размер 41–45" in socks_zpl
    await manager.should_see(f"Стикеры: отправлено на принтер {label_printer.address}")

    # A count that is no whole number is refused in Russian and nothing is printed.
    with manager.client:
        element(manager, f"stickers-count-{socks}").value = 2.5
    manager.find(marker="stickers-pdf").click()
    await manager.should_see("количество стикеров — целое число", retries=WAIT)

    with manager.client:
        element(manager, f"stickers-count-{socks}").value = 0  # left out
    manager.find(marker="stickers-pdf").click()
    pdf = (await manager.download.next(timeout=20)).content
    pages = pdfium.PdfDocument(io.BytesIO(pdf))
    assert len(pages) == 9
    image = pages[8].render(scale=300 / 72).to_pil()
    assert [b.text for b in zxingcpp.read_barcodes(image)] == [shirt_code]

    # The printer down: said in Russian.
    station_printer(db, f"127.0.0.1:{closed_port()}")
    manager.find(marker="stickers-print").click()
    await manager.should_see("не принимает подключений", retries=WAIT)


async def test_a_receipts_journal_row_opens_its_supplys_stickers(
    manager: User, app_database: Database
) -> None:
    db = app_database
    station_printer(db, None)
    first = make_product(db, name="Кружка 350 мл")
    second = make_product(db, name="Кружка 500 мл")
    kept = post(db, "RECEIPT", first, 12, document="import:41").movement.id
    post(db, "RECEIPT", second, 4, document="import:41")
    wrong = post(db, "RECEIPT", second, 5, document="import:41").movement.id
    reverse_movement(db.unit_of_work(), wrong, user_id=None)
    alone = post(db, "RECEIPT", first, 6).movement.id
    assert [(line.product_id, line.quantity) for line in receipt_lines(db.engine, kept)] == [
        (first, 12), (second, 4)]  # fmt: skip
    assert [(line.product_id, line.quantity) for line in receipt_lines(db.engine, alone)] == [
        (first, 6)]  # fmt: skip
    shipment = post(db, "WRITE_OFF", first, 1, notes="Бой").movement.id
    assert receipt_lines(db.engine, shipment) == []

    await manager.open("/journal")
    await manager.should_see(marker="journal")
    rows = {row["id"]: row for row in element(manager, "journal").rows}
    assert rows[kept]["can_sticker"] and not rows[shipment]["can_sticker"]
    manager.find(marker="journal").trigger("stickers", kept)
    await manager.should_see(marker="stickers-dialog", retries=WAIT)
    await manager.should_see(f"Стикеры по поступлению №{kept}")
    assert element(manager, f"stickers-count-{first}").value == 12
    assert element(manager, f"stickers-count-{second}").value == 4
    # No station has a printer: printing is off and the page says how to download.
    await manager.should_see(marker="stickers-no-printer")
    assert not element(manager, "stickers-print").enabled


async def test_a_supplys_box_stickers_and_the_marketplaces_pdf_go_to_the_station_printer(
    manager: User, app_database: Database, label_printer: Printer
) -> None:
    db = app_database
    station_printer(db, label_printer.address)
    product = make_product(db, name="Плед флисовый")
    order, task_id = ready_to_ship(db, [(product, 2)], kind="supply",
                                   distribution_center_id=dc_id(db))  # fmt: skip
    await manager.open(f"/orders/{order.id}")
    manager.find(marker="order-box-stickers").click()
    await manager.should_see(marker="box-stickers-dialog", retries=WAIT)
    await manager.should_see(f"Поставка № {order.external_id} · РЦ: WB Коледино · коробок: 1")
    manager.find(marker="stickers-print").click()
    await eventually(lambda: label_printer.received.is_set(), timeout=10)
    job = label_printer.jobs[0].decode("utf-8")
    (box,) = task(db, task_id).packages
    assert f"Поставка № {order.external_id}" in job and "Коробка 1 из 1" in job
    assert box.barcode in job and "РЦ: WB Коледино" in job

    (upload,) = manager.find(marker="marketplace-upload").elements
    await upload.handle_uploads([SmallFileUpload("labels.xlsx", "application/zip", b"PK\x03\x04")])
    await manager.should_see("Это не PDF", retries=WAIT)
    await manager.should_not_see(marker="marketplace-print")
    wb = product_stickers_pdf([product_sticker(barcode(), "WB-BOX", "Короб WB", 3)])
    await upload.handle_uploads([SmallFileUpload("wb.pdf", "application/pdf", wb)])
    await manager.should_see("«wb.pdf»: этикеток 3, готово к печати", retries=WAIT)
    label_printer.received.clear()
    manager.find(marker="marketplace-print").click()
    await eventually(lambda: len(label_printer.jobs) == 2, timeout=10)
    sent = label_printer.jobs[1].decode("utf-8")
    assert sent.count("^XA") == 3 and sent.count(":Z64:") == 3


async def test_the_packing_table_offers_box_stickers_for_a_supply_only(
    manager: User, app_database: Database
) -> None:
    db = app_database
    plaid = make_product(db, name="Плед флисовый")
    supply, supply_task = ready_to_ship(db, [(plaid, 1)], kind="supply",
                                        distribution_center_id=dc_id(db), spare=1)  # fmt: skip
    _, customer_task = ready_to_ship(db, [(plaid, 1)])
    await open_page(manager, f"/packing/{customer_task}")
    await manager.should_see(marker="labels-print")
    await manager.should_not_see(marker="box-stickers")
    await open_page(manager, f"/packing/{supply_task}")
    await manager.should_see(marker="box-stickers")
    manager.find(marker="box-stickers").click()
    await manager.should_see(marker="box-stickers-dialog", retries=WAIT)
    await manager.should_see(f"Поставка № {supply.external_id} · РЦ: WB Коледино · коробок: 1")
    manager.find(marker="stickers-zpl").click()
    zpl = (await manager.download.next(timeout=20)).content.decode("utf-8")
    assert "Коробка 1 из 1" in zpl and task(db, supply_task).packages[0].barcode in zpl
