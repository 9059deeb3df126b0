"""The whole life of an order through the REST API (the orders issue, Speed): create with
confirm → picking task assign / start / pick each item / complete → packing start → one
package with every line → pack → ship, by 8 concurrent clients, on PostgreSQL.

Run from the project root (PostgreSQL on 127.0.0.1 as in the README):

    uv run python -m bench.order_life            # 50,000 products, 5,000 bins, 200,000 positions
    uv run python -m bench.order_life --quick    # smoke run: 500 / 50 / 2,000, seconds

A database of its own is created (dropped afterwards unless --keep) and filled as
bench.positions fills it; the app runs from main.py as a real server process (one uvicorn
worker, as in production, bench.pages.App). Each client is a thread with its own keep-alive
HTTP session and two bearer tokens of its own: a manager that places the order and a
worker, linked to an executor, who picks, packs and ships it (so the API's "own task"
checks run as on the floor). A session is the standard library's http.client connection:
real HTTP to the real server, from a client lighter on the shared cores than httpx. Every
order has 5 lines of random products, 1–3 units each.

Steps timed (ms, p50 / p95 over every call of the kind in the timed runs): create (POST
/orders, confirmed: reservation + picking task), assign, start, pick (one per task item),
complete, find packing (GET /packing-tasks?order_id=…, as a tablet finds the task), pack
start, package (POST …/packages), pack, ship. Orders/s: orders shipped over the run's wall
time, --repeat runs (median). The server's CPU per order: its utime + stime from /proc over
a run / orders shipped; beside it the CPU per order of the PostgreSQL backends serving the
bench's database and of this process (the 8 clients), to see where the cores go.
Afterwards every order must be shipped, every reservation must match its quant's
`reserved` and the ledger must equal the quants. Target: >= 20 orders/s.
"""

import argparse
import contextlib
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import sqlalchemy as sa

from bench.api import cpu_seconds
from bench.orders import reservable
from bench.pages import App
from bench.positions import _database, fill
from core.users.accounts import create_user
from data.database import Database
from data.stock.ledger_checks import ledger_discrepancies
from data.users.store import SqlUserAdminStore

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench_order_life"
LINES = 5
TARGET_RATE = 20.0
PASSWORD = "lifebench-password-1"
STEPS = ["create", "assign", "start", "pick", "complete", "find packing", "pack start",
         "package", "pack", "ship"]  # fmt: skip
BOX = {"packaging_type": "box", "weight_kg": 1.5, "length_cm": 40, "width_cm": 30,
       "height_cm": 20}  # fmt: skip


IDLE_SECONDS = 2.0  # a connection idle longer is opened afresh (uvicorn closes at 5 s)


class Session:
    """One keep-alive HTTP/1.1 connection to the API; JSON bodies and answers."""

    def __init__(self, base: str) -> None:
        where = urlsplit(base)
        self.conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=60)
        self.prefix = where.path + "/api/v1"
        self.used = time.monotonic()

    def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                payload: Any = None, params: dict[str, Any] | None = None,
                form: dict[str, str] | None = None) -> tuple[int, Any]:  # fmt: skip
        sent = dict(headers or {})
        body = None
        if payload is not None:
            body, sent["Content-Type"] = json.dumps(payload), "application/json"
        elif form is not None:
            body, sent["Content-Type"] = urlencode(form), "application/x-www-form-urlencoded"
        url = self.prefix + path + (f"?{urlencode(params)}" if params else "")
        if time.monotonic() - self.used > IDLE_SECONDS:
            self.conn.close()  # the server may be closing it: a new one, never a resend
        self.conn.request(method, url, body=body, headers=sent)
        answer = self.conn.getresponse()
        data = answer.read()
        self.used = time.monotonic()
        return answer.status, json.loads(data) if data else None

    def close(self) -> None:
        self.conn.close()


class Client:
    """One tablet and its manager: a keep-alive session, two tokens, an executor."""

    def __init__(self, base: str, n: int, manager: str, worker: str, executor: int) -> None:
        self.http = Session(base)
        self.manager = {"Authorization": f"Bearer {token(self.http, manager)}"}
        self.worker = {"Authorization": f"Bearer {token(self.http, worker)}"}
        self.executor = executor
        self.times: dict[str, list[float]] = defaultdict(list)
        self.n = n

    def call(self, kind: str, method: str, path: str, *, manager: bool = False,
             want: int = 200, **kw: Any) -> Any:  # fmt: skip
        headers = self.manager if manager else self.worker
        t = time.perf_counter()
        status, answer = self.http.request(method, path, headers=headers, **kw)
        self.times[kind].append((time.perf_counter() - t) * 1000)
        assert status == want, f"{kind} {path}: {status} {answer}"
        return answer

    def life(self, external_id: str, lines: list[tuple[int, int]]) -> None:
        body = {"external_id": external_id, "kind": "customer", "carrier": "manual",
                "lines": [{"product_id": p, "quantity": q} for p, q in lines]}  # fmt: skip
        order = self.call("create", "POST", "/orders", manager=True, want=201, payload=body)
        assert order["status"] == "reserved", order["status"]
        tid = order["picking_task_id"]
        self.call("assign", "POST", f"/picking-tasks/{tid}/assign",
                  payload={"executor_id": self.executor})  # fmt: skip
        task = self.call("start", "POST", f"/picking-tasks/{tid}/start")
        for item in sorted(task["items"], key=lambda i: i["sequence"]):
            self.call("pick", "POST", f"/picking-tasks/{tid}/items/{item['id']}/pick",
                      payload={"quantity": item["quantity_required"],
                            "barcode": item["barcode"]})  # fmt: skip
        self.call("complete", "POST", f"/picking-tasks/{tid}/complete")
        found = self.call("find packing", "GET", "/packing-tasks",
                          params={"order_id": order["id"], "status": "pending"})  # fmt: skip
        assert found["total"] == 1, found
        pack = found["items"][0]
        base = f"/packing-tasks/{pack['id']}"
        self.call("pack start", "POST", f"{base}/start", payload={"executor_id": self.executor})
        items = [{"product_id": i["product_id"], "quantity": i["quantity"]}
                 for i in pack["items"]]  # fmt: skip
        self.call("package", "POST", f"{base}/packages", want=201, payload={**BOX, "items": items})
        self.call("pack", "POST", f"{base}/pack")
        shipped = self.call("ship", "POST", f"{base}/ship",
                            payload={"tracking_number": f"TR-{external_id}"})  # fmt: skip
        assert shipped["status"] == "shipped", shipped["status"]


def token(http: Session, username: str) -> str:
    status, answer = http.request("POST", "/auth/token",
                                  form={"username": username, "password": PASSWORD})  # fmt: skip
    assert status == 200, answer
    return str(answer["access_token"])


def make_clients(db: Database, base: str, count: int, run: str) -> list[Client]:
    """`count` managers and workers of their own, each worker linked to an executor."""
    store = SqlUserAdminStore(db.engine)
    clients = []
    for n in range(count):
        manager = create_user(store, f"life-m{run}{n}", "Менеджер замера", "manager", PASSWORD)
        worker = create_user(store, f"life-w{run}{n}", "Работник замера", "worker", PASSWORD)
        http = Session(base)
        headers = {"Authorization": f"Bearer {token(http, manager.username)}"}
        body = {"code": f"LIFE-{run}{n}", "name": f"Планшет {n}", "user_id": worker.id}
        status, made = http.request("POST", "/executors", headers=headers, payload=body)
        http.close()
        assert status == 201, made
        clients.append(Client(base, n, manager.username, worker.username, made["id"]))
    return clients


@dataclass
class Run:
    rate: float
    orders: int
    cpu_ms: float  # server CPU per order
    times: dict[str, list[float]] = field(default_factory=dict)
    postgres_ms: float = 0.0  # the backends of the bench's database, per order
    client_ms: float = 0.0  # this process: the client threads, per order


def backend_seconds(engine: sa.Engine) -> dict[int, float]:
    """CPU so far of each PostgreSQL backend on the bench's database but this look-up's own
    (a local server: its processes' /proc)."""
    with engine.connect() as conn:
        pids = conn.execute(sa.text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )).scalars().all()  # fmt: skip
    spent = {}
    for pid in pids:
        with contextlib.suppress(OSError):  # ended meanwhile, or not readable here
            spent[pid] = cpu_seconds(pid)
    return spent


def client_seconds() -> float:
    times = os.times()
    return times.user + times.system


def run_clients(app: App, clients: list[Client], products: list[int], seconds: float,
                label: str, engine: sa.Engine) -> Run:  # fmt: skip
    """Every client loops whole lives until `seconds` are up (a life begun is finished)."""
    for c in clients:
        c.times.clear()
    done = [0] * len(clients)
    errors: list[BaseException] = []
    start = threading.Barrier(len(clients) + 1)
    stop_at = [0.0]

    def loop(c: Client) -> None:
        rng = random.Random(f"{label}-{c.n}")
        start.wait()
        try:
            while time.perf_counter() < stop_at[0] and not errors:
                lines = [(p, rng.randint(1, 3)) for p in rng.sample(products, LINES)]
                c.life(f"{label}-{c.n}-{done[c.n] + 1}", lines)
                done[c.n] += 1
        except BaseException as e:
            errors.append(e)

    threads = [threading.Thread(target=loop, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    backends, client = backend_seconds(engine), client_seconds()
    cpu = cpu_seconds(app.proc.pid)
    t0 = time.perf_counter()
    stop_at[0] = t0 + seconds
    start.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    spent = cpu_seconds(app.proc.pid) - cpu
    client = client_seconds() - client
    postgres = sum(s - backends.get(pid, 0.0) for pid, s in backend_seconds(engine).items())
    if errors:
        raise errors[0]
    orders = sum(done)
    times: dict[str, list[float]] = defaultdict(list)
    for c in clients:
        for kind, values in c.times.items():
            times[kind].extend(values)
    per_order = 1000 / max(orders, 1)
    return Run(orders / wall, orders, spent * per_order, dict(times), postgres * per_order,
               client * per_order)  # fmt: skip


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def consistent(engine: sa.Engine, expected: int) -> list[str]:
    """What is wrong after the runs: orders not shipped, reservations off their quants,
    the ledger off the quants."""
    wrong = []
    with engine.connect() as conn:
        shipped, others = conn.execute(sa.text(
            "SELECT count(*) FILTER (WHERE status = 'shipped'), "
            "count(*) FILTER (WHERE status <> 'shipped') FROM sale_order"
        )).one()  # fmt: skip
        off = conn.execute(sa.text(
            "SELECT count(*) FROM quant q LEFT JOIN (SELECT quant_id, sum(quantity) AS held "
            "FROM reservation WHERE status = 'active' GROUP BY quant_id) r ON r.quant_id = q.id "
            "WHERE q.reserved <> coalesce(r.held, 0)"
        )).scalar_one()  # fmt: skip
    if (shipped, others) != (expected, 0):
        wrong.append(f"orders shipped {shipped} of {expected}, {others} in other statuses")
    if off:
        wrong.append(f"{off} quants' reserved differ from their reservations")
    if ledger_discrepancies(engine):
        wrong.append("the ledger differs from the quants")
    return wrong


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--products", type=int, default=50_000)
    p.add_argument("--bins", type=int, default=5_000)
    p.add_argument("--positions", type=int, default=200_000)
    p.add_argument("--clients", type=int, default=8)
    p.add_argument("--duration", type=float, default=20.0, help="seconds per run")
    p.add_argument("--repeat", type=int, default=3, help="runs (medians)")
    p.add_argument("--port", type=int, default=8393)
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("WMS_BENCH_LIFE_POSTGRES_URL", DEFAULT_PG_URL),
        help="database to (re)create for the run",
    )
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--quick", action="store_true", help="smoke run: 500 / 50 / 2,000, 3 s")
    args = p.parse_args(argv)
    if args.quick:
        args.products, args.bins, args.positions = 500, 50, 2_000
        args.duration, args.repeat = 3.0, 1
    args.sqlite = False  # bench.positions's database helper
    return args


def report(args: argparse.Namespace, runs: list[Run], idle_ms: float) -> bool:
    print(f"\nPostgreSQL: {args.products:,} products, {args.bins:,} bins, "
          f"{args.positions:,} positions; {args.clients} clients, {LINES}-line orders, "
          f"{args.repeat} run(s) of {args.duration:g} s")  # fmt: skip
    print(f"{'step':14} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for kind in STEPS:
        values = [v for r in runs for v in r.times.get(kind, [])]
        if values:
            print(f"{kind:14} {len(values):6d} {statistics.median(values):8.1f} "
                  f"{_p95(values):8.1f}")  # fmt: skip
    rate = statistics.median(r.rate for r in runs)
    cpu = statistics.median(r.cpu_ms for r in runs)
    print(
        f"orders/s (median): {rate:.1f}  [{', '.join(f'{r.rate:.1f}' for r in runs)}]  "
        f"target >= {TARGET_RATE:g}: {'met' if rate >= TARGET_RATE else 'MISSED'}"
    )
    print(f"server CPU per order (median): {cpu:.0f} ms; at rest {idle_ms:.1f} ms per second")
    postgres = statistics.median(r.postgres_ms for r in runs)
    client = statistics.median(r.client_ms for r in runs)
    print(f"CPU per order elsewhere (medians): PostgreSQL backends {postgres:.0f} ms, "
          f"the clients {client:.0f} ms")  # fmt: skip
    print(f"load average (1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    return rate >= TARGET_RATE


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, remove = _database(args)
    db = Database.from_url(url)
    runs: list[Run] = []
    try:
        t = time.perf_counter()
        fill(db.engine, args.products, args.bins, args.positions)
        print(f"filled in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
        products = reservable(db.engine)
        with tempfile.TemporaryDirectory(prefix="wms-bench-life-") as tmp:
            app = App("life", url, args.port, Path(tmp))
            clients: list[Client] = []
            try:
                clients = make_clients(db, app.base, args.clients, "")
                run_clients(app, clients, products, min(2.0, args.duration), "warm", db.engine)
                before, rest = cpu_seconds(app.proc.pid), min(2.0, args.duration)
                time.sleep(rest)
                idle = (cpu_seconds(app.proc.pid) - before) / rest * 1000
                for rep in range(args.repeat):
                    r = run_clients(app, clients, products, args.duration, f"r{rep + 1}", db.engine)
                    runs.append(r)
                    print(f"  run {rep + 1}/{args.repeat}: {r.rate:5.1f} orders/s ({r.orders} "
                          f"shipped), CPU/order: server {r.cpu_ms:.0f} ms, PostgreSQL "
                          f"{r.postgres_ms:.0f} ms, clients {r.client_ms:.0f} ms, load "
                          f"{os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)  # fmt: skip
            finally:
                for c in clients:
                    c.http.close()
                app.stop()
        with db.engine.connect() as conn:
            placed = conn.execute(sa.text("SELECT count(*) FROM sale_order")).scalar_one()
        wrong = consistent(db.engine, placed)
    finally:
        db.dispose()
        remove()
    report(args, runs, idle)
    print(
        "every order shipped, reservations = quants' reserved, ledger = quants: "
        + ("ok" if not wrong else "WRONG: " + "; ".join(wrong))
    )
    return 0 if not wrong else 1


if __name__ == "__main__":
    sys.exit(main())
