"""The tablet's scan → next step, in the browser (the orders issue, Speed): the picking run
page (/picking/{id}) and the packing page (/packing/{id}), on PostgreSQL.

Run from the project root (PostgreSQL on 127.0.0.1 as in the README; Debian's chromium and
chromedriver):

    uv run python -m bench.scan_latency            # 3 rounds of a 12-line order per page
    uv run python -m bench.scan_latency --quick    # smoke run: 1 round of 3 lines

A database of its own is created (dropped afterwards unless --keep) and filled as
bench.positions fills it (a small catalogue: the pages read one task, not the catalogue).
The app runs from main.py (bench.pages.App); a worker linked to an executor signs in to
headless Chromium at 800×1280. Each round places an order of --lines random products, 1–3
units each, through the use cases: for picking it is assigned and started; for packing it
is picked whole to the station and its packing started. Then the scanner's keys are sent
to the focused field (the code and Enter, as a USB scanner types) and timed in the page:
from the Enter's keydown (a capturing listener, performance.now()) until a MutationObserver
sees the next step shown — no Python sleeps in the timing. What counts as the next step:

- picking, bin scan: "Отсканируйте товар"; product scan: "Сколько взяли?" with the
  quantity field; Enter in the quantity field (the confirmation, which writes the pick):
  the next item's "Позиция n из N" and "Отсканируйте ячейку" (or "Всё собрано");
- packing, each unit's scan: "+1 <sku> в коробку 1: k шт." (the box's count); every
  other line's product requires marking, its units scanned as DataMatrix codes.

Printed: p50 / p95 per scan kind and over all scans of a page, per round and the median of
the rounds. Target: p95 < 150 ms.
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bench.orders import reservable
from bench.pages import CHROMEDRIVER, CHROMIUM, TIMEOUT, App
from bench.positions import _database, fill
from core.catalog.products import gtin_check_digit_ok
from core.floor.executors import create_executor
from core.floor.ports import ExecutorData
from core.orders import packing, picking
from core.orders.orders import LineRequest, OrderRequest, create_order
from core.orders.picks import pick_item
from core.users.accounts import create_user
from data.database import Database
from data.floor.executors import SqlExecutorStore
from data.packing.queries import task as pack_task
from data.packing.queries import tasks as pack_tasks
from data.picking.queries import task as pick_task
from data.users.store import SqlUserAdminStore

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench_scans"
TARGET_P95_MS = 150.0
USERNAME, PASSWORD = "scanbench", "scanbench-password-1"
TABLET = {"width": 800, "height": 1280, "deviceScaleFactor": 1, "mobile": False}

# The Enter's keydown starts the clock; the first mutation after which every XPath of the
# armed step finds a visible node stops it.
TIMER = r"""
if (!window.__scan) {
  const s = window.__scan = {xpaths: null, t0: null, t1: null};
  const shown = (x) => {
    const n = document.evaluate(x, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null)
      .singleNodeValue;
    return !!n && n.getClientRects().length > 0;
  };
  s.holds = () => s.xpaths.every(shown);
  s.arm = (xpaths) => { s.xpaths = xpaths; s.t0 = null; s.t1 = null; return !s.holds(); };
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && s.xpaths && s.t0 === null) s.t0 = performance.now();
  }, true);
  new MutationObserver(() => {
    if (s.t0 !== null && s.t1 === null && s.holds()) s.t1 = performance.now();
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true});
}
"""


def text(value: str) -> str:
    return f"//div[normalize-space(.)='{value}']"


class Tablet:
    def __init__(self, base: str) -> None:
        self.base = base
        options = webdriver.ChromeOptions()
        for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update"):  # fmt: skip
            options.add_argument(arg)
        options.binary_location = CHROMIUM
        self.d = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", TABLET)

    def until(self, probe: Callable[[], Any]) -> Any:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if value := probe():
                return value
            time.sleep(0.01)
        raise TimeoutError("the page did not answer in time")

    def sign_in(self) -> None:
        d = self.d
        d.get(self.base + "/login")
        self.until(lambda: d.find_elements(By.CSS_SELECTOR, "input[type=password]"))
        d.find_element(By.CSS_SELECTOR, "input[aria-label='Имя пользователя']").send_keys(USERNAME)
        d.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(PASSWORD + Keys.ENTER)
        self.until(lambda: "/login" not in d.current_url)

    def open(self, path: str, ready: list[str]) -> None:
        self.d.get(self.base + path)
        self.until(lambda: self.d.execute_script("return window.socket && socket.connected"))
        self.d.execute_script(TIMER)
        self.until(lambda: self.d.execute_script("return __scan.arm(arguments[0]) === false",
                                                 ready))  # fmt: skip

    def scan(self, code: str, then: list[str]) -> float:
        """ms from the scan's Enter until every XPath of `then` is shown."""
        if not self.d.execute_script("return __scan.arm(arguments[0])", then):
            raise RuntimeError(f"already shown before the scan: {then}")
        self.d.switch_to.active_element.send_keys(code + Keys.ENTER)
        self.until(lambda: self.d.execute_script("return __scan.t1 !== null"))
        t0, t1 = self.d.execute_script("return [__scan.t0, __scan.t1]")
        return float(t1) - float(t0)

    def quit(self) -> None:
        self.d.quit()


# ---------------------------------------------------------------- the orders


def worker(db: Database) -> tuple[int, int]:
    """(user id, executor id) of the bench's worker."""
    user = create_user(SqlUserAdminStore(db.engine), USERNAME, "Замер сканов", "worker", PASSWORD)
    data = ExecutorData("SCAN-01", "Планшет замера", True, user.id)
    executor = create_executor(SqlExecutorStore(db.engine), data)
    return user.id, executor.id


def started_picking(db: Database, products: list[int], lines: int, executor: int, user: int,
                    name: str) -> int:  # fmt: skip
    rng = random.Random(name)
    chosen = [LineRequest(rng.randint(1, 3), product_id=p) for p in rng.sample(products, lines)]
    request = OrderRequest(name, "customer", chosen)
    order = create_order(db.unit_of_work(), request, None).order
    tid = order.picking_task_id
    assert order.status == "reserved" and tid is not None, order.status
    picking.assign_task(db.unit_of_work(), tid, executor, user)
    picking.start_task(db.unit_of_work(), tid, user)
    return tid


def started_packing(db: Database, products: list[int], lines: int, executor: int, user: int,
                    name: str) -> int:  # fmt: skip
    tid = started_picking(db, products, lines, executor, user, name)
    found = pick_task(db.engine, tid)
    assert found is not None
    for item in found.items:
        pick_item(db.unit_of_work(), tid, item.id, item.quantity_required, user)
    picking.complete_task(db.unit_of_work(), tid, user)
    pid = pack_tasks(db.engine, order_id=found.order_id).items[0].id
    packing.start_task(db.unit_of_work(), pid, executor, user)
    return pid


# ---------------------------------------------------------------- the scans


def picking_round(tablet: Tablet, db: Database, tid: int) -> dict[str, list[float]]:
    found = pick_task(db.engine, tid)
    assert found is not None
    items = sorted(found.items, key=lambda i: i.sequence)
    times: dict[str, list[float]] = defaultdict(list)
    first = items[0]
    tablet.open(f"/picking/{tid}", [text(f"Позиция {first.sequence} из {found.total_items}"),
                                    text("Отсканируйте ячейку")])  # fmt: skip
    for n, item in enumerate(items):
        times["bin"].append(tablet.scan(item.location_code, [text("Отсканируйте товар")]))
        times["product"].append(tablet.scan(item.barcode, [text("Сколько взяли?")]))
        if n + 1 < len(items):
            nxt = items[n + 1]
            then = [text(f"Позиция {nxt.sequence} из {found.total_items}"),
                    text("Отсканируйте ячейку")]  # fmt: skip
        else:
            then = ["//div[starts-with(normalize-space(.), 'Всё собрано')]"]
        # The quantity field takes the focus in a message of its own: Enter before it
        # arrives would go to the scan field, as a worker's would.
        tablet.until(
            lambda: tablet.d.execute_script(
                "return document.activeElement.getAttribute('aria-label') === 'Взято, шт.'"
            )
        )
        times["confirm → next item"].append(tablet.scan("", then))
    return times


_serials = itertools.count(1)


def marked_half(db: Database, pid: int) -> None:
    """Every other line's product requires marking (Честный ЗНАК, issue 16): its units are
    scanned as DataMatrix codes, read and checked by the page (one read for a duplicate).
    The bench's barcodes are not all valid GTINs, so the product gets a GTIN of its own."""
    found = pack_task(db.engine, pid)
    assert found is not None
    with db.engine.begin() as conn:
        for item in found.items[::2]:
            body = f"0460{item.product_id:09d}"
            gtin = next(body + str(d) for d in range(10) if gtin_check_digit_ok(body + str(d)))
            conn.execute(sa.text("UPDATE product SET requires_marking = true, gtin = :g "
                                 "WHERE id = :id"), {"g": gtin, "id": item.product_id})  # fmt: skip


def datamatrix(gtin: str) -> str:
    """A clothes/shoes code as a keyboard-mode scanner types it: GS as «<GS>»."""
    serial = f"B{next(_serials):012d}"
    return f"01{gtin}21{serial}<GS>91EE06<GS>92{'Q' * 43}="


def packing_round(tablet: Tablet, db: Database, pid: int) -> dict[str, list[float]]:
    marked_half(db, pid)
    found = pack_task(db.engine, pid)
    assert found is not None
    times: dict[str, list[float]] = defaultdict(list)
    tablet.open(f"/packing/{pid}", ["//input[@aria-label='Сканируйте товар']"])
    for item in found.items:
        for k in range(1, item.quantity + 1):
            then = [text(f"+1 {item.sku} в коробку 1: {k} шт.")]
            if item.requires_marking and item.gtin:
                times["unit (DataMatrix)"].append(tablet.scan(datamatrix(item.gtin), then))
            else:
                times["unit"].append(tablet.scan(item.barcode, then))
    return times


# ---------------------------------------------------------------- main


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--products", type=int, default=5_000)
    p.add_argument("--bins", type=int, default=500)
    p.add_argument("--positions", type=int, default=20_000)
    p.add_argument("--lines", type=int, default=12, help="order lines per round")
    p.add_argument("--rounds", type=int, default=3, help="rounds per page (medians)")
    p.add_argument("--warmup", type=int, default=1, help="rounds first, not counted")
    p.add_argument("--port", type=int, default=8394)
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("WMS_BENCH_SCANS_POSTGRES_URL", DEFAULT_PG_URL),
        help="database to (re)create for the run",
    )
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--quick", action="store_true", help="smoke run: 1 round of 3 lines")
    args = p.parse_args(argv)
    if args.quick:
        args.products, args.bins, args.positions, args.lines, args.rounds = 200, 20, 800, 3, 1
    args.sqlite = False  # bench.positions's database helper
    return args


def report(page: str, rounds: list[dict[str, list[float]]]) -> float:
    """Prints the page's figures; returns the median over rounds of the all-scans p95."""
    every = [[v for values in r.values() for v in values] for r in rounds]
    print(f"\n{page}: {sum(len(e) for e in every)} scans in {len(rounds)} round(s), ms")
    print(f"{'scan':22} {'count':>6} {'p50':>7} {'p95':>7}   (pooled over the rounds)")
    for kind in dict.fromkeys(k for r in rounds for k in r):  # a round may lack a kind
        values = [v for r in rounds for v in r.get(kind, [])]
        print(f"{kind:22} {len(values):6d} {statistics.median(values):7.1f} {_p95(values):7.1f}")
    p50s = [statistics.median(e) for e in every]
    p95s = [_p95(e) for e in every]
    print(f"all scans, per round: p50 {', '.join(f'{v:.1f}' for v in p50s)} | "
          f"p95 {', '.join(f'{v:.1f}' for v in p95s)}")  # fmt: skip
    p95 = statistics.median(p95s)
    print(
        f"median of rounds: p50 {statistics.median(p50s):.1f}  p95 {p95:.1f}  "
        f"(target p95 < {TARGET_P95_MS:g}: {'met' if p95 < TARGET_P95_MS else 'MISSED'})"
    )
    return p95


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, remove = _database(args)
    db = Database.from_url(url)
    picks: list[dict[str, list[float]]] = []
    packs: list[dict[str, list[float]]] = []
    try:
        fill(db.engine, args.products, args.bins, args.positions)
        products = reservable(db.engine)
        user, executor = worker(db)
        with tempfile.TemporaryDirectory(prefix="wms-bench-scans-") as tmp:
            app = App("scans", url, args.port, Path(tmp))
            tablet = None
            try:
                tablet = Tablet(app.base)
                tablet.sign_in()
                # Warm-up rounds of each page first, not counted.
                for r in range(1 - args.warmup, args.rounds + 1):
                    tid = started_picking(db, products, args.lines, executor, user, f"P{r}")
                    times = picking_round(tablet, db, tid)
                    if r > 0:
                        picks.append(times)
                    pid = started_packing(db, products, args.lines, executor, user, f"K{r}")
                    times = packing_round(tablet, db, pid)
                    if r > 0:
                        packs.append(times)
                    print(f"  round {r}/{args.rounds} done, load {os.getloadavg()[0]:.1f}",
                          file=sys.stderr, flush=True)  # fmt: skip
            finally:
                if tablet is not None:
                    tablet.quit()
                app.stop()
    finally:
        db.dispose()
        remove()
    p95s = [report("picking run /picking/{id}", picks), report("packing /packing/{id}", packs)]
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    missed = [p for p in p95s if p >= TARGET_P95_MS]
    print("missed targets: " + ("p95 < 150 ms" if missed else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
