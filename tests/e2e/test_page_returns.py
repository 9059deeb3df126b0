"""Returns on the tablet as a worker uses them (NiceGUI simulation, issue 15): scan the
parcel's tracking number, scan each unit, tap good or defect with a reason; a wrong scan
is refused in red with a buzz and books nothing; the manager's order card shows what came
back and the history its step."""

import sqlalchemy as sa
from nicegui import ElementFilter
from nicegui.testing import User

from data.database import Database
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import WAIT, shown
from tests.e2e.test_page_putaway_count import flash, scan, text
from tests.helpers import eventually, source_id
from tests.returns import give_back, shipped_order

MUG = "4600000000017"
PLATE = "4600000000024"


def booked(db: Database, order_id: int) -> list[tuple[str, str | None]]:
    with db.engine.connect() as conn:
        sql = "SELECT condition, reason FROM order_return WHERE order_id = :o ORDER BY id"
        rows = conn.execute(sa.text(sql), {"o": order_id})
        return [(r[0], r[1]) for r in rows]


def flash_kind(user: User) -> str:
    """The colour of the last answer to a scan: error (red, a buzz), warning, done."""
    with user.client:  # type: ignore[union-attr]
        (banner,) = ElementFilter(marker="scan-flash", local_scope=False)
    return str(banner.props.get("data-kind"))


async def test_a_worker_takes_back_a_parcel_unit_by_unit(
    worker: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode=MUG)
    make_product(db, name="Тарелка", sku="PLATE", barcode=PLATE)
    order = shipped_order(db, [(mug, 2)], source_id=source_id(db), external_id="WB-777")
    await worker.should_see("Возвраты")  # in the floor menu
    await open_page(worker, "/returns")
    await worker.should_see(marker="ret-scan")

    await scan(worker, "ret-scan", "NO-SUCH-PARCEL")
    await eventually(lambda: flash(worker).startswith("Отгруженный заказ с трек-номером"))
    await scan(worker, "ret-scan", order.tracking_number or "")
    await eventually(lambda: text(worker, "ret-order-number") == "Заказ WB-777")

    await scan(worker, "ret-scan", PLATE)  # not in this order: refused, nothing booked
    await eventually(lambda: flash(worker) == "«Тарелка» нет в заказе WB-777")
    assert flash_kind(worker) == "error"
    await scan(worker, "ret-scan", MUG)
    await eventually(lambda: shown(worker, "ret-good"))
    assert text(worker, "ret-product") == "Кружка 350 мл · MUG-350"
    worker.find(marker="ret-good").click()
    await eventually(lambda: flash(worker).startswith("Принят «Кружка 350 мл»: в зону приёмки"))
    assert flash_kind(worker) == "done"

    await scan(worker, "ret-scan", MUG)
    await eventually(lambda: shown(worker, "ret-defect"))
    worker.find(marker="ret-defect").click()
    await eventually(lambda: shown(worker, "ret-reason"))
    worker.find(marker="ret-reason", content="Не работает").click()
    await eventually(lambda: flash(worker) == "Принят «Кружка 350 мл»: в брак (Не работает)")
    assert booked(db, order.id) == [("good", None), ("defect", "Не работает")]
    assert text(worker, "ret-instruction") == "Всё отгруженное по заказу уже вернулось"

    await scan(worker, "ret-scan", MUG)  # one too many
    await eventually(lambda: flash(worker).endswith("уже вернулись"))
    assert len(booked(db, order.id)) == 2
    assert ledger_discrepancies(db.engine) == []


async def test_the_order_card_shows_what_came_back(manager: User, app_database: Database) -> None:
    db = app_database
    mug = make_product(db, name="Кружка", sku="MUG", barcode=MUG)
    order = shipped_order(db, [(mug, 3)], source_id=source_id(db))
    give_back(db, order.id, mug, "defect", reason="Повреждён товар")
    await open_page(manager, f"/orders/{order.id}")
    await manager.should_see("Возвраты: 1 шт. (годных 0, брака 1)", retries=WAIT)
    with manager.client:  # type: ignore[union-attr]
        (table,) = ElementFilter(marker="order-returns", local_scope=False)
    rows = table.rows  # type: ignore[attr-defined]
    assert [r["condition"] for r in rows] == ["Брак: Повреждён товар"]
    await manager.should_see("Возврат: MUG × 1, брак (Повреждён товар)")
