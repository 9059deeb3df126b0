"""The database's part of a /metrics scrape: a handful of aggregate reads over the last
hour or 24 h, in one connection (core.metrics says what each measures).

Durations are read as (start, end) pairs of the tasks or orders that finished in the
window — a few thousand rows on a busy day — and their quantiles taken in Python, the same
on SQLite and PostgreSQL. Every window is read through an index: picking_task.completed_at,
packing_task.packed_at and package.created_at (0022), picking_history.at (0020),
order_history (status, at) and the outbox's unpublished rows. bench/metrics.py: a scrape
reads in about 40 ms at 200,000 orders on PostgreSQL.
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.dashboard.orders import PICK_OUTCOMES, SHORTAGES
from core.metrics import PICK_RATE_WINDOW, WINDOW, Durations, FloorFigures, durations
from data.dashboard.orders import CONFIRMED_AT, OUTCOMES_FROM
from data.events.status import waiting_events
from data.models import (
    OrderHistory,
    Package,
    PackingTask,
    PickingHistory,
    PickingItem,
    PickingTask,
)

pick_task_t = PickingTask.__table__
pack_task_t = PackingTask.__table__
package_t = Package.__table__
pick_history_t = PickingHistory.__table__
item_t = PickingItem.__table__
history_t = OrderHistory.__table__


def _durations(conn: Connection, start: sa.ColumnElement, end: sa.ColumnElement,
               query: sa.Select) -> Durations:  # fmt: skip
    rows = conn.execute(query.with_only_columns(start, end)).all()
    return durations([(b - a).total_seconds() for a, b in rows if a is not None and b is not None])


def _outcomes(since: datetime) -> sa.Select:
    """[short, with an outcome] of the pick items whose `pick` or `skip` step is in the
    window. The item's status is looked up per step by its key: joined, PostgreSQL hashes
    the whole picking_item table for a day's few thousand steps (60 of 70 ms at 600,000
    items in bench/metrics.py)."""
    status = (
        sa.select(item_t.c.status).where(item_t.c.id == pick_history_t.c.item_id).scalar_subquery()
    )
    steps = (
        sa.select(status.label("status"))
        .where(pick_history_t.c.action.in_(("pick", "skip")), pick_history_t.c.at >= since)
        .subquery()
    )
    kinds = (SHORTAGES, PICK_OUTCOMES)
    counted = [sa.case((steps.c.status.in_(kind), 1), else_=0) for kind in kinds]
    return sa.select(*(sa.func.coalesce(sa.func.sum(c), 0) for c in counted))


def floor_figures(engine: Engine, now: datetime) -> FloorFigures:
    since, last_hour = now - WINDOW, now - PICK_RATE_WINDOW
    with engine.connect() as conn:
        picking = _durations(conn, pick_task_t.c.started_at, pick_task_t.c.completed_at,
                             sa.select(pick_task_t.c.id).where(
                                 pick_task_t.c.status == "completed",
                                 pick_task_t.c.completed_at >= since))  # fmt: skip
        packing = _durations(conn, pack_task_t.c.started_at, pack_task_t.c.packed_at,
                             sa.select(pack_task_t.c.id).where(
                                 pack_task_t.c.packed_at >= since))  # fmt: skip
        # Each pick item's outcome is recorded once, by its `pick` step: its units count.
        picked_units = conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(item_t.c.quantity_picked), 0))
            .select_from(OUTCOMES_FROM)
            .where(pick_history_t.c.action == "pick", pick_history_t.c.at >= last_hour)
        ).scalar_one()
        short, outcomes = conn.execute(_outcomes(since)).one()
        weighed, weight = conn.execute(
            sa.select(
                sa.func.count(package_t.c.weight_kg), sa.func.avg(package_t.c.weight_kg)
            ).where(package_t.c.created_at >= since)
        ).one()
        lead = _durations(conn, CONFIRMED_AT, history_t.c.at,
                          sa.select(history_t.c.id).where(history_t.c.status == "shipped",
                                                          history_t.c.at >= since))  # fmt: skip
        ended = dict(
            conn.execute(
                sa.select(history_t.c.status, sa.func.count(sa.distinct(history_t.c.order_id)))
                .where(history_t.c.status.in_(("shipped", "cancelled")), history_t.c.at >= since)
                .group_by(history_t.c.status)
            ).all()
        )
        backlog, oldest = waiting_events(conn)
    return FloorFigures(
        picking=picking, packing=packing, picked_units_last_hour=int(picked_units),
        pick_outcomes=int(outcomes), pick_shortages=int(short),
        packages_weighed=int(weighed), package_weight_kg=None if weight is None else float(weight),
        order_to_shipment=lead, orders_shipped=int(ended.get("shipped", 0)),
        orders_cancelled=int(ended.get("cancelled", 0)), outbox_backlog=int(backlog),
        outbox_lag_seconds=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
    )  # fmt: skip
