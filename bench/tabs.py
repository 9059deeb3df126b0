"""Scan latency with many open pages: N tablets on /operations and 10 manager pages (/balances
and /) open while 10 movements a second are posted, on PostgreSQL and SQLite.

    uv run python -m bench.tabs                          # N = 0, 50, 100, 200, 300
    uv run python -m bench.tabs --tabs 0 100 300 --backends postgres
    uv run python -m bench.tabs --app-dir /tmp/wms-before  # the same, on another checkout

For each backend the database is emptied, the app is started from main.py as a subprocess
(it migrates and seeds), two users are created and a headless Chromium signs in as both;
it keeps one /operations tab where it scans (two products in turn: scanner types the code
and Enter) and measures, with the browser's own clock, from Enter to the product's name
being shown. Meanwhile a thread posts 10 movements a second through core (another
connection, as another app process or the API would), and the other open pages are
simulated: each is a real page request with the signed-in cookie followed by a real
socket.io connection (python-socketio), so the app builds the page and runs its timers
exactly as for a browser tab; only the browser's rendering is missing (it happens on the
tablets, not on the server). 300 real Chromium tabs do not fit on this 2-core machine.
The simulated pages run in `--processes` processes of their own, so that their event loops
answer the server's engine.io pings (every 4 s, within 2 s) whatever the measuring process
does; a page whose socket still drops is not reconnected, and each row says how many
simulated tablets stayed connected through its measurement.

Printed per N: scan p50/p95 (ms) and the app process's CPU (% of one core) during the scans.
Tablets sign in as a manager by default (their header's low-stock bell is a live page, the
worst case and the profile in the issue); `--tablet-role worker` for plain workers.
"""

import argparse
import ast
import asyncio
import contextlib
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import statistics
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import aiohttp
import socketio
import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from bench.pages import App, Browser
from core.settings import PROJECT_ROOT
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from core.users.accounts import create_user
from data.database import Database
from data.db import write_session
from data.models import Product
from data.users.store import SqlUserAdminStore

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_live"
DEFAULT_SQLITE_PATH = "/tmp/tabsbench/wms.sqlite3"
WORKDIR = Path("/tmp/tabsbench")
PASSWORD = "tabsbench-password-1"
SCAN_INPUT = "input[aria-label^='Штрихкод или GTIN']"
MANAGER_PAGES = ("/balances", "/")  # 10 manager pages, these two in turn
PRODUCTS = 200
TIMEOUT = 15.0
# nicegui.js acknowledges received messages every 3 s, and only when some came (this
# simulation used to send an acknowledgement a second from every page, new or not: 300
# socket events a second that real tablets do not send).
ACK_SECONDS = 3.0

# ----------------------------------------------------------------- the simulated tabs


class TabGroup:
    """Open pages without a browser, in one process: GET the page with the session cookie,
    then connect its socket.io client as nicegui.js does (implicit handshake with the
    page's query)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.clients: list[tuple[str, socketio.AsyncClient]] = []  # (page kind, client)
        self.http: aiohttp.ClientSession | None = None
        self.updates = {"tablet": 0, "manager": 0}  # update messages received, per page kind
        self.lost: dict[str, int] = {}  # disconnections by reason
        self.failed = 0  # pages that could not be opened or connected
        self.acks: list[tuple[socketio.AsyncClient, str, dict[str, int]]] = []
        self.acknowledging = asyncio.ensure_future(self._acknowledge())

    async def _acknowledge(self) -> None:
        """As nicegui.js does (its `ack()`, every 3 s): say which messages were received,
        so the server may forget them, when anything new came since the last time."""
        while True:
            await asyncio.sleep(ACK_SECONDS)
            for client, client_id, seen in list(self.acks):
                if client.connected and seen["next"] > seen["acked"]:
                    ack = {"client_id": client_id, "next_message_id": seen["next"]}
                    seen["acked"] = seen["next"]
                    # Disconnected meanwhile: counted by on_disconnect.
                    with contextlib.suppress(socketio.exceptions.SocketIOError):
                        await client.emit("ack", ack)

    def stats(self) -> dict[str, Any]:
        connected = {"tablet": 0, "manager": 0}
        for kind, client in self.clients:
            connected[kind] += client.connected
        return {"connected": connected, "updates": dict(self.updates), "lost": dict(self.lost),
                "failed": self.failed}  # fmt: skip

    async def open_many(self, path: str, cookie: str, count: int) -> None:
        if self.http is None:
            self.http = aiohttp.ClientSession()
        for start in range(0, count, 5):  # a few at a time, as tablets are switched on
            batch = [self._open(path, cookie) for _ in range(min(5, count - start))]
            for opened in await asyncio.gather(*batch, return_exceptions=True):
                if isinstance(opened, BaseException):
                    self.failed += 1
                    print(f"  a simulated page failed to open: {opened!r}", flush=True)
                else:
                    self.clients.append(("tablet" if path == "/operations" else "manager", opened))

    async def _open(self, path: str, cookie: str) -> socketio.AsyncClient:
        assert self.http is not None
        async with self.http.get(self.base + path, headers={"Cookie": cookie}) as response:
            html = await response.text()
            if response.status != 200 or "/login" in str(response.url):
                raise RuntimeError(f"{path}: not the page ({response.status} {response.url})")
        found = re.search(r"query: (\{[^}]*\})", html)
        if found is None:
            raise RuntimeError(f"{path}: no socket query in the page")
        query = ast.literal_eval(found.group(1))  # the template prints a Python dict
        query.update(document_id=str(uuid.uuid4()), tab_id=str(uuid.uuid4()))
        query = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in query.items()}
        client = socketio.AsyncClient(reconnection=False)
        client_id = query["client_id"]
        seen = {"next": 0, "acked": 0}
        kind = "tablet" if path == "/operations" else "manager"

        async def on_message(event: str, data: Any = None) -> None:
            # What nicegui.js does that the server waits for: answer JavaScript it asked
            # to run (the drawer asks for the window's width) and acknowledge messages.
            if isinstance(data, dict) and "_id" in data:
                seen["next"] = data["_id"] + 1
            if event == "update":
                self.updates[kind] += 1
            if event == "run_javascript" and isinstance(data, dict) and data.get("request_id"):
                answer = {"request_id": data["request_id"], "client_id": client_id, "result": False}
                await client.emit("javascript_response", answer)

        client.on("*", on_message)

        async def on_disconnect(reason: Any = None) -> None:
            self.lost[str(reason)] = self.lost.get(str(reason), 0) + 1

        client.on("disconnect", on_disconnect)
        self.acks.append((client, client_id, seen))
        url = self.base + "?" + "&".join(f"{k}={v}" for k, v in query.items())
        await client.connect(
            url,
            headers={"Cookie": cookie},
            transports=["websocket"],
            socketio_path="/_nicegui_ws/socket.io",
            wait_timeout=TIMEOUT,
        )
        return client

    async def close(self) -> None:
        self.acknowledging.cancel()
        for _kind, client in self.clients:
            await client.disconnect()
        if self.http is not None:
            await self.http.close()


def _tab_process(base: str, commands: Connection) -> None:
    """One simulating process: its own event loop, so the clients answer the server's
    pings in time whatever the measuring process (browser driver, movement thread) does."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us with "close"

    async def serve() -> None:
        group = TabGroup(base)
        loop = asyncio.get_running_loop()
        while True:
            command, args = await loop.run_in_executor(None, commands.recv)
            if command == "open":
                await group.open_many(*args)
            elif command == "close":
                await group.close()
                commands.send(None)
                return
            commands.send(group.stats())

    asyncio.run(serve())


class Tabs:
    """The simulated pages, spread over `processes` processes of their own.

    Why not in this process: with a few hundred sockets, their event loop shared the GIL
    with the browser driver and the movement thread and fell behind; the server's
    engine.io pings then went unanswered and sockets dropped ("transport error")."""

    def __init__(self, base: str, processes: int) -> None:
        context = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self.pipes: list[Connection] = []
        self.processes: list[multiprocessing.process.BaseProcess] = []
        for _ in range(processes):
            parent, child = context.Pipe()
            process = context.Process(target=_tab_process, args=(base, child), daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self.next = 0  # the process that opens the next page

    def _ask_all(self, commands: dict[int, tuple[str, tuple[Any, ...]]]) -> list[Any]:
        for index, command in commands.items():
            self.pipes[index].send(command)
        return [self.pipes[index].recv() for index in commands]

    def open(self, path: str, cookie: str, count: int) -> None:
        """Open `count` pages, spread over the processes (each opens its share at once)."""
        shares = [0] * len(self.pipes)
        for _ in range(count):
            shares[self.next] += 1
            self.next = (self.next + 1) % len(self.pipes)
        self._ask_all({i: ("open", (path, cookie, n)) for i, n in enumerate(shares) if n})

    def stats(self) -> dict[str, Any]:
        total: dict[str, Any] = {"failed": 0, "connected": {}, "updates": {}, "lost": {}}
        for part in self._ask_all({i: ("stats", ()) for i in range(len(self.pipes))}):
            total["failed"] += part["failed"]
            for key in ("connected", "updates", "lost"):
                for name, value in part[key].items():
                    total[key][name] = total[key].get(name, 0) + value
        return total

    def close(self) -> None:
        try:
            self._ask_all({i: ("close", ()) for i in range(len(self.pipes))})
        finally:
            for process in self.processes:
                process.join(30)
                if process.is_alive():
                    process.terminate()


# ----------------------------------------------------------------- the movement load


class Movements:
    """Posts `rate` receipts a second through core, on its own engine, until stopped."""

    def __init__(self, url: str, product_ids: list[int], rate: float) -> None:
        self.db = Database.from_url(url)
        self.product_ids = product_ids
        self.interval = 1.0 / rate
        self.posted = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        due = time.monotonic()
        while not self.stopping.is_set():
            request = MovementRequest("RECEIPT", 1, product_id=random.choice(self.product_ids))
            post_movement(self.db.unit_of_work(), request, user_id=None)
            self.posted += 1
            due += self.interval
            self.stopping.wait(max(0.0, due - time.monotonic()))

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(10)
        self.db.dispose()


# ----------------------------------------------------------------- measuring


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def name_shown(name: str) -> str:
    return f"""() => [...document.querySelectorAll('div')].some((e) =>
      e.childElementCount === 0 && e.textContent === {json.dumps(name)}
      && e.offsetParent !== null)"""


def scan(browser: Browser, code: str, name: str) -> float:
    field = browser.find(SCAN_INPUT)
    return browser.act(name_shown(name), lambda: field.send_keys(code + Keys.ENTER))


@dataclass
class Row:
    tabs: int
    connected: int  # simulated tablets connected through the whole measurement
    p50: float
    p95: float
    cpu: float
    movements_per_s: float
    scans: int
    load: float  # the machine's 1-minute load average at the end


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# ----------------------------------------------------------------- one backend


def reset(url: str) -> None:
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def prepare(url: str, tablet_role: str) -> tuple[list[int], list[tuple[str, str]]]:
    """Users and products on the database the app has just migrated and seeded."""
    db = Database.from_url(url)
    store = SqlUserAdminStore(db.engine)
    create_user(store, "tablet", "Планшет", tablet_role, PASSWORD)
    create_user(store, "office", "Менеджер", "manager", PASSWORD)
    with write_session(db.engine) as session:
        products = [
            Product(
                sku=f"TB-{n:04d}",
                name=f"Товар {n:04d}",
                barcode=f"4650000{n:06d}",
                min_stock=5 if n % 10 == 0 else 0,  # some low products: the bell has work
            )
            for n in range(PRODUCTS)
        ]
        session.add_all(products)
        session.commit()
        ids = [p.id for p in products if p.id is not None]
    for product_id in ids[:20]:
        post_movement(db.unit_of_work(), MovementRequest("RECEIPT", 10, product_id=product_id),
                      user_id=None)  # fmt: skip
    db.dispose()
    scanned = [(f"4650000{n:06d}", f"Товар {n:04d}") for n in (1, 2)]
    return ids, scanned


def sign_in(browser: Browser, username: str) -> str:
    d = browser.d
    d.delete_all_cookies()
    d.get(browser.base + "/login")
    browser._until(lambda: d.find_elements(By.CSS_SELECTOR, "input[type=password]"))
    d.find_element(By.CSS_SELECTOR, "input[aria-label='Имя пользователя']").send_keys(username)
    d.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(PASSWORD + "\n")
    browser._until(lambda: "/login" not in d.current_url)
    return "; ".join(f"{c['name']}={c['value']}" for c in d.get_cookies())


def run_backend(
    name: str, url: str, app_dir: Path, port: int, tab_counts: list[int], args: argparse.Namespace
) -> list[Row]:
    reset(url)
    app = App(name, url, port, WORKDIR, cwd=app_dir)
    browser: Browser | None = None
    tabs: Tabs | None = None
    load: Movements | None = None
    rows: list[Row] = []
    try:
        ids, scanned = prepare(url, args.tablet_role)
        browser = Browser(app.base)
        office = sign_in(browser, "office")
        tablet = sign_in(browser, "tablet")
        browser.open("/operations")
        tabs = Tabs(app.base, args.processes)
        for number in range(args.managers):
            tabs.open(MANAGER_PAGES[number % len(MANAGER_PAGES)], office, 1)
        load = Movements(url, ids, args.rate)
        load.start()
        opened, shown = 0, 1
        scan(browser, *scanned[shown])  # a warm-up, and the card shows a product
        for count in tab_counts:
            started = time.monotonic()
            tabs.open("/operations", tablet, count - opened)
            opened = count
            took = time.monotonic() - started
            print(f"  {name}: {count} tablets open ({took:.0f} s)", flush=True)
            time.sleep(args.settle)
            times: list[float] = []
            cpu_before, posted_before, at = cpu_seconds(app.proc.pid), load.posted, time.monotonic()
            stats_before = tabs.stats()
            timeouts = 0
            for _ in range(args.scans):
                shown = 1 - shown  # the other product: its name appearing is the answer
                code, product = scanned[shown]
                try:
                    times.append(scan(browser, code, product))
                except TimeoutError:  # unanswered within TIMEOUT: counted as that long
                    times.append(TIMEOUT * 1000)
                    timeouts += 1
                    browser.open("/operations")  # a fresh page for the next scan
                    shown = 1 - shown
                time.sleep(args.pause)
            seconds = time.monotonic() - at
            cpu = 100 * (cpu_seconds(app.proc.pid) - cpu_before) / seconds
            stats = tabs.stats()
            updates = {
                k: (stats["updates"].get(k, 0) - stats_before["updates"].get(k, 0)) / seconds
                for k in ("tablet", "manager")
            }
            connected = {
                k: min(stats["connected"].get(k, 0), stats_before["connected"].get(k, 0))
                for k in ("tablet", "manager")
            }
            rows.append(
                Row(
                    count,
                    connected["tablet"],
                    statistics.median(times),
                    percentile(times, 0.95),
                    cpu,
                    (load.posted - posted_before) / seconds,
                    len(times),
                    os.getloadavg()[0],
                )
            )
            print(
                f"    p50 {rows[-1].p50:.0f} ms, p95 {rows[-1].p95:.0f} ms, "
                f"app CPU {cpu:.0f} %, load average {rows[-1].load:.1f}; connected throughout: "
                f"{connected['tablet']} tablets, {connected['manager']} manager pages; "
                f"updates/s to tablets {updates['tablet']:.0f}, "
                f"to manager pages {updates['manager']:.0f}; lost {stats['lost']}, "
                f"failed to open {stats['failed']}; "
                f"scans unanswered in {TIMEOUT:.0f} s: {timeouts}",
                flush=True,
            )
    finally:
        if load is not None:
            load.stop()
        if tabs is not None:
            tabs.close()
        if browser is not None:
            browser.quit()
        app.stop()
    return rows


def main() -> None:
    # A terminated run still stops its app and browser (the `finally` blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tabs", type=int, nargs="+", default=[0, 50, 100, 200, 300])
    parser.add_argument("--backends", nargs="+", default=["postgres", "sqlite"])
    parser.add_argument("--postgres-url", default=DEFAULT_PG_URL)
    parser.add_argument("--sqlite-path", default=DEFAULT_SQLITE_PATH)
    parser.add_argument(
        "--app-dir", type=Path, default=PROJECT_ROOT, help="the checkout whose main.py runs"
    )
    parser.add_argument("--managers", type=int, default=10)
    parser.add_argument(
        "--processes", type=int, default=3, help="processes that run the simulated pages"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="movements a second")
    parser.add_argument("--scans", type=int, default=30)
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between scans")
    parser.add_argument("--settle", type=float, default=3.0)
    parser.add_argument("--tablet-role", default="manager", choices=["manager", "worker"])
    args = parser.parse_args()
    WORKDIR.mkdir(parents=True, exist_ok=True)
    urls = {"postgres": args.postgres_url, "sqlite": f"sqlite:///{args.sqlite_path}"}
    results: dict[str, list[Row]] = {}
    for offset, backend in enumerate(args.backends):
        print(f"{backend}: app from {args.app_dir}", flush=True)
        results[backend] = run_backend(
            backend, urls[backend], args.app_dir, 8601 + offset, sorted(args.tabs), args
        )
    print()
    print(
        f"scan → product shown, {args.tablet_role} tablets on /operations + "
        f"{args.managers} manager pages, {args.rate:g} movements/s, app {args.app_dir}"
    )
    print(f"{'backend':<9} {'tablets':>7} {'connected':>9} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'app CPU':>8} {'mov/s':>6} {'scans':>5} {'load':>5}")  # fmt: skip
    for backend, rows in results.items():
        for row in rows:
            print(f"{backend:<9} {row.tabs:>7} {row.connected:>9} {row.p50:>7.0f} "
                  f"{row.p95:>7.0f} {row.cpu:>7.0f}% {row.movements_per_s:>6.1f} "
                  f"{row.scans:>5} {row.load:>5.1f}")  # fmt: skip
    shutil.rmtree(WORKDIR / "app-postgres", ignore_errors=True)


if __name__ == "__main__":
    main()
