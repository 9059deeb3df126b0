"""Stock at the end of a local day: units, products in stock, products below their
minimum — stored by the daily job in day_stock for days at least two days old, computed
from the aggregates otherwise."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.dashboard.kpis import Period
from core.stock.rules import DEFECT_WAREHOUSE, GOOD_WAREHOUSE
from data.dashboard.sums import (
    Plan,
    Reading,
    as_int,
    day_stock_t,
    dayf,
    plan,
    product_t,
    quant_t,
    reading_of,
    stock_now,
    sums_per_product,
    warehouse_locations,
)
from data.stock.queries import low_stock_sql


@dataclass(frozen=True)
class StockAt:
    good: int
    defect: int
    skus_in_stock: int
    low_stock_skus: int


def stock_at(conn: Connection, days: list[date], today_: date) -> list[StockAt]:
    """Stock at the end of each local day of `days`: the counts of day_stock where it has
    them (with the units from day_flow), the rest from the aggregates per product."""
    past = [d for d in days if d < today_]
    stored = {
        row.day: row
        for row in conn.execute(sa.select(day_stock_t).where(day_stock_t.c.day.in_(past)))
    } if past else {}  # fmt: skip
    live_days = [d for d in days if d not in stored]
    live = dict(zip(live_days, _stock_per_product(conn, live_days, reading_of(conn)), strict=True))
    units = _units_at(conn, list(stored))
    return [
        live[d] if d in live else StockAt(*units[d], stored[d].skus_in_stock,
                                           stored[d].low_stock_skus)
        for d in days
    ]  # fmt: skip


def _units_at(conn: Connection, days: list[date]) -> dict[date, tuple[int, int]]:
    """Good and defect units at the end of each day: today's less the changes after it."""
    if not days:
        return {}
    main = quant_t.c.location_id.in_(warehouse_locations(GOOD_WAREHOUSE))
    defect = quant_t.c.location_id.in_(warehouse_locations(DEFECT_WAREHOUSE))
    now = conn.execute(
        sa.select(
            sa.func.sum(quant_t.c.quantity).filter(main),
            sa.func.sum(quant_t.c.quantity).filter(defect),
        )
    ).one()
    later = conn.execute(
        sa.select(
            *(sa.func.sum(dayf.c[c]).filter(dayf.c.day > d) for d in days
              for c in ("good_delta", "defect_delta"))
        ).where(dayf.c.day > min(days))
    ).one()  # fmt: skip
    return {
        d: (as_int(now[0]) - as_int(later[2 * i]), as_int(now[1]) - as_int(later[2 * i + 1]))
        for i, d in enumerate(days)
    }


def take_day_stock(conn: Connection, day: date) -> bool:
    """Store the counts at the end of `day` unless stored; run by the daily job in a write
    transaction holding data.stock.flows.lock_past_days. True when taken."""
    exists = conn.execute(sa.select(day_stock_t.c.day).where(day_stock_t.c.day == day))
    if exists.first() is not None:
        return False
    [stock] = _stock_per_product(conn, [day], reading_of(conn))
    conn.execute(
        sa.insert(day_stock_t).values(
            day=day, skus_in_stock=stock.skus_in_stock, low_stock_skus=stock.low_stock_skus
        )
    )
    return True


def _stock_per_product(conn: Connection, days: list[date], reading: Reading) -> list[StockAt]:
    """Stock at the end of each local day of `days`, in one query over the products:
    units, products with good stock, and products below their minimum. The minimum test
    for a past day uses today's minimums and reservations (those of a past day are not
    kept): an approximation."""
    if not days:
        return []
    now = stock_now()
    base: sa.FromClause = product_t.outerjoin(now, now.c.product_id == product_t.c.id)
    good_now = sa.func.coalesce(now.c.good, 0)
    defect_now = sa.func.coalesce(now.c.defect, 0)
    reserved = sa.func.coalesce(now.c.reserved, 0)
    measures_: list[sa.ColumnElement[Any]] = []
    first, last = reading.first_day, reading.last_day
    for i, day in enumerate(days):
        good: sa.ColumnElement[int] = good_now
        defect: sa.ColumnElement[int] = defect_now
        if first is not None and last is not None and day < last:
            # Today's stock less the changes after the day, or the changes up to the day
            # summed from the start: whichever reads fewer rows (the same number).
            later = plan(Period(day + timedelta(days=1), last), reading)
            earlier = plan(Period(first, day), reading) if first <= day else Plan()
            forward = earlier.cost < later.cost
            changes = sums_per_product(
                earlier if forward else later, ("good_delta", "defect_delta"), name=f"changes{i}"
            )
            base = base.outerjoin(changes, changes.c.product_id == product_t.c.id)
            moved_good = sa.func.coalesce(changes.c.good_delta, 0)
            moved_defect = sa.func.coalesce(changes.c.defect_delta, 0)
            good, defect = (
                (moved_good, moved_defect)
                if forward
                else (good_now - moved_good, defect_now - moved_defect)
            )
        low = sa.and_(product_t.c.is_deleted.is_(False), low_stock_sql(good - reserved))
        measures_ += [
            sa.func.coalesce(sa.func.sum(good), 0),
            sa.func.coalesce(sa.func.sum(defect), 0),
            sa.func.count().filter(good > 0),
            sa.func.count().filter(low),
        ]
    row = conn.execute(sa.select(*measures_).select_from(base)).one()
    values = [as_int(v) for v in row]
    return [StockAt(*values[i * 4 : i * 4 + 4]) for i in range(len(days))]
