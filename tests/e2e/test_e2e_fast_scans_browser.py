"""A USB scanner types a code and Enter, then at once the next code and Enter: no scan may
be lost or mangled on any tablet scan page — the field clears itself in the browser at
Enter and the page handles scans one at a time in the order they came (ui.components.
scan_field). Headless Chromium; the keys of several scans go in one burst, no wait."""

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from data.database import Database
from tests.e2e.test_e2e_browser import (
    ADMIN_PASSWORD,
    WAIT_SECONDS,
    field,
    open_page,
    visible,
    wait,
)
from tests.e2e.test_e2e_mission_browser import BARCODE as MISSION_MUG
from tests.e2e.test_e2e_mission_browser import TABLET, size
from tests.e2e.test_e2e_mission_browser import prepare as prepare_mission
from tests.e2e.test_e2e_packing_browser import CUP as PACKED_CUP
from tests.e2e.test_e2e_packing_browser import MUG as PACKED_MUG
from tests.e2e.test_e2e_packing_browser import prepare as prepare_packing
from tests.e2e.test_e2e_picking_browser import MUG as PICKED_MUG
from tests.e2e.test_e2e_picking_browser import prepare as prepare_picking
from tests.e2e.test_e2e_putaway_count_browser import MUG, PLATE, prepare, sign_in_as_worker
from tests.e2e.test_e2e_unit_browser import prepare as prepare_unit

pytestmark = pytest.mark.e2e


def burst(driver: WebDriver, *codes: str) -> None:
    """Several scans typed back to back, each ended by Enter, with no pause between."""
    driver.switch_to.active_element.send_keys("".join(code + Keys.ENTER for code in codes))


def counted(driver: WebDriver, row: int) -> str | None:
    boxes = driver.find_elements(By.XPATH, "//input[@type='number']")
    return boxes[row].get_attribute("value") if len(boxes) > row else None


def test_back_to_back_scans_on_the_count_page_are_all_counted(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        prepare(db)  # bin B-01-1-1 holds mugs (listed first) and plates
    finally:
        db.dispose()
    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)
    size(driver, TABLET)
    sign_in_as_worker(driver, app_url)
    open_page(driver, f"{app_url}/count", "//div[normalize-space(.)='Отсканируйте ячейку']")
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Сканируйте ячейку")  # fmt: skip

    # The bin and the first products in one burst: the products count in that bin.
    burst(driver, "B-01-1-1", MUG, MUG, PLATE)
    wait(driver).until(lambda d: (counted(d, 0), counted(d, 1)) == ("2", "1"),
                       "the burst after the bin lost a scan")  # fmt: skip
    burst(driver, *[MUG] * 6, *[PLATE] * 3)
    wait(driver).until(lambda d: (counted(d, 0), counted(d, 1)) == ("8", "4"),
                       "a burst of scans lost one")  # fmt: skip
    assert driver.switch_to.active_element.get_attribute("value") == ""
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-kind=error]")


def test_the_product_and_its_bin_in_one_burst_on_the_putaway_page(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        prepare(db)  # 24 mugs wait in MAIN
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    sign_in_as_worker(driver, app_url)
    open_page(driver, f"{app_url}/putaway", "//div[normalize-space(.)='Отсканируйте товар']")
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Сканируйте товар")  # fmt: skip
    burst(driver, MUG, "A-01-1-1")  # the bin read only once the product was
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Количество, шт.", "the bin scan was lost")  # fmt: skip
    assert driver.switch_to.active_element.get_attribute("value") == "24"
    assert driver.find_elements(By.XPATH, "//*[contains(text(), 'A-01-1-1')]")
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-kind=error]")


def test_the_unit_and_the_bin_in_one_burst_on_the_unit_move_page(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}"
    db = Database.from_url(url)
    try:
        code = prepare_unit(db)  # a pallet in MAIN, bin A-01-1-1, worker kuznetsov
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    sign_in_as_worker(driver, app_url)
    open_page(driver, f"{app_url}/unit-move",
              "//div[normalize-space(.)='Отсканируйте паллету или коробку']")  # fmt: skip
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Сканируйте паллету или коробку")  # fmt: skip
    burst(driver, "00" + code if code.isdigit() else code, "A-01-1-1")
    done = f"//div[normalize-space(.)='Паллета {code} перемещена в A-01-1-1']"
    wait(driver).until(lambda d: d.find_elements(By.XPATH, done), "the bin scan was lost")


def test_the_bin_and_the_product_in_one_burst_on_the_picking_page(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        prepare_picking(db)  # an order: 3 mugs from A-01-1-1 first
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    sign_in_as_worker(driver, app_url)
    open_page(driver, f"{app_url}/picking", "//div[normalize-space(.)='Заказ OZON-777']")
    visible(driver, "//button[.//span[normalize-space(.)='Взять']]").click()
    visible(driver, "//input[@aria-label='Сканируйте ячейку']")
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Сканируйте ячейку")  # fmt: skip
    burst(driver, "A-01-1-1", PICKED_MUG)
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Взято, шт.", "the product scan was lost")  # fmt: skip
    assert driver.switch_to.active_element.get_attribute("value") == "3"
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-kind=error]")


def test_every_product_of_a_burst_goes_into_the_box_on_the_packing_page(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        prepare_packing(db, "127.0.0.1:9")  # 2 mugs and a cup to pack; nothing printed here
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("smirnova")
    field(driver, "Пароль").send_keys("worker-password" + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))
    open_page(driver, f"{app_url}/packing", "//div[normalize-space(.)='Заказ OZON-888']")
    visible(driver, "//button[.//span[normalize-space(.)='Взять']]").click()
    visible(driver, "//input[@aria-label='Сканируйте товар']")
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Сканируйте товар")  # fmt: skip
    burst(driver, PACKED_MUG, PACKED_CUP, PACKED_MUG)
    for in_box, of in (2, 2), (1, 1):  # the mugs' line, the cup's: nothing left to pack
        visible(driver, "//div[normalize-space(.)='Упаковать: 0 шт. · упаковано 0 · "
                f"в коробке {in_box} · всего {of}']")  # fmt: skip
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-kind=error]")


def test_the_bin_and_the_product_in_one_burst_on_a_mission(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        mission_id = prepare_mission(db)  # a putaway: 15 mugs into A-01-1-1 first
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    sign_in_as_worker(driver, app_url)
    open_page(driver, f"{app_url}/my-missions",
              f"//div[normalize-space(.)='Размещение №{mission_id}']")  # fmt: skip
    visible(driver, "//button[.//span[normalize-space(.)='Открыть']]").click()
    visible(driver, "//button[.//span[normalize-space(.)='Начать задание']]").click()
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Сканируйте ячейку")  # fmt: skip
    burst(driver, "A-01-1-1", MISSION_MUG)
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label")
                       == "Количество, шт.", "the product scan was lost")  # fmt: skip
    assert driver.switch_to.active_element.get_attribute("value") == "15"
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-kind=error]")


def test_a_burst_of_codes_on_the_workers_home_looks_each_up_whole(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    """The home's lookup is a ScanField too: a code typed right after another is never cut
    (a server clearing the field would wipe its first digits: «не найден»)."""
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        prepare(db)  # mugs and plates
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    sign_in_as_worker(driver, app_url)
    scan = "Штрихкод, GTIN, артикул или название"
    wait(driver).until(lambda d: d.switch_to.active_element.get_attribute("aria-label") == scan)
    for codes, last, name in (
        ((MUG, PLATE, MUG, PLATE), PLATE, "Тарелка обеденная 24 см"),
        ((PLATE, MUG, PLATE, MUG), MUG, "Кружка керамическая 350 мл, белая"),
    ):
        burst(driver, *codes)
        visible(driver, f"//div[normalize-space(.)='Искали: «{last}»']")
        visible(driver, f"//div[normalize-space(.)='{name}']")
        assert not driver.find_elements(By.XPATH, "//div[contains(., 'не найден')]")
        assert driver.switch_to.active_element.get_attribute("value") == ""


def test_a_burst_of_the_same_code_on_the_operations_page_counts_every_scan(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    """The manual operations' scan field: each scan of the shown product adds one, so a
    burst of N scans is a count of N — none lost, none cut."""
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        prepare(db)
    finally:
        db.dispose()
    driver = browser
    size(driver, TABLET)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("admin")
    field(driver, "Пароль").send_keys(ADMIN_PASSWORD + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))
    open_page(driver, f"{app_url}/operations", "//button[.//span[.='Приёмка']]")
    visible(driver, "//button[.//span[.='Приёмка']]").click()
    field(driver, "Штрихкод или GTIN — отсканируйте").click()
    burst(driver, *[MUG] * 5)
    quantity = field(driver, "Количество, шт.")
    wait(driver).until(lambda _: quantity.get_attribute("value") == "5",
                       "a scan of the burst was lost")  # fmt: skip
    assert field(driver, "Штрихкод или GTIN — отсканируйте").get_attribute("value") == ""
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-kind=error]")
