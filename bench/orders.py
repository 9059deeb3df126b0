"""Speed of placing an order (the orders issue): create and confirm a 5-line order — the
reservation FIFO over the bins and the picking task — through the use case, next to the
same transaction sent by hand on raw psycopg, in the same run, on PostgreSQL.

Run from the project root (PostgreSQL on 127.0.0.1 as in the README):

    uv run python -m bench.orders            # 50,000 products, 5,000 bins, 200,000 positions
    uv run python -m bench.orders --quick    # smoke run: 500 / 50 / 2,000, seconds

A database of its own is created (dropped afterwards unless --keep) and filled as
bench.positions fills it: every product lies loose in a few bins (some of them in the
DEFECT warehouse, one on a pallet: neither is reservable). Each order takes 5 random
products, 1–3 units of each, for the `manual` carrier — what POST /orders sends.

- use case: `core.orders.orders.create_order(confirm=True)`, as POST /orders calls it: the
  order, its lines, the reservation (one conditional UPDATE per quant taken) and the
  picking task with its items, in one transaction, and the order read back for the answer;
- raw: the statements that transaction needs, written by hand on one psycopg connection
  per worker (the repositories' own SQL text): the products (FOR KEY SHARE, one read) and
  the carrier, INSERT the order with its history row and its lines (one statement,
  RETURNING the lines' ids), lock the quants, every hold in one set-based conditional
  UPDATE that writes the reservation rows (RETURNING them in route order), INSERT the
  task at the packing station with its items (one statement), the events
  (inventory.reserved per product, picking.created) in one INSERT sent with the status
  and its history row (one statement), COMMIT. What it leaves out: reading the order
  back (the use case does, for its answer).

Timed: with 1 worker, each order alone (use case and raw alternating), p50 and p95 in ms;
with --workers threads, orders per second over --duration seconds, --repeat times (median).
ratio = use case / raw. Targets: 1 worker p50 < 15 ms; 8 workers >= 300 orders/s and
>= 0.5 of raw. Afterwards every reservation must match its quant's `reserved`.
"""

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
import sqlalchemy as sa

from bench.movements import RunResult, run_threads
from bench.positions import _database, fill
from core.events import EventType, contract_event
from core.orders.orders import LineRequest, OrderRequest, create_order
from core.orders.ports import OrderLine, Slot
from core.orders.reservation import plan
from data.catalog.repository import PRODUCTS_LOCKED
from data.database import Database
from data.orders.repository import (
    CARRIER,
    INSERT_ORDER_AND_LINES,
    RESERVE_ALL,
    SET_STATUS_WITH_STEP,
    SLOT_COLUMNS,
    SLOTS_LOCKED,
)
from data.outbox import event_params, insert_rows
from data.picking.repository import INSERT_TASK_AND_ITEMS
from data.transaction import psycopg_sql

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench_orders"
LINES = 5
TARGET_P50_MS = 15.0
TARGET_RATE = 300.0
TARGET_RATIO = 0.5

# ---------------------------------------------------------------- orders


@dataclass(frozen=True)
class Job:
    external_id: str
    lines: list[tuple[int, int]]  # (product id, quantity)


def jobs(products: list[int], seed: str) -> Iterator[Job]:
    rng = random.Random(seed)
    n = 0
    while True:
        n += 1
        chosen = rng.sample(products, LINES)
        yield Job(f"{seed}-{n}", [(p, rng.randint(1, 3)) for p in chosen])


def reservable(engine: sa.Engine) -> list[int]:
    """Products an order may be given many times over: at least 30 units loose in MAIN
    bins (the seeded quantities repeat per product, so a few hold 1 unit in all)."""
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT q.product_id FROM quant q "
                    "JOIN location l ON l.id = q.location_id "
                    "JOIN warehouse w ON w.id = l.warehouse_id "
                    "WHERE q.handling_unit_id IS NULL AND w.code = 'MAIN' AND l.kind = 'bin' "
                    "GROUP BY q.product_id HAVING sum(q.quantity - q.reserved) >= 30 ORDER BY 1"
                )
            ).scalars()
        )


def use_case(db: Database) -> Callable[[Job], bool]:
    def place(job: Job) -> bool:
        lines = [LineRequest(q, product_id=p) for p, q in job.lines]
        request = OrderRequest(job.external_id, "customer", lines, carrier="manual")
        return create_order(db.unit_of_work(), request, None).order.status == "reserved"

    return place


# ---------------------------------------------------------------- raw psycopg


def _pg(statement: sa.TextClause, tail: str = "") -> str:
    return psycopg_sql(sa.text(statement.text + tail))


class RawPlacer:
    """One worker's connection; `place` is the use case's transaction, by hand."""

    def __init__(self, conninfo: str) -> None:
        self.conn = psycopg.connect(conninfo)
        self.cur = self.conn.cursor()
        self.carrier, self.order = _pg(CARRIER), _pg(INSERT_ORDER_AND_LINES)
        self.products, self.reserve = _pg(PRODUCTS_LOCKED), _pg(RESERVE_ALL)
        self.slots = _pg(SLOTS_LOCKED)
        self.status, self.task = _pg(SET_STATUS_WITH_STEP), _pg(INSERT_TASK_AND_ITEMS)
        self.events = {n: _pg(insert_rows(n)) for n in range(1, LINES + 2)}

    def place(self, job: Job) -> bool:
        cur, now = self.cur, datetime.now(UTC)
        try:
            ids = sorted(p for p, _ in job.lines)
            found = cur.execute(self.products, {"v": ids}).fetchall()
            assert len(found) == LINES and not any(row[1] for row in found)
            barcode = {row[0]: row[4] for row in found}
            carrier = cur.execute(self.carrier, {"c": "manual"}).fetchone()
            assert carrier is not None and carrier[2]
            rows = cur.execute(self.order, {
                "external_id": job.external_id, "source_id": None, "kind": "customer",
                "priority": "normal", "carrier": "manual", "dc": None, "ship_to": None,
                "created_by": None, "at": now, "ps": [p for p, _ in job.lines],
                "qs": [q for _, q in job.lines], **self._step("created", "new", now, "Строк: 5"),
            }).fetchall()  # fmt: skip
            assert rows, "external ids are unique here"
            order_id = rows[0][0]
            pairs = enumerate(zip(rows, job.lines, strict=True), start=1)
            lines = [OrderLine(row[1], n, p, q, 0) for n, (row, (p, q)) in pairs]
            slot_rows = cur.execute(self.slots, {"products": ids}).fetchall()
            slots = [Slot(**dict(zip(SLOT_COLUMNS, r, strict=True)))
                     for r in slot_rows if r[3] > 0]  # fmt: skip
            holds, shortages = plan(lines, slots)
            if shortages:
                self.conn.rollback()
                return False
            ordered = sorted(holds, key=lambda h: (h.product_id, h.location_id, h.quant_id))
            taken = cur.execute(self.reserve, {
                "quants": [h.quant_id for h in ordered], "qs": [h.quantity for h in ordered],
                "lines": [h.order_line_id for h in ordered], "at": now, "expires": None,
            }).fetchall()  # fmt: skip
            if len(taken) != len(ordered):
                self.conn.rollback()
                return False
            # (id, line, quant, product, location, quantity, ...) in route order
            items = [(n, r[1], r[0], r[3], r[4], r[5]) for n, r in enumerate(taken, start=1)]
            task = cur.execute(self.task, {
                "o": order_id, "p": "normal", "at": now, "s": None, "ns": [i[0] for i in items],
                "lines": [i[1] for i in items], "rs": [i[2] for i in items],
                "ps": [i[3] for i in items], "ls": [i[4] for i in items],
                "qs": [i[5] for i in items],
            }).fetchone()  # fmt: skip
            assert task is not None
            sums: dict[str, int] = {}
            for h in ordered:
                sums[barcode[h.product_id]] = sums.get(barcode[h.product_id], 0) + h.quantity
            events = [
                (
                    EventType.INVENTORY_RESERVED,
                    contract_event(
                        EventType.INVENTORY_RESERVED,
                        now,
                        listing_id=b,
                        warehouse_id="MAIN",
                        quantity=q,
                        order_id=job.external_id,
                    ),
                )
                for b, q in sorted(sums.items())
            ]
            events.append((EventType.PICKING_CREATED, contract_event(
                EventType.PICKING_CREATED, now, task_id=task[0], order_id=job.external_id,
                warehouse_id="MAIN")))  # fmt: skip
            params: dict[str, Any] = {}
            for i, (event, payload) in enumerate(events):
                params.update({f"{k}{i}": v for k, v in event_params(event, payload, now).items()})
            details = f"Товар зарезервирован; задание на сборку {task[0]}"
            with self.conn.pipeline():  # the events go with the status, as the use case's
                cur.execute(self.events[len(events)], params)
                cur.execute(self.status, {
                    "id": order_id, "seen": "new", "new": "reserved", "at": now,
                    "reason": None, "confirming": True, "cancelling": False,
                    **self._step("confirmed", "reserved", now, details),
                })  # fmt: skip
            self.conn.commit()
            return True
        except BaseException:
            self.conn.rollback()
            raise

    @staticmethod
    def _step(action: str, status: str, at: datetime, details: str) -> dict[str, Any]:
        return {"step_at": at, "u": None, "action": action, "step_status": status,
                "details": details, "key": None}  # fmt: skip

    def close(self) -> None:
        self.cur.close()
        self.conn.close()


# ---------------------------------------------------------------- measurement


@dataclass
class Latency:
    use_case: list[float]
    raw: list[float]
    cpu: dict[str, float]  # this process's CPU ms per order, each way (less noisy than time)


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) > 1 else values[0]


def one_worker(db: Database, conninfo: str, products: list[int], n: int) -> Latency:
    """n orders each way, one at a time, who goes first alternating; after a warm-up."""
    place = use_case(db)
    raw = RawPlacer(conninfo)
    stream_uc, stream_raw = jobs(products, "lat-uc"), jobs(products, "lat-raw")
    result = Latency([], [], {"use case": 0.0, "raw": 0.0})
    try:
        for _ in range(5):
            place(next(stream_uc))
            raw.place(next(stream_raw))
        for i in range(n):
            pair = [("use case", result.use_case, place, stream_uc),
                    ("raw", result.raw, raw.place, stream_raw)]  # fmt: skip
            for label, sink, run, stream in pair if i % 2 else reversed(pair):
                job = next(stream)
                cpu, t = time.process_time(), time.perf_counter()
                assert run(job), "stock ran out"
                sink.append((time.perf_counter() - t) * 1000)
                result.cpu[label] += (time.process_time() - cpu) * 1000 / n
    finally:
        raw.close()
    return result


def throughput(db: Database, conninfo: str, products: list[int], workers: int, seconds: float,
               repeat: int) -> tuple[list[RunResult], list[RunResult]]:  # fmt: skip
    uc_runs: list[RunResult] = []
    raw_runs: list[RunResult] = []
    for rep in range(repeat):

        def make_uc(i: int, rep: int = rep) -> tuple[Callable[[], bool], Callable[[], None]]:
            stream, place = jobs(products, f"uc-{workers}-{rep}-{i}"), use_case(db)
            return lambda: place(next(stream)), lambda: None

        def make_raw(i: int, rep: int = rep) -> tuple[Callable[[], bool], Callable[[], None]]:
            stream, raw = jobs(products, f"raw-{workers}-{rep}-{i}"), RawPlacer(conninfo)
            return lambda: raw.place(next(stream)), raw.close

        runs = [("use case", uc_runs, make_uc), ("raw", raw_runs, make_raw)]
        for label, sink, make in runs if rep % 2 else reversed(runs):
            r = run_threads(workers, seconds, make)
            sink.append(r)
            print(f"  {workers} workers run {rep + 1}/{repeat} {label:8} {r.rate:6.0f} "
                  f"orders/s ({r.posted} reserved, {r.short} short)", file=sys.stderr,
                  flush=True)  # fmt: skip
    return uc_runs, raw_runs


def consistent(engine: sa.Engine) -> bool:
    """Every quant's `reserved` is the sum of its active reservations; every reserved order
    has one task with one item per reservation."""
    with engine.connect() as conn:
        wrong = conn.execute(sa.text(
            "SELECT count(*) FROM quant q LEFT JOIN (SELECT quant_id, sum(quantity) AS held "
            "FROM reservation WHERE status = 'active' GROUP BY quant_id) r ON r.quant_id = q.id "
            "WHERE q.reserved <> coalesce(r.held, 0)"
        )).scalar_one()  # fmt: skip
        items = conn.execute(sa.text(
            "SELECT (SELECT count(*) FROM reservation), (SELECT count(*) FROM picking_item), "
            "(SELECT count(*) FROM sale_order WHERE status = 'reserved'), "
            "(SELECT count(*) FROM picking_task)"
        )).one()  # fmt: skip
    return wrong == 0 and items[0] == items[1] and items[2] == items[3]


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--products", type=int, default=50_000)
    p.add_argument("--bins", type=int, default=5_000)
    p.add_argument("--positions", type=int, default=200_000)
    p.add_argument("--orders", type=int, default=200, help="orders timed one by one, each way")
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--duration", type=float, default=3.0, help="seconds per throughput run")
    p.add_argument("--repeat", type=int, default=3, help="throughput runs each way (median)")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("WMS_BENCH_POSTGRES_URL", DEFAULT_PG_URL),
        help="database to (re)create for the run",
    )
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--quick", action="store_true", help="smoke run: 500 / 50 / 2,000, 20 orders")
    args = p.parse_args(argv)
    if args.quick:
        args.products, args.bins, args.positions = 500, 50, 2_000
        args.orders, args.duration, args.repeat = 20, 0.5, 1
    args.sqlite = False  # bench.positions's database helper
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, remove = _database(args)
    db = Database.from_url(url)
    conninfo = (
        sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )
    try:
        t = time.perf_counter()
        fill(db.engine, args.products, args.bins, args.positions)
        print(f"filled in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
        products = reservable(db.engine)
        latency = one_worker(db, conninfo, products, args.orders)
        uc_runs, raw_runs = throughput(db, conninfo, products, args.workers, args.duration,
                                       args.repeat)  # fmt: skip
        ok = consistent(db.engine)
    finally:
        db.dispose()
        remove()
    print(f"\nPostgreSQL: {args.products:,} products, {args.bins:,} bins, "
          f"{args.positions:,} positions; a {LINES}-line order created and confirmed")  # fmt: skip
    uc50, raw50 = statistics.median(latency.use_case), statistics.median(latency.raw)
    print(f"1 worker, {args.orders} orders each way, ms:  use case p50 {uc50:6.2f} "
          f"p95 {_p(latency.use_case, 95):6.2f} | raw p50 {raw50:6.2f} "
          f"p95 {_p(latency.raw, 95):6.2f} | ratio {raw50 / uc50:4.2f}")  # fmt: skip
    cpu = latency.cpu
    print(f"  CPU of this process per order, ms: use case {cpu['use case']:5.2f} | "
          f"raw {cpu['raw']:5.2f}")  # fmt: skip
    uc = statistics.median(r.rate for r in uc_runs)
    raw = statistics.median(r.rate for r in raw_runs)
    print(f"{args.workers} workers, median of {args.repeat} x {args.duration:g} s, orders/s: "
          f"use case {uc:6.0f} | raw {raw:6.0f} | ratio {uc / raw:4.2f}")  # fmt: skip
    print("ratio = use case / raw speed (1.00: the layers add nothing); load average "
          f"(1 min) at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    missed = []
    if uc50 >= TARGET_P50_MS:
        missed.append(f"p50 < {TARGET_P50_MS:g} ms")
    if args.workers == 8 and uc < TARGET_RATE:
        missed.append(f"{TARGET_RATE:g} orders/s")
    if args.workers == 8 and uc / raw < TARGET_RATIO:
        missed.append(f"ratio >= {TARGET_RATIO:g}")
    print("reservations = quants' reserved, one task item each: " + ("ok" if ok else "WRONG"))
    print("missed targets: " + (", ".join(missed) if missed else "none"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
