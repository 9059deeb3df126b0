"""The orders pages in a real browser (headless Chromium, the app as it ships): a manager
opens the list and an order's card at a desktop and a tablet size, and cancels the order
there. Screenshots as test_e2e_browser.py says (WMS_SCREENSHOTS_DIR)."""

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlmodel import select

from core.orders.orders import LineRequest, OrderRequest, create_order
from core.orders.ports import ShipTo
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from data.database import Database
from data.db import write_session
from data.models import Location, Product
from data.orders.queries import order
from tests.e2e.test_e2e_browser import (
    ADMIN_PASSWORD,
    DESKTOP,
    WAIT_SECONDS,
    field,
    open_page,
    screenshot,
    visible,
    wait,
)

pytestmark = pytest.mark.e2e

TABLET = (800, 1280)


def prepare(db: Database) -> tuple[int, int]:
    """Mugs in two bins, a reserved customer order and one waiting for stock."""
    with write_session(db.engine) as session:
        mug = Product(sku="MUG-350-W", name="Кружка керамическая 350 мл, белая",
                      barcode="4607000123454")  # fmt: skip
        session.add(mug)
        main = session.exec(select(Location).where(Location.code == "MAIN")).one()
        codes = enumerate(("A-01-1-1", "A-01-1-2"), start=1)
        bins = [Location(code=c, name=c, kind="bin", warehouse_id=main.warehouse_id,
                         route_sequence=n) for n, c in codes]  # fmt: skip
        session.add_all(bins)
        session.commit()
        mug_id, main_id, bin_ids = mug.id, main.id, [b.id for b in bins]
    assert mug_id is not None and main_id is not None
    for bin_id, quantity in zip(bin_ids, (3, 5), strict=True):
        post_movement(db.unit_of_work(), MovementRequest("RECEIPT", quantity, product_id=mug_id),
                      user_id=None)  # fmt: skip
        move = MovementRequest("TRANSFER", quantity, product_id=mug_id, from_location_id=main_id,
                               to_location_id=bin_id)  # fmt: skip
        post_movement(db.unit_of_work(), move, user_id=None)
    ship_to = ShipTo(name="Иванова Анна", phone="+7 999 000-00-00", address="ул. Ленина, 1",
                     city="Казань", postal_code="420000", country="RU")  # fmt: skip
    reserved = create_order(db.unit_of_work(), OrderRequest(
        "WB-4418-0001", "customer", [LineRequest(6, product_id=mug_id)], priority="high",
        ship_to=ship_to), 1).order  # fmt: skip
    waiting = create_order(db.unit_of_work(), OrderRequest(
        "WB-4418-0002", "customer", [LineRequest(4, product_id=mug_id)]), 1).order  # fmt: skip
    return reserved.id, waiting.id


def test_a_manager_reads_an_order_and_cancels_it(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        reserved, waiting = prepare(db)
    finally:
        db.dispose()
    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("admin")
    field(driver, "Пароль").send_keys(ADMIN_PASSWORD + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))
    for dims in (DESKTOP, TABLET):
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": dims[0], "height": dims[1], "deviceScaleFactor": 1,
                                "mobile": False})  # fmt: skip
        open_page(driver, f"{app_url}/orders", "//td[normalize-space(.)='WB-4418-0002']")
        row = visible(driver, "//tbody/tr[td[normalize-space(.)='WB-4418-0001']]").text
        assert "Зарезервирован" in row and "6 / 6" in row
        screenshot(driver, f"orders-list-{dims[0]}", dims)
        open_page(driver, f"{app_url}/orders/{reserved}", "//*[normalize-space(.)='История']")
        visible(driver, "//td[normalize-space(.)='A-01-1-1']")
        screenshot(driver, f"order-card-{dims[0]}", dims)
        open_page(driver, f"{app_url}/orders/new", "//input[@aria-label='Сканируйте штрихкод']")
        field(driver, "Сканируйте штрихкод").send_keys("4607000123454" + Keys.ENTER)
        visible(driver, "//div[contains(normalize-space(.), 'MUG-350-W · 4607000123454')]")
        screenshot(driver, f"order-new-{dims[0]}", dims)
    open_page(driver, f"{app_url}/orders/{reserved}", "//*[normalize-space(.)='История']")
    # The card refreshes itself live: a button found a moment ago may have been redrawn, so
    # the find and the click are retried together (`wait` skips a stale element).
    wait(driver).until(
        lambda d: d.find_element(By.XPATH, "//button[.//span[.='Отменить заказ']]").click() or True
    )
    field(driver, "Причина").send_keys("Покупатель отказался")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".q-dialog button.bg-negative"))
    wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, ".q-dialog button.bg-negative").click() or True
    )
    visible(driver, "//*[normalize-space(.)='Заказ отменён']")
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        assert order(db.engine, reserved).status == "cancelled"  # type: ignore[union-attr]
        # The released mugs went to the waiting order.
        assert order(db.engine, waiting).status == "reserved"  # type: ignore[union-attr]
    finally:
        db.dispose()
