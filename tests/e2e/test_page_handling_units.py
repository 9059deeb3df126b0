"""Handling units as people use them (NiceGUI simulation): a worker moves a pallet on the
tablet with two scans (wrong scans refused in red); a manager creates pallets, opens a
unit's card, prints its label, and closing is refused while stock lies in it."""

from typing import Any

import sqlalchemy as sa
from nicegui import ElementFilter
from nicegui.testing import User

from core.floor.handling_units import create_unit
from data.database import Database
from data.floor.handling_units import handling_unit_work
from tests.conftest import make_product, open_page
from tests.floor import location_id, make_bin
from tests.helpers import eventually, post, scan_into

WAIT = 50


def element(user: User, marker: str) -> Any:
    with user.client:  # type: ignore[union-attr]
        found = list(ElementFilter(marker=marker, local_scope=False))
    assert found, marker
    return found[-1]


def text(user: User, marker: str) -> str:
    return str(element(user, marker).text)


async def scan(user: User, code: str) -> None:
    await scan_into(user, "unit-scan", code)


def stocked_pallet(db: Database) -> tuple[int, str, int]:
    """A pallet in MAIN with 12 mugs on it and a box with 3 on the pallet; a bin A-01.
    Returns (pallet id, pallet code, bin id)."""
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode="4600000000017")
    post(db, "RECEIPT", mug, 20)
    main = location_id(db, "MAIN")
    pallet = create_unit(handling_unit_work(db), "pallet", main, user_id=None).unit
    box = create_unit(handling_unit_work(db), "box", main, user_id=None, parent_id=pallet.id).unit
    for unit, qty in ((pallet.id, 12), (box.id, 3)):
        post(db, "TRANSFER", mug, qty, from_location_id=main, to_location_id=main,
             handling_unit_id=unit)  # fmt: skip
    return pallet.id, pallet.code, make_bin(db, "A-01", route=1)


def where(db: Database) -> dict[str, str]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT u.code, l.code FROM handling_unit u JOIN location l ON l.id = u.location_id"
        )).all()  # fmt: skip
    return dict(rows)  # type: ignore[arg-type]


async def test_a_worker_moves_a_whole_pallet_with_two_scans(
    worker: User, app_database: Database
) -> None:
    pallet, code, _ = stocked_pallet(app_database)
    await open_page(worker, "/unit-move")
    await worker.should_see("Отсканируйте паллету или коробку")
    await scan(worker, "A-01")  # the bin first: refused
    assert text(worker, "scan-flash-text") == (
        "«A-01» — это ячейка. Сначала отсканируйте паллету или коробку"
    )
    assert element(worker, "scan-flash").props.get("data-kind") == "error"
    await scan(worker, "HU-999999")
    assert text(worker, "scan-flash-text") == "Паллета или коробка «HU-999999» не найдена"
    await scan(worker, code.lower())  # a scanner in lower case: the same unit
    await eventually(lambda: text(worker, "unit-big") == code)
    assert text(worker, "unit-where") == "Паллета · сейчас в MAIN"
    assert text(worker, "unit-summary") == "Товаров: 1, всего 15 шт.; вложено упаковок: 1"
    await scan(worker, "MAIN")  # where it stands already
    assert element(worker, "scan-flash").props.get("data-kind") == "warning"
    await scan(worker, "B-77")
    assert text(worker, "scan-flash-text") == "Ячейка «B-77» не найдена"
    await scan(worker, "ф-01")  # a scanner typing into the Russian layout: A-01 all the same
    await worker.should_see(f"Паллета {code} перемещена в A-01", retries=WAIT)
    assert set(where(app_database).values()) == {"A-01"}  # the box on it moved too
    await worker.should_see("Отсканируйте паллету или коробку")
    with app_database.engine.connect() as conn:
        moved = conn.execute(sa.text(
            "SELECT count(*), count(DISTINCT document) FROM movement WHERE document LIKE "
            "'hu-move:%'"
        )).one()  # fmt: skip
    assert tuple(moved) == (2, 1)  # one TRANSFER per quant, one document
    assert pallet


async def test_a_manager_creates_pallets_and_sees_a_units_card(
    manager: User, app_database: Database
) -> None:
    pallet, code, _ = stocked_pallet(app_database)
    await open_page(manager, "/handling-units")
    await eventually(lambda: code in [r["code"] for r in element(manager, "units-table").rows])
    manager.find(marker="units-create").click()
    await manager.should_see(marker="create-save")
    with manager.client:  # type: ignore[union-attr]
        element(manager, "create-count").value = 3
    manager.find(marker="create-save").click()
    await manager.should_see("Создано: 3", retries=WAIT)
    assert len(where(app_database)) == 5
    manager.find(marker="unit-label-pdf").click()
    sheet = await manager.download.next(timeout=20)
    assert sheet.content.startswith(b"%PDF")

    rows = element(manager, "units-table").rows
    row = next(r for r in rows if r["id"] == pallet)
    manager.find(marker="units-table").trigger("rowClick", [None, row])  # Quasar's row-click
    await manager.should_see(marker="unit-contents", retries=WAIT)
    assert text(manager, "unit-card-where") == "Место: MAIN"
    manager.find(marker="unit-close").click()
    await manager.should_see("не пуста", retries=WAIT)
    with app_database.engine.connect() as conn:
        closed = conn.execute(
            sa.text("SELECT closed_at FROM handling_unit WHERE id = :u"), {"u": pallet}
        ).scalar_one()
    assert closed is None


async def test_a_worker_may_not_open_the_managers_page(worker: User) -> None:
    await worker.open("/handling-units")
    await worker.should_not_see("Паллеты и коробки")
