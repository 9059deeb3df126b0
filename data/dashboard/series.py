"""The dashboard's chart series, each a list of typed rows (read from day_flow, or from the
sums per product for the top shipped)."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.dashboard import kpis as measures
from core.dashboard.kpis import Period
from core.stock.rules import DEFECT_WAREHOUSE, GOOD_WAREHOUSE
from data.dashboard.sums import (
    as_int,
    dayf,
    dc_t,
    in_period,
    plan,
    product_t,
    quant_t,
    reading_of,
    source_t,
    sums_per_product,
    warehouse_locations,
)
from data.reads import MAX_PAGE, Row


@dataclass(frozen=True, eq=False)
class DayMovements(Row):
    day: date
    operation_type: str
    units: int
    movements: int


@dataclass(frozen=True, eq=False)
class StockAtDayEnd(Row):
    """Stock at the end of the day."""

    day: date
    good: int
    defect: int


@dataclass(frozen=True, eq=False)
class ShippedProduct(Row):
    product_id: int
    sku: str
    name: str
    barcode: str
    units: int


@dataclass(frozen=True, eq=False)
class DcShipments(Row):
    marketplace: str | None
    source_id: int | None
    distribution_center_id: int | None
    distribution_center: str | None
    units: int


@dataclass(frozen=True, eq=False)
class SourceReturns(Row):
    source_id: int | None
    source: str | None
    operation_type: str
    units: int


@dataclass(frozen=True, eq=False)
class DayWriteOffs(Row):
    day: date
    operation_type: str
    units: int


def movements_per_day(engine: Engine, period: Period) -> list[DayMovements]:
    """{day, operation_type, units, movements} per day and operation (reversals net out;
    a day and operation whose movements were all reversed is left out)."""
    units, movements = sa.func.sum(dayf.c.units), sa.func.sum(dayf.c.movements)
    query = (
        sa.select(dayf.c.day, dayf.c.operation_type, units.label("units"),
                  movements.label("movements"))
        .where(in_period(period, dayf.c.day))
        .group_by(dayf.c.day, dayf.c.operation_type)
        .having(sa.or_(units != 0, movements != 0))
        .order_by(dayf.c.day, dayf.c.operation_type)
    )  # fmt: skip
    with engine.connect() as conn:
        return [
            DayMovements(r.day, r.operation_type, as_int(r.units), as_int(r.movements))
            for r in conn.execute(query)
        ]  # fmt: skip


def stock_per_day(engine: Engine, period: Period) -> list[StockAtDayEnd]:
    """{day, good, defect}: stock at the END of each day of the period (every day, also
    those without movements; days after today carry today's stock)."""
    now = sa.select(
        sa.func.coalesce(sa.func.sum(sa.case(
            (quant_t.c.location_id.in_(warehouse_locations(GOOD_WAREHOUSE)), quant_t.c.quantity),
            else_=0)), 0),
        sa.func.coalesce(sa.func.sum(sa.case(
            (quant_t.c.location_id.in_(warehouse_locations(DEFECT_WAREHOUSE)), quant_t.c.quantity),
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
        series.append(StockAtDayEnd(day, good, defect))
        g, f = by_day.get(day, (0, 0))
        good, defect = good - g, defect - f
    series.reverse()
    return series


def top_shipped(engine: Engine, period: Period, limit: int = 20) -> list[ShippedProduct]:
    """{product_id, sku, name, barcode, units}: the products shipped most (to DCs and
    to buyers)."""
    with engine.connect() as conn:
        sums = sums_per_product(plan(period, reading_of(conn)), ("units",), measures.SHIPPED)
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
        return [
            ShippedProduct(**{**r, "units": as_int(r["units"])})
            for r in conn.execute(query).mappings()
        ]


def shipments_by_dc(engine: Engine, period: Period) -> list[DcShipments]:
    """{marketplace, source_id, distribution_center_id, distribution_center, units}."""
    units = sa.func.sum(dayf.c.units)
    totals = (
        sa.select(dayf.c.source_id, dayf.c.distribution_center_id, units.label("units"))
        .where(dayf.c.operation_type.in_(measures.SHIPPED_TO_DC), in_period(period, dayf.c.day))
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
        return [
            DcShipments(**{**r, "units": as_int(r["units"])})
            for r in conn.execute(query).mappings()
        ]


def returns_by_source(engine: Engine, period: Period) -> list[SourceReturns]:
    """{source_id, source, operation_type, units} for returns and self-purchases."""
    units = sa.func.sum(dayf.c.units)
    totals = (
        sa.select(dayf.c.source_id, dayf.c.operation_type, units.label("units"))
        .where(dayf.c.operation_type.in_(measures.RETURNS_BY_SOURCE), in_period(period, dayf.c.day))
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
        return [
            SourceReturns(**{**r, "units": as_int(r["units"])})
            for r in conn.execute(query).mappings()
        ]


def writeoffs_per_day(engine: Engine, period: Period) -> list[DayWriteOffs]:
    """{day, operation_type, units} for WRITE_OFF and UTILIZATION."""
    units = sa.func.sum(dayf.c.units)
    query = (
        sa.select(dayf.c.day, dayf.c.operation_type, units.label("units"))
        .where(dayf.c.operation_type.in_(measures.WRITTEN_OFF), in_period(period, dayf.c.day))
        .group_by(dayf.c.day, dayf.c.operation_type)
        .having(units != 0)
        .order_by(dayf.c.day, dayf.c.operation_type)
    )
    with engine.connect() as conn:
        return [DayWriteOffs(r.day, r.operation_type, as_int(r.units)) for r in conn.execute(query)]
