"""Speed of the dashboard reads (data/dashboard/queries.py) on a large PostgreSQL database.

Run from the project root:

    uv run python -m bench.dashboard                    # 1,000,000 ledger rows, 20,000 products
    uv run python -m bench.dashboard --rows 10000000    # the 10M check (several minutes to fill)

A database of its own is created (and dropped afterwards unless --keep) and filled by
bench.generate: products and a consistent year of ledger and quants, written with COPY.
The aggregates are then computed from that ledger with INSERT … SELECT … GROUP BY, in the
state the writers and their daily job leave them: today's day_flow rows sharded, past
days folded, day_stock counts up to two days ago (the writers keep them row by row; a
bulk fill must give the same numbers, which the benchmark checks against the ledger).
Rows go in key order — day by day, as the writers insert them — and the database is
analysed. `--reuse --refill` recomputes them in a kept database.

Each dashboard function is timed for the last 30 and the last 365 days (median of
--repeat runs, after one warm-up run), next to plain GROUP BYs over the ledger that give
the same numbers, as a reference for what the aggregates save. Targets: < 100 ms median
at 1M rows, < 200 ms at 10M.
"""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import SQLModel

from bench.generate import generate
from core.dashboard.kpis import Period
from core.periods import today
from core.settings import get_settings
from data.dashboard import queries as dashboard
from data.db import create_engine
from data.models import DayFlow, DayStock, ProductDayFlow, ProductMonthFlow
from data.stock.flows import ALL_TIME, SHARDS, SNAPSHOT_LAG

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_dashboard_bench"

# ---------------------------------------------------------------- aggregates from the ledger


def _delta(code: str) -> str:
    return (
        f"CASE WHEN wt.code = '{code}' THEN m.quantity ELSE 0 END "
        f"- CASE WHEN wf.code = '{code}' THEN m.quantity ELSE 0 END"
    )


SIGN = "CASE WHEN m.reversal_of IS NULL THEN 1 ELSE -1 END"
LEDGER = (
    "FROM movement m "
    "JOIN location lf ON lf.id = m.from_location_id "
    "LEFT JOIN warehouse wf ON wf.id = lf.warehouse_id "
    "JOIN location lt ON lt.id = m.to_location_id "
    "LEFT JOIN warehouse wt ON wt.id = lt.warehouse_id"
)
FILL_PRODUCT_FLOW = (
    "INSERT INTO product_day_flow (day, product_id, operation_type, source_id, "
    "distribution_center_id, movements, units, good_delta, defect_delta) "
    "SELECT (m.created_at AT TIME ZONE %(zone)s)::date, m.product_id, m.operation_type, "
    "coalesce(m.source_id, 0), coalesce(m.distribution_center_id, 0), "
    f"sum({SIGN}), sum({SIGN} * m.quantity), sum({_delta('MAIN')}), sum({_delta('DEFECT')}) "
    f"{LEDGER} GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
)
SUMS = "sum(movements), sum(units), sum(good_delta), sum(defect_delta)"
FILL_MONTH_FLOW = (
    "INSERT INTO product_month_flow (month, product_id, operation_type, movements, units, "
    f"good_delta, defect_delta) SELECT date_trunc('month', day)::date, product_id, "
    f"operation_type, {SUMS} FROM product_day_flow GROUP BY 1, 2, 3 "
    f"UNION ALL SELECT '{ALL_TIME}', product_id, operation_type, {SUMS} "
    "FROM product_day_flow GROUP BY 2, 3 ORDER BY 1, 3, 2"
)
# As the writers leave it: today's rows spread over shards, past days folded into shard 0.
FILL_DAY_FLOW = (
    "INSERT INTO day_flow (day, operation_type, source_id, distribution_center_id, shard, "
    "movements, units, good_delta, defect_delta) "
    "SELECT day, operation_type, source_id, distribution_center_id, "
    f"CASE WHEN day >= %(today)s THEN mod(product_id, {SHARDS}) ELSE 0 END, {SUMS} "
    "FROM product_day_flow GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5"
)
# The counts the daily job would have taken at the end of every day up to two days ago:
# per product its good stock after each day it changed, the days its "in stock" and
# "below minimum" (today's minimums and reservations) flip, and their running sums.
_LOW = "(NOT p.is_deleted AND p.min_stock > 0 AND {good} - coalesce(q.reserved, 0) < p.min_stock)"
FILL_DAY_STOCK = f"""
WITH per_day AS (
    SELECT product_id, day, sum(good_delta) AS delta FROM product_day_flow GROUP BY 1, 2),
running AS (
    SELECT product_id, day, sum(delta) OVER (PARTITION BY product_id ORDER BY day) AS good
    FROM per_day),
reserved AS (SELECT product_id, sum(reserved) AS reserved FROM quant GROUP BY 1),
flips AS (
    SELECT r.day,
        (r.good > 0)::int - (coalesce(lag(r.good) OVER w, 0) > 0)::int AS stocked,
        {_LOW.format(good="r.good")}::int
            - {_LOW.format(good="coalesce(lag(r.good) OVER w, 0)")}::int AS low
    FROM running r JOIN product p ON p.id = r.product_id
    LEFT JOIN reserved q ON q.product_id = r.product_id
    WINDOW w AS (PARTITION BY r.product_id ORDER BY r.day)),
daily AS (SELECT day, sum(stocked) AS stocked, sum(low) AS low FROM flips GROUP BY day),
base AS (
    SELECT count(*) AS low FROM product p LEFT JOIN reserved q ON q.product_id = p.id
    WHERE {_LOW.format(good="0")})
INSERT INTO day_stock (day, skus_in_stock, low_stock_skus)
SELECT g.day::date,
    sum(coalesce(d.stocked, 0)) OVER (ORDER BY g.day),
    (SELECT low FROM base) + sum(coalesce(d.low, 0)) OVER (ORDER BY g.day)
FROM generate_series(
    (SELECT min(day) FROM product_day_flow), %(last)s::date, interval '1 day') AS g(day)
LEFT JOIN daily d ON d.day = g.day::date
"""
AGGREGATES = (ProductDayFlow, ProductMonthFlow, DayFlow, DayStock)


def fill_aggregates(engine: sa.Engine, zone: str) -> None:
    """The aggregate tables from the ledger, created anew as the models define them (a
    kept database may be older than the code)."""
    tables = [m.__table__ for m in AGGREGATES]
    SQLModel.metadata.drop_all(engine, tables=tables)
    SQLModel.metadata.create_all(engine, tables=tables)
    names = ", ".join(m.__tablename__ for m in AGGREGATES)
    with engine.begin() as conn:
        conn.exec_driver_sql(FILL_PRODUCT_FLOW, {"zone": zone})
        conn.exec_driver_sql(FILL_MONTH_FLOW)
        conn.exec_driver_sql(FILL_DAY_FLOW, {"today": today(zone)})
        last = today(zone) - timedelta(days=SNAPSHOT_LAG)
        conn.exec_driver_sql(FILL_DAY_STOCK, {"last": last})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM ANALYZE {names}")


# ---------------------------------------------------------------- the reference: the ledger


def _utc_bounds(period: Period, zone: str) -> dict[str, Any]:
    tz = ZoneInfo(zone)
    start = datetime.combine(period.start, clock(), tz).astimezone(UTC)
    end = datetime.combine(period.end + timedelta(days=1), clock(), tz).astimezone(UTC)
    return {"start": start, "end": end, "zone": zone}


IN_PERIOD = "m.created_at >= %(start)s AND m.created_at < %(end)s"
REFERENCES: dict[str, str] = {
    "movements_per_day": (
        "SELECT (m.created_at AT TIME ZONE %(zone)s)::date AS day, m.operation_type, "
        f"sum({SIGN} * m.quantity) AS units, sum({SIGN}) AS movements FROM movement m "
        f"WHERE {IN_PERIOD} GROUP BY 1, 2 ORDER BY 1, 2"
    ),
    "top_shipped": (
        f"SELECT m.product_id, sum({SIGN} * m.quantity) AS units FROM movement m "
        f"WHERE m.operation_type = 'SHIPMENT_RC' AND {IN_PERIOD} "
        "GROUP BY m.product_id ORDER BY 2 DESC, 1 LIMIT 20"
    ),
    "shipments_by_dc": (
        f"SELECT m.source_id, m.distribution_center_id, sum({SIGN} * m.quantity) AS units "
        f"FROM movement m WHERE m.operation_type = 'SHIPMENT_RC' AND {IN_PERIOD} "
        "GROUP BY 1, 2"
    ),
    "returns_by_source": (
        f"SELECT m.source_id, m.operation_type, sum({SIGN} * m.quantity) AS units "
        "FROM movement m WHERE m.operation_type IN "
        f"('RETURN_PICKUP', 'RETURN_DEFECT', 'SELF_PURCHASE') AND {IN_PERIOD} GROUP BY 1, 2"
    ),
    "writeoffs_per_day": (
        "SELECT (m.created_at AT TIME ZONE %(zone)s)::date AS day, m.operation_type, "
        f"sum({SIGN} * m.quantity) AS units FROM movement m WHERE m.operation_type IN "
        f"('WRITE_OFF', 'UTILIZATION') AND {IN_PERIOD} GROUP BY 1, 2"
    ),
    # What the stock KPIs would need without aggregates: every product's ledger sum.
    "stock per product (full)": (
        f"SELECT m.product_id, sum({_delta('MAIN')}) AS good, sum({_delta('DEFECT')}) AS defect "
        f"{LEDGER} GROUP BY m.product_id"
    ),
}


# Stock at the start of a period from the ledger, and its counts (today's minimums).
STOCK_BEFORE = (
    "WITH s AS (SELECT m.product_id, "
    f"sum({_delta('MAIN')}) AS good, sum({_delta('DEFECT')}) AS defect "
    f"{LEDGER} WHERE m.created_at < %(start)s GROUP BY m.product_id), "
    "r AS (SELECT product_id, sum(reserved) AS reserved FROM quant GROUP BY 1) "
    "SELECT coalesce(sum(s.good), 0), coalesce(sum(s.defect), 0), "
    "count(*) FILTER (WHERE s.good > 0), "
    "count(*) FILTER (WHERE NOT p.is_deleted AND p.min_stock > 0 "
    "AND coalesce(s.good, 0) - coalesce(r.reserved, 0) < p.min_stock) "
    "FROM product p LEFT JOIN s ON s.product_id = p.id LEFT JOIN r ON r.product_id = p.id"
)


def check_against_ledger(engine: sa.Engine, period: Period, zone: str) -> list[str]:
    """Differences between the dashboard functions and the ledger's GROUP BYs."""
    bounds = _utc_bounds(period, zone)
    wrong = []
    with engine.connect() as conn:

        def ledger(name: str) -> list[dict[str, Any]]:
            return [dict(r) for r in conn.exec_driver_sql(REFERENCES[name], bounds).mappings()]

        per_day = {
            (r["day"], r["operation_type"]): (r["units"], r["movements"])
            for r in ledger("movements_per_day")
            if r["units"] or r["movements"]
        }
        got = {
            (r["day"], r["operation_type"]): (r["units"], r["movements"])
            for r in dashboard.movements_per_day(engine, period)
        }
        if got != per_day:
            wrong.append("movements_per_day")
        top = [(r["product_id"], r["units"]) for r in ledger("top_shipped")]
        if [(r["product_id"], r["units"]) for r in dashboard.top_shipped(engine, period)] != top:
            wrong.append("top_shipped")
        by_dc = {(r["source_id"], r["distribution_center_id"]): r["units"] for r in
                 ledger("shipments_by_dc") if r["units"]}  # fmt: skip
        got_dc = {
            (r["source_id"], r["distribution_center_id"]): r["units"]
            for r in dashboard.shipments_by_dc(engine, period)
        }
        if got_dc != by_dc:
            wrong.append("shipments_by_dc")
        stock = conn.exec_driver_sql(REFERENCES["stock per product (full)"]).all()
        good = sum(int(r.good) for r in stock)
        defect = sum(int(r.defect) for r in stock)
        kpis = {k.key: k for k in dashboard.kpis(engine, period)}
        now = (kpis["good_units"].value, kpis["defect_units"].value)
        if now != (good, defect):
            wrong.append(f"kpis stock {now} != {good, defect}")
        if sum(1 for r in stock if r.good > 0) != kpis["skus_in_stock"].value:
            wrong.append("kpis skus_in_stock")
        # At the end of the previous period (day_stock, or the aggregates per product).
        before = conn.exec_driver_sql(STOCK_BEFORE, bounds).one()
        previous = tuple(kpis[k].previous for k in (
            "good_units", "defect_units", "skus_in_stock", "low_stock_skus"))  # fmt: skip
        if previous != tuple(before):
            wrong.append(f"kpis at the previous end {previous} != ledger {tuple(before)}")
    return wrong


# ---------------------------------------------------------------- timing


def median_ms(run: Callable[[], Any], repeat: int) -> float:
    run()  # warm-up: connection, plans, caches
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def functions(engine: sa.Engine, period: Period) -> dict[str, Callable[[], Any]]:
    return {
        "kpis": lambda: dashboard.kpis(engine, period),
        "movements_per_day": lambda: dashboard.movements_per_day(engine, period),
        "stock_per_day": lambda: dashboard.stock_per_day(engine, period),
        "top_shipped": lambda: dashboard.top_shipped(engine, period),
        "shipments_by_dc": lambda: dashboard.shipments_by_dc(engine, period),
        "returns_by_source": lambda: dashboard.returns_by_source(engine, period),
        "writeoffs_per_day": lambda: dashboard.writeoffs_per_day(engine, period),
        "low_stock (first page)": lambda: dashboard.low_stock(engine, limit=50, offset=0),
        "low_stock_count": lambda: dashboard.low_stock_count(engine),
    }


def reference_runs(engine: sa.Engine, period: Period, zone: str) -> dict[str, Callable[[], Any]]:
    bounds = _utc_bounds(period, zone)

    def run(sql: str) -> Callable[[], Any]:
        def go() -> Any:
            with engine.connect() as conn:
                return conn.exec_driver_sql(sql, bounds).all()

        return go

    return {f"ledger: {name}": run(sql) for name, sql in REFERENCES.items()}


TABLES = (
    "product", "movement", "quant", "product_day_flow", "product_month_flow", "day_flow",
    "day_stock",
)  # fmt: skip


def table_sizes(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t: int(conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one()) for t in TABLES
        }


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--rows", type=int, default=1_000_000, help="ledger rows")
    p.add_argument("--products", type=int, default=20_000)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--repeat", type=int, default=9, help="timed runs per query (median)")
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("WMS_BENCH_DASHBOARD_URL", DEFAULT_PG_URL),
        help="database to create for the run (dropped afterwards unless --keep)",
    )
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--reuse", action="store_true", help="use a kept database as it is")
    p.add_argument(
        "--refill", action="store_true", help="with --reuse: compute the aggregates again"
    )
    p.add_argument("--no-check", action="store_true", help="skip the ledger = quants check")
    return p.parse_args(argv)


def _admin(url: sa.URL) -> sa.Engine:
    return sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = sa.engine.make_url(args.postgres_url)
    assert url.get_backend_name() == "postgresql", "the benchmark runs on PostgreSQL"
    name = str(url.database)
    zone = get_settings().time_zone
    admin = _admin(url)
    url_text = url.render_as_string(hide_password=False)
    try:
        if not args.reuse:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            t = time.perf_counter()
            generated = generate(
                url_text, products=args.products, movements=args.rows, days=args.days,
                check=not args.no_check,
            )  # fmt: skip
            print(f"generated in {time.perf_counter() - t:.0f} s: {generated.seconds}", flush=True)
            engine = create_engine(url_text)
            t = time.perf_counter()
            fill_aggregates(engine, zone)
            print(f"aggregates filled from the ledger in {time.perf_counter() - t:.0f} s")
        else:
            engine = create_engine(url_text)
            if args.refill:
                t = time.perf_counter()
                fill_aggregates(engine, zone)
                print(f"aggregates filled from the ledger in {time.perf_counter() - t:.0f} s")
        try:
            return report(engine, args, zone)
        finally:
            engine.dispose()
    finally:
        if not args.keep and not args.reuse:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def report(engine: sa.Engine, args: argparse.Namespace, zone: str) -> int:
    sizes = table_sizes(engine)
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in sizes.items()))
    today_ = dashboard.today()
    periods = {"30 d": Period.last_days(30, today_), "365 d": Period.last_days(365, today_)}
    wrong = [f"{label}: {w}" for label, p in periods.items()
             for w in check_against_ledger(engine, p, zone)]  # fmt: skip
    target = 100.0 if sizes["movement"] <= 2_000_000 else 200.0
    results: dict[str, dict[str, float]] = {}
    for label, period in periods.items():
        runs = {**functions(engine, period), **reference_runs(engine, period, zone)}
        for fname, run in runs.items():
            results.setdefault(fname, {})[label] = median_ms(run, args.repeat)
    print(
        f"\nPostgreSQL, {sizes['movement']:,} ledger rows, {sizes['product']:,} products; "
        f"median of {args.repeat} runs, ms (today = {today_}, {zone})"
    )
    print(f"{'query':34} {'30 d':>9} {'365 d':>9}  target < {target:.0f} ms")
    missed = []
    for fname, by_period in results.items():
        reference = fname.startswith("ledger:")
        verdict = ""
        if not reference:
            ok = all(ms < target for ms in by_period.values())
            verdict = "met" if ok else "MISSED"
            if not ok:
                missed.append(fname)
        print(f"{fname:34} {by_period['30 d']:9.1f} {by_period['365 d']:9.1f}  {verdict}")
    print("\naggregates = ledger: " + ("ok" if not wrong else f"WRONG {wrong}"))
    return 1 if wrong or missed else 0


if __name__ == "__main__":
    sys.exit(main())
