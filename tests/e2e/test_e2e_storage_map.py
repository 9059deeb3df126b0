"""The storage map in a real browser (headless Chromium, 1280×800): a manager creates a
rack of bins from a pattern, sees them listed in walking order, opens a bin's card and
tries to deactivate a bin holding stock. Screenshots go where test_e2e_browser's go
(WMS_SCREENSHOTS_DIR)."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from data.database import Database
from data.db import write_session
from data.models import Product
from tests.e2e.test_e2e_browser import (  # noqa: F401 - the fixtures, used by name
    ADMIN_PASSWORD,
    BARCODE,
    FITS,
    NAME,
    SKU,
    app_url,
    browser,
    button,
    click,
    field,
    open_page,
    screenshot,
    table_row,
    visible,
    wait,
)

pytestmark = pytest.mark.e2e

OFFICE = (1280, 800)


def set_number(driver: WebDriver, label: str, value: int) -> None:
    element = field(driver, label)
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(str(value))


def put_in_bin(data_dir: Path, code: str, units: int) -> int:
    """In the running app's own database: the product received, `units` moved to `code`."""
    db = Database.from_url(f"sqlite:///{data_dir / 'wms.sqlite3'}")
    try:
        with write_session(db.engine) as session:
            product = Product(sku=SKU, name=NAME, barcode=BARCODE)
            session.add(product)
            session.commit()
            assert product.id is not None
            product_id = product.id
        with db.engine.connect() as conn:
            ids = dict(conn.execute(sa.text("SELECT code, id FROM location")).all())
        for request in (
            MovementRequest("RECEIPT", 40, product_id=product_id),
            MovementRequest("TRANSFER", units, product_id=product_id,
                            from_location_id=ids["MAIN"], to_location_id=ids[code]),
        ):  # fmt: skip
            post_movement(db.unit_of_work(), request, user_id=None)
        return product_id
    finally:
        db.dispose()


def test_a_manager_creates_a_rack_and_reads_its_bins(
    browser: WebDriver,  # noqa: F811
    app_url: str,  # noqa: F811
    tmp_path: Path,
) -> None:
    driver = browser
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": OFFICE[0], "height": OFFICE[1], "deviceScaleFactor": 1, "mobile": False},
    )
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("admin")
    field(driver, "Пароль").send_keys(ADMIN_PASSWORD + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))

    open_page(driver, f"{app_url}/locations", "//td[normalize-space(.)='PACK-1']")
    assert table_row(driver, "MAIN")["Тип"] == "Не размещено"
    screenshot(driver, "storage-map-empty-1280", OFFICE)

    click(driver, button(driver, "Стеллажи по шаблону"))
    set_number(driver, "по", 12)  # racks 1 to 12: the racks' "to" is the first of three
    preview = visible(driver, "//div[contains(normalize-space(.), 'Будет создано 240 ячеек')]")
    assert "A-01-1-1, A-01-2-1, A-01-3-1 … A-12-5-1" in preview.text
    screenshot(driver, "storage-map-rack-1280", OFFICE)
    click(driver, button(driver, "Создать ячейки"))
    visible(driver, "//td[normalize-space(.)='A-01-1-1']")
    row = table_row(driver, "A-01-1-1")
    assert (row["Тип"], row["Зона"], row["Склад"]) == ("Ячейка", "A", "Годный")
    visible(driver, "//div[normalize-space(.)='Мест: 244']")
    screenshot(driver, "storage-map-1280", OFFICE)
    assert driver.execute_script(FITS)["page"] == 0  # nothing pushed off the screen
    assert driver.execute_script(FITS)["tables"] == [0]

    # A scanned bin label finds its bin (the scanner types the code and Enter).
    search = field(driver, "Код или название места")
    search.send_keys("a-02-3-4" + Keys.ENTER)
    wait(driver).until(
        lambda d: (
            [td.text for td in d.find_elements(By.CSS_SELECTOR, "tbody tr td:first-child")]
            == ["A-02-3-4"]
        )
    )
    click(driver, visible(driver, "//td[normalize-space(.)='A-02-3-4']"))
    visible(driver, "//div[normalize-space(.)='Пусто: здесь ничего не лежит.']")
    screenshot(driver, "storage-map-card-1280", OFFICE)

    # Stock in a bin: its card lists it, and the bin cannot be taken out of use.
    product = put_in_bin(tmp_path / "data", "A-01-1-1", 12)
    open_page(driver, f"{app_url}/locations?q=A-01-1-1", "//td[normalize-space(.)='A-01-1-1']")
    wait(driver).until(lambda _: table_row(driver, "A-01-1-1")["Единиц"] == "12")
    click(driver, visible(driver, "//td[normalize-space(.)='A-01-1-1']"))
    assert table_row(driver, NAME)["Кол-во"] == "12"
    click(driver, button(driver, "Отключить"))
    refused = visible(driver, "//div[starts-with(normalize-space(.), 'В месте A-01-1-1 лежит')]")
    assert refused.text == (
        "В месте A-01-1-1 лежит товар (12 шт.): сначала переместите всё в другое место, "
        "потом отключайте"
    )
    screenshot(driver, "storage-map-refused-1280", OFFICE)

    # Where is it: the product card lists the bin and the rest not put away.
    open_page(driver, f"{app_url}/products/{product}", "//td[normalize-space(.)='A-01-1-1']")
    assert table_row(driver, "A-01-1-1")["Кол-во"] == "12"
    assert table_row(driver, "MAIN")["Кол-во"] == "28"
    screenshot(driver, "product-card-places-1280", OFFICE)
