"""bench.positions --browser: the app from main.py on the benchmark's database (as in
bench.pages), GET /api/v1/inventory/positions over HTTP, and the product card opened in
headless Chromium."""

import http.client
import json
import shutil
import statistics
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.pages import PASSWORD, USERNAME, App, Browser, ensure_bench_user
from data.db import create_engine
from data.floor.locations import product_positions


@dataclass
class InApp:
    http: dict[str, list[float]] = field(default_factory=dict)  # ms per request
    card: list[float] = field(default_factory=list)  # ms to the per-location table


class Api:
    """One keep-alive connection with a bearer token, as a program would hold it."""

    def __init__(self, base: str) -> None:
        self.conn = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=30)
        form = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD})
        answer = self._call(
            "POST", "/api/v1/auth/token", form,
            {"Content-Type": "application/x-www-form-urlencoded"},
        )  # fmt: skip
        self.headers = {"Authorization": f"Bearer {answer['access_token']}"}

    def _call(self, method: str, path: str, body: str | None, headers: dict[str, str]) -> Any:
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        data = response.read()
        assert response.status == 200, f"{path}: {response.status} {data[:200]!r}"
        return json.loads(data)

    def get(self, path: str) -> Any:
        return self._call("GET", path, None, self.headers)

    def close(self) -> None:
        self.conn.close()


def _http(api: Api, name: str, ids: list[int]) -> list[float]:
    """ms per GET filtered by `name`, each answer checked against its total."""
    times = []
    api.get(f"/api/v1/inventory/positions?{name}={ids[0]}")  # warm-up
    for i in ids:
        t = time.perf_counter()
        page = api.get(f"/api/v1/inventory/positions?{name}={i}")
        times.append((time.perf_counter() - t) * 1000)
        assert page["total"] > 0 and all(p[name] == i for p in page["items"]), (name, i)
    return times


def in_app(url: str, ids: dict[str, list[int]], runs: int, port: int) -> InApp:
    """`ids`: product_id, location_id, handling_unit_id → ids to ask for."""
    pids = ids["product_id"]
    engine = create_engine(url)
    ensure_bench_user(engine)
    expected = {pid: product_positions(engine, pid) for pid in pids[: runs + 1]}
    engine.dispose()
    workdir = Path(tempfile.mkdtemp(prefix="wms-bench-positions-"))
    result = InApp()
    app = App("positions", url, port, workdir)
    try:
        api = Api(app.base)
        try:
            result.http = {name: _http(api, name, some) for name, some in ids.items()}
        finally:
            api.close()
        browser = Browser(app.base)
        try:
            browser.sign_in()
            for n, pid in enumerate(pids[: runs + 1]):  # the first is a warm-up
                loaded, _ = browser.open(f"/products/{pid}")
                # The card's first table is "where it lies": its rows and first place.
                rows, first = browser.d.execute_script(
                    "const t = document.querySelector('.q-table');"
                    "const trs = t.querySelectorAll('tbody tr');"
                    "return [trs.length, trs[0].querySelector('td').textContent.trim()]"
                )
                want = expected[pid]
                shown = (rows, first) == (len(want), want[0]["code"])
                assert shown, f"product {pid}: {rows} places from {first}"
                if n:
                    result.card.append(loaded)
        finally:
            browser.quit()
    finally:
        app.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return result


def report(result: InApp) -> list[str]:
    """Printed lines; returns the targets missed."""
    missed = []
    print("\nin the app (main.py, one keep-alive HTTP connection with a token), ms")
    print(f"{'GET /inventory/positions?…':32} {'median':>7} {'p95':>7}")
    for name, times in result.http.items():
        p95 = statistics.quantiles(times, n=20)[-1] if len(times) > 1 else times[0]
        print(f"{name + '=…':32} {statistics.median(times):7.2f} {p95:7.2f}")
        if name != "handling_unit_id" and statistics.median(times) >= 50:
            missed.append(f"HTTP {name}")
    if result.card:
        ms = statistics.median(result.card)
        print(
            f"product card in Chromium, navigation start → its per-location table: "
            f"median {ms:.0f} ms, max {max(result.card):.0f} ms of {len(result.card)} "
            "(target < 1 s)"
        )
        if ms >= 1000:
            missed.append("card in the browser")
    return missed
