"""What the dashboard's reads share: the tables, today's stock per product, and sums per
product over a period read as cheaply as the numbers allow, exactly either way — by days,
by whole months less the days outside the period, or as all-time totals less the days
before and after it (`plan`)."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.dashboard.kpis import Period
from core.stock.rules import DEFECT_WAREHOUSE, GOOD_WAREHOUSE
from data.models import (
    DayFlow,
    DayStock,
    DistributionCenter,
    Location,
    Product,
    ProductDayFlow,
    ProductMonthFlow,
    Quant,
    Source,
    Warehouse,
)
from data.stock.flows import ALL_TIME

pdf = ProductDayFlow.__table__
pmf = ProductMonthFlow.__table__
dayf = DayFlow.__table__
day_stock_t = DayStock.__table__
product_t = Product.__table__
quant_t = Quant.__table__
location_t = Location.__table__
warehouse_t = Warehouse.__table__
source_t = Source.__table__
dc_t = DistributionCenter.__table__


def in_period(period: Period, day: sa.ColumnElement[date]) -> sa.ColumnElement[bool]:
    return day.between(period.start, period.end)


def as_int(value: Any) -> int:
    return int(value or 0)


# ---------------------------------------------------------------- stock


def warehouse_locations(code: str) -> sa.Select[Any]:
    return (
        sa.select(location_t.c.id)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(warehouse_t.c.code == code)
    )


def stock_now() -> sa.Subquery:
    """good, defect and reserved (of good) per product with any quant."""
    in_main = quant_t.c.location_id.in_(warehouse_locations(GOOD_WAREHOUSE))
    in_defect = quant_t.c.location_id.in_(warehouse_locations(DEFECT_WAREHOUSE))
    return (
        sa.select(
            quant_t.c.product_id,
            sa.func.sum(sa.case((in_main, quant_t.c.quantity), else_=0)).label("good"),
            sa.func.sum(sa.case((in_defect, quant_t.c.quantity), else_=0)).label("defect"),
            sa.func.sum(sa.case((in_main, quant_t.c.reserved), else_=0)).label("reserved"),
        )
        .group_by(quant_t.c.product_id)
        .subquery("now")
    )


def available_now() -> sa.Subquery:
    return (
        sa.select(
            quant_t.c.product_id,
            sa.func.sum(quant_t.c.quantity - quant_t.c.reserved).label("available"),
        )
        .where(quant_t.c.location_id.in_(warehouse_locations(GOOD_WAREHOUSE)))
        .group_by(quant_t.c.product_id)
        .subquery("available")
    )


# ---------------------------------------------------------------- sums per product

# Without statistics, reading a month of product_month_flow is taken to cost as much as
# reading this many days of product_day_flow.
_MONTH_COST_DAYS = 10


@dataclass(frozen=True)
class Reading:
    """What choosing between all-time, month and day rows depends on."""

    first_day: date | None  # the first and the last day with aggregate rows (None: none)
    last_day: date | None
    month_cost: float  # one month of product_month_flow, in days of product_day_flow

    @property
    def all_time_cost(self) -> float:
        # The all-time rows: about one per product and operation ever moved, a little
        # more than an average month's.
        return 2 * self.month_cost

    def days_with_data(self, start: date, end: date) -> int:
        """Days of [start, end] that may hold rows."""
        if self.first_day is None or self.last_day is None:
            return 0
        return max(0, (min(end, self.last_day) - max(start, self.first_day)).days + 1)


def reading_of(conn: Connection) -> Reading:
    first, last = conn.execute(sa.select(sa.func.min(pdf.c.day), sa.func.max(pdf.c.day))).one()
    month_cost = float(_MONTH_COST_DAYS)
    if first is not None and last is not None and conn.dialect.name == "postgresql":
        # Rows per month over rows per day, from the planner's statistics (ANALYZE).
        rows = dict(
            conn.execute(
                sa.text(
                    "SELECT relname, reltuples FROM pg_class "
                    "WHERE relname IN ('product_day_flow', 'product_month_flow')"
                )
            ).all()
        )
        day_rows, month_rows = rows.get("product_day_flow", 0), rows.get("product_month_flow", 0)
        if day_rows > 0 and month_rows > 0:
            days = (last - first).days + 1
            # +2: the all-time rows count about as much as two months
            months = (last.year - first.year) * 12 + last.month - first.month + 3
            month_cost = max(1.0, (month_rows / months) / (day_rows / days))
    return Reading(first, last, month_cost)


@dataclass(frozen=True)
class Plan:
    """Which rows make up the sums over some days, each added (+1) or taken away (−1):
    the all-time rows, whole months (product_month_flow) and runs of days
    (product_day_flow)."""

    all_time: int = 0
    months: tuple[tuple[date, int], ...] = ()
    days: tuple[tuple[Period, int], ...] = ()
    cost: float = 0  # in days of product_day_flow read

    def negated(self) -> "Plan":
        return Plan(
            -self.all_time,
            tuple((m, -sign) for m, sign in self.months),
            tuple((d, -sign) for d, sign in self.days),
            self.cost,
        )

    def __add__(self, other: "Plan") -> "Plan":
        return Plan(
            self.all_time + other.all_time,
            self.months + other.months,
            self.days + other.days,
            self.cost + other.cost,
        )


def _month_end(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _span(a: date, b: date, after: bool = False) -> Period | None:
    """The days strictly between a month edge and the period: [a, b) or (a, b]."""
    start, end = (a + timedelta(days=1), b) if after else (a, b - timedelta(days=1))
    return Period(start, end) if start <= end else None


def _by_months(period: Period, reading: Reading) -> Plan:
    """Per month the period touches: its days, or the whole month less the month's other
    days — whichever reads less. Months without data are left out."""
    months: list[tuple[date, int]] = []
    days: list[tuple[Period, int]] = []
    cost = 0.0
    month = period.start.replace(day=1)
    while month <= period.end:
        last = _month_end(month)
        inside = Period(max(month, period.start), min(last, period.end))
        direct = reading.days_with_data(inside.start, inside.end)
        outside = [p for p in (_span(month, inside.start), _span(inside.end, last, True)) if p]
        rest = sum(reading.days_with_data(p.start, p.end) for p in outside)
        if direct and reading.month_cost + rest < direct:
            months.append((month, 1))
            days += [(p, -1) for p in outside if reading.days_with_data(p.start, p.end)]
            cost += reading.month_cost + rest
        elif direct:
            days.append((inside, 1))
            cost += direct
        month = last + timedelta(days=1)
    return Plan(0, tuple(months), tuple(days), cost)


def plan(period: Period, reading: Reading) -> Plan:
    """The cheapest exact way to sum the period: by months and days, or all-time less
    the days before and after it (a long period ending today reads little that way)."""
    direct = _by_months(period, reading)
    first, last = reading.first_day, reading.last_day
    if first is None or last is None:
        return direct
    outside = Plan(1, cost=reading.all_time_cost)
    if period.start > first:
        before = Period(first, min(period.start - timedelta(days=1), last))
        outside += _by_months(before, reading).negated()
    if period.end < last:
        after = Period(max(period.end + timedelta(days=1), first), last)
        outside += _by_months(after, reading).negated()
    return outside if outside.cost < direct.cost else direct


def sums_per_product(
    plan: Plan,
    columns: tuple[str, ...],
    operations: tuple[str, ...] | None = None,
    products: sa.Select[Any] | None = None,
    name: str = "sums",
) -> sa.Subquery:
    """product_id and Σ of `columns` over the plan's rows, per product."""

    def part(table: sa.Table, where: sa.ColumnElement[bool], sign: int) -> sa.Select[Any]:
        conditions = [where]
        if operations is not None:
            conditions.append(table.c.operation_type.in_(operations))
        if products is not None:
            conditions.append(table.c.product_id.in_(products))
        values = [(table.c[c] if sign > 0 else -table.c[c]).label(c) for c in columns]
        return sa.select(table.c.product_id, *values).where(*conditions)

    parts = []
    if plan.all_time:
        parts.append(part(pmf, pmf.c.month == ALL_TIME, plan.all_time))
    for sign in (1, -1):
        months = [m for m, s in plan.months if s == sign]
        if months:
            parts.append(part(pmf, pmf.c.month.in_(months), sign))
    parts += [part(pdf, in_period(p, pdf.c.day), sign) for p, sign in plan.days]
    if not parts:  # no day with data: an empty set of the right shape
        parts.append(part(pdf, sa.false(), 1))
    rows = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery(f"{name}_rows")
    return (
        sa.select(rows.c.product_id, *(sa.func.sum(rows.c[c]).label(c) for c in columns))
        .group_by(rows.c.product_id)
        .subquery(name)
    )
