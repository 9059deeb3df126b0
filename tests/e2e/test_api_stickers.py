"""GET /products/{id}/sticker and /packing-tasks/{id}/packages/{n}/box-sticker (DESIGN.md §6
"Marking codes and stickers"): ZPL text or a PDF; a product's stickers are read as products
are (a worker's token is 403), a box sticker by the floor; 404 for what does not exist,
409 `order_not_supply` for a customer order's box, 422 for a count or format out of range."""

import io

import pypdfium2 as pdfium
import zxingcpp
from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in
from tests.e2e.test_api_missions import worker_executor
from tests.e2e.test_api_packing import BOX, picked
from tests.helpers import dc_id


def pdf_pages(content: bytes) -> list[str]:
    """Each page rendered at 300 dpi and its barcode read by zxing-cpp."""
    document = pdfium.PdfDocument(io.BytesIO(content))
    return [zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())[0].text
            for page in document]  # fmt: skip


async def test_a_products_stickers_are_zpl_or_a_pdf_of_count_pages(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    product = await admin.new_product(name="Футболка Basic, чёрный, размер M", sku="TS-BLK-M")
    path = f"/products/{product['id']}/sticker"
    zpl = await admin.get(path, params={"count": 3})
    assert zpl.status_code == 200 and zpl.headers["content-type"].startswith("text/plain")
    assert f"^BEN,104,Y,N^FD{product['barcode'][:12]}^FS" in zpl.text  # EAN-13
    assert "^PQ3" in zpl.text and "Арт.: TS-BLK-M" in zpl.text and "Размер M · чёрный" in zpl.text
    pdf = await admin.get(path, params={"format": "pdf", "count": 2})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf_pages(pdf.content) == [product["barcode"]] * 2

    assert_error(await admin.get(path, params={"count": 0}), 422)
    assert_error(await admin.get(path, params={"count": 1001}), 422)
    assert_error(await admin.get(path, params={"format": "png"}), 422)
    assert_error(await admin.get("/products/999999/sticker"), 404, "product_not_found")
    worker, _ = await worker_executor(admin, db, http)
    assert_error(await worker.get(path), 403)
    assert_error(await Api(http).get(path), 401, "not_authenticated")


async def test_a_supply_box_has_a_sticker_and_a_customer_box_has_none(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    product = await admin.new_product()
    assert (await admin.move("RECEIPT", product["id"], 10)).status_code == 201
    body = {"external_id": "WB-SUP-5", "kind": "supply", "distribution_center_id": dc_id(db),
            "lines": [{"product_id": product["id"], "quantity": 3}]}  # fmt: skip
    supply = (await admin.post("/orders", json=body)).json()
    tid = supply["picking_task_id"]
    await worker.post(f"/picking-tasks/{tid}/assign", json={"executor_id": executor})
    await worker.post(f"/picking-tasks/{tid}/start")
    item = (await worker.get(f"/picking-tasks/{tid}/next-item")).json()
    await worker.post(f"/picking-tasks/{tid}/items/{item['id']}/pick", json={"quantity": 3})
    assert (await worker.post(f"/picking-tasks/{tid}/complete")).status_code == 200
    supply = (await admin.get(f"/orders/{supply['id']}")).json()
    base = f"/packing-tasks/{supply['packing_task_id']}"
    assert_error(await worker.get(f"{base}/packages/1/box-sticker"), 404, "package_not_found")
    await worker.post(f"{base}/start", json={"executor_id": executor})
    boxes = []
    for units in (2, 1):
        made = await worker.post(f"{base}/packages", json={
            **BOX, "items": [{"product_id": product["id"], "quantity": units}]})  # fmt: skip
        boxes.append(made.json())

    zpl = await worker.get(f"{base}/packages/2/box-sticker")
    assert zpl.status_code == 200, zpl.text
    text = zpl.text
    assert text.startswith("^XA") and text.rstrip().endswith("^XZ")
    assert "Поставка № WB-SUP-5" in text and "РЦ: WB Коледино" in text
    assert "Коробка 2 из 2" in text and boxes[1]["barcode"] in text and "^BC" in text
    pdf = await worker.get(f"{base}/packages/1/box-sticker", params={"format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    (read,) = pdf_pages(pdf.content)
    assert read.replace("(00)", "") == boxes[0]["barcode"]

    assert_error(await worker.get(f"{base}/packages/3/box-sticker"), 404, "package_not_found")
    assert_error(await worker.get("/packing-tasks/999999/packages/1/box-sticker"), 404,
                 "packing_task_not_found")  # fmt: skip
    assert_error(await worker.get(f"{base}/packages/1/box-sticker", params={"format": "x"}), 422)
    assert_error(await Api(http).get(f"{base}/packages/1/box-sticker"), 401)

    sold, order = await picked(admin, worker, executor, 1, "OZ-STK-1")
    customer = f"/packing-tasks/{order['packing_task_id']}"
    await worker.post(f"{customer}/start", json={"executor_id": executor})
    await worker.post(f"{customer}/packages", json={
        **BOX, "items": [{"product_id": sold["id"], "quantity": 1}]})  # fmt: skip
    assert_error(await worker.get(f"{customer}/packages/1/box-sticker"), 409, "order_not_supply")
