"""The aggregates of the ledger — product_day_flow, product_month_flow, day_flow: how a
ledger row counts in them, and the upserts that add it. The unit of work, the bulk import
and the movement benchmark all use these, so every writer keeps them equal to the ledger.

A row adds +1 movement and +quantity units (a reversal −1 and −quantity) to its keys, and
the signed change of good and defect stock it caused (core.stock.rules.stock_deltas).
Rows are grouped
per key in Python first and written in key order, after the quants: every writer locks
quants before aggregates, and the aggregate tables in the same order, so none deadlock.

product_month_flow also keeps each product's all-time totals per operation, in the row
of month ALL_TIME (0001-01-01): written by the same statement as the month's row, they
let a long period be read as all-time less the days outside it.

day_flow spreads today's rows over SHARDS rows per key (product_id % SHARDS), so that
concurrent movements of different products rarely wait on one row; the daily job
(data.daily_job) merges them into shard 0 once the day is over, which keeps the table
at a few dozen rows a day for the charts. A movement booked on a past day (a backfill)
goes to shard 0.

day_stock keeps counts at the end of days at least SNAPSHOT_LAG days old (taken by the
same daily job); a posting booked on such a day deletes the counts from that day on,
under the same lock as the job, before it writes its aggregates (lock order: quants,
that lock, aggregates).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.periods import local_day, today
from core.stock.rules import stock_deltas

SHARDS = 16
VALUES = ("movements", "units", "good_delta", "defect_delta")
PRODUCT_KEY = ("day", "product_id", "operation_type", "source_id", "distribution_center_id")
MONTH_KEY = ("month", "operation_type", "product_id")
DAY_KEY = ("day", "operation_type", "source_id", "distribution_center_id", "shard")


ALL_TIME = date(1, 1, 1)  # product_month_flow.month of the all-time totals


def _upsert(table: str, key: tuple[str, ...], also: str = "") -> sa.TextClause:
    """Add the values to the row of the key; `also`: a second row of VALUES (the same
    parameters but its own first key column), added by the same statement."""
    columns = (*key, *VALUES)
    added = ", ".join(f"{v} = {table}.{v} + excluded.{v}" for v in VALUES)
    row = ", ".join(":" + c for c in columns)
    second = f", ({also}, {row.split(', ', 1)[1]})" if also else ""
    return sa.text(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({row}){second} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {added}"
    ).bindparams(sa.bindparam(key[0], type_=sa.Date()))


ADD_PRODUCT_FLOW = _upsert("product_day_flow", PRODUCT_KEY)
# The month's row and the all-time row (a literal: SQLite stores dates as this text).
ADD_MONTH_FLOW = _upsert("product_month_flow", MONTH_KEY, also=f"'{ALL_TIME.isoformat()}'")
ADD_DAY_FLOW = _upsert("day_flow", DAY_KEY)
STATEMENTS = (ADD_PRODUCT_FLOW, ADD_MONTH_FLOW, ADD_DAY_FLOW)  # in lock order


def month_of(day: date) -> date:
    return day.replace(day=1)


def shard_of(product_id: int, day: date, today: date) -> int:
    return product_id % SHARDS if day >= today else 0


@dataclass(frozen=True)
class FlowRows:
    """The upsert parameters per table, each list in key order."""

    product: list[dict[str, Any]]
    month: list[dict[str, Any]]
    day: list[dict[str, Any]]

    def by_statement(self) -> list[tuple[sa.TextClause, list[dict[str, Any]]]]:
        return [(ADD_PRODUCT_FLOW, self.product), (ADD_MONTH_FLOW, self.month),
                (ADD_DAY_FLOW, self.day)]  # fmt: skip


def sum_into(
    groups: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], sums: list[int]
) -> None:
    total = groups.get(key)
    if total is None:
        groups[key] = list(sums)
    else:
        for i, value in enumerate(sums):
            total[i] += value


def upsert_params(
    names: tuple[str, ...], groups: dict[tuple[Any, ...], list[int]]
) -> list[dict[str, Any]]:
    columns = (*names, *VALUES)
    return [dict(zip(columns, (*k, *v), strict=True)) for k, v in sorted(groups.items())]


class FlowTotals:
    """Ledger rows summed per aggregate key, ready to be written."""

    def __init__(self, zone: ZoneInfo | str) -> None:
        self._zone = ZoneInfo(zone) if isinstance(zone, str) else zone
        self._product: dict[tuple[Any, ...], list[int]] = {}
        self._last: tuple[datetime, date] | None = None  # an import's rows share one time

    def __bool__(self) -> bool:
        return bool(self._product)

    def earliest_day(self) -> date | None:
        return min((key[0] for key in self._product), default=None)

    def clear(self) -> None:
        self._product.clear()

    def day_of(self, at: datetime) -> date:
        last = self._last
        if last is not None and last[0] == at:
            return last[1]
        day = local_day(at, self._zone)
        self._last = (at, day)
        return day

    def add(
        self,
        *,
        at: datetime,
        product_id: int,
        operation_type: str,
        source_id: int | None,
        distribution_center_id: int | None,
        quantity: int,
        from_warehouse: str | None,
        to_warehouse: str | None,
        reversal: bool,
    ) -> None:
        good, defect = stock_deltas(quantity, from_warehouse, to_warehouse)
        sign = -1 if reversal else 1
        key = (
            self.day_of(at), product_id, operation_type, source_id or 0,
            distribution_center_id or 0,
        )  # fmt: skip
        sum_into(self._product, key, [sign, sign * quantity, good, defect])

    def rows(self, today: date) -> FlowRows:
        """The rows to upsert; `today` (local) decides which day_flow rows are sharded."""
        month: dict[tuple[Any, ...], list[int]] = {}
        day: dict[tuple[Any, ...], list[int]] = {}
        for (d, product_id, op, source, dc), sums in self._product.items():
            sum_into(month, (month_of(d), op, product_id), sums)
            sum_into(day, (d, op, source, dc, shard_of(product_id, d, today)), sums)
        return FlowRows(
            upsert_params(PRODUCT_KEY, self._product),
            upsert_params(MONTH_KEY, month),
            upsert_params(DAY_KEY, day),
        )


# ---------------------------------------------------------------- folding past days

# PostgreSQL advisory lock of the daily job and of postings booked on old days ("wmsf").
_PAST_LOCK = 0x776D_7366
SNAPSHOT_LAG = 2  # day_stock holds days up to today − this
_FORGET_DAY_STOCK = sa.text("DELETE FROM day_stock WHERE day >= :day").bindparams(
    sa.bindparam("day", type_=sa.Date())
)


def lock_past_days(conn: Connection) -> None:
    """Wait for the daily job (or another posting on an old day) to finish; held until
    the end of the transaction. SQLite writers are serialised anyway."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PAST_LOCK})


def touches_day_stock(earliest: date, today: date) -> bool:
    """Whether a posting booked on `earliest` changes counts day_stock may hold."""
    return earliest <= today - timedelta(days=SNAPSHOT_LAG)


def forget_day_stock(conn: Connection, earliest: date) -> None:
    """Delete the counts a posting booked on `earliest` made wrong (caller holds the lock)."""
    conn.execute(_FORGET_DAY_STOCK, {"day": earliest})


WriteStatements = Callable[[list[tuple[sa.TextClause, list[dict[str, Any]]]]], None]


def write_totals(conn: Connection, totals: FlowTotals, today: date, write: WriteStatements) -> None:
    """Add `totals` to the aggregate tables with `write` (each writer runs the statements
    its own way), in the caller's transaction, after its quants. A posting booked on a day
    old enough to have counts in day_stock takes the daily job's lock first and forgets
    those counts (lock order: quants, that lock, aggregates)."""
    earliest = totals.earliest_day()
    old = earliest is not None and touches_day_stock(earliest, today)
    if old:
        lock_past_days(conn)
    write(totals.rows(today).by_statement())
    if old and earliest is not None:
        forget_day_stock(conn, earliest)
    totals.clear()


class _Today:
    """Today's local date, recomputed only when the clock passes the next local midnight:
    every commit asks, and a time zone conversion each time is measurable."""

    def __init__(self) -> None:
        self._cached: tuple[str, date, float] | None = None  # zone, day, next midnight (epoch)

    def __call__(self, zone: str) -> date:
        cached, now = self._cached, time.time()
        if cached is not None and cached[0] == zone and now < cached[2]:
            return cached[1]
        tz = ZoneInfo(zone)
        day = today(zone, datetime.fromtimestamp(now, UTC))
        midnight = datetime.combine(day + timedelta(days=1), dt_time(), tz).timestamp()
        self._cached = (zone, day, midnight)
        return day


local_today = _Today()
