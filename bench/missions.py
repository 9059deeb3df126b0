"""Recording mission lines at 8 workers on PostgreSQL: the use case against the same
statements on raw psycopg, in the same run.

Run from the project root (PostgreSQL on 127.0.0.1 as in the README):

    uv run python -m bench.missions            # 8 workers, 3 × 5 s each way
    uv run python -m bench.missions --quick    # smoke run (a few seconds)

Each worker is a tablet: a user with an executor and a putaway mission of its own (5
lines of its own products, from MAIN to its bin), in progress. It records lines one
after the other — 1 to 3 units, each with a fresh idempotency key, as the tablet sends.

The use case is `core.floor.recording.record_line` in `data.floor.missions`'s unit of
work: the mission row held, the line's done quantity raised in one conditional UPDATE
that returns the line, the TRANSFER posted by `post_movement` (ledger row, the two quant
legs, the outbox events movement.posted and inventory.placed), the history row, the
mission read back for the answer, the daily aggregates, the commit. The raw path sends
those very statements (their SQL is taken from the same modules) on a psycopg
connection, by hand, to its own database prepared the same way. Target (issue 12): use
case ≥ 0.5 × raw. Both databases are checked after: ledger = quants, every recorded unit
is one TRANSFER unit, done quantities = ledger, and every movement's event plus each
recording's inventory.placed are in the outbox.
"""

import argparse
import json
import os
import random
import statistics
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlmodel import select

from bench.movements import Backend, opened, pg_sql, postgres_backend, run_threads
from core.errors import ValidationError
from core.events import EventType
from core.floor.executors import create_executor
from core.floor.mission_lines import LineRequest
from core.floor.mission_rules import Actor
from core.floor.missions import MissionRequest, assign, create_mission, start
from core.floor.ports import ExecutorData
from core.floor.recording import RecordRequest, mission_document, record_line
from core.settings import get_settings
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from data.catalog.repository import PRODUCT_BY_ID_LOCKED
from data.database import Database
from data.db import write_session
from data.floor.executors import SqlExecutorStore
from data.floor.missions import ADD_DONE, ADD_STEP, HEAD_HELD, LINES_OF, MISSION, mission_work
from data.migrate import upgrade
from data.models import Location, Product, User, Warehouse
from data.outbox import INSERT_EVENT
from data.seed import seed_reference_data
from data.stock.flows import ADD_DAY_FLOW, ADD_MONTH_FLOW, ADD_PRODUCT_FLOW, SHARDS
from data.stock.ledger import INSERT_MOVEMENT
from data.stock.ledger_checks import ledger_discrepancies
from data.stock.repository import HOLD_LOCATION_PG, PUT, TAKE

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench_missions"
LINES_PER_MISSION = 5
STOCK = 1_000_000  # per product: no recording in a run can run short
LINE_QUANTITY = 1_000_000  # nor pass a line


@dataclass(frozen=True)
class Tablet:
    user_id: int
    mission_id: int
    line_ids: list[int]
    bin_id: int


@dataclass
class Floor:
    main_id: int
    tablets: list[Tablet] = field(default_factory=list)


def prepare(db: Database, workers: int) -> Floor:
    """Migrate and seed; per worker a user, an executor, a bin, 5 products with stock in
    MAIN and a putaway of them, started — all through the use cases."""
    upgrade(db.engine)
    seed_reference_data(db.engine)
    with write_session(db.engine) as session:
        main = session.exec(select(Location).where(Location.code == "MAIN")).one()
        house = session.get(Warehouse, main.warehouse_id)
        assert house is not None
        people, bins, goods = [], [], []
        for w in range(workers):
            people.append(User(username=f"tablet-{w}", role="worker", password_hash="-"))
            bins.append(
                Location(
                    code=f"B-{w:02d}",
                    name=f"Ячейка {w}",
                    kind="bin",
                    warehouse_id=house.id,
                    route_sequence=w,
                )
            )
            goods += [
                Product(sku=f"M-{w}-{i}", name=f"Товар {w}-{i}", barcode=f"29{w:03d}{i:08d}")
                for i in range(LINES_PER_MISSION)
            ]
        session.add_all([*people, *bins, *goods])
        session.commit()
        main_id = main.id
        user_ids = [p.id for p in people]
        bin_ids = [b.id for b in bins]
        product_ids = [g.id for g in goods]
    for product_id in product_ids:
        post_movement(
            db.unit_of_work(),
            MovementRequest("RECEIPT", STOCK, product_id=product_id),
            user_id=None,
        )
    manager = Actor(None, may_manage=True)
    floor = Floor(main_id)
    executors = SqlExecutorStore(db.engine)
    for w in range(workers):
        executor = create_executor(
            executors, ExecutorData(f"TAB-{w}", f"Планшет {w}", True, user_ids[w])
        )
        mine = product_ids[w * LINES_PER_MISSION : (w + 1) * LINES_PER_MISSION]
        lines = [LineRequest(p, LINE_QUANTITY, main_id, bin_ids[w]) for p in mine]
        made = create_mission(mission_work(db), MissionRequest("putaway", lines), manager).mission
        assign(mission_work(db), made.id, executor.id, manager)
        start(mission_work(db), made.id, manager)
        floor.tablets.append(Tablet(user_ids[w], made.id, [x.id for x in made.lines], bin_ids[w]))
    return floor


# ---------------------------------------------------------------- the two paths


def _sql(statement: Any) -> str:
    return str(statement.compile(dialect=psycopg_dialect()))


class RawTablet:
    """One worker's connection; `record` is the use case's transaction, by hand."""

    def __init__(self, conn: psycopg.Connection[Any], floor: Floor, tablet: Tablet) -> None:
        self.conn, self.cur = conn, conn.cursor()
        self.floor, self.tablet = floor, tablet
        self.zone = ZoneInfo(get_settings().time_zone)
        self.head, self.add_done = _sql(HEAD_HELD), _sql(ADD_DONE)
        self.step, self.mission, self.lines = _sql(ADD_STEP[True]), _sql(MISSION), _sql(LINES_OF)
        self.product, self.insert_movement, self.take, self.put, self.event = (
            pg_sql(s) for s in (PRODUCT_BY_ID_LOCKED, INSERT_MOVEMENT, TAKE, PUT, INSERT_EVENT)
        )
        self.flows = [pg_sql(s) for s in (ADD_PRODUCT_FLOW, ADD_MONTH_FLOW, ADD_DAY_FLOW)]
        self.hold = pg_sql(HOLD_LOCATION_PG)  # the bin held against a deactivation

    def record(self, line_id: int, quantity: int, key: str) -> bool:
        cur, mission_id, user_id = self.cur, self.tablet.mission_id, self.tablet.user_id
        try:
            cur.execute(self.head, {"m": mission_id})
            head = cur.fetchone()
            assert head is not None and head[1] == "in_progress" and head[3] == user_id
            cur.execute(self.add_done, {"l": line_id, "m": mission_id, "q": quantity})
            line = cur.fetchone()
            if line is None:
                self.conn.rollback()
                return False
            product_id, src, dst = line[3], self.floor.main_id, self.tablet.bin_id
            cur.execute(self.product, {"v": product_id})
            assert cur.fetchone() is not None
            at = datetime.now(UTC)
            values = {
                "operation_type": "TRANSFER",
                "product_id": product_id,
                "quantity": quantity,
                "from_location_id": src,
                "to_location_id": dst,
                "source_id": None,
                "distribution_center_id": None,
                "user_id": user_id,
                "notes": f"Задание №{mission_id}, строка {line[2]}",
                "idempotency_key": key,
                "document": mission_document(mission_id),
                "reversal_of": None,
                "created_at": at,
                "from_handling_unit_id": None,
                "handling_unit_id": None,
            }
            cur.execute(self.insert_movement, values)
            movement_id = cur.fetchone()[0]  # type: ignore[index]
            for location_id in sorted((src, dst)):  # the use case's lock order
                params = {"p": product_id, "l": location_id, "q": quantity}
                if location_id == src:
                    cur.execute(self.take, params)
                    assert cur.fetchone() is not None
                else:
                    cur.execute(self.hold, {"l": location_id})
                    assert cur.fetchone() == (True,)
                    cur.execute(self.put, {**params, "at": at})
            payload = {k: v for k, v in values.items() if k != "idempotency_key"}
            payload.update(id=movement_id, created_at=at.isoformat())
            cur.execute(
                self.event,
                {
                    "t": EventType.MOVEMENT_POSTED,
                    "at": at,
                    "p": json.dumps(payload, ensure_ascii=False),
                },
            )
            # …and inventory.placed (DESIGN.md §7), as the use case tells of a putaway.
            placed = {"listing_id": str(product_id), "warehouse_id": "MAIN", "location": str(dst),
                      "quantity": str(quantity), "at": at.isoformat()}  # fmt: skip
            cur.execute(
                self.event,
                {"t": EventType.INVENTORY_PLACED, "at": at, "p": json.dumps(placed)},
            )
            cur.execute(
                self.step,
                {
                    "mission_id": mission_id,
                    "action": "recorded",
                    "status": "in_progress",
                    "user_id": user_id,
                    "at": at,
                    "details": f"Строка {line[2]}: {line[9]} — {quantity} шт.",
                    "idempotency_key": key,
                    "movement_id": movement_id,
                    "line_id": line_id,
                },
            )
            assert cur.fetchone() is not None
            cur.execute(self.mission, {"m": mission_id})
            assert cur.fetchone() is not None
            cur.execute(self.lines, {"m": mission_id})
            cur.fetchall()
            day = at.astimezone(self.zone).date()
            totals = {
                "product_id": product_id,
                "operation_type": "TRANSFER",
                "movements": 1,
                "units": quantity,
                "good_delta": 0,
                "defect_delta": 0,
            }
            keys = {"source_id": 0, "distribution_center_id": 0}
            day_totals = {k: v for k, v in totals.items() if k != "product_id"}
            with self.conn.pipeline():  # as the unit of work: one round trip
                cur.execute(self.flows[0], {**totals, **keys, "day": day})
                cur.execute(self.flows[1], {**totals, "month": day.replace(day=1)})
                cur.execute(
                    self.flows[2], {**day_totals, **keys, "day": day, "shard": product_id % SHARDS}
                )
            self.conn.commit()
            return True
        except BaseException:
            self.conn.rollback()
            raise

    def close(self) -> None:
        self.cur.close()
        self.conn.close()


Make = Callable[[int], tuple[Callable[[], bool], Callable[[], None]]]


def _jobs(seed: str, lines: list[int]) -> Callable[[], tuple[int, int, str]]:
    rng = random.Random(seed)

    def next_job() -> tuple[int, int, str]:
        return rng.choice(lines), rng.randint(1, 3), uuid.uuid4().hex

    return next_job


def use_case_workers(db: Database, floor: Floor, prefix: str) -> Make:
    def make(i: int) -> tuple[Callable[[], bool], Callable[[], None]]:
        tablet = floor.tablets[i]
        actor, jobs = (
            Actor(tablet.user_id, may_manage=False),
            _jobs(f"{prefix}-{i}", tablet.line_ids),
        )

        def record_one() -> bool:
            line_id, quantity, key = jobs()
            request = RecordRequest(line_id, quantity, idempotency_key=key)
            try:
                record_line(mission_work(db), tablet.mission_id, request, actor)
            except ValidationError:
                return False
            return True

        return record_one, lambda: None

    return make


def raw_workers(backend: Backend, floor: Floor, prefix: str) -> Make:
    def make(i: int) -> tuple[Callable[[], bool], Callable[[], None]]:
        tablet = floor.tablets[i]
        raw, jobs = (
            RawTablet(backend.raw_connect(), floor, tablet),
            _jobs(f"{prefix}-{i}", tablet.line_ids),
        )
        return (lambda: raw.record(*jobs())), raw.close

    return make


# ---------------------------------------------------------------- checks and report


def check(name: str, db: Database) -> tuple[bool, str]:
    with db.engine.connect() as conn:
        done = conn.execute(
            sa.text("SELECT coalesce(sum(done_quantity), 0) FROM mission_line")
        ).scalar_one()
        moved = conn.execute(
            sa.text(
                "SELECT coalesce(sum(quantity), 0), count(*) FROM movement "
                "WHERE operation_type = 'TRANSFER' AND document LIKE 'mission:%'"
            )
        ).one()
        steps = conn.execute(
            sa.text("SELECT count(*) FROM mission_history WHERE action = 'recorded'")
        ).scalar_one()
        events = conn.execute(sa.text("SELECT count(*) FROM outbox_event")).scalar_one()
        movements = conn.execute(sa.text("SELECT count(*) FROM movement")).scalar_one()
    discrepancies = ledger_discrepancies(db.engine)
    # Every movement's movement.posted, and each recording's inventory.placed (a putaway
    # from MAIN into a bin).
    placed = events == movements + moved[1]
    ok = done == moved[0] and steps == moved[1] and placed and not discrepancies
    line = (
        f"{name:18} done={done} transferred={moved[0]} recordings={moved[1]} "
        f"history={steps} events={events}/{movements}+{moved[1]} "
        f"ledger_discrepancies={discrepancies or '[]'} -> {'OK' if ok else 'FAILED'}"
    )
    return ok, line


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--workers", type=int, default=8)
    p.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    p.add_argument("--repeat", type=int, default=3, help="runs each way (median)")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("WMS_BENCH_POSTGRES_URL", DEFAULT_PG_URL),
        help="database to (re)create; '<name>_raw' is created beside it",
    )
    p.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    p.add_argument("--quick", action="store_true", help="smoke run: 1 s, 1 repeat")
    args = p.parse_args(argv)
    if args.quick:
        args.duration, args.repeat = 1.0, 1
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    use_case: list[float] = []
    raw: list[float] = []
    with opened(lambda: postgres_backend(args.postgres_url, args.keep)) as backend:
        floor_uc = prepare(backend.use_case_db, args.workers)
        floor_raw = prepare(backend.raw_db, args.workers)
        for rep in range(args.repeat):
            runs = [
                ("use case", use_case, use_case_workers(backend.use_case_db, floor_uc, f"r{rep}")),
                ("raw", raw, raw_workers(backend, floor_raw, f"r{rep}")),
            ]
            if rep % 2:  # alternate who goes first
                runs.reverse()
            for label, sink, make in runs:
                result = run_threads(args.workers, args.duration, make)
                sink.append(result.rate)
                print(
                    f"  {args.workers} workers  run {rep + 1}/{args.repeat}  {label:8} "
                    f"{result.rate:7.0f} lines/s  {result.cpu_us:5.0f} µs CPU/line  "
                    f"({result.posted} recorded, {result.short} refused)",
                    file=sys.stderr,
                    flush=True,
                )
        verdicts = [check("use case", backend.use_case_db), check("raw", backend.raw_db)]
    uc, rw = statistics.median(use_case), statistics.median(raw)
    paired = statistics.median(u / r for u, r in zip(use_case, raw, strict=True))
    print(
        f"\nrecording a mission line, PostgreSQL, {args.workers} workers, "
        f"median of {args.repeat} × {args.duration:g} s"
    )
    print(f"{'use case':>10} {'raw':>10} {'ratio':>7} {'paired':>7}")
    print(f"{uc:>10.0f} {rw:>10.0f} {uc / rw:>7.2f} {paired:>7.2f}   lines/s")
    print(f"target: ratio >= 0.5: {'met' if uc / rw >= 0.5 else 'MISSED'}")
    print("\ncorrectness")
    for _, line in verdicts:
        print(line)
    return 0 if all(ok for ok, _ in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
