"""End to end in a real browser (issue 15): a worker on a tablet takes a batch of two
orders and walks it once — one stop per bin, a wrong bin refused in red, each order's
share confirmed to its slot on the cart, a short for the second order only — then sorts
the cart at the put wall, the screen naming each scanned unit's slot in big letters. The
app as it ships, headless Chromium, screenshots at 800×1280 and 1024×768."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from core.floor.executors import create_executor
from core.floor.ports import ExecutorData
from core.orders.batches import create_batch
from core.orders.orders import LineRequest, OrderRequest, create_order
from core.users.accounts import create_user
from data.database import Database
from data.db import write_session
from data.floor.executors import SqlExecutorStore
from data.models import Location, Product
from data.users.store import SqlUserAdminStore
from tests.e2e.test_e2e_browser import field, open_page, screenshot, visible, wait
from tests.e2e.test_e2e_mission_browser import LANDSCAPE, TABLET, scanner, size
from tests.order_checks import check_reservations
from tests.picking import stock_bin

pytestmark = pytest.mark.e2e

MUG, CUP = "4607000123454", "4607000999990"


def prepare(db: Database) -> int:
    """A worker with an executor; mugs in A-01, cups in B-02; orders OZON-1 (2 mugs) and
    OZON-2 (2 mugs, 1 cup) in one batch: its id."""
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
    tasks = []
    for external, lines in (("OZON-1", [(ids[0], 2)]), ("OZON-2", [(ids[0], 2), (ids[1], 1)])):
        request = OrderRequest(external, "customer",
                               [LineRequest(q, product_id=p) for p, q in lines])  # fmt: skip
        tasks.append(create_order(db.unit_of_work(), request, None).order.picking_task_id or 0)
    batch, _ = create_batch(db.unit_of_work(), tasks, None)
    return batch.id


def big(text: str) -> str:
    return f"//div[normalize-space(.)='{text}']"


def test_a_worker_picks_a_batch_and_sorts_it_at_the_put_wall(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}"
    db = Database.from_url(url)
    try:
        batch_id = prepare(db)
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("kuznetsov")
    field(driver, "Пароль").send_keys("worker-password" + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))

    open_page(driver, f"{app_url}/batches", big(f"Партия №{batch_id}"))
    screenshot(driver, "batch-queue-800", TABLET)
    visible(driver, "//button[.//span[normalize-space(.)='Взять']]").click()
    visible(driver, big("A-01-1-1"))
    visible(driver, big("Остановка 1 из 2"))
    scanner(driver, "B-02-3-1")  # the wrong bin: red, nothing moves on
    visible(driver, "//*[@data-kind='error']")
    visible(driver, big("Не та ячейка: нужна A-01-1-1"))
    scanner(driver, "a-01-1-1")
    visible(driver, big("Отсканируйте товар"))
    screenshot(driver, "batch-stop-800", TABLET)
    scanner(driver, MUG)
    visible(driver, big("В ячейку 1 — 2 шт."))
    visible(driver, big("Заказ OZON-1"))
    screenshot(driver, "batch-slot-800", TABLET)
    screenshot(driver, "batch-slot-1024", LANDSCAPE)
    size(driver, TABLET)
    visible(driver, "//button[.//span[normalize-space(.)='Подтвердить']]").click()
    visible(driver, big("В ячейку 2 — 2 шт."))
    driver.find_element(By.XPATH, "//button[.//i[normalize-space(.)='remove']]").click()
    wait(driver).until(lambda d: field(d, "Положено, шт.").get_attribute("value") == "1")
    visible(driver, "//button[.//span[normalize-space(.)='Не хватает']]").click()
    visible(driver, big("Недостача у заказа OZON-2: 1 из 2 шт."))
    visible(driver, big("B-02-3-1"))
    scanner(driver, "B-02-3-1")
    scanner(driver, CUP)
    visible(driver, big("В ячейку 2 — 1 шт."))
    visible(driver, "//button[.//span[normalize-space(.)='Подтвердить']]").click()
    visible(driver, "//div[starts-with(normalize-space(.), 'Всё собрано')]")
    visible(driver, "//button[.//span[normalize-space(.)='Раскладка по заказам']]").click()

    visible(driver, "//input[@aria-label='Сканируйте товар']")
    for slot in ("Ячейка 1", "Ячейка 1", "Ячейка 2"):
        scanner(driver, MUG)
        visible(driver, "//*[@data-kind='done']")
        wait(driver).until(lambda d, s=slot: d.find_elements(By.XPATH, big(s) + "[contains("
                           "@class, 'text-primary')]"))  # fmt: skip
    scanner(driver, CUP)
    sorted_ = "//div[normalize-space(.)='Разложено 2 из 2']"
    wait(driver).until(lambda d: len(d.find_elements(By.XPATH, sorted_)) == 2)  # both slots
    screenshot(driver, "put-wall-800", TABLET)
    screenshot(driver, "put-wall-1024", LANDSCAPE)

    db = Database.from_url(url)
    try:
        with db.engine.connect() as conn:
            puts = conn.execute(sa.text("SELECT count(*) FROM pick_batch_put")).scalar_one()
        assert puts == 4
        check_reservations(db)
    finally:
        db.dispose()
