"""A worker's home (/): a scanner-first «Где товар» lookup and what a worker can do; the
worker's menu holds only what a worker may open."""

import asyncio

from nicegui import ElementFilter, ui
from nicegui.testing import User

from core.users.accounts import update_user
from core.users.auth import Identity
from data.database import Database
from data.floor.places import product_places
from data.users.store import SqlUserAdminStore, SqlUserStore
from tests.conftest import make_product, open_page
from tests.helpers import eventually, post
from ui.layout import FLOOR, NAVIGATION


def menu(user: User) -> dict[str, str]:
    """The drawer's links: target → label."""
    with user.client:  # type: ignore[union-attr]
        drawers = list(ElementFilter(kind=ui.left_drawer, local_scope=False))
        links = [e for d in drawers for e in d.descendants() if isinstance(e, ui.link)]
        return {
            str(link.props.get("href")): " ".join(
                e.text for e in link.descendants() if isinstance(e, ui.label)
            )
            for link in links
        }


def text(user: User, marker: str) -> str:
    """The text of the element marked `marker`, "" while it is not shown."""
    with user.client:  # type: ignore[union-attr]
        found = [e for e in ElementFilter(marker=marker, local_scope=False) if e.visible]
    return found[0].text if found and all(a.visible for a in found[0].ancestors()) else ""


async def look_up(user: User, typed: str) -> None:
    """A USB scanner (or fingers): the text into the field, then Enter."""
    user.find(marker="lookup-code").clear().type(typed).trigger("keydown.enter")
    await asyncio.sleep(0)


async def test_a_workers_menu_holds_only_the_floor_pages(worker: User) -> None:
    assert menu(worker) == {
        "/": "Где товар",
        "/my-missions": "Мои задания",
        "/picking": "Сборка заказов",
        "/qc": "Контроль качества",
        "/batches": "Сборка партиями",
        "/put-wall": "Раскладка по заказам",
        "/packing": "Упаковка и отгрузка",
        "/putaway": "Размещение",
        "/returns": "Возвраты",
        "/count": "Пересчёт ячейки",
        "/unit-move": "Перемещение",
    }
    for office_page in ("Дашборд", "Операции", "Остатки", "Пользователи", "Резервная копия"):
        await worker.should_not_see(office_page)


def test_every_menu_item_a_worker_sees_is_declared_in_floor() -> None:
    worker_items = [item for item in NAVIGATION if "worker" in item.roles]
    assert worker_items and all(item in FLOOR for item in worker_items)


async def test_a_managers_menu_has_the_dashboard_not_the_workers_home(manager: User) -> None:
    items = menu(manager)
    assert items["/"] == "Дашборд"
    assert "Где товар" not in items.values()


async def test_the_workers_home_says_what_they_can_do(worker: User) -> None:
    await worker.should_see("Где товар")
    await worker.should_see("Что можно делать сейчас")
    await worker.should_see("Сменить свой пароль")
    await worker.should_see("Сборка заказов")  # a page of the menu now
    await worker.should_see("Упаковать заказ в коробки")  # a page of the menu too
    await worker.should_not_see("Нет доступа")


async def test_a_scanned_barcode_shows_the_product_its_stock_and_where_it_lies(
    worker: User, app_database: Database
) -> None:
    mug = make_product(app_database, sku="MUG-350", name="Кружка 350 мл", barcode="4650001234567")
    post(app_database, "RECEIPT", mug, 1200)
    post(app_database, "RECEIPT_DEFECT", mug, 3)

    await look_up(worker, "4650001234567")

    await worker.should_see("Кружка 350 мл")
    assert text(worker, "lookup-good") == "1\u202f200"
    assert text(worker, "lookup-defect") == "3"
    assert text(worker, "lookup-reserved") == "0"
    assert text(worker, "lookup-available") == "1\u202f200"
    await worker.should_see("Где лежит")
    await worker.should_see("MAIN")
    await worker.should_see("DEFECT")


async def test_the_figures_follow_a_movement_made_elsewhere(
    worker: User, app_database: Database
) -> None:
    mug = make_product(app_database, barcode="4650001234567")
    post(app_database, "RECEIPT", mug, 10)
    await look_up(worker, "4650001234567")
    await eventually(lambda: text(worker, "lookup-good") == "10")

    post(app_database, "WRITE_OFF", mug, 4)

    await eventually(lambda: text(worker, "lookup-good") == "6")
    assert text(worker, "lookup-defect") == "4"


async def test_an_sku_with_several_products_offers_a_choice(
    worker: User, app_database: Database
) -> None:
    make_product(app_database, sku="TEE-M", name="Футболка белая M")
    make_product(app_database, sku="TEE-L", name="Футболка белая L")
    await look_up(worker, "футболка белая")
    await worker.should_see("Найдено несколько")
    assert len(worker.find(marker="lookup-match").elements) == 2
    worker.find("Футболка белая L · TEE-L", marker="lookup-match").click()
    await eventually(lambda: text(worker, "lookup-name") == "Футболка белая L")
    await worker.should_see("Нет на складе")


async def test_an_unknown_code_says_so(worker: User) -> None:
    await look_up(worker, "0000000000000")
    await worker.should_see("Товар «0000000000000» не найден")


async def test_a_deactivated_worker_gets_no_answer(worker: User, app_database: Database) -> None:
    mug = make_product(app_database, name="Кружка 350 мл", barcode="4650001234567")
    post(app_database, "RECEIPT", mug, 10)
    admin = SqlUserStore(app_database.engine).find("admin")
    me = SqlUserStore(app_database.engine).find("worker")
    assert admin is not None and me is not None
    update_user(
        SqlUserAdminStore(app_database.engine),
        Identity(admin.id, admin.username, "", admin.role),
        me.id,
        is_active=False,
    )
    await look_up(worker, "4650001234567")
    await worker.should_see("Сессия истекла")
    await worker.should_not_see("Кружка 350 мл")


async def test_a_worker_opening_an_office_page_can_go_home(worker: User) -> None:
    await open_page(worker, "/balances")
    await worker.should_see("Нет доступа")
    worker.find("На главную").click()
    await worker.should_see("Где товар")


def test_where_a_product_lies_on_both_backends(db: Database) -> None:
    mug = make_product(db)
    assert product_places(db.engine, mug) == []
    post(db, "RECEIPT", mug, 7)
    post(db, "RECEIPT_DEFECT", mug, 2)
    places = product_places(db.engine, mug)
    assert [(p["code"], p["warehouse"], p["quantity"], p["reserved"]) for p in places] == [
        ("MAIN", "MAIN", 7, 0),
        ("DEFECT", "DEFECT", 2, 0),
    ]
