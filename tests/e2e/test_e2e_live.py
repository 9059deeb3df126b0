"""Live updates across app processes, in a real browser: two `main.py` servers on one
database (as behind a reverse proxy); a manager has /balances open on process A, another
program posts a movement through process B's REST API, and A's page shows the new
balance within 2 seconds — without losing its scroll position or the focused field.

PostgreSQL (LISTEN/NOTIFY; a throwaway database on the server of WMS_TEST_POSTGRES_URL)
and SQLite (one file, PRAGMA data_version). Also the header's low-stock count, and
screenshots of it and of /alerts at both screen sizes, light and dark (into the folder
tests/e2e/test_e2e_browser.py uses: WMS_SCREENSHOTS_DIR or a temporary one).
"""

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.api_client import barcode
from tests.conftest import POSTGRES_URL
from tests.e2e.test_e2e_browser import (  # the app as it ships, and a person in Chromium
    DESKTOP,
    ROOT,
    TABLET,
    browser,  # noqa: F401  (a fixture)
    click,
    field,
    free_port,
    in_ci,
    open_page,
    screenshot,
    table_row,
    visible,
    wait,
    wait_healthy,
)

# Bounds in seconds: alone under pytest-xdist (conftest).
pytestmark = [pytest.mark.e2e, pytest.mark.serial]

ADMIN_PASSWORD = "e2e-live-admin-password"
LIVE_LIMIT_SECONDS = 2.0  # the issue: open pages refresh within 2 s after any movement
SKU = "LIVE-001"
NAME = "Аа живой остаток"  # sorts first: its row is on the first page


@contextmanager
def running_app(tmp_path: Path, name: str, database_url: str) -> Iterator[str]:
    """`main.py` in its own process on a free port, on `database_url`; its base URL."""
    port = free_port()
    home = tmp_path / name
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NICEGUI_"))},
        "WMS_DATA_DIR": str(home / "data"),
        "WMS_DATABASE_URL": database_url,
        "WMS_HOST": "127.0.0.1",
        "WMS_PORT": str(port),
        "WMS_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "NICEGUI_STORAGE_PATH": str(home / "nicegui"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("WMS_STORAGE_SECRET", None)
    home.mkdir(parents=True)
    log = home / "app.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            url = f"http://127.0.0.1:{port}"
            wait_healthy(url, process, log)
            yield url
        finally:
            print(f"{name} log: {log}\n{log.read_text()[-3000:]}")
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A new, empty database on the test server; dropped afterwards."""
    if not POSTGRES_URL:
        if in_ci():
            pytest.fail("WMS_TEST_POSTGRES_URL is not set; CI must run this", pytrace=False)
        pytest.skip("WMS_TEST_POSTGRES_URL is not set")
    url = sa.make_url(POSTGRES_URL)
    name = f"wms_e2e_live_{uuid.uuid4().hex[:10]}"
    server = url.set(drivername="postgresql", database="postgres")
    admin = server.render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'shared.sqlite3'}"
        return
    with throwaway_postgres() as url:
        yield url


class Api:
    """Another program on process B's REST API."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=f"{base_url}/api/v1", timeout=20)
        answer = self.http.post(
            "/auth/token", data={"username": "admin", "password": ADMIN_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def product(self, sku: str, name: str, min_stock: int) -> int:
        body = {"sku": sku, "name": name, "barcode": barcode(), "min_stock": min_stock}
        answer = self.http.post("/products", json=body)
        assert answer.status_code == 201, answer.text
        return int(answer.json()["id"])

    def move(self, operation_type: str, product_id: int, quantity: int, **extra: object) -> None:
        body = {"operation_type": operation_type, "product_id": product_id, "quantity": quantity}
        answer = self.http.post("/movements", json={**body, **extra})
        assert answer.status_code == 201, answer.text

    def distribution_center(self) -> int:
        answer = self.http.get("/distribution-centers")
        assert answer.status_code == 200, answer.text
        return int(answer.json()["items"][0]["id"])


def sign_in(driver: WebDriver, url: str) -> None:
    open_page(driver, f"{url}/login", "//input[@aria-label='Имя пользователя']")
    field(driver, "Имя пользователя").send_keys("admin")
    field(driver, "Пароль").send_keys(ADMIN_PASSWORD + Keys.ENTER)
    wait(driver).until(lambda d: not d.current_url.rstrip("/").endswith("/login"))


def good_of(driver: WebDriver, sku: str) -> str:
    return table_row(driver, sku)["Годный"]


def low_stock_badge(driver: WebDriver) -> str | None:
    """The number on the header's bell, or None when none is shown."""
    badges = driver.find_elements(By.CSS_SELECTOR, "header .q-btn .q-badge")
    shown = [b.text.strip() for b in badges if b.is_displayed()]
    return shown[0] if shown else None


def seconds_until(driver: WebDriver, check: object, message: str) -> float:
    started = time.monotonic()
    wait(driver).until(lambda d: check(d), message)  # type: ignore[operator]
    return time.monotonic() - started


def test_a_movement_posted_through_another_process_shows_within_two_seconds(
    browser: WebDriver,  # noqa: F811
    database_url: str,
    tmp_path: Path,
) -> None:
    driver = browser
    with (
        running_app(tmp_path, "a", database_url) as app_a,
        running_app(tmp_path, "b", database_url) as app_b,
    ):
        api = Api(app_b)
        live = api.product(SKU, NAME, min_stock=30)
        api.move("RECEIPT", live, 10)
        # Enough other products that the page scrolls.
        for number in range(19):
            api.product(f"LIVE-{number + 2:03d}", f"Товар для прокрутки {number:02d}", 0)

        sign_in(driver, app_a)
        open_page(driver, f"{app_a}/balances", f"//td[normalize-space(.)='{SKU}']")
        assert good_of(driver, SKU) == "10"
        wait(driver).until(lambda d: low_stock_badge(d) == "1", "the header does not count it")
        search = field(driver, "Поиск: штрихкод, артикул или название")
        search.click()
        driver.execute_script("window.scrollTo(0, 150)")
        scrolled = driver.execute_script("return window.scrollY")
        assert scrolled > 0, "the page does not scroll: not enough rows to test it"

        api.move("RECEIPT", live, 5)  # process B; process A's page is not told directly
        seconds = seconds_until(
            driver, lambda d: good_of(d, SKU) == "15", "A's page never showed the receipt"
        )
        print(f"{database_url.split(':')[0]}: A showed B's movement after {seconds:.2f} s")
        assert seconds < LIVE_LIMIT_SECONDS
        assert driver.execute_script("return window.scrollY") == scrolled
        assert driver.switch_to.active_element == search, "the refresh took the focus"

        api.move("RECEIPT", live, 20)  # 35 ≥ 30: no longer below its minimum
        # The header's count and the table refresh separately: wait for both.
        seconds = seconds_until(
            driver,
            lambda d: low_stock_badge(d) is None and good_of(d, SKU) == "35",
            "the header still counts it, or the table still shows the old balance",
        )
        assert seconds < LIVE_LIMIT_SECONDS


# --- screenshots: the header's count and /alerts ---------------------------------------


def stock_alerts(api: Api) -> None:
    """A dozen products below their minimum: some about to run out, some not shipped for
    a month."""
    dc = api.distribution_center()
    products = (  # name, minimum, received, shipped to a DC
        ("Футболка хлопковая мужская, синяя, L", 40, 30, 25),
        ("Кружка керамическая 350 мл, белая", 50, 40, 36),
        ("Носки спортивные, 3 пары, 41–43", 60, 25, 10),
        ("Кепка бейсбольная, чёрная", 70, 41, 0),
        ("Рюкзак городской 20 л, серый", 80, 60, 20),
        ("Термос стальной 0,5 л", 90, 12, 12),
        ("Зарядное устройство USB-C 20 Вт", 100, 95, 40),
        ("Чехол для телефона, прозрачный", 110, 69, 0),
        ("Коврик для йоги 183 × 61 см", 120, 70, 3),
        ("Бутылка для воды 750 мл", 130, 150, 90),
        ("Лампа настольная светодиодная", 140, 67, 1),
        ("Плед флисовый 150 × 200 см", 150, 97, 0),
    )
    for number, (name, minimum, received, shipped) in enumerate(products):
        product = api.product(f"ALR-{number + 1:03d}", name, min_stock=minimum)
        api.move("RECEIPT", product, received)
        if shipped:
            api.move("SHIPMENT_RC", product, shipped, distribution_center_id=dc)


def switch_dark_mode(driver: WebDriver) -> None:
    click(driver, visible(driver, "//header//button[@aria-label='Settings']"))
    click(driver, visible(driver, "//div[contains(@class, 'q-item')][contains(., 'Тёмная тема')]"))
    wait(driver).until(
        # the switch reloads the page: read the new body, never hold the old one
        lambda d: "body--dark" in d.execute_script("return document.body.className"),
        "the page did not turn dark",
    )


def test_screenshots_of_the_low_stock_count_and_alerts(
    browser: WebDriver,  # noqa: F811
    tmp_path: Path,
) -> None:
    driver = browser
    with running_app(tmp_path, "app", f"sqlite:///{tmp_path / 'wms.sqlite3'}") as url:
        stock_alerts(Api(url))
        sign_in(driver, url)
        for theme in ("light", "dark"):
            if theme == "dark":
                switch_dark_mode(driver)
            for size in (DESKTOP, TABLET):
                driver.execute_cdp_cmd(
                    "Emulation.setDeviceMetricsOverride",
                    {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False},
                )
                open_page(driver, f"{url}/alerts", "//td[normalize-space(.)='ALR-001']")
                wait(driver).until(lambda d: low_stock_badge(d) == "12", "no count in the header")
                screenshot(driver, f"alerts-{size[0]}-{theme}", size)
                open_page(driver, f"{url}/balances", "//td[normalize-space(.)='ALR-001']")
                screenshot(driver, f"balances-badge-{size[0]}-{theme}", size)
