"""A whole pallet or box as a mission line, as people use it (NiceGUI simulation): the
manager adds the line in the form; the worker's tablet sends them to the unit's bin, takes
the unit's code and the target bin, and the confirmation moves the unit whole."""

from typing import Any

import sqlalchemy as sa
from nicegui.testing import User

from core.floor.handling_units import create_unit
from core.floor.mission_lines import LineRequest
from core.floor.missions import assign
from core.floor.ports import UnitRecord
from data.database import Database
from data.floor.handling_units import handling_unit_work
from data.floor.mission_queries import mission
from data.floor.missions import mission_work
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import WAIT, boss, element, linked_executor, scan, shown, text
from tests.floor import location_id, make_bin, new_mission
from tests.helpers import eventually, post


def pallet_in_a_bin(db: Database) -> tuple[UnitRecord, int, int]:
    """A pallet in bin A-01-1-1 with 30 mugs, a box of 6 on it; an empty bin B-02-1-1."""
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode="4600000000017")
    post(db, "RECEIPT", mug, 36)
    source, target = make_bin(db, "A-01-1-1", route=1), make_bin(db, "B-02-1-1", route=2)
    pallet = create_unit(handling_unit_work(db), "pallet", source, user_id=None).unit
    box = create_unit(handling_unit_work(db), "box", source, user_id=None, parent_id=pallet.id)
    for unit, units in ((pallet.id, 30), (box.unit.id, 6)):
        post(db, "TRANSFER", mug, units, from_location_id=location_id(db, "MAIN"),
             to_location_id=source, handling_unit_id=unit)  # fmt: skip
    return pallet, source, target


def unit_at(db: Database, unit: int) -> int:
    with db.engine.connect() as conn:
        query = sa.text("SELECT location_id FROM handling_unit WHERE id = :u")
        return int(conn.execute(query, {"u": unit}).scalar_one())


async def test_a_manager_adds_a_whole_pallet_as_a_line(
    manager: User, app_database: Database
) -> None:
    pallet, _source, target = pallet_in_a_bin(app_database)
    await open_page(manager, "/missions/new")
    with manager.client:  # type: ignore[union-attr]
        element(manager, "mission-kind").value = "move"
        element(manager, "line-what").value = "unit"
    assert not shown(manager, "line-product") and not shown(manager, "line-quantity")
    assert not shown(manager, "line-from")
    with manager.client:  # type: ignore[union-attr]
        element(manager, "line-unit").value = pallet.id
        element(manager, "line-to").value = target
    manager.find(marker="mission-save").click()
    await manager.should_see(marker="mission-header", retries=WAIT)
    created = mission(app_database.engine, 1)
    assert created is not None
    (line,) = created.lines
    assert (line.whole_unit, line.product_id, line.quantity) == (True, None, 1)
    assert (line.from_code, line.to_code, line.unit_code) == ("A-01-1-1", "B-02-1-1", pallet.code)
    row: dict[str, Any] = element(manager, "mission-lines").rows[0]
    assert row["product"] == f"Паллета {pallet.code} целиком"
    assert row["route"] == "A-01-1-1 → B-02-1-1"
    await open_page(manager, "/missions/1/edit")  # the draft keeps its whole-unit line
    assert element(manager, "line-what").value == "unit"
    assert element(manager, "line-unit").value == pallet.id
    assert not shown(manager, "line-product")


async def test_a_worker_moves_a_whole_pallet_by_scans(worker: User, app_database: Database) -> None:
    executor = linked_executor(app_database)
    pallet, _source, target = pallet_in_a_bin(app_database)
    line = LineRequest(None, None, None, target, pallet.id)
    job = new_mission(app_database, boss(app_database), [line], kind="move")
    assign(mission_work(app_database), job.id, executor, boss(app_database))
    await open_page(worker, f"/my-missions/{job.id}")
    worker.find(marker="run-start").click()
    await eventually(lambda: shown(worker, "run-scan"))
    assert text(worker, "run-product") == f"Паллета {pallet.code} — целиком, со всем содержимым"
    assert (text(worker, "run-instruction"), text(worker, "run-place")) == (
        "Возьмите из ячейки", "A-01-1-1",
    )  # fmt: skip
    await scan(worker, pallet.code)  # the unit before its bin: refused
    assert text(worker, "scan-flash-text") == "Сначала отсканируйте ячейку A-01-1-1"
    await scan(worker, "A-01-1-1")
    assert text(worker, "run-instruction") == "Отсканируйте паллету или коробку"
    assert text(worker, "run-place") == pallet.code
    await scan(worker, "HU-999999")  # another unit: refused at once, nothing recorded
    assert text(worker, "scan-flash-text") == (
        f"Не та упаковка: отсканировано «HU-999999», нужна паллета {pallet.code}"
    )
    await scan(worker, pallet.code.lower())
    assert (text(worker, "run-instruction"), text(worker, "run-place")) == (
        "Положите в ячейку", "B-02-1-1",
    )  # fmt: skip
    await scan(worker, "B-02-1-1")
    await eventually(lambda: shown(worker, "run-confirm"))
    assert not shown(worker, "run-quantity") and text(worker, "run-place") == "B-02-1-1"
    assert unit_at(app_database, pallet.id) != target  # nothing moved before the confirmation
    worker.find(marker="run-confirm").click()
    await worker.should_see(f"Паллета {pallet.code} (36 шт.) перемещена в B-02-1-1", retries=WAIT)
    await worker.should_see("Все строки выполнены", retries=WAIT)
    assert unit_at(app_database, pallet.id) == target
    done = mission(app_database.engine, job.id)
    assert done is not None and done.lines[0].done_quantity == 1
