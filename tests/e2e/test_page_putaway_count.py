"""Putaway and bin counts as people use them (NiceGUI simulation): a worker on a tablet puts
received stock into bins and counts a bin by scans; a manager sees what waits."""

import sqlalchemy as sa
from nicegui import ElementFilter
from nicegui.testing import User

from core.stock.inventory import CountRequest, post_count
from data.database import Database
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import WAIT, element, shown
from tests.floor import location_id, make_bin
from tests.helpers import eventually, post, scan_into

MUG = "4600000000017"
PLATE = "4600000000024"


async def scan(user: User, marker: str, code: str) -> None:
    """A scanner: the code typed into the page's scan field, then Enter."""
    await scan_into(user, marker, code)


def units_at(db: Database, code: str) -> dict[int, int]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT q.product_id, q.quantity FROM quant q JOIN location l ON l.id = q.location_id "
            "WHERE l.code = :c AND q.quantity > 0"
        ), {"c": code}).all()  # fmt: skip
    return {int(p): int(q) for p, q in rows}


def text(user: User, marker: str) -> str:
    """The text of the element marked `marker`, '' while there is none or it is hidden."""
    if not shown(user, marker):
        return ""
    with user.client:  # type: ignore[union-attr]
        (found,) = ElementFilter(marker=marker, local_scope=False)
    return str(getattr(found, "text", ""))


def zero_text(user: User) -> str:
    with user.client:  # type: ignore[union-attr]
        (found,) = ElementFilter(marker="count-zero-text", local_scope=False)
    return str(found.text)


def flash(user: User) -> str:
    return text(user, "scan-flash-text")


# --- who sees what -----------------------------------------------------------------------


async def test_a_worker_has_putaway_and_count_in_the_menu_and_not_the_waiting_list(
    worker: User,
) -> None:
    for label in ("Размещение", "Пересчёт ячейки"):
        await worker.should_see(label)
    await open_page(worker, "/putaway/waiting")
    await worker.should_see("Нет доступа")


# --- putaway -------------------------------------------------------------------------------


async def test_a_worker_puts_away_into_the_suggested_bin_by_scans(
    worker: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode=MUG)
    post(db, "RECEIPT", mug, 12)
    make_bin(db, "A-01-1-1", route=10)
    make_bin(db, "A-01-1-2", route=20)
    await open_page(worker, "/putaway")
    await worker.should_see(marker="pa-scan")

    await scan(worker, "pa-scan", "4699999999999")
    await worker.should_see("Товар со штрихкодом или GTIN «4699999999999» не найден", retries=WAIT)
    await scan(worker, "pa-scan", MUG)
    await eventually(lambda: text(worker, "pa-place") == "A-01-1-1")
    assert text(worker, "pa-waiting") == "Ждёт размещения: 12 шт."
    assert text(worker, "pa-hint").startswith("Первая пустая ячейка по маршруту")

    await scan(worker, "pa-scan", MUG)  # the product again where the bin is asked: refused
    await eventually(lambda: flash(worker) == "Сначала отсканируйте ячейку A-01-1-1")
    await scan(worker, "pa-scan", "PACK-1")  # no bin
    await eventually(lambda: flash(worker).startswith("«PACK-1» — не ячейка хранения"))
    await scan(worker, "pa-scan", "a-01-1-1")
    await eventually(lambda: shown(worker, "pa-quantity"))
    assert element(worker, "pa-quantity").value == 12
    with worker.client:  # type: ignore[union-attr]
        element(worker, "pa-quantity").value = 8
    worker.find(marker="pa-confirm").click()
    await worker.should_see("Размещено 8 шт. в A-01-1-1. Ждёт ещё 4 шт.", retries=WAIT)
    assert units_at(db, "A-01-1-1") == {mug: 8} and units_at(db, "MAIN") == {mug: 4}

    # The rest: the bin that already holds the mug is suggested; the worker takes another.
    await scan(worker, "pa-scan", MUG)
    await eventually(lambda: text(worker, "pa-place") == "A-01-1-1")
    assert text(worker, "pa-hint").startswith("Этот товар уже лежит здесь")
    await scan(worker, "pa-scan", "A-01-1-2")
    await eventually(lambda: shown(worker, "pa-quantity"))
    worker.find(marker="pa-confirm").click()
    await worker.should_see("Размещено 4 шт. в A-01-1-2.", retries=WAIT)
    assert units_at(db, "A-01-1-2") == {mug: 4} and units_at(db, "MAIN") == {}


async def test_a_product_with_nothing_waiting_is_refused(
    worker: User, app_database: Database
) -> None:
    make_product(app_database, name="Кружка", barcode=MUG)
    await open_page(worker, "/putaway")
    await scan(worker, "pa-scan", MUG)
    await worker.should_see("«Кружка»: в зоне приёмки нечего размещать", retries=WAIT)


async def test_a_manager_sees_what_waits_for_putaway(manager: User, app_database: Database) -> None:
    db = app_database
    for name, units in (("Кружка", 5), ("Тарелка", 7)):
        post(db, "RECEIPT", make_product(db, name=name), units)
    await open_page(manager, "/putaway/waiting")
    await manager.should_see("Товаров: 2 · 12 шт.", retries=WAIT)
    rows = element(manager, "waiting-table").rows
    assert [(r["name"], r["units"]) for r in rows] == [("Кружка", "5"), ("Тарелка", "7")]
    wanted = f"/products/{rows[1]['product_id']}"
    manager.find(marker="waiting-table").trigger(
        "rowClick", rows[1]["product_id"]
    )  # Quasar's row-click
    await eventually(lambda: manager.back_history[-1:] == [wanted])


# --- bin count ----------------------------------------------------------------------------


def stocked_bin(db: Database) -> tuple[int, int, int]:
    """Bin B-01 with 6 mugs and 4 plates put away into it; (bin, mug, plate)."""
    place, main = make_bin(db, "B-01", route=10), location_id(db, "MAIN")
    mug = make_product(db, name="Кружка", sku="MUG", barcode=MUG)
    plate = make_product(db, name="Тарелка", sku="PLATE", barcode=PLATE)
    for product, units in ((mug, 6), (plate, 4)):
        post(db, "RECEIPT", product, units)
        post(db, "TRANSFER", product, units, from_location_id=main, to_location_id=place)
    return place, mug, plate


async def test_a_blind_bin_count_books_the_differences(
    worker: User, app_database: Database
) -> None:
    db = app_database
    place, mug, plate = stocked_bin(db)
    await open_page(worker, "/count")
    await scan(worker, "count-scan", "NOPE-9")
    await eventually(lambda: flash(worker) == "Ячейка «NOPE-9» не найдена")
    await scan(worker, "count-scan", "b-01")
    await eventually(lambda: text(worker, "count-place") == "B-01")
    await worker.should_see("Тарелка")
    await worker.should_not_see("6 шт.")  # blind: the system's figures are not shown
    for _ in range(7):  # seven mugs scanned one by one
        await scan(worker, "count-scan", MUG)
    await eventually(lambda: element(worker, f"count-qty-{mug}").value == 7)
    await scan(worker, "count-scan", "4699999999999")
    await eventually(lambda: flash(worker).endswith("не найден"))
    await scan(worker, "count-scan", "PACK-1")  # a label, not a product
    await eventually(lambda: flash(worker).startswith("«PACK-1» — это место, не товар."))
    worker.find(marker="count-submit").click()  # the plates were not counted: asked first
    await eventually(lambda: "Не посчитано товаров: 1 (Тарелка)" in zero_text(worker))
    with worker.client:  # type: ignore[union-attr]
        element(worker, f"count-qty-{plate}").value = 3
    worker.find(marker="count-submit").click()
    await worker.should_see("Пересчёт ячейки B-01 проведён", retries=WAIT)
    assert text(worker, f"count-note-{mug}") == "Проведено: было 6, стало 7 (+1)"
    assert text(worker, f"count-note-{plate}") == "Проведено: было 4, стало 3 (-1)"
    assert units_at(db, "B-01") == {mug: 7, plate: 3}
    assert place


async def test_a_position_changed_during_the_count_comes_back_orange_for_recount(
    worker: User, app_database: Database
) -> None:
    db = app_database
    place, mug, plate = stocked_bin(db)
    await open_page(worker, "/count")
    await scan(worker, "count-scan", "B-01")
    await eventually(lambda: text(worker, "count-place") == "B-01")
    # While the worker counts, someone else counts the mugs at the bin: 9 now.
    post_count(db.unit_of_work, CountRequest(mug, None, 9, notes="другой пересчёт",
               location_id=place), user_id=None)  # fmt: skip
    with worker.client:  # type: ignore[union-attr]
        element(worker, f"count-qty-{mug}").value = 6
        element(worker, f"count-qty-{plate}").value = 2
    worker.find(marker="count-submit").click()
    await worker.should_see("Часть позиций изменилась — пересчитайте оранжевые строки",
                            retries=WAIT)  # fmt: skip
    assert text(worker, f"count-note-{mug}") == (
        "Остаток изменился, пока шёл пересчёт: в системе теперь 9 шт. Пересчитайте этот товар"
    )
    assert element(worker, f"count-row-{mug}").props["data-state"] == "recount"
    assert units_at(db, "B-01") == {mug: 9, plate: 2}  # the plates booked, the mugs kept
    with worker.client:  # type: ignore[union-attr]
        element(worker, f"count-qty-{mug}").value = 8
    worker.find(marker="count-submit").click()
    await worker.should_see("Пересчёт ячейки B-01 проведён", retries=WAIT)
    assert units_at(db, "B-01") == {mug: 8, plate: 2}


async def test_products_left_uncounted_are_booked_as_none_once_confirmed(
    worker: User, app_database: Database
) -> None:
    db = app_database
    _place, mug, plate = stocked_bin(db)
    await open_page(worker, "/count")
    await scan(worker, "count-scan", "B-01")
    await eventually(lambda: text(worker, "count-place") == "B-01")
    for _ in range(6):
        await scan(worker, "count-scan", MUG)
    await eventually(lambda: element(worker, f"count-qty-{mug}").value == 6)
    worker.find(marker="count-submit").click()
    await eventually(lambda: "Не посчитано товаров: 1 (Тарелка)" in zero_text(worker))
    assert units_at(db, "B-01") == {mug: 6, plate: 4}  # nothing booked before the answer
    worker.find(marker="count-zero-confirm").click()
    await worker.should_see("Пересчёт ячейки B-01 проведён", retries=WAIT)
    assert text(worker, f"count-note-{mug}") == "Сходится"
    assert text(worker, f"count-note-{plate}") == "Проведено: было 4, стало 0 (-4)"
    assert units_at(db, "B-01") == {mug: 6}
