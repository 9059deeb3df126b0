"""End to end in a real browser: a worker on a tablet does a putaway mission with a scanner
(keys typed fast, then Enter) — the app as it ships, headless Chromium, screenshots at the
tablet sizes the design names (800×1280 and 1024×768). The fixtures come from
test_e2e_browser.py (through conftest.py), which also says how to refresh the README's
pictures."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from core.floor.executors import create_executor
from core.floor.mission_lines import LineRequest
from core.floor.mission_rules import Actor
from core.floor.missions import MissionRequest, create_mission, start
from core.floor.ports import ExecutorData
from core.floor.recording import RecordRequest, record_line
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from core.users.accounts import create_user
from data.database import Database
from data.db import write_session
from data.floor.executors import SqlExecutorStore
from data.floor.mission_queries import mission
from data.floor.missions import mission_work
from data.models import Location, Product
from data.users.store import SqlUserAdminStore
from tests.e2e.test_e2e_browser import (
    ADMIN_PASSWORD,
    DESKTOP,
    WAIT_SECONDS,
    field,
    open_page,
    resize,
    screenshot,
    signals,
    visible,
    wait,
)

pytestmark = pytest.mark.e2e

TABLET = (800, 1280)
LANDSCAPE = (1024, 768)
BARCODE = "4607000123454"
NAME = "Кружка керамическая 350 мл, белая"
LINES = (("A-01-1-1", 15), ("A-01-1-2", 9))


def prepare(db: Database) -> int:
    """A worker with an executor, 24 mugs waiting in MAIN, two bins and a putaway of the
    mugs into them assigned to the worker; returns the mission's id."""
    admin = SqlUserAdminStore(db.engine)
    worker = create_user(admin, "kuznetsov", "Алексей Кузнецов", "worker", "worker-password")
    executor = create_executor(
        SqlExecutorStore(db.engine), ExecutorData("TAB-01", "Алексей Кузнецов", True, worker.id)
    )
    with write_session(db.engine) as session:
        mug = Product(sku="MUG-350-W", name=NAME, barcode=BARCODE)
        session.add(mug)
        main = session.exec(select(Location).where(Location.code == "MAIN")).one()
        bins = [
            Location(code=code, name=f"Ячейка {code}", kind="bin", warehouse_id=main.warehouse_id,
                     route_sequence=n)
            for n, (code, _) in enumerate(LINES, start=1)
        ]  # fmt: skip
        session.add_all(bins)
        session.commit()
        mug_id, main_id, bin_ids = mug.id, main.id, [b.id for b in bins]
    post_movement(db.unit_of_work(), MovementRequest("RECEIPT", 24, product_id=mug_id),
                  user_id=None)  # fmt: skip
    manager = Actor(1, may_manage=True)  # the admin the app's first start created
    lines = [
        LineRequest(mug_id, quantity, main_id, bin_id)
        for (_, quantity), bin_id in zip(LINES, bin_ids, strict=True)
    ]
    request = MissionRequest("putaway", lines, "high", executor.id)
    return create_mission(mission_work(db), request, manager).mission.id


def scanner(driver: WebDriver, code: str) -> None:
    """A USB scanner: the keys go to whatever has the focus, then Enter. A worker scans
    once the page is there: on a page just opened, once something has the focus (a loaded
    machine gives the field its autofocus a moment after the field appears)."""
    focused = "return document.activeElement !== null && document.activeElement !== document.body"
    wait(driver).until(lambda d: d.execute_script(focused), "nothing on the page has the focus")
    driver.switch_to.active_element.send_keys(code + Keys.ENTER)


def size(driver: WebDriver, dims: tuple[int, int]) -> None:
    """The tablet at `dims`, settled (see `resize`)."""
    resize(driver, dims)


def test_a_worker_puts_away_a_mission_with_a_scanner(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        mission_id = prepare(db)
    finally:
        db.dispose()
    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)
    size(driver, TABLET)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("kuznetsov")
    field(driver, "Пароль").send_keys("worker-password" + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))

    # My missions: the new one, urgent-first, as a big card.
    open_page(
        driver, f"{app_url}/my-missions", f"//div[normalize-space(.)='Размещение №{mission_id}']"
    )
    screenshot(driver, "missions-my-800", TABLET)
    visible(driver, "//button[.//span[normalize-space(.)='Открыть']]").click()
    visible(driver, "//button[.//span[normalize-space(.)='Начать задание']]").click()

    # Line 1: the bin in big letters; the scan field has the focus.
    big = "//div[contains(@class, 'wms-run-place')]"
    wait(driver).until(lambda d: d.find_element(By.XPATH, big).text == "A-01-1-1")
    scan_field = field(driver, "Сканируйте ячейку")
    wait(driver).until(lambda d: d.switch_to.active_element == scan_field, "no focus on the scan")
    screenshot(driver, "mission-bin-800", TABLET)
    screenshot(driver, "mission-bin-1024", LANDSCAPE)

    # A wrong bin: refused at once, red and a buzz; nothing moves on.
    scanner(driver, "B-09-9-9")
    visible(driver, "//*[@data-kind='error']")
    visible(
        driver, "//div[normalize-space(.)='Не та ячейка: отсканировано «B-09-9-9», нужна A-01-1-1']"
    )
    wait(driver).until(lambda d: [s["kind"] for s in signals(d)] == ["error"])
    screenshot(driver, "mission-wrong-scan-800", TABLET)

    for number, (code, units) in enumerate(LINES, start=1):
        wait(driver).until(lambda d, c=code: d.find_element(By.XPATH, big).text == c)
        scanner(driver, code.lower())  # a scanner in lower case: the same bin
        visible(driver, "//div[normalize-space(.)='Отсканируйте товар']")
        scanner(driver, BARCODE)
        quantity = field(driver, "Количество, шт.")
        wait(driver).until(lambda d, q=quantity: d.switch_to.active_element == q)
        assert quantity.get_attribute("value") == str(units)  # the rest of the line
        if number == 1:
            screenshot(driver, "mission-quantity-1024", LANDSCAPE)
            size(driver, TABLET)
        driver.switch_to.active_element.send_keys(Keys.ENTER)
        visible(driver, f"//div[normalize-space(.)='Перемещено {units} шт. в {code}']")

    visible(driver, "//div[normalize-space(.)='Все строки выполнены']")
    kinds = [s["kind"] for s in signals(driver)]
    assert kinds[0] == "error" and kinds[-1] == "done" and "error" not in kinds[1:]
    screenshot(driver, "mission-done-800", TABLET)
    visible(driver, "//button[.//span[normalize-space(.)='Завершить задание']]").click()
    visible(driver, "//button[.//span[normalize-space(.)='Завершить']]").click()
    visible(driver, "//div[contains(normalize-space(.), 'Заданий нет')]")

    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        with db.engine.connect() as conn:
            placed = dict(conn.execute(sa.text(
                "SELECT l.code, q.quantity FROM quant q JOIN location l ON l.id = q.location_id"
            )).all())  # fmt: skip
            status = conn.execute(
                sa.text("SELECT status FROM mission WHERE id = :m"), {"m": mission_id}
            ).scalar_one()
    finally:
        db.dispose()
    assert placed == {"MAIN": 0, "A-01-1-1": 15, "A-01-1-2": 9}
    assert status == "completed"


def test_a_manager_follows_a_mission_on_its_card(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        mission_id = prepare(db)
        manager = Actor(1, may_manage=True)
        start(mission_work(db), mission_id, manager)
        first = mission(db.engine, mission_id).lines[0]  # type: ignore[union-attr]
        record_line(mission_work(db), mission_id, RecordRequest(first.id, 10), manager)
    finally:
        db.dispose()
    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("admin")
    field(driver, "Пароль").send_keys(ADMIN_PASSWORD + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))
    for dims in (DESKTOP, TABLET):
        size(driver, dims)
        open_page(driver, f"{app_url}/missions", f"//td[normalize-space(.)='{mission_id}']")
        row = visible(driver, f"//tbody/tr[td[normalize-space(.)='{mission_id}']]").text
        assert "В работе" in row and "10 / 24" in row
        screenshot(driver, f"missions-list-{dims[0]}", dims)
        open_page(driver, f"{app_url}/missions/{mission_id}", "//*[normalize-space(.)='История']")
        visible(driver, "//div[starts-with(normalize-space(.), 'Строка 1: MUG-350-W — 10 шт.')]")
        screenshot(driver, f"mission-card-{dims[0]}", dims)
        open_page(driver, f"{app_url}/executors", "//div[normalize-space(.)='Алексей Кузнецов']")
        screenshot(driver, f"executors-{dims[0]}", dims)
