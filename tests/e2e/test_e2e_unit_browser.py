"""End to end in a real browser: a worker on a tablet moves a whole pallet with a scanner
(the unit's label, then the bin's), a wrong scan first — headless Chromium, screenshots at
800×1280 and 1024×768; a manager's list of pallets and a unit's card. The fixtures come
from test_e2e_browser.py (through conftest.py)."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from core.floor.handling_units import create_unit
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from core.users.accounts import create_user
from data.database import Database
from data.floor.handling_units import handling_unit_work
from data.users.store import SqlUserAdminStore
from tests.conftest import make_product
from tests.e2e.test_e2e_browser import (
    ADMIN_PASSWORD,
    field,
    open_page,
    screenshot,
    signals,
    visible,
    wait,
)
from tests.e2e.test_e2e_mission_browser import LANDSCAPE, TABLET, scanner, size
from tests.floor import location_id, make_bin

pytestmark = pytest.mark.e2e


def prepare(db: Database) -> str:
    """A worker, a pallet in MAIN with mugs and a box of plates on it, bin A-01-1-1;
    returns the pallet's code."""
    create_user(SqlUserAdminStore(db.engine), "kuznetsov", "Алексей Кузнецов", "worker",
                "worker-password")  # fmt: skip
    main = location_id(db, "MAIN")
    make_bin(db, "A-01-1-1", route=1)
    pallet = create_unit(handling_unit_work(db), "pallet", main, user_id=None).unit
    box = create_unit(handling_unit_work(db), "box", main, user_id=None, parent_id=pallet.id).unit
    for name, qty, unit in (("Кружка 350 мл", 24, pallet.id), ("Тарелка 20 см", 10, box.id)):
        product = make_product(db, name=name)
        post_movement(db.unit_of_work(), MovementRequest("RECEIPT", qty, product_id=product),
                      user_id=None)  # fmt: skip
        post_movement(db.unit_of_work(), MovementRequest(
            "TRANSFER", qty, product_id=product, from_location_id=main, to_location_id=main,
            handling_unit_id=unit), user_id=None)  # fmt: skip
    return pallet.code


def sign_in(driver, app_url: str, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys(username)
    field(driver, "Пароль").send_keys(password + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))


def test_a_worker_moves_a_pallet_with_a_scanner(browser, app_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}"
    db = Database.from_url(url)
    try:
        code = prepare(db)
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    sign_in(driver, app_url, "kuznetsov", "worker-password")
    open_page(
        driver,
        f"{app_url}/unit-move",
        "//div[normalize-space(.)='Отсканируйте паллету или коробку']",
    )
    scan_field = field(driver, "Сканируйте паллету или коробку")
    wait(driver).until(lambda d: d.switch_to.active_element == scan_field, "no focus on the scan")
    screenshot(driver, "unit-move-start-800", TABLET)

    scanner(driver, "A-01-1-1")  # the bin first: refused, red and a buzz
    visible(driver, "//*[@data-kind='error']")
    wait(driver).until(lambda d: [s["kind"] for s in signals(d)] == ["error"])
    screenshot(driver, "unit-move-wrong-scan-800", TABLET)

    scanner(driver, "00" + code if code.isdigit() else code)
    big = "//div[contains(@class, 'wms-run-place')]"
    wait(driver).until(lambda d: d.find_element(By.XPATH, big).text == code)
    visible(driver, "//div[normalize-space(.)='Паллета · сейчас в MAIN']")
    screenshot(driver, "unit-move-scanned-800", TABLET)
    screenshot(driver, "unit-move-scanned-1024", LANDSCAPE)
    size(driver, TABLET)
    scanner(driver, "A-01-1-1")
    visible(driver, f"//div[normalize-space(.)='Паллета {code} перемещена в A-01-1-1']")
    assert [s["kind"] for s in signals(driver)][-1] == "done"
    screenshot(driver, "unit-move-done-800", TABLET)

    db = Database.from_url(url)
    try:
        with db.engine.connect() as conn:
            placed = conn.execute(sa.text(
                "SELECT l.code, sum(q.quantity) FROM quant q JOIN location l "
                "ON l.id = q.location_id WHERE q.handling_unit_id IS NOT NULL AND q.quantity > 0 "
                "GROUP BY l.code"
            )).all()  # fmt: skip
    finally:
        db.dispose()
    assert [tuple(r) for r in placed] == [("A-01-1-1", 34)]


def test_a_manager_sees_pallets_and_a_units_card(browser, app_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        code = prepare(db)
    finally:
        db.dispose()
    driver = browser
    for dims in (TABLET, LANDSCAPE):
        size(driver, dims)
        if dims == TABLET:
            sign_in(driver, app_url, "admin", ADMIN_PASSWORD)
        open_page(driver, f"{app_url}/handling-units", f"//td[normalize-space(.)='{code}']")
        screenshot(driver, f"handling-units-{dims[0]}", dims)
        visible(driver, f"//tr/td[1][normalize-space(.)='{code}']").click()
        visible(driver, "//div[contains(normalize-space(.), 'Место: MAIN')]")
        screenshot(driver, f"handling-unit-card-{dims[0]}", dims)
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.ESCAPE)
