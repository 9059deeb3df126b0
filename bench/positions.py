"""Speed of the positions reads (issue 12): GET /inventory/positions filtered by product,
bin or handling unit, and the product card's per-location stock — each next to the very
same SQL sent on the raw driver, in the same run.

Run from the project root (PostgreSQL on 127.0.0.1 as in the README):

    uv run python -m bench.positions              # 50,000 products, 5,000 bins, 200,000 positions
    uv run python -m bench.positions --browser    # and over HTTP, and the card in Chromium
    uv run python -m bench.positions --quick      # smoke run: 500 / 50 / 2,000, seconds
    uv run python -m bench.positions --sqlite     # the same on SQLite (a temporary file)

A database of its own is created (dropped afterwards unless --keep) and filled in a few
INSERT … SELECT statements: products, bins (one in 20 in the DEFECT warehouse), a pallet
per bin, and positions — every product in --positions / --products different bins, the
last of them on that bin's pallet. Each position's stock came in by one RECEIPT (or
RECEIPT_DEFECT) straight into it, so ledger = quants holds (checked after).

Timed, per call, for --ids random products, bins and pallets (median and p95, ms):

- `data.stock.positions.positions` as GET /inventory/positions calls it (first page of
  50: the count and the page), filtered by product_id, location_id, handling_unit_id;
- `data.floor.locations.product_positions`: the product card's "where it lies" table;
- the card's other reads (product, stock, the 20 latest movements, the warehouses of
  their locations), summed with it: what the server reads to build the card; and, for
  comparison, "every location": how the card named those warehouses before (all 5,000+).

"raw" runs the statements the function sent for that very id (captured from the engine on
a warm-up pass) on a plain psycopg / sqlite3 connection: ratio = function / raw shows
what SQLAlchemy and the row objects add. With --browser the app runs from main.py (as in
bench.pages): the same ids asked of GET /api/v1/inventory/positions on one keep-alive
connection, and the product card opened in Chromium, timed from navigation start to the
first row of its per-location table (bench.positions_app). Targets: positions by product
or bin < 50 ms; the card < 1 s.
"""

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa

from core.catalog.products import get_product
from data.catalog.store import SqlProductStore
from data.db import create_engine
from data.floor.locations import product_positions
from data.migrate import upgrade
from data.models import UtcDateTime
from data.seed import seed_reference_data
from data.stock.balances import balances
from data.stock.journal import JournalFilter, journal
from data.stock.ledger_checks import ledger_discrepancies
from data.stock.locations import internal_locations, warehouses_of
from data.stock.positions import PositionFilter, positions

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench_positions"
TARGET_MS = 50.0
API_PAGE = 50  # GET /inventory/positions's default limit

# ---------------------------------------------------------------- data


def _series(dialect: str, n: int) -> str:
    """A FROM item giving i = 0 … n-1."""
    if dialect == "postgresql":
        return f"generate_series(0, {n - 1}) AS s(i)"
    return (
        "(WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s "
        f"WHERE i < {n - 1}) SELECT i FROM s) AS s"
    )


def _one(conn: sa.Connection, sql: str, **params: Any) -> Any:
    return conn.execute(sa.text(sql), params).scalar_one()


def _id_range(conn: sa.Connection, table: str, where: str, n: int) -> int:
    """The first id of `n` rows just inserted in one statement; they must be contiguous
    (the arithmetic below relies on it)."""
    low, high, count = conn.execute(
        sa.text(f"SELECT min(id), max(id), count(*) FROM {table} WHERE {where}")
    ).one()
    assert count == n and high - low + 1 == n, f"{table}: ids not contiguous"
    return int(low)


def fill(engine: sa.Engine, products: int, bins: int, count: int) -> None:
    rounds = -(-count // products)  # positions per product (the last round may be partial)
    assert rounds <= bins, "more positions per product than bins"
    upgrade(engine)
    seed_reference_data(engine)
    dialect = engine.dialect.name
    at = sa.bindparam("at", datetime.now(UTC), type_=UtcDateTime())
    with engine.begin() as conn:
        main = _one(conn, "SELECT id FROM warehouse WHERE code = 'MAIN'")
        defect = _one(conn, "SELECT id FROM warehouse WHERE code = 'DEFECT'")
        vendor = _one(conn, "SELECT id FROM location WHERE code = 'VENDOR'")
        conn.execute(
            sa.text(
                "INSERT INTO product (sku, name, barcode, min_stock, is_deleted, created_at, "
                "updated_at) SELECT 'POS-' || (100000 + i), 'Товар для замера ' || i, "
                f"'46' || (100000000000 + i), 5, FALSE, :at, :at FROM {_series(dialect, products)}"
            ).bindparams(at)
        )
        p0 = _id_range(conn, "product", "sku LIKE 'POS-%'", products)
        conn.execute(
            sa.text(
                "INSERT INTO location (code, name, kind, warehouse_id, zone, route_sequence, "
                "is_active) SELECT 'B-' || (10000 + i), 'Ячейка ' || i, 'bin', "
                "CASE WHEN i % 20 = 19 THEN :defect ELSE :main END, 'Z' || (i % 10), i, TRUE "
                f"FROM {_series(dialect, bins)}"
            ),
            {"main": main, "defect": defect},
        )
        b0 = _id_range(conn, "location", "code LIKE 'B-%'", bins)
        conn.execute(
            sa.text(
                "INSERT INTO handling_unit (code, kind, location_id, created_at) "
                f"SELECT 'PAL-' || (10000 + i), 'pallet', :b0 + i, :at "
                f"FROM {_series(dialect, bins)}"
            ).bindparams(at),
            {"b0": b0},
        )
        h0 = _id_range(conn, "handling_unit", "code LIKE 'PAL-%'", bins)
        # Position i: product i mod P, in round r = i div P; round r puts it in bin
        # (7·product + r·⌊B/R⌋) mod B — distinct per product — and the last round on the
        # bin's pallet.
        step = bins // rounds
        bin_of = f"(((i % {products}) * 7 + (i / {products}) * {step}) % {bins})"
        conn.execute(
            sa.text(
                "INSERT INTO quant (product_id, location_id, handling_unit_id, quantity, "
                f"reserved, received_at, version) SELECT :p0 + i % {products}, :b0 + {bin_of}, "
                f"CASE WHEN i / {products} = {rounds - 1} THEN :h0 + {bin_of} END, "
                f"1 + (i * 7919) % 50, 0, :at, 0 FROM {_series(dialect, count)}"
            ).bindparams(at),
            {"p0": p0, "b0": b0, "h0": h0},
        )
        conn.execute(
            sa.text(
                "INSERT INTO movement (operation_type, product_id, quantity, from_location_id, "
                "to_location_id, handling_unit_id, document, created_at) "
                "SELECT CASE WHEN l.warehouse_id = :defect THEN 'RECEIPT_DEFECT' "
                "ELSE 'RECEIPT' END, q.product_id, q.quantity, :vendor, q.location_id, "
                "q.handling_unit_id, 'bench:positions', q.received_at "
                "FROM quant q JOIN location l ON l.id = q.location_id ORDER BY q.id"
            ),
            {"defect": defect, "vendor": vendor},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE")


# ---------------------------------------------------------------- the function and raw


Sent = list[tuple[str, Any]]


def captured(engine: sa.Engine, call: Callable[[], Any]) -> Sent:
    """The statements and parameters `call` sends through the engine."""
    sent: Sent = []

    def on_execute(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    try:
        call()
    finally:
        sa.event.remove(engine, "before_cursor_execute", on_execute)
    return sent


class Raw:
    """One plain driver connection, used as the app's pool uses its own: the statements
    in one transaction, every row fetched, then rolled back."""

    def __init__(self, url: sa.URL) -> None:
        if url.get_backend_name() == "postgresql":
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self.conn: Any = psycopg.connect(conninfo)
        else:
            self.conn = sqlite3.connect(str(url.database), check_same_thread=False)

    def run(self, sent: Sent) -> None:
        cur = self.conn.cursor()
        for statement, params in sent:
            cur.execute(statement, params)
            cur.fetchall()
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


@dataclass
class Timing:
    function: list[float]
    raw: list[float]

    def cell(self, values: list[float]) -> str:
        if not values:
            return f"{'—':>7} {'—':>7}"
        p95 = statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]
        return f"{statistics.median(values):7.2f} {p95:7.2f}"

    @property
    def ratio(self) -> float:
        if not self.raw:
            return float("nan")
        return statistics.median(self.raw) / statistics.median(self.function)


def _ms(call: Callable[[], Any]) -> float:
    t = time.perf_counter()
    call()
    return (time.perf_counter() - t) * 1000


def timed(engine: sa.Engine, raw: Raw | None, ids: list[int], call: Callable[[int], Any]) -> Timing:
    """`call(id)` for each id, once each after a warm-up pass that captures its SQL; the raw
    replay of that id's SQL right beside it, who goes first alternating."""
    sent = {i: captured(engine, lambda i=i: call(i)) for i in ids}
    result = Timing([], [])
    for n, i in enumerate(ids):
        pair = [(result.function, lambda i=i: call(i))]
        if raw is not None:
            pair.append((result.raw, lambda i=i: raw.run(sent[i])))
        for sink, run in pair if n % 2 else reversed(pair):
            sink.append(_ms(run))
    return result


# ---------------------------------------------------------------- what is timed


@dataclass(frozen=True)
class Sample:
    products: list[int]
    bins: list[int]
    pallets: list[int]


def sample(engine: sa.Engine, n: int, rng: random.Random) -> Sample:
    with engine.connect() as conn:

        def ids(sql: str) -> list[int]:
            found = list(conn.execute(sa.text(sql)).scalars())
            return rng.sample(found, min(n, len(found)))

        return Sample(
            ids("SELECT id FROM product"),
            ids("SELECT id FROM location WHERE kind = 'bin'"),
            ids("SELECT id FROM handling_unit"),
        )


def _sides(movements: list[Any]) -> list[int]:
    return [m[side] for m in movements for side in ("from_location_id", "to_location_id")]


def card_reads(engine: sa.Engine) -> Callable[[int], Any]:
    """What ui/pages/catalog/product_card.py reads to build the card, in its order."""
    store = SqlProductStore(engine)

    def read(pid: int) -> Any:
        get_product(store, pid)
        balances(engine, product_id=pid, include_deleted=True)
        movements = journal(engine, JournalFilter(product_id=pid), limit=20).items
        warehouses_of(engine, _sides(movements))
        return product_positions(engine, pid)

    return read


def measure(engine: sa.Engine, raw: Raw | None, s: Sample) -> dict[str, Timing]:
    def by(**flt: int) -> Any:
        return positions(engine, PositionFilter(**flt), limit=API_PAGE).items

    with engine.connect() as conn:
        ids = sa.bindparam("ids", s.products, expanding=True)
        sides: dict[int, list[int]] = {pid: [] for pid in s.products}
        rows = conn.execute(
            sa.text(
                "SELECT product_id, from_location_id, to_location_id FROM movement "
                "WHERE product_id IN :ids"
            ).bindparams(ids)
        )
        for pid, src, dst in rows:
            sides[pid] += [src, dst]
    return {
        "positions by product": timed(engine, raw, s.products, lambda i: by(product_id=i)),
        "positions by bin": timed(engine, raw, s.bins, lambda i: by(location_id=i)),
        "positions by pallet": timed(engine, raw, s.pallets, lambda i: by(handling_unit_id=i)),
        "card: where it lies": timed(
            engine, raw, s.products, lambda i: product_positions(engine, i)
        ),
        # Before: every internal location (5,000 bins) to name the movements' warehouses.
        "card: every location": timed(
            engine, raw, s.products[:20], lambda _: internal_locations(engine)
        ),
        "card: moves' warehouses": timed(
            engine, raw, s.products, lambda i: warehouses_of(engine, sides[i])
        ),
        "card: all its reads": timed(engine, None, s.products, card_reads(engine)),
    }


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--products", type=int, default=50_000)
    p.add_argument("--bins", type=int, default=5_000)
    p.add_argument("--positions", type=int, default=200_000)
    p.add_argument("--ids", type=int, default=200, help="random ids timed per read")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("WMS_BENCH_POSTGRES_URL", DEFAULT_PG_URL),
        help="database to (re)create for the run",
    )
    p.add_argument("--sqlite", action="store_true", help="SQLite (a temporary file) instead")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--browser", action="store_true", help="open the card in headless Chromium")
    p.add_argument("--runs", type=int, default=9, help="card openings in Chromium (median)")
    p.add_argument("--port", type=int, default=8120)
    p.add_argument("--quick", action="store_true", help="smoke run: 500 / 50 / 2,000, 20 ids")
    args = p.parse_args(argv)
    if args.quick:
        args.products, args.bins, args.positions, args.ids, args.runs = 500, 50, 2_000, 20, 2
    return args


def _database(args: argparse.Namespace) -> tuple[str, Callable[[], None]]:
    """The URL of a new, empty database and how to remove it."""
    if args.sqlite:
        directory = Path(tempfile.mkdtemp(prefix="wms-bench-positions-"))
        if args.keep:
            print(f"kept in {directory}", file=sys.stderr)
        return f"sqlite:///{directory / 'wms.sqlite3'}", (
            (lambda: None) if args.keep else (lambda: shutil.rmtree(directory))
        )
    url = sa.engine.make_url(args.postgres_url)
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def recreate(create: bool) -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
            if create:
                conn.exec_driver_sql(f'CREATE DATABASE "{url.database}"')

    recreate(True)

    def remove() -> None:
        if not args.keep:
            recreate(False)
        admin.dispose()

    return url.render_as_string(hide_password=False), remove


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, remove = _database(args)
    engine = create_engine(url)
    raw: Raw | None = None
    try:
        t = time.perf_counter()
        fill(engine, args.products, args.bins, args.positions)
        print(f"filled in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
        s = sample(engine, args.ids, random.Random(12))
        raw = Raw(sa.engine.make_url(url))
        results = measure(engine, raw, s)
        app: Any = None  # bench.positions_app.InApp
        if args.browser:
            from bench.positions_app import in_app  # selenium only when asked

            ids = {"product_id": s.products, "location_id": s.bins, "handling_unit_id": s.pallets}
            app = in_app(url, ids, args.runs, args.port)
        wrong = ledger_discrepancies(engine)
    finally:
        if raw is not None:
            raw.close()
        engine.dispose()
        remove()
    backend = "SQLite" if args.sqlite else "PostgreSQL"
    print(
        f"\n{backend}: {args.products:,} products, {args.bins:,} bins, "
        f"{args.positions:,} positions; one call per random id ({args.ids}), ms"
    )
    print(f"{'read':26} {'median':>7} {'p95':>7} | {'raw':>7} {'p95':>7} | {'ratio':>5}")
    missed = []
    for name, r in results.items():
        print(f"{name:26} {r.cell(r.function)} | {r.cell(r.raw)} | {r.ratio:5.2f}")
        targeted = name in ("positions by product", "positions by bin")
        if targeted and statistics.median(r.function) >= TARGET_MS:
            missed.append(name)
    print(f"ratio = raw median / function median (1.00: nothing added); target < {TARGET_MS:.0f}")
    if app is not None:
        from bench.positions_app import report

        missed += report(app)
    print("ledger = quants: " + ("ok" if not wrong else f"WRONG ({len(wrong)} differ)"))
    print("missed targets: " + (", ".join(missed) if missed else "none"))
    return 1 if wrong or missed else 0


if __name__ == "__main__":
    sys.exit(main())
