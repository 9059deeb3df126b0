"""End to end in a real browser: the app as it ships (`main.py` in its own process, a fresh
SQLite database) and headless Chromium doing what a manager does — add a product, sign in,
scan its barcode on /operations, receive stock — and seeing the balance change.

It also takes screenshots at the two screen sizes the design names, an office screen
(1366×768) and a tablet (800×1280): into a temporary folder, or, to refresh the README's,

    WMS_SCREENSHOTS_DIR=docs/screenshots uv run pytest -m e2e

Needs Debian's chromium and chromium-driver. Without them the test is skipped on a
developer's machine and fails in CI (CI=true), which must run it. Deselect it with
`pytest -m "not e2e"`.
"""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from core.catalog.products import gtin_check_digit_ok
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from core.users.accounts import create_user
from data.database import Database
from data.db import write_session
from data.models import Product
from data.users.store import SqlUserAdminStore

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
# A test run must not change tracked files: the README's pictures are refreshed on request.
SCREENSHOTS = Path(
    os.environ.get("WMS_SCREENSHOTS_DIR") or tempfile.mkdtemp(prefix="wms-screenshots-")
)
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

ADMIN_PASSWORD = "e2e-admin-password"
STARTUP_SECONDS = 60  # migrations and the first import of NiceGUI on a slow CI machine
WAIT_SECONDS = 20  # the longest any page or answer may take to appear
DESKTOP = (1366, 768)
TABLET = (800, 1280)

SKU = "E2E-FUT-L"
NAME = "Футболка хлопковая мужская, синяя, размер L"
BARCODE = "4607000123454"
RECEIVED = 12

# Screenshots only: no transitions or blinking caret, so a picture shows the settled page.
STILL_CSS = """
const style = document.createElement("style");
style.textContent = `*, *::before, *::after {
  transition: none !important; animation: none !important; caret-color: transparent !important;
}`;
document.head.appendChild(style);
"""


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the app exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"/healthz did not answer in {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    """The real app on a free port with its own empty SQLite database."""
    port = free_port()
    # Not pytest's variables: NiceGUI would take the app for its own test harness.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NICEGUI_"))},
        "WMS_DATA_DIR": str(tmp_path / "data"),
        "WMS_DATABASE_URL": "",  # the SQLite file in WMS_DATA_DIR, whatever the shell says
        "WMS_HOST": "127.0.0.1",
        "WMS_PORT": str(port),
        "WMS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NICEGUI_STORAGE_PATH": str(tmp_path / "nicegui"),  # sessions stay out of the tree
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("WMS_STORAGE_SECRET", None)
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, log)
            yield url
        finally:
            print(f"app log: {log}\n{log.read_text()[-3000:]}")  # shown when the test fails
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        reason = (
            f"headless browser test needs {', '.join(missing)} "
            "(Debian packages chromium and chromium-driver)"
        )
        if in_ci():
            pytest.fail(f"{reason}; CI must run it", pytrace=False)
        pytest.skip(reason)
    options = webdriver.ChromeOptions()
    for argument in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--lang=ru-RU",  # a Russian user's browser: «2,5» is how they write a decimal
        f"--user-data-dir={tmp_path / 'chromium'}",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ru-RU,ru"})
    options.binary_location = str(CHROMIUM)
    driver = webdriver.Chrome(service=webdriver.ChromeService(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(WAIT_SECONDS)
    try:
        yield driver
    finally:
        # Shown with a failure's captured output: what the browser showed last.
        last = tmp_path / "last-page.png"
        if driver.save_screenshot(str(last)):
            print(f"last page ({driver.current_url}): {last}")
        driver.quit()


# --- what a person does and sees ---------------------------------------------------------


def wait(driver: WebDriver) -> WebDriverWait[WebDriver]:
    # Pages re-render live (a refresh, a navigation): an element read a moment ago may be
    # gone, and the next poll finds the new one.
    return WebDriverWait(
        driver,
        WAIT_SECONDS,
        poll_frequency=0.05,
        ignored_exceptions=(StaleElementReferenceException,),
    )


def visible(driver: WebDriver, xpath: str) -> WebElement:
    element: WebElement = wait(driver).until(
        ec.visibility_of_element_located((By.XPATH, xpath)),
        f"{xpath} did not appear on {driver.current_url}",
    )
    return element


def field(driver: WebDriver, label: str) -> WebElement:
    """A text field by the label a person reads (Quasar gives it as aria-label)."""
    return visible(driver, f"//input[@aria-label='{label}']")


def button(driver: WebDriver, text: str) -> WebElement:
    """A button by its text (Quasar puts it in a span of its own, beside any icon)."""
    return visible(driver, f"//button[.//span[normalize-space(.)='{text}']]")


def click(driver: WebDriver, element: WebElement) -> None:
    wait(driver).until(ec.element_to_be_clickable(element)).click()


def table_row(driver: WebDriver, cell_text: str) -> dict[str, str]:
    """The table row that has a cell reading `cell_text`, as {column header: cell text}.

    Read again when the table re-renders under the reading (a refresh after a save swaps
    its rows, leaving the elements found a moment ago stale)."""

    def read(driver: WebDriver) -> dict[str, str]:
        row = driver.find_element(By.XPATH, f"//tbody/tr[td[normalize-space(.)='{cell_text}']]")
        table = row.find_element(By.XPATH, "./ancestor::table[1]")
        # A sortable header carries its arrow icon, whose text is the icon's name.
        headers = [
            th.text.replace("arrow_upward", "").strip()
            for th in table.find_elements(By.CSS_SELECTOR, "thead th")
        ]
        cells = [td.text.strip() for td in row.find_elements(By.CSS_SELECTOR, "td")]
        return dict(zip(headers, cells, strict=False))

    visible(driver, f"//tbody/tr[td[normalize-space(.)='{cell_text}']]")
    ignored = (StaleElementReferenceException,)
    row: dict[str, str] = WebDriverWait(driver, 10, ignored_exceptions=ignored).until(read)
    return row


def open_page(driver: WebDriver, url: str, ready_xpath: str) -> None:
    driver.get(url)
    visible(driver, ready_xpath)


def drawer_shown(driver: WebDriver) -> bool | None:
    """Whether the navigation drawer is on screen; None on a page without one."""
    shown: bool | None = driver.execute_script(
        "const drawer = document.querySelector('.q-drawer');"
        "return drawer ? drawer.getBoundingClientRect().right > 0 : null;"
    )
    return shown


def resize(driver: WebDriver, size: tuple[int, int]) -> None:
    """The viewport at `size` CSS pixels, and the page settled at it: the layout reacts to a
    new width (the drawer docks or hides, rows reflow), and a click aimed at a button before
    that lands where the button was."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )
    # The navigation drawer docks at 1000 px and wider and hides below: wait for that switch.
    docked = width >= 1000
    wait(driver).until(lambda d: drawer_shown(d) in (docked, None), "the drawer did not settle")
    # Two frames, so the layout that reacted to the new size has been painted.
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "requestAnimationFrame(() => requestAnimationFrame(() => done()));"
    )


def screenshot(driver: WebDriver, name: str, size: tuple[int, int]) -> None:
    """The viewport at exactly `size` CSS pixels, once the page has settled at that size."""
    # A scan's colour flash (ui/components/feedback.py) lasts under a second: the picture
    # is after it, and the size changes after it too (a layer fading during a resize leaves
    # a smear).
    wait(driver).until(lambda d: not d.find_elements(By.CSS_SELECTOR, ".wms-scan-flash"))
    driver.execute_script(STILL_CSS)
    resize(driver, size)
    # The pointer rests on the header, not on the last button clicked (a hover pales it).
    ActionChains(driver).move_to_element(driver.find_element(By.TAG_NAME, "header")).perform()
    wait(driver).until(lambda d: d.execute_script("return document.fonts.status") == "loaded")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def screenshot_page(driver: WebDriver, url: str, name: str) -> None:
    """The page at both sizes, once it lists the product (as a table row or as a card)."""
    ready_xpath = f"//*[text()[contains(., '{SKU}')]]"
    for size in (DESKTOP, TABLET):
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False},
        )
        open_page(driver, url, ready_xpath)
        screenshot(driver, f"{name}-{size[0]}", size)


def test_manager_receives_a_scanned_product_and_sees_its_balance_grow(
    browser: WebDriver, app_url: str
) -> None:
    assert gtin_check_digit_ok(BARCODE)
    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)

    # Sign in as the admin the first start created.
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("admin")
    field(driver, "Пароль").send_keys(ADMIN_PASSWORD + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))

    # Add the product on the products page.
    open_page(driver, f"{app_url}/products", "//button[.//span[.='Добавить товар']]")
    click(driver, button(driver, "Добавить товар"))
    field(driver, "Артикул продавца").send_keys(SKU)
    field(driver, "Штрихкод").send_keys(BARCODE)
    field(driver, "Наименование").send_keys(NAME)
    click(driver, button(driver, "Сохранить"))
    wait(driver).until(lambda d: re.search(r"/products/\d+$", d.current_url))

    # Receive it: choose the operation, scan the barcode as a USB scanner types it.
    open_page(driver, f"{app_url}/operations", "//button[.//span[.='Приёмка']]")
    click(driver, button(driver, "Приёмка"))
    scan = field(driver, "Штрихкод или GTIN — отсканируйте")
    scan.send_keys(BARCODE + Keys.ENTER)
    good = visible(driver, "//div[normalize-space(text())='Годный']/following-sibling::div[1]")
    visible(driver, f"//div[normalize-space(.)='{NAME}']")
    assert good.text == "0"

    quantity = field(driver, "Количество, шт.")
    quantity.send_keys(Keys.CONTROL, "a")
    quantity.send_keys(str(RECEIVED))
    click(driver, button(driver, "Провести: Приёмка"))

    wait(driver).until(lambda _: good.text == str(RECEIVED), "the good stock shown did not grow")
    posted = visible(driver, "//div[starts-with(normalize-space(.), 'Проведено: Приёмка')]")
    assert re.fullmatch(rf"Проведено: Приёмка №\d+, {RECEIVED} шт\.", posted.text), posted.text
    screenshot(driver, "operations-1366", DESKTOP)
    screenshot(driver, "operations-800", TABLET)

    # The balances page shows the same stock.
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    open_page(driver, f"{app_url}/balances", f"//td[normalize-space(.)='{SKU}']")
    row = table_row(driver, SKU)
    # The name, and under it where the product lies: all of it still not put away.
    assert row["Наименование"].splitlines() == [NAME, f"MAIN: {RECEIVED}"]
    assert (row["Годный"], row["Брак"], row["Доступно"]) == (str(RECEIVED), "0", str(RECEIVED))

    # The journal has the receipt, by whom and how many.
    open_page(driver, f"{app_url}/journal", f"//td[contains(., '{SKU}')]")
    entry = visible(driver, f"//tbody/tr[td[contains(., '{SKU}')]]").text
    assert "Приёмка" in entry
    assert "admin" in entry.split()
    assert str(RECEIVED) in entry.split()

    for page in ("balances", "journal", "products"):
        screenshot_page(driver, f"{app_url}/{page}", page)


def test_worker_scans_a_product_on_their_home_and_sees_its_stock(
    browser: WebDriver, app_url: str, tmp_path: Path
) -> None:
    # The running app's own database (main.py created it on start): a worker and stock.
    db = Database.from_url(f"sqlite:///{tmp_path / 'data' / 'wms.sqlite3'}")
    try:
        store = SqlUserAdminStore(db.engine)
        create_user(store, "kuznetsov", "Алексей Кузнецов", "worker", "worker-password")
        with write_session(db.engine) as session:
            product = Product(sku=SKU, name=NAME, barcode=BARCODE)
            session.add(product)
            session.commit()
            assert product.id is not None
            product_id = product.id
        for operation, units in (("RECEIPT", 120), ("RECEIPT_DEFECT", 3)):
            post_movement(
                db.unit_of_work(),
                MovementRequest(operation, units, product_id=product_id),
                user_id=None,
            )
    finally:
        db.dispose()
    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("kuznetsov")
    field(driver, "Пароль").send_keys("worker-password" + Keys.ENTER)

    # Home is the lookup, and the code field has the focus: the scanner types straight in.
    scan = field(driver, "Штрихкод, GTIN, артикул или название")
    wait(driver).until(lambda d: d.switch_to.active_element == scan, "the field has no focus")
    driver.switch_to.active_element.send_keys(BARCODE + Keys.ENTER)
    visible(driver, f"//div[normalize-space(.)='{NAME}']")
    good = visible(driver, "//div[normalize-space(text())='Годный']/following-sibling::div[1]")
    assert good.text == "120"
    screenshot(driver, "worker-home-1366", DESKTOP)
    screenshot(driver, "worker-home-800", TABLET)


# --- Long texts must not push anything off the screen -----------------------------------

LONG_NAME = (
    "Плед флисовый двусторонний Домовита Премиум с бахромой и вышивкой ручной работы, "
    "150×200 см, графитовый меланж, в подарочной коробке с лентой"
)
LONG_NOTE = "https://example.com/supplier/invoices/2026-12-06/000000123456789/scan-of-the-waybill"
# What must stay on screen: the table inside its box, the page no wider than the window.
FITS = """
const middles = [...document.querySelectorAll('.q-table__middle')];
return {
  page: document.documentElement.scrollWidth - window.innerWidth,
  tables: middles.map(e => e.scrollWidth - e.clientWidth),
  buttons: [...document.querySelectorAll('button')].filter(b => {
    const r = b.getBoundingClientRect(); return r.width > 0 && r.right > window.innerWidth;
  }).map(b => b.innerText),
};
"""


def api(url: str, path: str, token: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        f"{url}/api/v1{path}",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                 "Idempotency-Key": f"e2e-{time.monotonic_ns()}"},
        method="POST",
    )  # fmt: skip
    with urllib.request.urlopen(request, timeout=WAIT_SECONDS) as answer:
        result: dict[str, object] = json.loads(answer.read())
        return result


def test_lists_fit_the_screen_however_long_the_names_and_notes(
    browser: WebDriver, app_url: str
) -> None:
    form = urllib.parse.urlencode({"username": "admin", "password": ADMIN_PASSWORD}).encode()
    with urllib.request.urlopen(f"{app_url}/api/v1/auth/token", form, timeout=30) as answer:
        token = json.loads(answer.read())["access_token"]
    fields = {"sku": "PLD-LONG-GRF-150X200", "name": LONG_NAME, "barcode": BARCODE}
    product = api(app_url, "/products", token, fields)
    for notes in (LONG_NOTE, "Поставка по договору №2026/11-ФФ-ВБ-000123456789, паллета 3 из 7"):
        movement = api(app_url, "/movements", token, {"operation_type": "RECEIPT",
                       "product_id": product["id"], "quantity": 5, "notes": notes})  # fmt: skip
    api(app_url, f"/movements/{movement['id']}/reverse", token, {"notes": "Проведено дважды"})

    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("admin")
    field(driver, "Пароль").send_keys(ADMIN_PASSWORD + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))
    pages = {"journal": "journal", "balances": "balances", "products": "products",
             "card": f"products/{product['id']}"}  # fmt: skip
    for size in (DESKTOP, TABLET):
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False},
        )
        for name, path in pages.items():
            open_page(driver, f"{app_url}/{path}", "//*[contains(., 'PLD-LONG-GRF')]")
            screenshot(driver, f"long-{name}-{size[0]}", size)
            fits = driver.execute_script(FITS)
            assert fits == {"page": 0, "tables": [0] * len(fits["tables"]), "buttons": []}, (
                name,
                size,
                fits,
            )
        # A long name or note is cut to a few lines, and its title holds the whole text.
        open_page(driver, f"{app_url}/journal", "//*[contains(., 'PLD-LONG-GRF')]")
        assert driver.find_elements(By.XPATH, f"//*[@title='{LONG_NOTE}']")
        assert driver.find_elements(By.XPATH, f"//*[@title='{LONG_NAME}']")
        # The card keeps where the goods came from or went on a tablet too.
        open_page(driver, f"{app_url}/products/{product['id']}", "//table")
        assert visible(driver, "//th[normalize-space(.)='Источник / РЦ']")


# --- the operations page as a Russian user at a packing table ----------------------------

UNKNOWN = "4600000000000"


def sign_in_and_add_the_product(driver: WebDriver, app_url: str) -> None:
    open_page(driver, f"{app_url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("admin")
    field(driver, "Пароль").send_keys(ADMIN_PASSWORD + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))
    open_page(driver, f"{app_url}/products", "//button[.//span[.='Добавить товар']]")
    click(driver, button(driver, "Добавить товар"))
    field(driver, "Артикул продавца").send_keys(SKU)
    field(driver, "Штрихкод").send_keys(BARCODE)
    field(driver, "Наименование").send_keys(NAME)
    click(driver, button(driver, "Сохранить"))
    wait(driver).until(lambda d: re.search(r"/products/\d+$", d.current_url))


def scan_code(driver: WebDriver, code: str) -> None:
    scan = field(driver, "Штрихкод или GTIN — отсканируйте")
    scan.send_keys(Keys.CONTROL, "a")
    scan.send_keys(code + Keys.ENTER)


def signals(driver: WebDriver) -> list[dict[str, object]]:
    """The flashes and beeps played so far (ui/components/feedback.py records them)."""
    played: list[dict[str, object]] = driver.execute_script("return window.wmsScanSignals || []")
    return played


def replace_text(driver: WebDriver, element: WebElement, text: str, *, paste: bool) -> None:
    element.send_keys(Keys.CONTROL, "a", Keys.BACKSPACE)
    wait(driver).until(lambda _: element.get_attribute("value") == "", "the field did not clear")
    if not paste:
        element.send_keys(text)
        return
    # A real paste: the text on the system clipboard, then Ctrl+V.
    driver.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "navigator.clipboard.writeText(arguments[0]).then(() => done(), () => done());",
        text,
    )
    element.send_keys(Keys.CONTROL, "v")


def post_click(driver: WebDriver, label: str) -> None:
    """Click a post button as a person does: the button drops a second click within a
    second of the first (the double-click guard), so a fast test waits that out."""
    time.sleep(1.1)
    click(driver, button(driver, label))


def good_stock(driver: WebDriver) -> str:
    return visible(driver, "//div[normalize-space(text())='Годный']/following-sibling::div[1]").text


def test_a_decimal_comma_is_refused_and_scans_flash_and_beep(
    browser: WebDriver, app_url: str
) -> None:
    driver = browser
    driver.set_script_timeout(WAIT_SECONDS)
    assert driver.execute_script("return navigator.language") == "ru-RU"
    sign_in_and_add_the_product(driver, app_url)
    open_page(driver, f"{app_url}/operations", "//button[.//span[.='Приёмка']]")
    click(driver, button(driver, "Приёмка"))

    # An unknown barcode: a red banner that stays, a flash and the «not found» buzz.
    scan_code(driver, UNKNOWN)
    visible(
        driver, f"//div[normalize-space(.)='Товар со штрихкодом или GTIN «{UNKNOWN}» не найден']"
    )
    visible(driver, "//*[@data-kind='error']")
    button(driver, "Создать товар с этим штрихкодом")  # offered to the admin
    wait(driver).until(lambda d: [s["kind"] for s in signals(d)] == ["error"])
    screenshot(driver, "operations-wrong-scan-1366", DESKTOP)
    screenshot(driver, "operations-wrong-scan-800", TABLET)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # «2,5», typed and pasted, is refused with a message, and nothing is posted.
    scan_code(driver, BARCODE)
    visible(driver, f"//div[normalize-space(.)='{NAME}']")
    quantity = field(driver, "Количество, шт.")
    message = "Количество — целое число штук, без запятой и точки: «2,5» не подходит"
    for paste in (False, True):
        replace_text(driver, quantity, "2,5", paste=paste)
        wait(driver).until(lambda _: quantity.get_attribute("value") == "2,5")
        post_click(driver, "Провести: Приёмка")
        visible(driver, f"//div[contains(@class, 'bg-red-1')][normalize-space(.)='{message}']")
        time.sleep(0.5)  # a post would have answered by now
        assert good_stock(driver) == "0", "«2,5» was posted" + (" (pasted)" if paste else "")

    # A whole number posts: the «done» chirp, a different sound from the buzz.
    replace_text(driver, quantity, "105", paste=False)
    post_click(driver, "Провести: Приёмка")
    wait(driver).until(lambda _: good_stock(driver) == "105", "the receipt was not posted")
    wait(driver).until(lambda d: [s["kind"] for s in signals(d)] == ["error", "done"])
    buzz, chirp = (s["tones"] for s in signals(driver))
    assert buzz != chirp

    # Inventory: the count is entered, the page shows the difference it will post.
    click(driver, button(driver, "Инвентаризация"))
    scan_code(driver, BARCODE)
    counted = field(driver, "Посчитано, шт.")
    replace_text(driver, counted, "100", paste=False)
    visible(driver, "//div[normalize-space(.)='−5 недостача']")
    wait(driver).until(  # the receipt's toast has gone: the picture shows the form
        ec.invisibility_of_element_located((By.CSS_SELECTOR, ".q-notification"))
    )
    screenshot(driver, "operations-inventory-1366", DESKTOP)
    screenshot(driver, "operations-inventory-800", TABLET)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    field(driver, "Причина (обязательно)").send_keys("Пересчёт стеллажа")
    click(driver, button(driver, "Провести: Инвентаризация"))
    wait(driver).until(lambda _: good_stock(driver) == "100", "the count was not posted")
