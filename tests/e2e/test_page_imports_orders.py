"""The import page with an orders file (NiceGUI user simulation): a manager drops WB's
«Сборочные задания» export as it comes, sees the format recognised and every order it
makes, confirms, and the orders are there, reserved; a supply file takes the number and
DC chosen on the page."""

from nicegui.testing import User

from data.database import Database
from tests.e2e.test_page_imports import checked, element, open_import, sees, texts, until, upload
from tests.helpers import dc_id, post
from tests.order_files import catalogue, orders, sample, statuses

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def test_a_wb_assembly_tasks_file_is_recognised_previewed_and_confirmed(
    manager: User, app_database: Database
) -> None:
    catalogue(app_database, stocked=10)
    await open_import(manager, kind="orders")
    assert await upload(manager, "wb_fbs_orders.xlsx", sample("wb_fbs_orders.xlsx"), XLSX) == 200
    await checked(manager)

    assert "Wildberries FBS: «Сборочные задания»" in texts(manager, "import-format")
    assert "маркетплейс: Wildberries" in texts(manager, "import-format")
    await manager.should_see("Новые заказы: 15")
    changes = element(manager, "import-changes").rows
    assert len(changes) == 15 and changes[0]["row"] == 2
    assert orders(app_database) == []  # a preview writes nothing

    manager.find(marker="import-confirm").click()
    await until(lambda: sees(manager, "import-done"))
    await manager.should_see("Загружено: 15 строк из «wb_fbs_orders.xlsx»")
    assert len(orders(app_database)) == 15
    assert statuses(app_database) == {"reserved": 15}


async def test_a_supply_file_takes_the_number_and_dc_chosen_on_the_page(
    manager: User, app_database: Database
) -> None:
    ids = catalogue(app_database)
    for product in ids.values():
        post(app_database, "RECEIPT", product, 100)
    await open_import(manager, kind="orders")
    element(manager, "import-supply-number").set_value("WB-поставка-1")
    element(manager, "import-supply-dc").set_value(dc_id(app_database, "WB Тула"))
    await upload(manager, "шаблон.xlsx", sample("wb_fbo_supply.xlsx"), XLSX)
    await checked(manager)
    assert "Wildberries FBO" in texts(manager, "import-format")
    await manager.should_see("Новые заказы: 1")

    manager.find(marker="import-confirm").click()
    await until(lambda: sees(manager, "import-done"))
    assert orders(app_database) == [("WB-поставка-1", "supply", "Wildberries", 8, 212)]
