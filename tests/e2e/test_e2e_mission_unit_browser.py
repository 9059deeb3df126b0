"""End to end in a real browser: a worker on a tablet moves a whole pallet as a mission
line with a scanner — the pallet's bin, the pallet's code (a wrong one refused with red and
a buzz), the target bin, then Enter on the confirmation — and the manager's form with such
a line. Headless Chromium at 800×1280; screenshots like test_e2e_mission_browser.py."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from core.floor.executors import create_executor
from core.floor.handling_units import create_unit
from core.floor.mission_lines import LineRequest
from core.floor.mission_rules import Actor
from core.floor.missions import MissionRequest, create_mission
from core.floor.ports import ExecutorData
from core.users.accounts import create_user
from data.database import Database
from data.floor.executors import SqlExecutorStore
from data.floor.handling_units import handling_unit_work
from data.floor.missions import mission_work
from data.users.store import SqlUserAdminStore
from tests.conftest import make_product
from tests.e2e.test_e2e_browser import (
    ADMIN_PASSWORD,
    WAIT_SECONDS,
    field,
    open_page,
    screenshot,
    signals,
    visible,
    wait,
)
from tests.e2e.test_e2e_mission_browser import TABLET, scanner, size
from tests.floor import location_id, make_bin
from tests.helpers import post

pytestmark = pytest.mark.e2e


def prepare(db: Database) -> tuple[int, str]:
    """A worker with an executor; a pallet in bin A-01-1-1 holding 30 mugs; a move of the
    whole pallet to B-02-1-1 assigned to the worker. The mission's id and the pallet's code."""
    worker = create_user(SqlUserAdminStore(db.engine), "kuznetsov", "Алексей Кузнецов",
                         "worker", "worker-password")  # fmt: skip
    executor = create_executor(
        SqlExecutorStore(db.engine), ExecutorData("TAB-01", "Алексей Кузнецов", True, worker.id)
    )
    mug = make_product(db, name="Кружка керамическая 350 мл", barcode="4607000123454")
    post(db, "RECEIPT", mug, 30)
    source, target = make_bin(db, "A-01-1-1", route=1), make_bin(db, "B-02-1-1", route=2)
    pallet = create_unit(handling_unit_work(db), "pallet", source, user_id=None).unit
    post(db, "TRANSFER", mug, 30, from_location_id=location_id(db, "MAIN"),
         to_location_id=source, handling_unit_id=pallet.id)  # fmt: skip
    line = LineRequest(None, None, None, target, pallet.id)
    request = MissionRequest("move", [line], "urgent", executor.id)
    made = create_mission(mission_work(db), request, Actor(1, may_manage=True)).mission
    return made.id, pallet.code


def test_a_worker_moves_a_whole_pallet_with_a_scanner(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}"
    db = Database.from_url(url)
    try:
        mission_id, code = prepare(db)
    finally:
        db.dispose()
    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)
    size(driver, TABLET)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("kuznetsov")
    field(driver, "Пароль").send_keys("worker-password" + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))
    open_page(driver, f"{app_url}/my-missions/{mission_id}",
              "//button[.//span[normalize-space(.)='Начать задание']]")  # fmt: skip
    visible(driver, "//button[.//span[normalize-space(.)='Начать задание']]").click()

    big = "//div[contains(@class, 'wms-run-place')]"
    wait(driver).until(lambda d: d.find_element(By.XPATH, big).text == "A-01-1-1")
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Сканируйте ячейку")  # fmt: skip
    scanner(driver, "A-01-1-1")
    wait(driver).until(lambda d: d.find_element(By.XPATH, big).text == code)
    screenshot(driver, "mission-unit-scan-800", TABLET)
    scanner(driver, "HU-999999")  # another pallet: refused at once, red and a buzz
    visible(driver, "//*[@data-kind='error']")
    wait(driver).until(lambda d: [s["kind"] for s in signals(d)][-1:] == ["error"])
    screenshot(driver, "mission-unit-wrong-800", TABLET)
    scanner(driver, code)
    wait(driver).until(lambda d: d.find_element(By.XPATH, big).text == "B-02-1-1")
    scanner(driver, "B-02-1-1")
    visible(driver, "//div[normalize-space(.)='Переместить целиком?']")
    confirm = visible(driver, "//button[.//span[normalize-space(.)='Подтвердить']]")
    wait(driver).until(lambda d: d.switch_to.active_element == confirm, "no focus on confirm")
    screenshot(driver, "mission-unit-confirm-800", TABLET)
    driver.switch_to.active_element.send_keys(Keys.ENTER)  # the scanner's Enter confirms
    visible(driver, f"//div[normalize-space(.)='Паллета {code} (30 шт.) перемещена в B-02-1-1']")
    visible(driver, "//div[normalize-space(.)='Все строки выполнены']")

    db = Database.from_url(url)
    try:
        with db.engine.connect() as conn:
            where = conn.execute(sa.text(
                "SELECT l.code FROM handling_unit h JOIN location l ON l.id = h.location_id "
                "WHERE h.code = :c"), {"c": code}).scalar_one()  # fmt: skip
    finally:
        db.dispose()
    assert where == "B-02-1-1"


def test_the_mission_form_takes_a_whole_unit_line(browser: WebDriver, app_url: str) -> None:
    driver = browser
    size(driver, TABLET)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("admin")
    field(driver, "Пароль").send_keys(ADMIN_PASSWORD + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))
    open_page(driver, f"{app_url}/missions/new",
              "//button[.//span[normalize-space(.)='Паллета или коробка целиком']]")  # fmt: skip
    visible(driver, "//button[.//span[normalize-space(.)='Паллета или коробка целиком']]").click()
    visible(driver, "//*[normalize-space(text())='Паллета или коробка']")
    assert not [e for e in driver.find_elements(By.XPATH, "//input[@aria-label='Откуда']")
                if e.is_displayed()]  # fmt: skip
    screenshot(driver, "mission-form-unit-800", TABLET)
