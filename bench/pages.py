"""How long a user waits on the big pages, measured in headless Chromium, on PostgreSQL and SQLite.

Run from the project root (the first run generates the data, about a minute per backend):

    uv run python -m bench.pages                 # 50,000 products, 1,000,000 movements
    uv run python -m bench.pages --runs 9 --backends postgres
    uv run python -m bench.pages --regenerate    # drop the databases and generate again

For each backend the app is started from main.py as a subprocess on the prepared database
(WMS_DATABASE_URL), a headless Chromium signs in and:

- opens /products, /balances, /journal and /operations; "first page" is the time from
  navigation start until the first table row (the scan field on /operations) is in the
  page, read from the browser's own clock;
- changes a search or a filter and waits until the table shows exactly the expected
  answer (its first row, its row count and the "found" total, computed here with the same
  data read-query calls the page makes); the time is from the user's last key press or click
  (recorded in the page, capture phase) to the DOM mutation that completed the answer;
- scans a barcode on /operations (the scanner types the code and Enter) and waits until
  the product's name and stock are shown.

Every measurement is taken on a freshly opened page, `--runs` times after one warm-up;
the table shows medians. Next to each browser time stands the median time of the
data read-query calls behind it, measured in this process against the same database
(for reference: the difference is NiceGUI, the network and the browser).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bench.generate import generate
from core.settings import PROJECT_ROOT
from core.users.accounts import create_user, reset_password
from data.catalog.queries import (
    distribution_centers,
    product_by_code,
    product_options,
    products,
    sources,
)
from data.db import create_engine
from data.stock.journal import JournalFilter, journal
from data.stock.locations import internal_locations
from data.stock.queries import product_stock, summary
from data.users.queries import users
from data.users.store import SqlUserAdminStore
from ui.pages.catalog.products import fetch_products
from ui.pages.stock.balances import fetch_balances
from ui.pages.stock.journal_filters import Filters

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_pagebench"
DEFAULT_SQLITE_PATH = "/tmp/pagebench/wms.sqlite3"
USERNAME = "pagebench"  # a manager of its own: the admin's password is not ours to know
PASSWORD = "pagebench-password-1"
TIME_ZONE = "Europe/Moscow"  # the app's default; journal days are local days
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
TIMEOUT = 15.0  # seconds to wait for any one answer before the run counts as failed

# Installed before any page script: records the user's last Enter / key / click and the
# moment a condition on the DOM first holds (checked on every DOM mutation).
IN_PAGE = r"""
(() => {
  const B = window.__bench =
    {t0: null, t1: null, msg: null, cond: null, anyKey: false, loaded: null};
  const LOADED = ".q-table tbody tr, input[aria-label^='Штрихкод или GTIN']";
  const mark = (e) => {
    if (B.t1 !== null) return;
    if (e.type === 'click' || e.key === 'Enter' || B.anyKey) B.t0 = performance.now();
  };
  document.addEventListener('keydown', mark, true);
  document.addEventListener('click', mark, true);
  B.check = () => {
    if (B.loaded === null && document.querySelector(LOADED)) B.loaded = performance.now();
    if (B.cond && B.t1 === null) {
      let ok = false;
      try { ok = B.cond(); } catch (e) { ok = false; }
      if (ok) B.t1 = performance.now();
    }
  };
  B.arm = (source, anyKey) => {
    B.t0 = null; B.t1 = null; B.msg = null; B.anyKey = !!anyKey;
    B.cond = new Function('return (' + source + ')')();
    B.check();
    return B.t1 === null;  // false: the page already shows the answer (a broken scenario)
  };
  B.label = (prefix) => [...document.querySelectorAll('div')]
    .find((e) => e.childElementCount === 0 && e.textContent.startsWith(prefix));
  B.digits = (text) => (text || '').replace(/\D/g, '');
  // Called once the websocket is up: the arrival of the server's last update before the
  // answer showed (socket.io calls catch-all listeners before the page's own handler).
  B.listen = () => window.socket.onAny((event) => {
    if (event === 'update' && B.t1 === null) B.msg = performance.now();
  });
  new MutationObserver(B.check).observe(document,
    {subtree: true, childList: true, characterData: true, attributes: true});
})();
"""


def table_shows(table: str, first_cell: str, rows: int, label: str, total: int) -> str:
    """JS condition: the table's first cell, its row count and the total label match."""
    return f"""() => {{
      const trs = document.querySelectorAll({json.dumps(table + " tbody tr")});
      if (trs.length !== {rows}) return false;
      const td = trs[0].querySelector('td');
      if (!td || td.textContent.trim() !== {json.dumps(first_cell)}) return false;
      const lab = __bench.label({json.dumps(label)});
      return !!lab && __bench.digits(lab.textContent) === {json.dumps(str(total))};
    }}"""


def option_shown(text: str) -> str:
    return f"""() => [...document.querySelectorAll('.q-menu .q-item')]
      .some((e) => e.textContent.includes({json.dumps(text)}))"""


def product_shown(name: str, good: int) -> str:
    return f"""() => {{
      const lab = [...document.querySelectorAll('div')]
        .find((e) => e.childElementCount === 0 && e.textContent === {json.dumps(name)}
                     && e.offsetParent !== null);
      if (!lab) return false;
      const tile = document.querySelector('.text-h5.text-weight-medium');
      return !!tile && __bench.digits(tile.textContent) === {json.dumps(str(good))};
    }}"""


# ---------------------------------------------------------------- the app and the browser


class App:
    """main.py in a subprocess on one database and port; stopped by its own pid only."""

    def __init__(
        self, name: str, url: str, port: int, workdir: Path, cwd: Path = PROJECT_ROOT
    ) -> None:
        self.base = f"http://127.0.0.1:{port}"
        data_dir = workdir / f"app-{name}"
        data_dir.mkdir(parents=True, exist_ok=True)
        # Not pytest's variables: NiceGUI reads them as "run under its test harness".
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")},
            "WMS_DATABASE_URL": url,
            "WMS_PORT": str(port),
            "WMS_HOST": "127.0.0.1",
            "WMS_DATA_DIR": str(data_dir),
        }
        self.log_path = workdir / f"app-{name}.log"
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "main.py"], cwd=cwd, env=env, stdout=self._log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.close()
                tail = self.log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the app exited; {self.log_path} ends:\n{tail}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the app did not start; see {self.log_path}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class Browser:
    def __init__(self, base: str) -> None:
        self.base = base
        options = webdriver.ChromeOptions()
        for arg in ("--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--disable-component-update",
                    "--no-first-run", "--window-size=1366,768"):  # fmt: skip
            options.add_argument(arg)
        options.binary_location = CHROMIUM
        self.d = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
        self.d.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": IN_PAGE})
        self.render_ms = float("nan")

    def sign_in(self) -> None:
        d = self.d
        d.get(self.base + "/login")
        self._until(lambda: d.find_elements(By.CSS_SELECTOR, "input[type=password]"))
        d.find_element(By.CSS_SELECTOR, "input[aria-label='Имя пользователя']").send_keys(USERNAME)
        d.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(PASSWORD + "\n")
        self._until(lambda: "/login" not in d.current_url)

    def _until(self, probe: Callable[[], Any], timeout: float = TIMEOUT) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = probe()
            if value:
                return value
            time.sleep(0.01)
        raise TimeoutError("the page did not answer in time")

    def open(self, path: str) -> tuple[float, float]:
        """Open `path`; (ms from navigation start to the first row, ms to first byte)."""
        self.d.get(self.base + path)
        loaded = self._until(
            lambda: self.d.execute_script("return window.__bench && window.__bench.loaded")
        )
        ttfb = self.d.execute_script(
            "return performance.getEntriesByType('navigation')[0].responseStart"
        )
        # Let the websocket connect before anything is typed: an event needs it.
        self._until(lambda: self.d.execute_script("return window.socket && socket.connected"))
        self.d.execute_script("__bench.listen()")
        return float(loaded), float(ttfb)

    def act(self, condition: str, action: Callable[[], None], *, any_key: bool = False) -> float:
        """ms from the last key press / click of `action` until `condition` holds; the
        part after the server's last update arrived goes to `self.render_ms`."""
        if not self.d.execute_script("return __bench.arm(arguments[0], arguments[1])",
                                     condition, any_key):  # fmt: skip
            raise RuntimeError("the page already showed the expected answer before the action")
        action()
        self._until(lambda: self.d.execute_script("return __bench.t1 !== null"))
        t0, t1, msg = self.d.execute_script("return [__bench.t0, __bench.t1, __bench.msg]")
        self.render_ms = float(t1) - float(msg) if msg is not None else float("nan")
        return float(t1) - float(t0)

    def wait_for(self, condition: str) -> None:
        self._until(lambda: self.d.execute_script(f"return ({condition})()"))

    def find(self, css: str) -> Any:
        return self._until(lambda: self.d.find_elements(By.CSS_SELECTOR, css))[0]

    def click_option(self, text: str) -> None:
        def option() -> Any:
            for item in self.d.find_elements(By.CSS_SELECTOR, ".q-menu .q-item"):
                if text in item.text:
                    return item
            return None

        self._until(option).click()

    def quit(self) -> None:
        self.d.quit()


# ---------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    name: str
    target_ms: float | None  # None: shown for information
    path: str
    server: Callable[[], Any]  # the data read-query calls behind the answer; returns it
    # (browser, expected answer) → ms; None for a first-page measurement
    measure: Callable[[Browser, Any], float] | None = None


@dataclass
class Result:
    browser: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    ttfb: list[float] = field(default_factory=list)
    render: list[float] = field(default_factory=list)  # browser's share after the last update
    target_ms: float | None = None
    is_page: bool = False
    error: str | None = None


SEARCH_INPUT = "input[aria-label='Поиск: штрихкод, артикул или название']"
SCAN_INPUT = "input[aria-label^='Штрихкод или GTIN']"
PICKER_INPUT = "input[aria-label='Товар: название, артикул, штрихкод']"


@dataclass(frozen=True)
class Sample:
    """Real values from the database the scenarios use."""

    popular_id: int  # the product with the most movements
    popular_sku: str
    popular_barcode: str
    popular_name: str
    gtin: str  # some product's GTIN-14
    sku: str  # some product's full SKU
    barcode: str  # some product's barcode
    name_word: str
    balance_word: str
    period_from: date
    period_to: date


def sample_values(engine: sa.Engine) -> Sample:
    with engine.connect() as conn:
        popular_id = conn.execute(
            sa.text(
                "SELECT product_id FROM movement GROUP BY product_id ORDER BY count(*) DESC, "
                "product_id LIMIT 1"
            )
        ).scalar_one()
        sku, barcode, name = conn.execute(
            sa.text("SELECT sku, barcode, name FROM product WHERE id = :i"), {"i": popular_id}
        ).one()
        gtin = conn.execute(
            sa.text(
                "SELECT gtin FROM product WHERE gtin IS NOT NULL AND NOT is_deleted "
                "ORDER BY id LIMIT 1 OFFSET 1000"
            )
        ).scalar_one()
        other_sku, other_barcode = conn.execute(
            sa.text("SELECT sku, barcode FROM product WHERE NOT is_deleted ORDER BY id "
                    "LIMIT 1 OFFSET 12345")
        ).one()  # fmt: skip
    today = date.today()
    return Sample(
        popular_id, sku, barcode, name, gtin, other_sku, other_barcode, "футболка", "кружка",
        today - timedelta(days=30), today - timedelta(days=20),
    )  # fmt: skip


def scenarios(engine: sa.Engine, s: Sample) -> list[Scenario]:
    e = engine
    product_kw = {"deleted": False, "sort": "name", "descending": False, "limit": 20, "offset": 0}
    journal_size = 25

    def products_answer(q: str) -> Any:
        return fetch_products(e, q=q, **product_kw)

    def balances_answer(q: str = "", low_only: bool = False) -> Any:
        return fetch_balances(e, q=q, low_only=low_only, limit=20, offset=0)

    def journal_answer(flt: Filters) -> Any:
        return journal(e, flt.journal_filter(TIME_ZONE), limit=journal_size)

    def products_shown(page: Any) -> str:
        first = page.items[0]["sku"]
        return table_shows(".products-table", first, len(page.items), "Найдено товаров", page.total)

    def balances_shown(page: Any) -> str:
        first = page.items[0]["sku"]
        return table_shows(".balances-table", first, len(page.items), "Товаров:", page.total)

    def journal_shown(page: Any) -> str:
        first = str(page.items[0]["id"])
        return table_shows(".q-table", first, len(page.items), "Найдено операций", page.total)

    def search(css: str, text: str, shown: Callable[[Any], str], *, enter: bool = True) -> Any:
        def run(b: Browser, page: Any) -> float:
            field = b.find(css)
            return b.act(
                shown(page), lambda: field.send_keys(text + (Keys.ENTER if enter else "")),
                any_key=not enter,
            )  # fmt: skip

        return run

    def low_switch(b: Browser, page: Any) -> float:
        switch = b.find("div[role=switch]")
        return b.act(balances_shown(page), switch.click)

    def operation_filter(b: Browser, page: Any) -> float:
        def choose() -> None:
            b.find("input[aria-label='Операция']").click()
            b.click_option("Списание в брак")

        return b.act(journal_shown(page), choose)

    def picker_options(b: Browser, _page: Any) -> float:
        field = b.find(PICKER_INPUT)
        return b.act(option_shown(s.popular_sku), lambda: field.send_keys(s.popular_sku),
                     any_key=True)  # fmt: skip

    def product_filter(b: Browser, page: Any) -> float:
        b.find(PICKER_INPUT).send_keys(s.popular_sku)
        b.wait_for(option_shown(s.popular_sku))
        return b.act(journal_shown(page), lambda: b.click_option(s.popular_sku))

    def period_filter(b: Browser, page: Any) -> float:
        first = journal_answer(Filters(date_from=s.period_from))
        b.act(
            journal_shown(first),
            lambda: b.find("input[aria-label='С даты']").send_keys(
                s.period_from.strftime("%d.%m.%Y")
            ),
            any_key=True,
        )
        return b.act(
            journal_shown(page),
            lambda: b.find("input[aria-label='По дату']").send_keys(
                s.period_to.strftime("%d.%m.%Y")
            ),
            any_key=True,
        )

    def scan_answer(code: str) -> dict[str, Any]:
        product = product_by_code(e, code)
        assert product is not None
        return {**product, **product_stock(e, product["id"])}

    def scan(code: str) -> Callable[[Browser, Any], float]:
        def run(b: Browser, product: Any) -> float:
            field = b.find(SCAN_INPUT)
            return b.act(product_shown(product["name"], product["good"]),
                         lambda: field.send_keys(code + Keys.ENTER))  # fmt: skip

        return run

    def journal_page() -> Any:
        internal_locations(e)
        users(e)
        sources(e)
        distribution_centers(e)
        products(e, q=None, deleted=None, limit=20)
        return journal(e, JournalFilter(), limit=journal_size)

    def operations_page() -> Any:
        sources(e, active_only=True)
        distribution_centers(e, active_only=True)
        internal_locations(e)
        return products(e, q=None, deleted=False, limit=20)

    period = Filters(date_from=s.period_from, date_to=s.period_to)
    return [
        Scenario("products: first page", 1000, "/products", lambda: products_answer("")),
        Scenario("balances: first page (with totals)", 1000, "/balances",
                 lambda: (balances_answer(), summary(e))),
        Scenario("journal: first page", 1000, "/journal", journal_page),
        Scenario("operations: page", 1000, "/operations", operations_page),
        Scenario(f"products: search name «{s.name_word}» + Enter", 300, "/products",
                 lambda: products_answer(s.name_word),
                 search(SEARCH_INPUT, s.name_word, products_shown)),
        Scenario(f"products: same, typed (incl. {300} ms debounce)", None, "/products",
                 lambda: products_answer(s.name_word),
                 search(SEARCH_INPUT, s.name_word, products_shown, enter=False)),
        Scenario("products: search SKU + Enter", 300, "/products",
                 lambda: products_answer(s.sku), search(SEARCH_INPUT, s.sku, products_shown)),
        Scenario("products: search barcode + Enter", 300, "/products",
                 lambda: products_answer(s.barcode),
                 search(SEARCH_INPUT, s.barcode, products_shown)),
        Scenario("balances: low-stock switch", 300, "/balances",
                 lambda: balances_answer(low_only=True), low_switch),
        Scenario(f"balances: search «{s.balance_word}» + Enter", 300, "/balances",
                 lambda: balances_answer(q=s.balance_word),
                 search(SEARCH_INPUT, s.balance_word, balances_shown)),
        Scenario("balances: search barcode + Enter", 300, "/balances",
                 lambda: balances_answer(q=s.barcode),
                 search(SEARCH_INPUT, s.barcode, balances_shown)),
        Scenario("journal: filter by operation", 300, "/journal",
                 lambda: journal_answer(Filters(operation_type="WRITE_OFF")), operation_filter),
        Scenario("journal: product picker, typed SKU → options", 300, "/journal",
                 lambda: product_options(e, q=s.popular_sku, deleted=None), picker_options),
        Scenario("journal: filter by product (busiest)", 300, "/journal",
                 lambda: journal_answer(Filters(product_id=s.popular_id)), product_filter),
        Scenario("journal: filter by period (10 days)", 300, "/journal",
                 lambda: journal_answer(period), period_filter),
        Scenario("operations: scan barcode → product", 150, "/operations",
                 lambda: scan_answer(s.popular_barcode), scan(s.popular_barcode)),
        Scenario("operations: scan GTIN-14 → product", 150, "/operations",
                 lambda: scan_answer(s.gtin), scan(s.gtin)),
    ]  # fmt: skip


def ensure_bench_user(engine: sa.Engine) -> None:
    """The benchmark's own manager, through core's user use cases."""
    store = SqlUserAdminStore(engine)
    existing = next((u for u in users(engine) if u["username"] == USERNAME), None)
    if existing is None:
        create_user(store, USERNAME, "Замер страниц", "manager", PASSWORD)
    else:
        reset_password(store, existing["id"], PASSWORD)


def run_backend(
    name: str, url: str, port: int, workdir: Path, runs: int, only: str | None
) -> dict[str, Result]:
    engine = create_engine(url)
    ensure_bench_user(engine)
    sample = sample_values(engine)
    chosen = [sc for sc in scenarios(engine, sample) if not only or only in sc.name]
    results = {sc.name: Result(target_ms=sc.target_ms, is_page=sc.measure is None) for sc in chosen}
    # Server-side times first, while nothing else runs; the answers become expectations.
    expected: dict[str, Any] = {}
    for sc in chosen:
        sc.server()  # warm-up: connections, statement caches, the database's own cache
        for _ in range(runs):
            t = time.perf_counter()
            expected[sc.name] = sc.server()
            results[sc.name].server.append((time.perf_counter() - t) * 1000)
    engine.dispose()
    app = App(name, url, port, workdir)
    browser = Browser(app.base)
    try:
        browser.sign_in()
        for sc in chosen:
            print(f"  {name}: {sc.name}", file=sys.stderr, flush=True)
            result = results[sc.name]
            try:
                for i in range(runs + 1):  # the first is a warm-up
                    loaded, ttfb = browser.open(sc.path)
                    ms = loaded if sc.measure is None else sc.measure(browser, expected[sc.name])
                    if i:
                        result.browser.append(ms)
                        result.ttfb.append(ttfb)
                        if sc.measure is not None:
                            result.render.append(browser.render_ms)
            except (TimeoutError, RuntimeError, WebDriverException) as error:
                result.error = f"{type(error).__name__}: {str(error).splitlines()[0]}"
                browser.d.save_screenshot(str(workdir / f"failed-{name}.png"))
    finally:
        browser.quit()
        app.stop()
    return results


# ---------------------------------------------------------------- data and report


def ensure_data(name: str, url: str, products_n: int, movements_n: int, regenerate: bool) -> None:
    """Reuse a database that has exactly this much data; otherwise (re)generate it."""
    u = sa.engine.make_url(url)
    if not regenerate:
        try:
            engine = create_engine(url)
            with engine.connect() as conn:
                counts = conn.execute(
                    sa.text(
                        "SELECT (SELECT count(*) FROM product), (SELECT count(*) FROM movement)"
                    )
                ).one()
            engine.dispose()
            if tuple(counts) == (products_n, movements_n):
                print(f"{name}: reusing {products_n:,} products, {movements_n:,} movements")
                return
            if counts[0]:
                sys.exit(f"{name}: {url} holds other data {tuple(counts)}; use --regenerate")
        except sa.exc.SQLAlchemyError:
            pass  # no database or no schema yet
    if u.get_backend_name() == "sqlite":
        path = Path(str(u.database))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
    else:
        admin = sa.create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{u.database}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{u.database}"')
        admin.dispose()
    print(f"{name}: generating {products_n:,} products, {movements_n:,} movements …", flush=True)
    result = generate(url, products=products_n, movements=movements_n)
    print(f"{name}: generated in {result.seconds['total']:.0f} s")


def median(values: list[float]) -> str:
    values = [v for v in values if v == v]  # NaN: no update message was seen
    return f"{statistics.median(values):.0f}" if values else "—"


def report(all_results: dict[str, dict[str, Result]], runs: int) -> None:
    backends = list(all_results)
    names = list(next(iter(all_results.values())))
    width = max(len(n) for n in names) + 2
    head = f"{'scenario':<{width}}{'target':>7}"
    for b in backends:
        head += f" | {b:>8} {'split':>6} {'server':>6}"
    print(f"\nmedians of {runs} runs (each on a freshly opened page, after one warm-up), ms")
    print("  <backend>: what the user waits for, in the browser (✗ over target, ! failed)")
    print("  split: first page: first byte of the HTML (the app building the page);")
    print("         search/filter/scan: the browser's share after the app's last update arrived")
    print("  server: the data read-query calls behind it, timed in this process")
    print(head)
    print("-" * len(head))
    misses = []
    for name in names:
        target = all_results[backends[0]][name].target_ms
        line = f"{name:<{width}}{(f'{target:.0f}' if target else '—'):>7}"
        for b in backends:
            r = all_results[b][name]
            mark = " "
            if r.error:
                mark = "!"
            elif target and r.browser and statistics.median(r.browser) > target:
                mark = "✗"
                misses.append(f"{b}: {name}")
            split = r.ttfb if r.is_page else r.render
            line += f" | {median(r.browser):>7}{mark} {median(split):>6} {median(r.server):>6}"
        print(line)
    for b in backends:
        for name, r in all_results[b].items():
            if r.error:
                print(f"! {b}: {name}: {r.error}")
    print("\nmissed targets: " + (", ".join(misses) if misses else "none"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE_PATH)
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--products", type=int, default=50_000)
    parser.add_argument("--movements", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=8110, help="PostgreSQL app; SQLite: +1")
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists() or not shutil.which(CHROMEDRIVER):
        sys.exit("headless Chromium and chromedriver are needed")
    workdir = Path(args.sqlite_path).parent
    workdir.mkdir(parents=True, exist_ok=True)
    urls = {"postgres": args.pg_url, "sqlite": f"sqlite:///{args.sqlite_path}"}
    ports = {"postgres": args.port, "sqlite": args.port + 1}
    wanted = [b.strip() for b in args.backends.split(",") if b.strip()]
    for b in wanted:
        ensure_data(b, urls[b], args.products, args.movements, args.regenerate)
    results: dict[str, dict[str, Result]] = {}
    for b in wanted:
        print(f"{b}: measuring …", flush=True)
        results[b] = run_backend(b, urls[b], ports[b], workdir, args.runs, args.only)
    report(results, args.runs)


if __name__ == "__main__":
    main()
