"""The dashboard's order reads (core.dashboard.orders says what each measures): orders per
day by status, the backlog by status, the shortage rate of picking and the median time
from confirmation to shipping.

Days are local days in settings.time_zone: a period is the UTC instants
[day_start(first), day_start(last + 1)) (core.periods), and an order's day is its
`created_at` as a local date in SQL (PostgreSQL `timezone()`, SQLite the `wms_local_day`
function data.db registers), so a day's orders are counted by the database, not in Python.
Orders per day use ix_sale_order_created_at, the backlog ix_sale_order_status_created_at;
the two KPIs read order_history and picking_history by time, which no index covers yet
(one on `at` each would be the next migration when they grow large).
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.dashboard.kpis import Period
from core.dashboard.orders import (
    BACKLOG_STATUSES,
    PICK_OUTCOMES,
    SHORTAGES,
    OrderKpis,
    median_hours,
    shortage_rate,
)
from core.periods import day_start
from core.settings import get_settings
from data.models import OrderHistory, PickingHistory, PickingItem, SaleOrder
from data.reads import Row

order_t = SaleOrder.__table__
history_t = OrderHistory.__table__
pick_history_t = PickingHistory.__table__
item_t = PickingItem.__table__


@dataclass(frozen=True, eq=False)
class OrdersOnDay(Row):
    day: date
    status: str
    orders: int


@dataclass(frozen=True, eq=False)
class Backlog(Row):
    status: str
    orders: int


def _bounds(period: Period, zone: str) -> tuple[datetime, datetime]:
    return day_start(period.start, zone), day_start(period.end + timedelta(days=1), zone)


def _local_day(conn: Connection, column: Any, zone: str) -> sa.ColumnElement[Any]:
    if conn.dialect.name == "postgresql":
        return sa.func.date(sa.func.timezone(zone, column))
    return sa.func.wms_local_day(column, zone)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def orders_per_day(engine: Engine, period: Period) -> list[OrdersOnDay]:
    """{day, status, orders}: the orders created on each day of the period, by the status
    they are in now."""
    zone = get_settings().time_zone
    start, end = _bounds(period, zone)
    with engine.connect() as conn:
        day = _local_day(conn, order_t.c.created_at, zone).label("day")
        rows = conn.execute(
            sa.select(day, order_t.c.status, sa.func.count().label("orders"))
            .where(order_t.c.created_at >= start, order_t.c.created_at < end)
            .group_by(day, order_t.c.status)
            .order_by(day, order_t.c.status)
        ).all()
    return [OrdersOnDay(_as_date(d), status, int(n)) for d, status, n in rows]


def order_backlog(engine: Engine, _period: Period | None = None) -> list[Backlog]:
    """{status, orders}: the open orders now, by status, in the order of their way (the
    period does not matter: a backlog is what is open today)."""
    statuses = [str(s) for s in BACKLOG_STATUSES]
    with engine.connect() as conn:
        found = dict(
            conn.execute(
                sa.select(order_t.c.status, sa.func.count())
                .where(order_t.c.status.in_(statuses))
                .group_by(order_t.c.status)
            ).all()
        )
    return [Backlog(status, int(found[status])) for status in statuses if found.get(status)]


# Each pick item's outcome is recorded once, by its `pick` or `skip` step (core.orders.picks).
_SHORT = sa.case((item_t.c.status.in_(SHORTAGES), 1), else_=0)
OUTCOMES_FROM = pick_history_t.join(item_t, item_t.c.id == pick_history_t.c.item_id)
_IS_OUTCOME = sa.and_(
    pick_history_t.c.action.in_(("pick", "skip")), item_t.c.status.in_(PICK_OUTCOMES)
)
# An order's confirmation: its first `confirmed` step (read per shipped order, through the
# index on order_id).
_confirmed = history_t.alias("confirmed")
CONFIRMED_AT = (
    sa.select(sa.func.min(_confirmed.c.at))
    .where(_confirmed.c.order_id == history_t.c.order_id, _confirmed.c.action == "confirmed")
    .scalar_subquery()
)


def order_kpis(engine: Engine, period: Period) -> OrderKpis:
    """The shortage rate and the median lead time of `period` and of the one before."""
    zone = get_settings().time_zone
    previous = period.previous()
    start, end = _bounds(previous, zone)[0], _bounds(period, zone)[1]
    middle = day_start(period.start, zone)
    current = sa.case((pick_history_t.c.at >= middle, 1), else_=0).label("current")
    outcomes = (  # counted by the database: [short, all] for the period and the one before
        sa.select(current, sa.func.sum(_SHORT), sa.func.count())
        .select_from(OUTCOMES_FROM)
        .where(_IS_OUTCOME, pick_history_t.c.at >= start, pick_history_t.c.at < end)
        .group_by(current)
    )
    # An order is shipped once: its step with status `shipped`, with its confirmation.
    lead = sa.select(CONFIRMED_AT.label("confirmed"), history_t.c.at).where(
        history_t.c.status == "shipped", history_t.c.at >= start, history_t.c.at < end
    )
    with engine.connect() as conn:
        picks = conn.execute(outcomes).all()
        times = conn.execute(lead).all()
    counts = {True: [0, 0], False: [0, 0]}  # in the period? → [short, all]
    for in_period, short, total in picks:
        counts[bool(in_period)] = [int(short), int(total)]
    waits: dict[bool, list[float]] = {True: [], False: []}
    for confirmed, shipped in times:
        if confirmed is not None:  # min() keeps UtcDateTime: both aware UTC
            waits[shipped >= middle].append((shipped - confirmed).total_seconds())
    return OrderKpis(
        shortage_rate(*counts[True]), shortage_rate(*counts[False]),
        median_hours(waits[True]), median_hours(waits[False]),
        picked_items=counts[True][1], shipped_orders=len(waits[True]),
    )  # fmt: skip
