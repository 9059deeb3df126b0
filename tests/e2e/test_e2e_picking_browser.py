"""End to end in a real browser: a worker on a tablet takes an order from the picking
queue and picks it with a scanner — a wrong bin refused in red, the right bin and product,
the quantity confirmed, a short pick of the second item — then completes it. The app as
it ships, headless Chromium, screenshots at 800×1280 and 1024×768."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from core.floor.executors import create_executor
from core.floor.ports import ExecutorData
from core.orders.orders import LineRequest, OrderRequest, create_order
from core.users.accounts import create_user
from data.database import Database
from data.db import write_session
from data.floor.executors import SqlExecutorStore
from data.models import Location, Product
from data.users.store import SqlUserAdminStore
from tests.e2e.test_e2e_browser import field, open_page, screenshot, signals, visible, wait
from tests.e2e.test_e2e_mission_browser import LANDSCAPE, TABLET, scanner, size
from tests.picking import stock_bin

pytestmark = pytest.mark.e2e

MUG, CUP = "4607000123454", "4607000999990"


def prepare(db: Database) -> None:
    """A worker with an executor; mugs in A-01, cups in B-02; an order for 3 mugs, 2 cups."""
    admin = SqlUserAdminStore(db.engine)
    worker = create_user(admin, "kuznetsov", "Алексей Кузнецов", "worker", "worker-password")
    create_executor(SqlExecutorStore(db.engine),
                    ExecutorData("TAB-01", "Алексей Кузнецов", True, worker.id))  # fmt: skip
    with write_session(db.engine) as session:
        mug = Product(sku="MUG-350-W", name="Кружка керамическая 350 мл", barcode=MUG)
        cup = Product(sku="CUP-200", name="Чашка чайная 200 мл", barcode=CUP)
        main = session.exec(select(Location).where(Location.code == "MAIN")).one()
        bins = [
            Location(code=c, name=c, kind="bin", warehouse_id=main.warehouse_id, route_sequence=n)
            for n, c in enumerate(("A-01-1-1", "B-02-3-1"), 1)
        ]
        session.add_all([mug, cup, *bins])
        session.commit()
        ids = (mug.id, cup.id, bins[0].id, bins[1].id)
    assert all(ids)
    stock_bin(db, ids[0], 10, ids[2])
    stock_bin(db, ids[1], 5, ids[3])
    lines = [LineRequest(3, product_id=ids[0]), LineRequest(2, product_id=ids[1])]
    order = OrderRequest("OZON-777", "customer", lines, priority="urgent")
    assert create_order(db.unit_of_work(), order, None).order.status == "reserved"


def test_a_worker_picks_an_order_with_a_scanner(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}"
    db = Database.from_url(url)
    try:
        prepare(db)
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("kuznetsov")
    field(driver, "Пароль").send_keys("worker-password" + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))

    open_page(driver, f"{app_url}/picking", "//div[normalize-space(.)='Заказ OZON-777']")
    screenshot(driver, "picking-queue-800", TABLET)
    visible(driver, "//button[.//span[normalize-space(.)='Взять']]").click()

    visible(driver, "//div[normalize-space(.)='A-01-1-1']")
    visible(driver, "//input[@aria-label='Сканируйте ячейку']")
    screenshot(driver, "picking-bin-800", TABLET)
    scanner(driver, "B-02-3-1")  # the wrong bin: red, a buzz, nothing moves on
    visible(driver, "//*[@data-kind='error']")
    visible(driver, "//div[normalize-space(.)='Не та ячейка: нужна A-01-1-1']")
    screenshot(driver, "picking-wrong-bin-800", TABLET)
    scanner(driver, "a-01-1-1")
    visible(driver, "//div[normalize-space(.)='Отсканируйте товар']")
    scanner(driver, CUP)  # the wrong product
    visible(driver, "//div[normalize-space(.)='Не тот товар: нужен MUG-350-W']")
    scanner(driver, MUG)
    quantity = field(driver, "Взято, шт.")
    assert quantity.get_attribute("value") == "3"
    screenshot(driver, "picking-quantity-800", TABLET)
    screenshot(driver, "picking-quantity-1024", LANDSCAPE)
    size(driver, TABLET)
    visible(driver, "//button[.//span[normalize-space(.)='Подтвердить']]").click()
    visible(driver, "//div[normalize-space(.)='Взято 3 шт. из A-01-1-1']")

    visible(driver, "//div[normalize-space(.)='B-02-3-1']")
    scanner(driver, "B-02-3-1")
    scanner(driver, CUP)
    wait(driver).until(lambda d: field(d, "Взято, шт.").get_attribute("value") == "2")
    driver.find_element(By.XPATH, "//button[.//i[normalize-space(.)='remove']]").click()
    wait(driver).until(lambda d: field(d, "Взято, шт.").get_attribute("value") == "1")
    visible(driver, "//button[.//span[normalize-space(.)='Не хватает']]").click()
    visible(driver, "//div[normalize-space(.)='Недостача: взято 1 из 2 шт. в B-02-3-1']")
    visible(driver, "//div[starts-with(normalize-space(.), 'Всё собрано')]")
    screenshot(driver, "picking-done-800", TABLET)
    kinds = [s["kind"] for s in signals(driver)]
    assert kinds.count("error") == 2 and kinds[-2:] == ["done", "warning"]
    visible(driver, "//button[.//span[normalize-space(.)='Завершить сборку']]").click()
    visible(driver, "//div[contains(normalize-space(.), 'Заказов на сборку нет')]")

    db = Database.from_url(url)
    try:
        with db.engine.connect() as conn:
            at_station = sa.text(
                "SELECT p.sku, q.reserved FROM quant q JOIN location l ON l.id = q.location_id "
                "JOIN product p ON p.id = q.product_id WHERE l.code = 'PACK-1'"
            )
            station = dict(conn.execute(at_station).all())
            status = conn.execute(sa.text("SELECT status FROM sale_order")).scalar_one()
    finally:
        db.dispose()
    assert station == {"MUG-350-W": 3, "CUP-200": 1} and status == "picking"
