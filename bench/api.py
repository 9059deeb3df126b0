"""The cost of the API: POST /movements over HTTP against the use case in-process, same run.

Run from the project root (PostgreSQL; wrk must be installed):

    uv run python -m bench.api              # 1 and 8 clients, 5 rounds of 5 s (about 3 min)
    uv run python -m bench.api --quick      # smoke run

The database is emptied, migrated and seeded; products get opening stock. The app runs from
main.py as a subprocess (one uvicorn worker, as in production). `wrk`, a native load
generator, posts the workload of bench.movements (receipts, write-offs, shipments to a DC)
with a bearer token and a unique Idempotency-Key per request, over 1 and N keep-alive
connections, so the client does not eat the cores the server needs. In the same rounds the
use case `core.stock.movements.post_movement` is driven in this process by 1 and N threads, as
bench.movements does. Rounds alternate which goes first; the table shows medians:

- movements/s over HTTP and in-process, and their ratio;
- the server's CPU per request (its utime + stime from /proc before and after a run, all
  threads) against the use case's CPU per movement (this process, all threads).

Afterwards the ledger must equal the quants and every HTTP answer must have been a 201.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from bench.movements import WORKLOAD, Fixture, prepare, run_threads, use_case_worker
from bench.pages import App
from core.users.accounts import create_user
from data.database import Database
from data.stock.ledger_checks import ledger_discrepancies
from data.users.store import SqlUserAdminStore

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_apibench"
USERNAME = "apibench"  # a manager of its own
PASSWORD = "apibench-password-1"
WRK = "/usr/bin/wrk"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
TARGET_RATIO = 0.4  # HTTP / use case, at the most clients
TARGET_CPU = 2.0  # server CPU per request / use case CPU per movement
IDLE_SECONDS = 3.0  # the server's own background work, measured with no requests

# Each wrk thread posts the workload's mix; keys are "<run>-<thread>-<n>", so unique.
WRK_SCRIPT = """
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  prefix, token = args[1], args[2]
  products, dcs, ops = {}, {}, {}
  for id in string.gmatch(args[3], "%d+") do products[#products + 1] = id end
  for id in string.gmatch(args[4], "%d+") do dcs[#dcs + 1] = id end
  for op, weight, low, high in string.gmatch(args[5], "(%u[%u_]*):(%d+):(%d+):(%d+)") do
    for _ = 1, tonumber(weight) do ops[#ops + 1] = {op, tonumber(low), tonumber(high)} end
  end
  math.randomseed(tid * 7919)
  counter = 0
  headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}
end

function request()
  counter = counter + 1
  local op = ops[math.random(#ops)]
  local dc = ""
  if op[1] == "SHIPMENT_RC" then dc = ',"distribution_center_id":' .. dcs[math.random(#dcs)] end
  local body = string.format('{"operation_type":"%s","product_id":%s,"quantity":%d%s}',
    op[1], products[math.random(#products)], math.random(op[2], op[3]), dc)
  headers["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter
  return wrk.format("POST", "/api/v1/movements", headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, ' ..
    '"p50_us": %d, "p99_us": %d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class HttpRun:
    rate: float
    cpu_us: float  # server CPU per request
    requests: int
    non2xx: int
    p50_ms: float
    p99_ms: float


@dataclass
class Row:
    clients: int
    use_case: list[float] = field(default_factory=list)
    use_case_cpu: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    http_cpu: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)

    def median(self, name: str) -> float:
        return statistics.median(getattr(self, name))

    @property
    def ratio(self) -> float:
        return self.median("http") / self.median("use_case")

    @property
    def cpu_ratio(self) -> float:
        return self.median("http_cpu") / self.median("use_case_cpu")


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all its threads, from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of stat


def reset_database(url: sa.URL) -> None:
    """Create the database if needed and empty its public schema."""
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": url.database}
        ).first()
        if exists is None:
            conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')
    admin.dispose()
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    engine.dispose()


def get_token(base: str) -> str:
    form = urllib.parse.urlencode({"username": USERNAME, "password": PASSWORD}).encode()
    with urllib.request.urlopen(f"{base}/api/v1/auth/token", data=form, timeout=30) as answer:
        return json.loads(answer.read())["access_token"]


def run_wrk(
    app: App, script: Path, token: str, fx: Fixture, clients: int, seconds: float, prefix: str
) -> HttpRun:
    mix = ",".join(f"{op}:{weight}:{low}:{high}" for op, weight, (low, high) in WORKLOAD)
    args = [prefix, token, ",".join(map(str, fx.product_ids)), ",".join(map(str, fx.dc_ids)), mix]
    # One wrk thread: it drives every connection from one event loop, using little CPU.
    command = [
        WRK, "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
        "-s", str(script), app.base, "--", *args,
    ]  # fmt: skip
    before = cpu_seconds(app.proc.pid)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    spent = cpu_seconds(app.proc.pid) - before
    line = next(x for x in output.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    if result["socket_errors"]:
        print(f"  wrk: {result['socket_errors']} socket errors", file=sys.stderr)
    requests = result["requests"]
    return HttpRun(
        rate=requests / (result["duration_us"] / 1e6),
        cpu_us=spent / max(requests, 1) * 1e6,
        requests=requests,
        non2xx=result["non2xx"],
        p50_ms=result["p50_us"] / 1000,
        p99_ms=result["p99_us"] / 1000,
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--clients", default="1,8", help="comma-separated connection counts")
    p.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    p.add_argument("--repeat", type=int, default=5, help="rounds (medians)")
    p.add_argument("--products", type=int, default=200)
    p.add_argument("--port", type=int, default=8391)
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("WMS_BENCH_API_POSTGRES_URL", DEFAULT_PG_URL),
        help="database to empty and use (created if missing)",
    )
    p.add_argument("--quick", action="store_true", help="smoke run: 2 s, 1 round, 50 products")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.repeat, args.products = 2.0, 1, 50
    args.clients = [int(c) for c in args.clients.split(",")]
    return args


def print_table(rows: list[Row], repeat: int) -> None:
    print(f"\nPOST /movements, PostgreSQL, medians of {repeat} round(s)")
    print(
        f"{'clients':>7} {'use case/s':>11} {'HTTP/s':>8} {'ratio':>6} "
        f"{'use case µs CPU':>16} {'server µs CPU/req':>18} {'CPU ratio':>9} {'HTTP p50 ms':>11}"
    )
    for r in rows:
        print(
            f"{r.clients:>7} {r.median('use_case'):>11.0f} {r.median('http'):>8.0f} "
            f"{r.ratio:>6.2f} {r.median('use_case_cpu'):>16.0f} {r.median('http_cpu'):>18.0f} "
            f"{r.cpu_ratio:>9.2f} {r.median('p50_ms'):>11.1f}"
        )
    top = max(rows, key=lambda r: r.clients)
    print(
        f"target: HTTP / use case >= {TARGET_RATIO} at {top.clients} clients: "
        f"{'met' if top.ratio >= TARGET_RATIO else 'MISSED'}"
    )
    print(
        f"target: server CPU per request <= {TARGET_CPU} x the use case's: "
        f"{'met' if top.cpu_ratio <= TARGET_CPU else 'MISSED'}"
    )


@dataclass
class Bench:
    """One round of each kind at a time, on the running app and the same database."""

    app: App
    db: Database
    fx: Fixture
    script: Path
    token: str
    args: argparse.Namespace
    not_2xx: int = 0

    def http(self, row: Row, label: str) -> None:
        run = run_wrk(self.app, self.script, self.token, self.fx, row.clients,
                      self.args.duration, f"http-{label}")  # fmt: skip
        self.not_2xx += run.non2xx
        row.http.append(run.rate)
        row.http_cpu.append(run.cpu_us)
        row.p50_ms.append(run.p50_ms)
        print(
            f"  {label:10} HTTP     {run.rate:6.0f} mov/s  server {run.cpu_us:5.0f} µs CPU/req  "
            f"p50 {run.p50_ms:.1f} ms  p99 {run.p99_ms:.1f} ms  "
            f"({run.requests} requests, {run.non2xx} not 2xx)",
            file=sys.stderr,
            flush=True,
        )

    def use_case(self, row: Row, label: str) -> None:
        worker = use_case_worker(self.db, self.fx, f"uc-{label}")
        result = run_threads(row.clients, self.args.duration, worker)
        row.use_case.append(result.rate)
        row.use_case_cpu.append(result.cpu_us)
        print(
            f"  {label:10} use case {result.rate:6.0f} mov/s  {result.cpu_us:5.0f} µs CPU/mov",
            file=sys.stderr,
            flush=True,
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = sa.engine.make_url(args.postgres_url)
    reset_database(url)
    db = Database.from_url(url.render_as_string(hide_password=False))
    fx = prepare(db, args.products)
    create_user(SqlUserAdminStore(db.engine), USERNAME, "", "manager", PASSWORD)
    rows = [Row(clients) for clients in args.clients]
    with tempfile.TemporaryDirectory(prefix="wms-apibench-") as tmp:
        script = Path(tmp) / "post.lua"
        script.write_text(WRK_SCRIPT)
        app = App("api", url.render_as_string(hide_password=False), args.port, Path(tmp))
        try:
            token = get_token(app.base)
            run_wrk(app, script, token, fx, max(args.clients), 2.0, "warmup")
            before = cpu_seconds(app.proc.pid)
            time.sleep(IDLE_SECONDS)
            idle = (cpu_seconds(app.proc.pid) - before) / IDLE_SECONDS * 1000
            bench = Bench(app, db, fx, script, token, args)
            for rep in range(args.repeat):
                for row in rows:
                    label = f"{row.clients}c r{rep + 1}"
                    steps = [bench.http, bench.use_case]
                    if rep % 2:  # alternate who goes first: drift evens out
                        steps.reverse()
                    for step in steps:
                        step(row, label)
                        time.sleep(0.5)
        finally:
            app.stop()
    discrepancies = ledger_discrepancies(db.engine)
    db.dispose()
    print_table(rows, args.repeat)
    print(f"the server at rest: {idle:.1f} ms CPU per second (counted in its CPU per request)")
    ok = not discrepancies and bench.not_2xx == 0
    print(
        f"\ncorrectness: ledger_discrepancies={discrepancies or '[] (empty)'}  "
        f"HTTP answers not 2xx: {bench.not_2xx}  -> {'OK' if ok else 'FAILED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
