"""Dashboard reads: KPIs, chart series and low-stock alerts.

Everything here reads the aggregates of the ledger (day_flow, product_day_flow,
product_month_flow — kept in the same transaction as every movement, see data.flows),
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
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core import kpis as measures
from core import periods
from core.kpis import COVER_DAYS, Kpi, Period, days_of_cover, defect_rate
from core.settings import get_settings
from core.stock import DEFECT_WAREHOUSE, GOOD_WAREHOUSE
from data.flows import ALL_TIME
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
from data.queries import MAX_PAGE, Page, low_stock_sql

__all__ = [
    "Kpi", "Page", "Period", "kpis", "low_stock", "low_stock_count", "movements_per_day",
    "returns_by_source", "shipments_by_dc", "stock_per_day", "today", "top_shipped",
    "writeoffs_per_day",
]  # fmt: skip

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


def today() -> date:
    """Today in the configured time zone (the last day of Period.last_days)."""
    return periods.today(get_settings().time_zone)


def _in(period: Period, day: sa.ColumnElement[date]) -> sa.ColumnElement[bool]:
    return day.between(period.start, period.end)


def _int(value: Any) -> int:
    return int(value or 0)


# ---------------------------------------------------------------- stock


def _warehouse_locations(code: str) -> sa.Select[Any]:
    return (
        sa.select(location_t.c.id)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(warehouse_t.c.code == code)
    )


def _stock_now() -> sa.Subquery:
    """good, defect and reserved (of good) per product with any quant."""
    in_main = quant_t.c.location_id.in_(_warehouse_locations(GOOD_WAREHOUSE))
    in_defect = quant_t.c.location_id.in_(_warehouse_locations(DEFECT_WAREHOUSE))
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


def _available_now() -> sa.Subquery:
    return (
        sa.select(
            quant_t.c.product_id,
            sa.func.sum(quant_t.c.quantity - quant_t.c.reserved).label("available"),
        )
        .where(quant_t.c.location_id.in_(_warehouse_locations(GOOD_WAREHOUSE)))
        .group_by(quant_t.c.product_id)
        .subquery("available")
    )


# ---------------------------------------------------------------- sums per product

# Without statistics, reading a month of product_month_flow is taken to cost as much as
# reading this many days of product_day_flow.
_MONTH_COST_DAYS = 10


@dataclass(frozen=True)
class _Reading:
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


def _reading(conn: Connection) -> _Reading:
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
    return _Reading(first, last, month_cost)


@dataclass(frozen=True)
class _Plan:
    """Which rows make up the sums over some days, each added (+1) or taken away (−1):
    the all-time rows, whole months (product_month_flow) and runs of days
    (product_day_flow)."""

    all_time: int = 0
    months: tuple[tuple[date, int], ...] = ()
    days: tuple[tuple[Period, int], ...] = ()
    cost: float = 0  # in days of product_day_flow read

    def negated(self) -> "_Plan":
        return _Plan(
            -self.all_time,
            tuple((m, -sign) for m, sign in self.months),
            tuple((d, -sign) for d, sign in self.days),
            self.cost,
        )

    def __add__(self, other: "_Plan") -> "_Plan":
        return _Plan(
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


def _by_months(period: Period, reading: _Reading) -> _Plan:
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
    return _Plan(0, tuple(months), tuple(days), cost)


def _plan(period: Period, reading: _Reading) -> _Plan:
    """The cheapest exact way to sum the period: by months and days, or all-time less
    the days before and after it (a long period ending today reads little that way)."""
    direct = _by_months(period, reading)
    first, last = reading.first_day, reading.last_day
    if first is None or last is None:
        return direct
    outside = _Plan(1, cost=reading.all_time_cost)
    if period.start > first:
        before = Period(first, min(period.start - timedelta(days=1), last))
        outside += _by_months(before, reading).negated()
    if period.end < last:
        after = Period(max(period.end + timedelta(days=1), first), last)
        outside += _by_months(after, reading).negated()
    return outside if outside.cost < direct.cost else direct


def _sums_per_product(
    plan: _Plan,
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
    parts += [part(pdf, _in(p, pdf.c.day), sign) for p, sign in plan.days]
    if not parts:  # no day with data: an empty set of the right shape
        parts.append(part(pdf, sa.false(), 1))
    rows = (sa.union_all(*parts) if len(parts) > 1 else parts[0]).subquery(f"{name}_rows")
    return (
        sa.select(rows.c.product_id, *(sa.func.sum(rows.c[c]).label(c) for c in columns))
        .group_by(rows.c.product_id)
        .subquery(name)
    )


# ---------------------------------------------------------------- stock at the end of a day


@dataclass(frozen=True)
class _StockAt:
    good: int
    defect: int
    skus_in_stock: int
    low_stock_skus: int


def _stock_at(conn: Connection, days: list[date], today_: date) -> list[_StockAt]:
    """Stock at the end of each local day of `days`: the counts of day_stock where it has
    them (with the units from day_flow), the rest from the aggregates per product."""
    past = [d for d in days if d < today_]
    stored = {
        row.day: row
        for row in conn.execute(sa.select(day_stock_t).where(day_stock_t.c.day.in_(past)))
    } if past else {}  # fmt: skip
    live_days = [d for d in days if d not in stored]
    live = dict(zip(live_days, _stock_per_product(conn, live_days, _reading(conn)), strict=True))
    units = _units_at(conn, list(stored))
    return [
        live[d] if d in live else _StockAt(*units[d], stored[d].skus_in_stock,
                                           stored[d].low_stock_skus)
        for d in days
    ]  # fmt: skip


def _units_at(conn: Connection, days: list[date]) -> dict[date, tuple[int, int]]:
    """Good and defect units at the end of each day: today's less the changes after it."""
    if not days:
        return {}
    main = quant_t.c.location_id.in_(_warehouse_locations(GOOD_WAREHOUSE))
    defect = quant_t.c.location_id.in_(_warehouse_locations(DEFECT_WAREHOUSE))
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
        d: (_int(now[0]) - _int(later[2 * i]), _int(now[1]) - _int(later[2 * i + 1]))
        for i, d in enumerate(days)
    }


def take_day_stock(conn: Connection, day: date) -> bool:
    """Store the counts at the end of `day` unless stored; run by the daily job in a write
    transaction holding data.flows.lock_past_days. True when taken."""
    exists = conn.execute(sa.select(day_stock_t.c.day).where(day_stock_t.c.day == day))
    if exists.first() is not None:
        return False
    [stock] = _stock_per_product(conn, [day], _reading(conn))
    conn.execute(
        sa.insert(day_stock_t).values(
            day=day, skus_in_stock=stock.skus_in_stock, low_stock_skus=stock.low_stock_skus
        )
    )
    return True


def _stock_per_product(conn: Connection, days: list[date], reading: _Reading) -> list[_StockAt]:
    """Stock at the end of each local day of `days`, in one query over the products:
    units, products with good stock, and products below their minimum. The minimum test
    for a past day uses today's minimums and reservations (those of a past day are not
    kept): an approximation."""
    if not days:
        return []
    now = _stock_now()
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
            later = _plan(Period(day + timedelta(days=1), last), reading)
            earlier = _plan(Period(first, day), reading) if first <= day else _Plan()
            forward = earlier.cost < later.cost
            changes = _sums_per_product(
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
    values = [_int(v) for v in row]
    return [_StockAt(*values[i * 4 : i * 4 + 4]) for i in range(len(days))]


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
    return [{op: _int(cur) for op, cur, _ in rows}, {op: _int(prev) for op, _, prev in rows}]


def kpis(engine: Engine, period: Period) -> list[Kpi]:
    """The KPI cards, in core.kpis.KPI_KEYS order, each with the previous period's value."""
    previous = period.previous()
    with engine.connect() as conn:
        stock = _stock_at(conn, [period.end, previous.end], today())
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


# ---------------------------------------------------------------- chart series


def movements_per_day(engine: Engine, period: Period) -> list[dict[str, Any]]:
    """{day, operation_type, units, movements} per day and operation (reversals net out;
    a day and operation whose movements were all reversed is left out)."""
    units, movements = sa.func.sum(dayf.c.units), sa.func.sum(dayf.c.movements)
    query = (
        sa.select(dayf.c.day, dayf.c.operation_type, units.label("units"),
                  movements.label("movements"))
        .where(_in(period, dayf.c.day))
        .group_by(dayf.c.day, dayf.c.operation_type)
        .having(sa.or_(units != 0, movements != 0))
        .order_by(dayf.c.day, dayf.c.operation_type)
    )  # fmt: skip
    with engine.connect() as conn:
        return [
            {"day": r.day, "operation_type": r.operation_type, "units": _int(r.units),
             "movements": _int(r.movements)}
            for r in conn.execute(query)
        ]  # fmt: skip


def stock_per_day(engine: Engine, period: Period) -> list[dict[str, Any]]:
    """{day, good, defect}: stock at the END of each day of the period (every day, also
    those without movements; days after today carry today's stock)."""
    now = sa.select(
        sa.func.coalesce(sa.func.sum(sa.case(
            (quant_t.c.location_id.in_(_warehouse_locations(GOOD_WAREHOUSE)), quant_t.c.quantity),
            else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case(
            (quant_t.c.location_id.in_(_warehouse_locations(DEFECT_WAREHOUSE)), quant_t.c.quantity),
            else_=0)), 0),
    )  # fmt: skip
    changes = (
        sa.select(dayf.c.day, sa.func.sum(dayf.c.good_delta), sa.func.sum(dayf.c.defect_delta))
        .where(dayf.c.day > period.start)
        .group_by(dayf.c.day)
    )
    with engine.connect() as conn:
        good, defect = (int(v) for v in conn.execute(now).one())
        by_day = {day: (int(g), int(d)) for day, g, d in conn.execute(changes)}
    # Walk back from today's stock: the end of day d is the stock without the changes
    # of every later day.
    later = [(d, g, f) for d, (g, f) in by_day.items() if d > period.end]
    good -= sum(g for _, g, _ in later)
    defect -= sum(f for _, _, f in later)
    series = []
    for day in reversed(period.each_day()):
        series.append({"day": day, "good": good, "defect": defect})
        g, f = by_day.get(day, (0, 0))
        good, defect = good - g, defect - f
    series.reverse()
    return series


def top_shipped(engine: Engine, period: Period, limit: int = 20) -> list[dict[str, Any]]:
    """{product_id, sku, name, barcode, units}: the products shipped to DCs most."""
    with engine.connect() as conn:
        sums = _sums_per_product(_plan(period, _reading(conn)), ("units",), measures.SHIPPED)
        shipped = (
            sa.select(sums.c.product_id, sums.c.units)
            .where(sums.c.units > 0)
            .order_by(sums.c.units.desc(), sums.c.product_id)
            .limit(max(1, min(limit, MAX_PAGE)))
            .subquery("shipped")
        )
        query = (
            sa.select(
                shipped.c.product_id, product_t.c.sku, product_t.c.name, product_t.c.barcode,
                shipped.c.units,
            )
            .join(product_t, product_t.c.id == shipped.c.product_id)
            .order_by(shipped.c.units.desc(), shipped.c.product_id)
        )  # fmt: skip
        return [{**r, "units": _int(r["units"])} for r in conn.execute(query).mappings()]


def shipments_by_dc(engine: Engine, period: Period) -> list[dict[str, Any]]:
    """{marketplace, source_id, distribution_center_id, distribution_center, units}."""
    units = sa.func.sum(dayf.c.units)
    totals = (
        sa.select(dayf.c.source_id, dayf.c.distribution_center_id, units.label("units"))
        .where(dayf.c.operation_type.in_(measures.SHIPPED), _in(period, dayf.c.day))
        .group_by(dayf.c.source_id, dayf.c.distribution_center_id)
        .having(units != 0)
        .subquery("totals")
    )
    query = (
        sa.select(
            source_t.c.name.label("marketplace"), totals.c.source_id,
            totals.c.distribution_center_id, dc_t.c.name.label("distribution_center"),
            totals.c.units,
        )
        .select_from(totals)
        .outerjoin(source_t, source_t.c.id == totals.c.source_id)
        .outerjoin(dc_t, dc_t.c.id == totals.c.distribution_center_id)
        .order_by(totals.c.units.desc(), totals.c.distribution_center_id)
    )  # fmt: skip
    with engine.connect() as conn:
        return [{**r, "units": _int(r["units"])} for r in conn.execute(query).mappings()]


def returns_by_source(engine: Engine, period: Period) -> list[dict[str, Any]]:
    """{source_id, source, operation_type, units} for returns and self-purchases."""
    units = sa.func.sum(dayf.c.units)
    totals = (
        sa.select(dayf.c.source_id, dayf.c.operation_type, units.label("units"))
        .where(dayf.c.operation_type.in_(measures.RETURNS_BY_SOURCE), _in(period, dayf.c.day))
        .group_by(dayf.c.source_id, dayf.c.operation_type)
        .having(units != 0)
        .subquery("totals")
    )
    query = (
        sa.select(
            totals.c.source_id, source_t.c.name.label("source"), totals.c.operation_type,
            totals.c.units,
        )
        .select_from(totals)
        .outerjoin(source_t, source_t.c.id == totals.c.source_id)
        .order_by(source_t.c.name, totals.c.operation_type)
    )  # fmt: skip
    with engine.connect() as conn:
        return [{**r, "units": _int(r["units"])} for r in conn.execute(query).mappings()]


def writeoffs_per_day(engine: Engine, period: Period) -> list[dict[str, Any]]:
    """{day, operation_type, units} for WRITE_OFF and UTILIZATION."""
    units = sa.func.sum(dayf.c.units)
    query = (
        sa.select(dayf.c.day, dayf.c.operation_type, units.label("units"))
        .where(dayf.c.operation_type.in_(measures.WRITTEN_OFF), _in(period, dayf.c.day))
        .group_by(dayf.c.day, dayf.c.operation_type)
        .having(units != 0)
        .order_by(dayf.c.day, dayf.c.operation_type)
    )
    with engine.connect() as conn:
        return [
            {"day": r.day, "operation_type": r.operation_type, "units": _int(r.units)}
            for r in conn.execute(query)
        ]


# ---------------------------------------------------------------- low stock


def _low_products() -> sa.Select[Any]:
    """Products (not deleted) whose available good stock is below their minimum."""
    available = _available_now()
    have = sa.func.coalesce(available.c.available, 0)
    return (
        sa.select(
            product_t.c.id.label("product_id"), product_t.c.sku, product_t.c.name,
            product_t.c.barcode, product_t.c.min_stock, have.label("available"),
        )
        .select_from(product_t.outerjoin(available, available.c.product_id == product_t.c.id))
        .where(product_t.c.is_deleted.is_(False), low_stock_sql(have))
    )  # fmt: skip


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
        shipped = _sums_per_product(
            _plan(Period.last_days(COVER_DAYS, today_), _reading(conn)),
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
        shipped_units = _int(row.pop("shipped"))
        del row["total"]
        items.append({
            **row,
            "available": _int(row["available"]),
            "avg_daily_shipped": max(shipped_units, 0) / COVER_DAYS,
            "days_of_cover": days_of_cover(_int(row["available"]), shipped_units),
        })  # fmt: skip
    return Page(items, total)
