"""Missions and executors as people use them (NiceGUI simulation): a manager sets up
executors and missions; a worker on a tablet is led through a mission by scans."""

import asyncio
from typing import Any

from nicegui import ElementFilter
from nicegui.testing import User

from core.floor.executors import create_executor
from core.floor.handling_units import create_unit
from core.floor.mission_rules import Actor
from core.floor.missions import assign
from core.floor.ports import ExecutorData, Mission
from data.database import Database
from data.floor.executors import SqlExecutorStore
from data.floor.handling_units import handling_unit_work
from data.floor.mission_queries import history, mission
from data.floor.missions import mission_work
from data.users.store import SqlUserStore
from tests.conftest import add_user, make_product, open_page
from tests.floor import line, location_id, make_bin, new_mission
from tests.helpers import eventually, post, scan_into

WAIT = 50  # should_see attempts (0.1 s apart): steps run in worker threads


def user_id(db: Database, username: str) -> int:
    found = SqlUserStore(db.engine).find(username)
    assert found is not None
    return found.id


def linked_executor(db: Database, username: str = "worker") -> int:
    data = ExecutorData("TAB-01", "Алексей Кузнецов", True, user_id(db, username))
    return create_executor(SqlExecutorStore(db.engine), data).id


def boss(db: Database) -> Actor:
    return Actor(user_id(db, "admin"), may_manage=True)


def stocked_putaway(db: Database, *quantities: int, kind: str = "putaway") -> Mission:
    """A mug with 100 units waiting in MAIN and a putaway of it to bin A-01-1-1."""
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350", barcode="4600000000017")
    post(db, "RECEIPT", mug, 100)
    target = make_bin(db, "A-01-1-1", route=1)
    source = location_id(db, "MAIN")
    if kind == "move":
        source, target = target, make_bin(db, "B-02-1-1", route=2)
        post(db, "TRANSFER", mug, 50, from_location_id=location_id(db, "MAIN"),
             to_location_id=source)  # fmt: skip
    lines = [line(mug, q, source, target) for q in quantities]
    return new_mission(db, boss(db), lines, kind=kind)


def element(user: User, marker: str) -> Any:
    (found,) = user.find(marker=marker).elements
    return found


def text(user: User, marker: str) -> str:
    return str(element(user, marker).text)


def shown(user: User, marker: str) -> bool:
    """Whether the element marked `marker` is on screen (it and every ancestor visible)."""
    with user.client:  # type: ignore[union-attr]
        found = list(ElementFilter(marker=marker, local_scope=False))
    return bool(found) and all(e.visible and all(a.visible for a in e.ancestors()) for e in found)


async def scan(user: User, code: str) -> None:
    """A scanner: the code typed into the scan field, then Enter."""
    await scan_into(user, "run-scan", code)


# --- who sees what -----------------------------------------------------------------------


async def test_workers_get_the_floor_pages_and_not_the_managers(worker: User) -> None:
    for path in ("/missions", "/missions/new", "/executors"):
        await open_page(worker, path)
        await worker.should_see("Нет доступа")
    await open_page(worker, "/my-missions")
    await worker.should_see("Вы не привязаны к исполнителю")


async def test_a_managers_menu_has_missions_and_executors(manager: User) -> None:
    for label in ("Задания", "Исполнители", "Мои задания"):
        await manager.should_see(label)


# --- executors -----------------------------------------------------------------------------


async def test_a_manager_adds_an_executor_and_links_a_worker_in_a_click(
    manager: User, app_database: Database
) -> None:
    add_user(app_database, "kuznetsov", "worker")
    await open_page(manager, "/executors")
    await manager.should_see("Работники без исполнителя")
    manager.find(marker="link-worker").click()
    store, kuznetsov = SqlExecutorStore(app_database.engine), user_id(app_database, "kuznetsov")
    await eventually(lambda: store.by_user(kuznetsov) is not None)
    linked = store.by_user(kuznetsov)
    assert linked is not None and linked.code == "kuznetsov"
    await manager.should_not_see("Работники без исполнителя")

    manager.find(marker="new-code").type("SCAN-7")
    manager.find(marker="new-name").type("Терминал 7")
    manager.find(marker="executor-add").click()
    await manager.should_see("Исполнитель «Терминал 7» добавлен")
    manager.find(marker="new-code").type("SCAN-7")
    manager.find(marker="new-name").type("Двойник")
    manager.find(marker="executor-add").click()
    await manager.should_see("Исполнитель с таким кодом уже есть")


async def test_deactivating_an_executor_is_one_click(manager: User, app_database: Database) -> None:
    add_user(app_database, "kuznetsov", "worker")
    linked_executor(app_database, "kuznetsov")
    await open_page(manager, "/executors")
    manager.find(marker="deactivate").click()
    await manager.should_see("Отключён")
    executor = SqlExecutorStore(app_database.engine).by_user(user_id(app_database, "kuznetsov"))
    assert executor is not None and not executor.is_active


# --- missions for managers -----------------------------------------------------------------


async def test_a_manager_creates_a_mission_and_assigns_it(
    manager: User, app_database: Database
) -> None:
    add_user(app_database, "kuznetsov", "worker")
    executor = linked_executor(app_database, "kuznetsov")
    mug = make_product(app_database, name="Кружка 350 мл", barcode="4600000000017")
    post(app_database, "RECEIPT", mug, 40)
    target = make_bin(app_database, "A-01-1-1")
    await open_page(manager, "/missions/new")
    with manager.client:  # type: ignore[union-attr]
        element(manager, "mission-priority").value = "urgent"
        picker = element(manager, "line-product")
        picker.set_options({mug: "Кружка 350 мл"}, value=mug)
        element(manager, "line-quantity").value = 12
        element(manager, "line-from").value = location_id(app_database, "MAIN")
        element(manager, "line-to").value = target
        element(manager, "mission-executor").value = executor
    manager.find(marker="mission-save").click()
    await manager.should_see(marker="mission-header", retries=WAIT)
    await manager.should_see("Назначено")
    await manager.should_see("Алексей Кузнецов")
    (created,) = [m for m in [mission(app_database.engine, 1)] if m is not None]
    assert (created.status, created.priority, created.executor_id) == ("assigned", "urgent",
                                                                       executor)  # fmt: skip
    assert [(x.quantity, x.to_code) for x in created.lines] == [(12, "A-01-1-1")]


async def test_a_manager_puts_a_lines_goods_onto_a_pallet(
    manager: User, app_database: Database
) -> None:
    mug = make_product(app_database, name="Кружка 350 мл", barcode="4600000000017")
    post(app_database, "RECEIPT", mug, 40)
    target = make_bin(app_database, "A-01-1-1")
    pallet = create_unit(handling_unit_work(app_database), "pallet", target, user_id=None).unit
    await open_page(manager, "/missions/new")
    with manager.client:  # type: ignore[union-attr]
        element(manager, "line-product").set_options({mug: "Кружка 350 мл"}, value=mug)
        element(manager, "line-quantity").value = 12
        element(manager, "line-from").value = location_id(app_database, "MAIN")
        element(manager, "line-to").value = target
        units = element(manager, "line-unit")
        assert units.options[pallet.id] == f"{pallet.code} · Паллета · A-01-1-1"
        units.value = pallet.id
    manager.find(marker="mission-save").click()
    await manager.should_see(marker="mission-header", retries=WAIT)
    created = mission(app_database.engine, 1)
    assert created is not None
    assert [x.handling_unit_id for x in created.lines] == [pallet.id]
    assert created.lines[0].unit_code == pallet.code
    route = element(manager, "mission-lines").rows[0]["route"]
    assert route == f"MAIN → A-01-1-1 · упаковка {pallet.code}"
    await open_page(manager, "/missions/1/edit")  # the draft's line keeps its pallet
    assert element(manager, "line-unit").value == pallet.id


async def test_a_refused_line_says_which_line(manager: User, app_database: Database) -> None:
    mug = make_product(app_database)
    await open_page(manager, "/missions/new")
    manager.find(marker="line-add").click()
    with manager.client:  # type: ignore[union-attr]
        for editor_picker, editor_quantity in zip(
            manager.find(marker="line-product").elements,
            manager.find(marker="line-quantity").elements,
            strict=True,
        ):
            editor_picker.set_options({mug: "Товар"}, value=mug)
            editor_quantity.value = 1
        for source in manager.find(marker="line-from").elements:
            source.value = location_id(app_database, "MAIN")
        for target in manager.find(marker="line-to").elements:
            target.value = location_id(app_database, "MAIN")
    manager.find(marker="mission-save").click()
    await manager.should_see("Строка 1: откуда и куда — одно место")
    assert mission(app_database.engine, 1) is None


async def test_the_list_filters_by_status_and_opens_the_card(
    manager: User, app_database: Database
) -> None:
    draft = stocked_putaway(app_database, 5)
    await open_page(manager, "/missions")
    rows = element(manager, "mission-table").rows
    assert [(r["id"], r["status"], r["progress"]) for r in rows] == [(draft.id, "Черновик",
                                                                      "0 / 5")]  # fmt: skip
    await open_page(manager, "/missions?status=completed")
    assert element(manager, "mission-table").rows == []
    await open_page(manager, f"/missions/{draft.id}")
    await manager.should_see("Размещение №")
    (only,) = element(manager, "mission-lines").rows
    assert (only["route"], only["quantity"], only["done"]) == ("MAIN → A-01-1-1", "5", "0")
    await manager.should_see("1 строка")


async def test_an_illegal_step_on_the_card_is_refused_with_its_message(
    manager: User, app_database: Database
) -> None:
    draft = stocked_putaway(app_database, 5)
    await open_page(manager, f"/missions/{draft.id}")
    await manager.should_not_see(marker="mission-complete")  # not offered for a draft
    manager.find(marker="mission-cancel").click()
    manager.find(marker="cancel-reason").type("Поставка не пришла")
    manager.find(marker="cancel-confirm").click()
    await manager.should_see("Отменено", retries=WAIT)
    assert mission(app_database.engine, draft.id).status == "cancelled"  # type: ignore[union-attr]
    assert history(app_database.engine, draft.id)[-1]["details"].startswith(
        "Причина: Поставка не пришла"
    )
    await open_page(manager, f"/missions/{draft.id}/edit")
    manager.find(marker="mission-save").click()
    await manager.should_see("Изменить можно только черновик", retries=WAIT)


# --- a worker on a tablet ------------------------------------------------------------------


async def test_a_worker_is_led_through_a_putaway_by_scans(
    worker: User, app_database: Database
) -> None:
    executor = linked_executor(app_database)
    job = stocked_putaway(app_database, 7, 3)
    assign(mission_work(app_database), job.id, executor, boss(app_database))
    await open_page(worker, "/my-missions")
    await worker.should_see(f"Размещение №{job.id}")
    worker.find(marker="my-mission-open").click()
    await worker.should_see(marker="run-start", retries=WAIT)
    worker.find(marker="run-start").click()
    await eventually(lambda: shown(worker, "run-scan"))
    assert (
        text(worker, "run-place") == "A-01-1-1" and text(worker, "run-counter") == "Строка 1 из 2"
    )

    await scan(worker, "4600000000017")  # the product before the bin: refused
    assert text(worker, "scan-flash-text") == "Сначала отсканируйте ячейку A-01-1-1"
    await scan(worker, "B-09")
    assert text(worker, "scan-flash-text") == "Не та ячейка: отсканировано «B-09», нужна A-01-1-1"
    await scan(worker, "a-01-1-1")  # the right bin, however it is typed
    assert text(worker, "run-instruction") == "Отсканируйте товар"
    await scan(worker, "4600000000000")
    assert text(worker, "scan-flash-text").startswith("Не тот товар")
    await scan(worker, "4600000000017")
    await eventually(lambda: shown(worker, "run-quantity"))
    assert element(worker, "run-quantity").value == 7  # the rest of the line
    with worker.client:  # type: ignore[union-attr]
        element(worker, "run-quantity").value = 5  # five fit in the bin
    worker.find(marker="run-confirm").click()
    await worker.should_see("Перемещено 5 шт. в A-01-1-1", retries=WAIT)
    assert [x.done_quantity for x in mission(app_database.engine, job.id).lines] == [5, 0]  # type: ignore[union-attr]
    assert text(worker, "run-counter") == "Строка 1 из 2"  # two left on the first line

    for _ in range(2):  # the rest of line 1, then line 2
        await scan(worker, "A-01-1-1")
        await scan(worker, "4600000000017")
        await eventually(lambda: shown(worker, "run-quantity"))
        worker.find(marker="run-confirm").click()
        await worker.should_see(marker="scan-flash", retries=WAIT)
        await asyncio.sleep(0.3)
    await worker.should_see("Все строки выполнены", retries=WAIT)
    done = mission(app_database.engine, job.id)
    assert done is not None and [x.done_quantity for x in done.lines] == [7, 3]
    worker.find(marker="run-complete").click()
    worker.find(marker="finish-confirm").click()
    await worker.should_see("Заданий нет", retries=WAIT)
    assert mission(app_database.engine, job.id).status == "completed"  # type: ignore[union-attr]


async def test_a_move_scans_where_it_is_taken_and_where_it_goes(
    worker: User, app_database: Database
) -> None:
    executor = linked_executor(app_database)
    job = stocked_putaway(app_database, 4, kind="move")
    assign(mission_work(app_database), job.id, executor, boss(app_database))
    await open_page(worker, f"/my-missions/{job.id}")
    worker.find(marker="run-start").click()
    await eventually(lambda: shown(worker, "run-scan"))
    assert (text(worker, "run-instruction"), text(worker, "run-place")) == (
        "Возьмите из ячейки", "A-01-1-1",
    )  # fmt: skip
    await scan(worker, "A-01-1-1")
    await scan(worker, "4600000000017")
    assert (text(worker, "run-instruction"), text(worker, "run-place")) == (
        "Положите в ячейку", "B-02-1-1",
    )  # fmt: skip
    await scan(worker, "A-01-1-1")  # back at the source: refused
    assert text(worker, "scan-flash-text").startswith("Не та ячейка")
    await scan(worker, "B-02-1-1")
    await eventually(lambda: shown(worker, "run-quantity"))
    worker.find(marker="run-confirm").click()
    await worker.should_see("Все строки выполнены", retries=WAIT)


async def test_a_worker_cannot_run_someone_elses_mission(
    worker: User, app_database: Database
) -> None:
    add_user(app_database, "petrov", "worker")
    other = linked_executor(app_database, "petrov")
    linked_executor_for_worker = create_executor(
        SqlExecutorStore(app_database.engine),
        ExecutorData("TAB-02", "Кузнецов", True, user_id(app_database, "worker")),
    )
    assert linked_executor_for_worker.id != other
    job = stocked_putaway(app_database, 2)
    assign(mission_work(app_database), job.id, other, boss(app_database))
    await open_page(worker, "/my-missions")
    await worker.should_see("Заданий нет")
    await open_page(worker, f"/my-missions/{job.id}")
    worker.find(marker="run-start").click()
    await worker.should_see("Это задание назначено другому исполнителю", retries=WAIT)
    assert mission(app_database.engine, job.id).status == "assigned"  # type: ignore[union-attr]
