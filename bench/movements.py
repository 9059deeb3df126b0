"""Throughput of posting movements: the real use case against the same transaction in raw SQL.

Run from the project root:

    uv run python -m bench.movements            # full run (about 2 minutes)
    uv run python -m bench.movements --quick    # smoke run (a few seconds)

For each backend (PostgreSQL, SQLite) and each worker count, the use case
`core.stock.movements.post_movement` and a hand-driven raw-driver transaction (psycopg / sqlite3)
each post a mixed workload for a fixed time; every configuration is repeated and the median
is reported. The raw path issues the very statements of the unit of work's repositories
(data.catalog.repository, data.stock.repository and .ledger, data.outbox: their SQL text is
reused, so the comparison measures the layers above the driver, not different SQL), the two
daily aggregate upserts of `data.stock.flows` included. Afterwards the ledger of every database must
match its quants.
"""

import argparse
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa

from core.errors import InsufficientStock
from core.events import EventType
from core.settings import get_settings
from core.stock.movements import post_movement
from core.stock.operations import OPERATIONS
from core.stock.requests import MovementRequest
from core.stock.rules import stock_deltas
from data.catalog.repository import DISTRIBUTION_CENTER, PRODUCT_BY_ID, PRODUCT_BY_ID_LOCKED
from data.database import Database
from data.db import write_session
from data.migrate import upgrade
from data.models import Product
from data.outbox import INSERT_EVENT
from data.seed import seed_reference_data
from data.stock.flows import (
    ADD_DAY_FLOW,
    ADD_MONTH_FLOW,
    ADD_PRODUCT_FLOW,
    ALL_TIME,
    SHARDS,
)
from data.stock.ledger import INSERT_MOVEMENT
from data.stock.ledger_checks import ledger_discrepancies
from data.stock.repository import PUT, TAKE

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench"
OPENING_STOCK = 1_000_000  # large enough that no decrement in a run can fail
WARMUP = 3  # transactions per worker before the clock starts: connections, prepared plans

# (operation, weight, quantity range): increments and conditional decrements.
WORKLOAD = (
    ("RECEIPT", 5, (1, 10)),
    ("WRITE_OFF", 3, (1, 5)),  # MAIN → DEFECT: a take and a put
    ("SHIPMENT_RC", 2, (1, 5)),  # MAIN → marketplace DC: a take and a DC look-up
)


# ---------------------------------------------------------------- workload


@dataclass(frozen=True)
class Job:
    operation: str
    product_id: int
    quantity: int
    dc_id: int | None
    key: str


@dataclass
class Fixture:
    """What the workload draws from: product ids, active DC ids, location ids by code."""

    product_ids: list[int]
    dc_ids: list[int]
    locations: dict[str, int]
    internal: set[int]


def jobs(fx: Fixture, seed: str, key_prefix: str) -> Iterator[Job]:
    rng = random.Random(seed)
    ops = [op for op, _, _ in WORKLOAD]
    weights = [w for _, w, _ in WORKLOAD]
    ranges = {op: r for op, _, r in WORKLOAD}
    n = 0
    while True:
        op = rng.choices(ops, weights)[0]
        dc_id = rng.choice(fx.dc_ids) if op == "SHIPMENT_RC" else None
        n += 1
        yield Job(
            op, rng.choice(fx.product_ids), rng.randint(*ranges[op]), dc_id, f"{key_prefix}-{n}"
        )


def request(job: Job) -> MovementRequest:
    return MovementRequest(
        operation_type=job.operation,
        product_id=job.product_id,
        quantity=job.quantity,
        distribution_center_id=job.dc_id,
        idempotency_key=job.key,
    )


# ---------------------------------------------------------------- raw SQL path

# The unit of work's own statements, so both paths send identical SQL.
_NAMED = re.compile(r"(?<![:\w]):(\w+)")


def pg_sql(statement: sa.TextClause) -> str:
    return _NAMED.sub(r"%(\1)s", statement.text)


MOVEMENT_KEYS = (
    "operation_type", "product_id", "quantity", "from_location_id", "to_location_id",
    "source_id", "distribution_center_id", "user_id", "notes", "idempotency_key", "document",
    "reversal_of", "created_at",
)  # fmt: skip


class RawPoster:
    """One worker's connection; `post` is the use case's transaction, by hand.

    `sqlite` selects the dialect details: `:name` parameters, BEGIN IMMEDIATE, naive UTC
    timestamps as text (what SQLAlchemy stores), 0/1 booleans.
    """

    def __init__(self, conn: Any, fx: Fixture, *, sqlite: bool) -> None:
        self.conn = conn
        self.cur = conn.cursor()
        self.fx = fx
        self.sqlite = sqlite
        product = PRODUCT_BY_ID if sqlite else PRODUCT_BY_ID_LOCKED  # as data.uow reads it
        texts = (
            product, DISTRIBUTION_CENTER, INSERT_MOVEMENT, TAKE, PUT, INSERT_EVENT,
            ADD_PRODUCT_FLOW, ADD_MONTH_FLOW, ADD_DAY_FLOW,
        )  # fmt: skip
        sql = [t.text if sqlite else pg_sql(t) for t in texts]
        self.product, self.dc, self.insert_movement, self.take, self.put, self.event = sql[:6]
        self.product_flow, self.month_flow, self.day_flow = sql[6:]
        self.zone = ZoneInfo(get_settings().time_zone)

    def _ts(self, at: datetime) -> Any:
        return (
            at.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
            if self.sqlite
            else at
        )

    def post(self, job: Job) -> bool:
        """True when posted; False when stock was short (rolled back)."""
        cur, fx = self.cur, self.fx
        op = OPERATIONS[job.operation]
        assert op.from_location is not None and op.to_location is not None
        if self.sqlite:
            cur.execute("BEGIN IMMEDIATE")  # psycopg opens its transaction implicitly
        try:
            cur.execute(self.product, {"v": job.product_id})
            row = cur.fetchone()
            if row is None or row[1]:
                raise LookupError(f"product {job.product_id}")
            source_id = None
            if job.dc_id is not None:
                cur.execute(self.dc, {"v": job.dc_id})
                dc = cur.fetchone()
                if dc is None or not dc[2]:
                    raise LookupError(f"distribution center {job.dc_id}")
                source_id = dc[3]
            src, dst = fx.locations[op.from_location], fx.locations[op.to_location]
            created_at = datetime.now(UTC)
            values: dict[str, Any] = {
                "operation_type": job.operation,
                "product_id": job.product_id,
                "quantity": job.quantity,
                "from_location_id": src,
                "to_location_id": dst,
                "source_id": source_id,
                "distribution_center_id": job.dc_id,
                "user_id": None,
                "notes": None,
                "idempotency_key": job.key,
                "document": None,
                "reversal_of": None,
                "created_at": created_at,
                # Loose stock: the unit of work's INSERT names both handling-unit columns.
                "from_handling_unit_id": None,
                "handling_unit_id": None,
            }
            cur.execute(self.insert_movement, {**values, "created_at": self._ts(created_at)})
            inserted = cur.fetchone()
            if inserted is None:
                raise LookupError(f"idempotency key {job.key} reused")  # keys are unique here
            for location_id in sorted((src, dst)):  # same lock order as the use case
                if location_id not in fx.internal:
                    continue
                params = {"p": job.product_id, "l": location_id, "q": job.quantity}
                if location_id == src:
                    cur.execute(self.take, params)
                    if cur.fetchone() is None:
                        self.conn.rollback()
                        return False
                else:
                    cur.execute(self.put, {**params, "at": self._ts(created_at)})
            payload = {k: values[k] for k in MOVEMENT_KEYS if k != "idempotency_key"}
            payload.update(id=inserted[0], created_at=created_at.isoformat())
            cur.execute(
                self.event,
                {
                    "t": str(EventType.MOVEMENT_POSTED),
                    "p": json.dumps(payload, ensure_ascii=False),
                    "at": self._ts(created_at),
                },
            )
            # The aggregates, after the quants as in the unit of work (a movement of now
            # is today's: its day_flow row is sharded).
            day = created_at.astimezone(self.zone).date()
            month = day.replace(day=1)
            good, defect = stock_deltas(job.quantity, op.from_location, op.to_location)
            values = {
                "product_id": job.product_id,
                "operation_type": job.operation,
                "movements": 1,
                "units": job.quantity,
                "good_delta": good,
                "defect_delta": defect,
            }
            keys = {"source_id": source_id or 0, "distribution_center_id": job.dc_id or 0}
            day_param = day.isoformat() if self.sqlite else day
            month_param = month.isoformat() if self.sqlite else month
            shard = job.product_id % SHARDS
            flows = [
                (self.product_flow, {**values, **keys, "day": day_param}),
                (self.month_flow, {**values, "month": month_param}),
                (self.day_flow, {**values, **keys, "day": day_param, "shard": shard}),
            ]
            del flows[2][1]["product_id"]
            # As data.uow does: one round trip on psycopg (pipeline mode).
            with nullcontext() if self.sqlite else self.conn.pipeline():
                for sql, params in flows:
                    cur.execute(sql, params)
            self.conn.commit()
            return True
        except BaseException:
            self.conn.rollback()
            raise

    def close(self) -> None:
        self.cur.close()
        self.conn.close()


# ---------------------------------------------------------------- backends


def sqlite_connect(path: Path) -> sqlite3.Connection:
    """A raw connection set up like `data.db`'s engine (autocommit mode: we BEGIN ourselves)."""
    conn = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "busy_timeout=30000", "synchronous=FULL"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


@dataclass
class Backend:
    name: str
    use_case_db: Database
    raw_db: Database  # the raw path writes to its own database, prepared the same way
    raw_connect: Callable[[], Any]
    sqlite: bool
    cleanup: list[Callable[[], None]] = field(default_factory=list)


def _admin_engine(url: sa.URL) -> sa.Engine:
    return sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def _recreate_pg(admin: sa.Engine, name: str, *, drop_only: bool = False) -> None:
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if not drop_only:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')


def postgres_backend(url_text: str, keep: bool) -> Backend:
    url = sa.engine.make_url(url_text)
    assert url.database, "the PostgreSQL URL must name a database"
    raw_url = url.set(database=f"{url.database}_raw")
    admin = _admin_engine(url)
    for u in (url, raw_url):
        _recreate_pg(admin, str(u.database))
    use_case_db = Database.from_url(url.render_as_string(hide_password=False))
    raw_db = Database.from_url(raw_url.render_as_string(hide_password=False))
    conninfo = raw_url.set(drivername="postgresql").render_as_string(hide_password=False)
    backend = Backend("postgres", use_case_db, raw_db, lambda: psycopg.connect(conninfo), False)
    backend.cleanup += [use_case_db.dispose, raw_db.dispose]
    if not keep:
        for u in (url, raw_url):
            name = str(u.database)
            backend.cleanup.append(lambda name=name: _recreate_pg(admin, name, drop_only=True))
    backend.cleanup.append(admin.dispose)
    return backend


def sqlite_backend(keep: bool) -> Backend:
    directory = Path(tempfile.mkdtemp(prefix="wms-bench-"))
    use_case_path, raw_path = directory / "use_case.sqlite3", directory / "raw.sqlite3"
    # Same engine as the app: WAL, synchronous FULL, foreign keys, busy timeout.
    use_case_db = Database.from_url(f"sqlite:///{use_case_path}")
    raw_db = Database.from_url(f"sqlite:///{raw_path}")
    backend = Backend("sqlite", use_case_db, raw_db, lambda: sqlite_connect(raw_path), True)
    backend.cleanup += [use_case_db.dispose, raw_db.dispose]
    if not keep:
        backend.cleanup.append(lambda: shutil.rmtree(directory))
    else:
        print(f"sqlite databases kept in {directory}", file=sys.stderr)
    return backend


def prepare(db: Database, n_products: int) -> Fixture:
    """Migrate, seed, add products and give each opening stock through the use case."""
    upgrade(db.engine)
    seed_reference_data(db.engine)
    with write_session(db.engine) as session:
        session.add_all(
            Product(sku=f"BENCH-{i}", name=f"Товар {i}", barcode=f"2{i:012d}")
            for i in range(1, n_products + 1)
        )
        session.commit()
    with db.engine.connect() as conn:
        product_ids = list(conn.execute(sa.text("SELECT id FROM product ORDER BY id")).scalars())
        dc_ids = list(
            conn.execute(
                sa.text("SELECT id FROM distribution_center WHERE is_active ORDER BY id")
            ).scalars()
        )
        rows = conn.execute(sa.text("SELECT id, code, kind FROM location")).all()
    for product_id in product_ids:
        opening = MovementRequest("RECEIPT", OPENING_STOCK, product_id=product_id)
        post_movement(db.unit_of_work(), opening, user_id=None)
    return Fixture(
        product_ids=product_ids,
        dc_ids=dc_ids,
        locations={code: id_ for id_, code, _ in rows},
        internal={id_ for id_, _, kind in rows if kind != "virtual"},
    )


# ---------------------------------------------------------------- measurement


@dataclass
class RunResult:
    posted: int
    short: int
    seconds: float
    cpu_seconds: float  # this process, all threads: less sensitive to a busy machine than rate

    @property
    def rate(self) -> float:
        return self.posted / self.seconds

    @property
    def cpu_us(self) -> float:
        return self.cpu_seconds / max(self.posted + self.short, 1) * 1e6


def run_threads(
    workers: int,
    duration: float,
    make_worker: Callable[[int], tuple[Callable[[], bool], Callable[[], None]]],
) -> RunResult:
    """Start `workers` threads; each warms up, then posts until the deadline.

    `make_worker(i)` returns (post_one, close), called in the worker's own thread.
    """
    clock: dict[str, float] = {}

    def start() -> None:  # runs once, when every worker has warmed up
        clock["cpu_start"] = time.process_time()
        clock["t0"] = time.perf_counter()
        clock["deadline"] = clock["t0"] + duration

    barrier = threading.Barrier(workers, action=start)
    posted, short, ends = [0] * workers, [0] * workers, [0.0] * workers
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            post_one, close = make_worker(i)
            try:
                for _ in range(WARMUP):
                    post_one()
                barrier.wait()
                deadline = clock["deadline"]
                while time.perf_counter() < deadline:
                    if post_one():
                        posted[i] += 1
                    else:
                        short[i] += 1
                ends[i] = time.perf_counter()
                clock[f"cpu_end{i}"] = time.process_time()
            finally:
                close()
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    cpu_end = max(clock[f"cpu_end{i}"] for i in range(workers))
    return RunResult(sum(posted), sum(short), max(ends) - clock["t0"], cpu_end - clock["cpu_start"])


def use_case_worker(
    db: Database, fx: Fixture, prefix: str
) -> Callable[[int], tuple[Callable[[], bool], Callable[[], None]]]:
    def make(i: int) -> tuple[Callable[[], bool], Callable[[], None]]:
        stream = jobs(fx, seed=f"{prefix}-{i}", key_prefix=f"{prefix}-w{i}")

        def post_one() -> bool:
            try:
                post_movement(db.unit_of_work(), request(next(stream)), user_id=None)
            except InsufficientStock:
                return False
            return True

        return post_one, lambda: None

    return make


def raw_worker(
    backend: Backend, fx: Fixture, prefix: str
) -> Callable[[int], tuple[Callable[[], bool], Callable[[], None]]]:
    def make(i: int) -> tuple[Callable[[], bool], Callable[[], None]]:
        stream = jobs(fx, seed=f"{prefix}-{i}", key_prefix=f"{prefix}-w{i}")
        poster = RawPoster(backend.raw_connect(), fx, sqlite=backend.sqlite)
        return lambda: poster.post(next(stream)), poster.close

    return make


@dataclass
class Row:
    backend: str
    workers: int
    use_case: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(self.use_case) / statistics.median(self.raw)

    @property
    def paired_ratio(self) -> float:
        """Median of each repeat's own ratio: its two runs were back to back, so a load
        spike elsewhere on the machine tends to hit both."""
        return statistics.median(u / r for u, r in zip(self.use_case, self.raw, strict=True))


def bench_backend(backend: Backend, args: argparse.Namespace) -> list[Row]:
    fx_uc = prepare(backend.use_case_db, args.products)
    fx_raw = prepare(backend.raw_db, args.products)
    rows = []
    for workers in args.workers:
        row = Row(backend.name, workers)
        for rep in range(args.repeat):
            prefix = f"{workers}w-r{rep}"
            runs = [
                ("use case", row.use_case, use_case_worker(backend.use_case_db, fx_uc, prefix)),
                ("raw", row.raw, raw_worker(backend, fx_raw, prefix)),
            ]
            if rep % 2:  # alternate who goes first, so drift and warm caches even out
                runs.reverse()
            for label, sink, make in runs:
                result = run_threads(workers, args.duration, make)
                sink.append(result.rate)
                print(
                    f"  {backend.name:8} {workers} workers  run {rep + 1}/{args.repeat}  "
                    f"{label:8} {result.rate:8.0f} mov/s  {result.cpu_us:5.0f} µs CPU/mov  "
                    f"({result.posted} posted, {result.short} short)",
                    file=sys.stderr,
                    flush=True,
                )
        rows.append(row)
    return rows


# ---------------------------------------------------------------- correctness


def check(name: str, db: Database, *, replay: bool) -> tuple[bool, str]:
    """Ledger equals quants; one outbox event per movement; replays write nothing."""
    replays_ok = True
    if replay:
        # Re-post the newest keyed movements: each must come back as a replay.
        with db.engine.connect() as conn:
            earlier = conn.execute(
                sa.text(
                    "SELECT operation_type, product_id, quantity, distribution_center_id, "
                    "idempotency_key FROM movement WHERE idempotency_key IS NOT NULL "
                    "ORDER BY id DESC LIMIT 20"
                )
            ).all()
        for op, product_id, quantity, dc_id, key in earlier:
            job = Job(op, product_id, quantity, dc_id, key)
            posted = post_movement(db.unit_of_work(), request(job), user_id=None)
            replays_ok = replays_ok and posted.replayed
    with db.engine.connect() as conn:
        movements = conn.execute(sa.text("SELECT count(*) FROM movement")).scalar_one()
        # One movement.posted per movement (the use case may add §7 inventory.* events).
        posted = "SELECT count(*) FROM outbox_event WHERE event_type = 'movement.posted'"
        events = conn.execute(sa.text(posted)).scalar_one()
        # No reversals here: every movement counts +1 in both aggregate tables, and their
        # stock deltas add up to the quants.
        flows = conn.execute(
            sa.text(
                "SELECT (SELECT sum(movements) FROM product_day_flow), "
                "(SELECT sum(movements) FROM day_flow), "
                "(SELECT sum(movements) FROM product_month_flow WHERE month = :all), "
                "(SELECT sum(movements) FROM product_month_flow WHERE month <> :all), "
                "(SELECT sum(good_delta) + sum(defect_delta) FROM product_day_flow), "
                "(SELECT sum(quantity) FROM quant)"
            ).bindparams(sa.bindparam("all", ALL_TIME, type_=sa.Date()))
        ).one()
    discrepancies = ledger_discrepancies(db.engine)
    flows_ok = flows[0] == flows[1] == flows[2] == flows[3] == movements and flows[4] == flows[5]
    ok = replays_ok and movements == events and not discrepancies and flows_ok
    line = (
        f"{name:18} ledger_discrepancies={discrepancies or '[] (empty)'}  "
        f"movements={movements} movement_events={events}  "
        f"aggregates={'ok' if flows_ok else f'WRONG {tuple(flows)}'}"
        + (f"  replays={'ok' if replays_ok else 'POSTED TWICE'}" if replay else "")
        + f"  -> {'OK' if ok else 'FAILED'}"
    )
    return ok, line


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--backends", default="postgres,sqlite", help="comma-separated")
    p.add_argument("--workers", default="1,4,8", help="comma-separated thread counts")
    p.add_argument("--duration", type=float, default=2.5, help="seconds per measurement")
    p.add_argument("--repeat", type=int, default=3, help="runs per configuration (median)")
    p.add_argument("--products", type=int, default=200)
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("WMS_BENCH_POSTGRES_URL", DEFAULT_PG_URL),
        help="database to (re)create; '<name>_raw' is created next to it for the raw path",
    )
    p.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    p.add_argument("--quick", action="store_true", help="smoke run: 0.5 s, 1 repeat, 50 products")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.repeat, args.products = 0.5, 1, 50
    args.backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    args.workers = [int(w) for w in args.workers.split(",")]
    unknown = set(args.backends) - {"postgres", "sqlite"}
    if unknown:
        p.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    return args


@contextmanager
def opened(factory: Callable[[], Backend]) -> Iterator[Backend]:
    backend = factory()
    try:
        yield backend
    finally:
        for step in backend.cleanup:
            step()


def print_table(rows: list[Row], repeat: int) -> None:
    print(f"\nmedian of {repeat} run(s) per configuration, movements/s")
    print("ratio = median use case / median raw; paired = median of per-repeat ratios")
    print(f"{'backend':9} {'workers':>7} {'use case':>10} {'raw':>10} {'ratio':>7} {'paired':>7}")
    for r in rows:
        uc, raw = statistics.median(r.use_case), statistics.median(r.raw)
        print(
            f"{r.backend:9} {r.workers:>7} {uc:>10.0f} {raw:>10.0f} {r.ratio:>7.2f} "
            f"{r.paired_ratio:>7.2f}"
        )


def print_targets(rows: list[Row]) -> None:
    targets = {("postgres", 8): 0.6, ("sqlite", 1): 0.2}
    for r in rows:
        if (r.backend, r.workers) in targets:
            want = targets[(r.backend, r.workers)]
            verdict = "met" if r.ratio >= want else "MISSED"
            print(f"target {r.backend} {r.workers} worker(s): ratio >= {want}: {verdict}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    factories: dict[str, Callable[[], Backend]] = {
        "postgres": lambda: postgres_backend(args.postgres_url, args.keep),
        "sqlite": lambda: sqlite_backend(args.keep),
    }
    rows: list[Row] = []
    verdicts: list[tuple[bool, str]] = []
    for name in args.backends:
        with opened(factories[name]) as backend:
            rows += bench_backend(backend, args)
            # Checked while the databases still exist; printed after the table.
            verdicts.append(check(f"{name} use case", backend.use_case_db, replay=True))
            verdicts.append(check(f"{name} raw", backend.raw_db, replay=False))
    print_table(rows, args.repeat)
    print_targets(rows)
    print("\ncorrectness")
    for _, line in verdicts:
        print(line)
    return 0 if all(ok for ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
