"""Dashboard reads: KPIs, chart series and low-stock alerts.

Everything here reads the aggregates of the ledger (day_flow, product_day_flow,
product_month_flow — kept in the same transaction as every movement, see data.stock.flows),
quant and product; never the ledger. Days are local calendar days in settings.time_zone.

Charts per day read day_flow: a few dozen rows a day. Sums per product over a period
(top shipped, stock at the end of a past day, shipments for days of cover) are read as
cheaply as the numbers allow, exactly either way: by days, by whole months less the days
outside the period, or as all-time totals less the days before and after it (`_plan`).
Stock at the end of a past day is today's stock (quant) less the changes after it, or the
changes up to it, whichever reads fewer rows.

Stock figures count every unit physically in the warehouses, deleted products' too; the
low-stock alerts leave deleted products out.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import periods
from core.dashboard import kpis as measures
from core.dashboard.kpis import COVER_DAYS, Kpi, Period, days_of_cover, defect_rate
from core.settings import get_settings
from data.dashboard.day_stock import stock_at, take_day_stock
from data.dashboard.series import (
    movements_per_day,
    returns_by_source,
    shipments_by_dc,
    stock_per_day,
    top_shipped,
    writeoffs_per_day,
)
from data.dashboard.sums import (
    Reading,
    as_int,
    available_now,
    dayf,
    plan,
    product_t,
    reading_of,
    sums_per_product,
)
from data.reads import MAX_PAGE, Page, Row
from data.stock.queries import low_stock_sql

__all__ = [
    "Kpi", "Page", "Period", "kpis", "low_stock", "low_stock_count", "movements_per_day",
    "returns_by_source", "shipments_by_dc", "stock_per_day", "take_day_stock", "today",
    "top_shipped", "writeoffs_per_day",
]  # fmt: skip


# The names the property test of the plan knows (data.dashboard.sums holds them).
_plan, _Reading = plan, Reading


def today() -> date:
    """Today in the configured time zone (the last day of Period.last_days)."""
    return periods.today(get_settings().time_zone)


# ---------------------------------------------------------------- KPIs


def _units_by_operation(conn: Connection, period: Period, previous: Period) -> list[dict[str, int]]:
    """{operation: units} for `period` and for `previous` (one read of day_flow)."""
    in_current = dayf.c.day >= period.start
    rows = conn.execute(
        sa.select(
            dayf.c.operation_type,
            sa.func.sum(sa.case((in_current, dayf.c.units), else_=0)),
            sa.func.sum(sa.case((in_current, 0), else_=dayf.c.units)),
        )
        .where(dayf.c.day.between(previous.start, period.end))
        .group_by(dayf.c.operation_type)
    ).all()
    return [{op: as_int(cur) for op, cur, _ in rows}, {op: as_int(prev) for op, _, prev in rows}]


def kpis(engine: Engine, period: Period) -> list[Kpi]:
    """The KPI cards, in core.dashboard.kpis.KPI_KEYS order, each with the previous
    period's value."""
    previous = period.previous()
    with engine.connect() as conn:
        stock = stock_at(conn, [period.end, previous.end], today())
        units = _units_by_operation(conn, period, previous)

    def total(which: int, codes: tuple[str, ...]) -> int:
        return sum(units[which].get(code, 0) for code in codes)

    values: dict[str, tuple[float, float]] = {
        "good_units": (stock[0].good, stock[1].good),
        "defect_units": (stock[0].defect, stock[1].defect),
        "skus_in_stock": (stock[0].skus_in_stock, stock[1].skus_in_stock),
        "low_stock_skus": (stock[0].low_stock_skus, stock[1].low_stock_skus),
    }
    for key, codes in measures.FLOW_MEASURES.items():
        values[key] = (total(0, codes), total(1, codes))
    values["defect_rate"] = tuple(  # type: ignore[assignment]
        defect_rate(total(i, measures.DEFECT_INFLOW), total(i, measures.INFLOW)) for i in (0, 1)
    )
    return [Kpi(key, float(values[key][0]), float(values[key][1])) for key in measures.KPI_KEYS]


# ---------------------------------------------------------------- low stock


def _low_products() -> sa.Select[Any]:
    """Products (not deleted) whose available good stock is below their minimum."""
    available = available_now()
    have = sa.func.coalesce(available.c.available, 0)
    return (
        sa.select(
            product_t.c.id.label("product_id"), product_t.c.sku, product_t.c.name,
            product_t.c.barcode, product_t.c.min_stock, have.label("available"),
        )
        .select_from(product_t.outerjoin(available, available.c.product_id == product_t.c.id))
        .where(product_t.c.is_deleted.is_(False), low_stock_sql(have))
    )  # fmt: skip


@dataclass(frozen=True, eq=False)
class LowStockRow(Row):
    """A low-stock alert: a product below its minimum and how long its stock lasts."""

    product_id: int
    sku: str
    name: str
    barcode: str
    min_stock: int
    available: int
    avg_daily_shipped: float  # units per day over the last 30 days, today included
    days_of_cover: float | None  # None: nothing shipped in those days


def _count_low(conn: Connection) -> int:
    low = _low_products().subquery("low")
    return int(conn.execute(sa.select(sa.func.count()).select_from(low)).scalar_one())


def low_stock_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return _count_low(conn)


def low_stock(engine: Engine, *, limit: int = 50, offset: int = 0) -> Page:
    """The alerts, most urgent first: fewest days of cover, then those with no shipments
    in the last 30 days (no rate: days_of_cover None), by name.

    Each: product_id, sku, name, barcode, min_stock, available, avg_daily_shipped (units
    per day over the last 30 days, today included), days_of_cover."""
    limit, offset = max(1, min(limit, MAX_PAGE)), max(0, offset)
    low = _low_products().cte("low")
    with engine.connect() as conn:
        today_ = today()
        shipped = sums_per_product(
            plan(Period.last_days(COVER_DAYS, today_), reading_of(conn)),
            ("units",),
            measures.SHIPPED,
            products=sa.select(low.c.product_id),
        )
        units = sa.func.coalesce(shipped.c.units, 0)
        has_rate = units > 0
        query = (
            sa.select(low, units.label("shipped"), sa.func.count().over().label("total"))
            .select_from(low.outerjoin(shipped, shipped.c.product_id == low.c.product_id))
            .order_by(
                sa.case((has_rate, 0), else_=1),
                # days of cover: available ÷ (units ÷ 30)
                sa.case((has_rate, low.c.available * COVER_DAYS * 1.0 / sa.func.nullif(units, 0))),
                low.c.name,
                low.c.product_id,
            )
            .limit(limit)
            .offset(offset)
        )
        rows = [dict(r) for r in conn.execute(query).mappings()]
        # No row: nothing is low, or the page lies past the end (then count on its own).
        total = int(rows[0]["total"]) if rows else (_count_low(conn) if offset else 0)
    items = []
    for row in rows:
        shipped_units = as_int(row.pop("shipped"))
        del row["total"]
        available = as_int(row.pop("available"))
        items.append(
            LowStockRow(
                **row,
                available=available,
                avg_daily_shipped=max(shipped_units, 0) / COVER_DAYS,
                days_of_cover=days_of_cover(available, shipped_units),
            )
        )
    return Page(items, total)
