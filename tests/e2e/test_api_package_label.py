"""GET /packing-tasks/{id}/packages/{n}/label (DESIGN.md §6 "Packing and shipping"): a
package's ZPL label as text/plain — one `^XA … ^XZ` naming the order, «Коробка n из m»,
the package's barcode until the task is shipped and the tracking number after; 404 for an
unknown task or package, 401 without a token."""

from nicegui.testing import User

from data.database import Database
from tests.api_client import Api, assert_error, signed_in
from tests.e2e.test_api_missions import worker_executor
from tests.e2e.test_api_packing import BOX, picked


async def test_a_package_label_is_zpl_with_the_order_and_its_number(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    admin = await signed_in(http, db)
    worker, executor = await worker_executor(admin, db, http)
    product, order = await picked(admin, worker, executor, 3, "OZ-LBL-7")
    base = f"/packing-tasks/{order['packing_task_id']}"
    assert_error(await worker.get(f"{base}/packages/1/label"), 404, "package_not_found")
    await worker.post(f"{base}/start", json={"executor_id": executor})
    boxes = []
    for units in (2, 1):
        made = await worker.post(f"{base}/packages", json={
            **BOX, "items": [{"product_id": product["id"], "quantity": units}]})  # fmt: skip
        assert made.status_code == 201, made.text
        boxes.append(made.json())

    first = await worker.get(f"{base}/packages/1/label")
    assert first.status_code == 200 and first.headers["content-type"].startswith("text/plain")
    zpl = first.text
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ") and zpl.count("^XA") == 1
    assert "OZ-LBL-7" in zpl and "Коробка 1 из 2" in zpl and "Вес: 1,5 кг" in zpl
    assert f"^FD{boxes[0]['barcode']}^FS" in zpl and "Штрихкод коробки" in zpl
    second = (await worker.get(f"{base}/packages/2/label")).text
    assert "Коробка 2 из 2" in second and f"^FD{boxes[1]['barcode']}^FS" in second

    await worker.post(f"{base}/pack")
    ship = {"carrier": "manual", "tracking_number": "RP987654321RU"}
    shipped = await worker.post(f"{base}/ship", json=ship)
    assert shipped.status_code == 200, shipped.text
    after = (await admin.get(f"{base}/packages/2/label")).text
    assert "^FDRP987654321RU^FS" in after and "Трек-номер" in after

    assert_error(await worker.get(f"{base}/packages/3/label"), 404, "package_not_found")
    assert_error(await worker.get("/packing-tasks/999999/packages/1/label"), 404,
                 "packing_task_not_found")  # fmt: skip
    assert_error(await worker.get(f"{base}/packages/0/label"), 422)
    anonymous = Api(http)
    assert_error(await anonymous.get(f"{base}/packages/1/label"), 401, "not_authenticated")
