"""End to end in a real browser: a worker on a tablet puts received stock away and counts a
bin with a scanner (keys typed fast, then Enter) — headless Chromium, screenshots at the
tablet sizes (800×1280 and 1024×768). Fixtures from test_e2e_browser.py (conftest.py)."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from core.stock.inventory import CountRequest, post_count
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from core.users.accounts import create_user
from data.database import Database
from data.db import write_session
from data.models import Location, Product
from data.users.store import SqlUserAdminStore
from tests.e2e.test_e2e_browser import (
    ADMIN_PASSWORD,
    DESKTOP,
    WAIT_SECONDS,
    field,
    open_page,
    screenshot,
    signals,
    wait,
)
from tests.e2e.test_e2e_mission_browser import LANDSCAPE, TABLET, scanner, size

pytestmark = pytest.mark.e2e

MUG, PLATE = "4607000123454", "4607000123461"


def prepare(db: Database) -> None:
    """A worker; 24 mugs waiting in MAIN; bin A-01-1-1 empty; bin B-01-1-1 holding 6
    plates and 3 mugs."""
    create_user(SqlUserAdminStore(db.engine), "kuznetsov", "Алексей Кузнецов", "worker",
                "worker-password")  # fmt: skip
    with write_session(db.engine) as session:
        mug = Product(sku="MUG-350-W", name="Кружка керамическая 350 мл, белая", barcode=MUG)
        plate = Product(sku="PLATE-24", name="Тарелка обеденная 24 см", barcode=PLATE)
        session.add_all([mug, plate])
        main = session.exec(select(Location).where(Location.code == "MAIN")).one()
        bins = [
            Location(code=code, name=f"Ячейка {code}", kind="bin", warehouse_id=main.warehouse_id,
                     route_sequence=n)
            for n, code in ((10, "A-01-1-1"), (20, "B-01-1-1"))
        ]  # fmt: skip
        session.add_all(bins)
        session.commit()
        ids = mug.id, plate.id, main.id, bins[1].id
    mug_id, plate_id, main_id, counted_bin = ids

    def post(kind: str, product: int | None, units: int, **kw: object) -> None:
        request = MovementRequest(kind, units, product_id=product, **kw)  # type: ignore[arg-type]
        post_movement(db.unit_of_work(), request, user_id=None)

    post("RECEIPT", mug_id, 27)
    post("RECEIPT", plate_id, 6)
    for product, units in ((plate_id, 6), (mug_id, 3)):
        post("TRANSFER", product, units, from_location_id=main_id, to_location_id=counted_bin)


def ids_of(db: Database, sku: str, code: str) -> tuple[int, int]:
    with db.engine.connect() as conn:
        product = conn.execute(sa.text("SELECT id FROM product WHERE sku = :s"), {"s": sku})
        place = conn.execute(sa.text("SELECT id FROM location WHERE code = :c"), {"c": code})
        return int(product.scalar_one()), int(place.scalar_one())


def sign_in_as_worker(driver: WebDriver, app_url: str) -> None:
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("kuznetsov")
    field(driver, "Пароль").send_keys("worker-password" + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))


def test_a_worker_puts_away_and_counts_a_bin_with_a_scanner(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}"
    db = Database.from_url(url)
    try:
        prepare(db)
    finally:
        db.dispose()
    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)
    size(driver, TABLET)
    sign_in_as_worker(driver, app_url)

    # Putaway: the product, then the suggested bin in big letters.
    open_page(driver, f"{app_url}/putaway", "//div[normalize-space(.)='Отсканируйте товар']")
    scan_field = field(driver, "Сканируйте товар")
    wait(driver).until(lambda d: d.switch_to.active_element == scan_field, "no focus on the scan")
    screenshot(driver, "putaway-scan-800", TABLET)
    scanner(driver, MUG)
    wait(driver).until(lambda d: d.find_element(By.XPATH, "//div[normalize-space(.)="
                       "'Ждёт размещения: 24 шт.']"))  # fmt: skip
    place = "//div[contains(@class, 'text-weight-bold') and normalize-space(.)='B-01-1-1']"
    wait(driver).until(lambda d: d.find_element(By.XPATH, place).is_displayed())
    screenshot(driver, "putaway-bin-800", TABLET)
    screenshot(driver, "putaway-bin-1024", LANDSCAPE)
    size(driver, TABLET)
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Сканируйте ячейку")  # fmt: skip
    scanner(driver, "OUT-1")  # no bin: red and a buzz
    wait(driver).until(lambda d: [s["kind"] for s in signals(d)][-1:] == ["error"])
    screenshot(driver, "putaway-wrong-scan-800", TABLET)
    scanner(driver, "a-01-1-1")  # not the suggested bin: another active one will do
    quantity = field(driver, "Количество, шт.")
    wait(driver).until(lambda d: d.switch_to.active_element == quantity)
    assert quantity.get_attribute("value") == "24"
    screenshot(driver, "putaway-quantity-1024", LANDSCAPE)
    size(driver, TABLET)
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    wait(driver).until(lambda d: d.find_element(
        By.XPATH, "//div[normalize-space(.)='Размещено 24 шт. в A-01-1-1.']"))  # fmt: skip

    # The count: the bin, then each mug scanned; the plates typed.
    open_page(driver, f"{app_url}/count", "//div[normalize-space(.)='Отсканируйте ячейку']")
    scanner(driver, "B-01-1-1")
    wait(driver).until(lambda d: d.find_element(By.XPATH, "//div[normalize-space(.)="
                       "'Тарелка обеденная 24 см']"))  # fmt: skip
    for scanned in range(1, 5):  # at a person's pace: each unit counted before the next scan
        scanner(driver, MUG)
        wait(driver).until(lambda d, n=scanned: d.find_element(
            By.XPATH, f"//input[@type='number' and @value='{n}']"))  # fmt: skip
    screenshot(driver, "count-bin-800", TABLET)
    screenshot(driver, "count-bin-1024", LANDSCAPE)
    # Meanwhile the plates' position changes (another count finds 7 there).
    db = Database.from_url(url)
    try:
        plate_id, bin_id = ids_of(db, "PLATE-24", "B-01-1-1")
        request = CountRequest(plate_id, None, 7, notes="другой пересчёт", location_id=bin_id)
        post_count(db.unit_of_work, request, user_id=None)
    finally:
        db.dispose()
    plates = driver.find_elements(By.XPATH, "//input[@type='number']")[1]
    plates.send_keys("5")
    submit = "//button[.//span[normalize-space(.)='Провести пересчёт']]"
    driver.find_element(By.XPATH, submit).click()
    wait(driver).until(lambda d: d.find_element(
        By.XPATH, "//div[starts-with(normalize-space(.), 'Остаток изменился, пока шёл "
        "пересчёт: в системе теперь 7 шт.')]"))  # fmt: skip
    assert driver.find_elements(By.CSS_SELECTOR, ".wms-recount")  # the orange line
    screenshot(driver, "count-recount-800", TABLET)
    size(driver, TABLET)
    plates = driver.find_elements(By.XPATH, "//input[@type='number']")[0]  # the one left
    plates.send_keys("5")
    driver.find_element(By.XPATH, submit).click()
    wait(driver).until(lambda d: d.find_element(
        By.XPATH, "//div[normalize-space(.)='Пересчёт ячейки B-01-1-1 проведён']"))  # fmt: skip
    screenshot(driver, "count-booked-800", TABLET)

    db = Database.from_url(url)
    try:
        with db.engine.connect() as conn:
            placed = conn.execute(sa.text(
                "SELECT l.code, p.sku, q.quantity FROM quant q JOIN location l ON l.id = "
                "q.location_id JOIN product p ON p.id = q.product_id WHERE q.quantity > 0"
            )).all()  # fmt: skip
    finally:
        db.dispose()
    assert sorted(map(tuple, placed)) == [
        ("A-01-1-1", "MUG-350-W", 24), ("B-01-1-1", "MUG-350-W", 4), ("B-01-1-1", "PLATE-24", 5)
    ]  # fmt: skip


def test_a_manager_sees_what_waits_for_putaway(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        prepare(db)  # 24 mugs wait in MAIN
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
        open_page(driver, f"{app_url}/putaway/waiting", "//td[normalize-space(.)='MUG-350-W']")
        row = driver.find_element(By.XPATH, "//tbody/tr[td[normalize-space(.)='MUG-350-W']]")
        assert "24" in row.text
        screenshot(driver, f"putaway-waiting-{dims[0]}", dims)
