"""Operational alerts read from the database (which rows are alerts: core.dashboard.alerts).

`alert_counts` is what the header's bell adds to low stock: one statement, a cheap
aggregate per kind, each on an index — picking and packing tasks `in_progress` (few: one
per worker at most) through ix_picking_task_status_created_at and
ix_packing_task_status_created_at, packages of a task through their unique
(packing_task_id, sequence_number), due reservations through
ix_sale_order_status_reserved_until (0022), and the oldest unpublished event through
ix_outbox_event_unpublished (one row: a backlog is one alert, however long).
`operational_alerts` lists them for /alerts, the oldest first, a bounded number a kind.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.dashboard.alerts import AlertCutoffs, AlertKind, AlertThresholds, BellCount, cutoffs
from core.periods import now_utc
from data.dashboard.queries import low_stock_count
from data.events.services import service_states
from data.events.status import waiting_events
from data.models import Executor, OutboxEvent, Package, PackingTask, PickingTask, SaleOrder
from data.reads import Row

picking_t = PickingTask.__table__
packing_t = PackingTask.__table__
package_t = Package.__table__
order_t = SaleOrder.__table__
outbox_t = OutboxEvent.__table__
executor_t = Executor.__table__

IN_PROGRESS = "in_progress"
RESERVED = "reserved"
MAX_LISTED = 100  # rows a kind on the page; the count says how many there are


@dataclass(frozen=True, eq=False)
class TaskAlert(Row):
    task_id: int
    order_id: int
    external_id: str
    started_at: datetime
    executor: str | None
    packages: int = 0  # packing: packages made, and how many are not weighed and measured
    unmeasured: int = 0


@dataclass(frozen=True, eq=False)
class ReservationAlert(Row):
    order_id: int
    external_id: str
    reserved_until: datetime


@dataclass(frozen=True)
class ServiceAlert:
    name: str  # data.events.carriers.LISTINGS or DELIVERY
    url: str
    failing_since: datetime
    last_error: str | None


def service_alerts(limits: AlertCutoffs) -> list[ServiceAlert]:
    """The callback services of this process failing since before the cut-off."""
    return [ServiceAlert(s.name, s.url, s.failing_since, s.last_error)
            for s in service_states()
            if s.failing_since is not None and s.failing_since < limits.service_failing
            ]  # fmt: skip


@dataclass(frozen=True)
class OutboxBacklog:
    waiting: int  # events not yet published
    oldest_at: datetime  # the oldest one's time


@dataclass(frozen=True)
class OperationalAlerts:
    counts: dict[AlertKind, int]
    picking: list[TaskAlert] = field(default_factory=list)
    packing: list[TaskAlert] = field(default_factory=list)
    reservations: list[ReservationAlert] = field(default_factory=list)
    outbox: OutboxBacklog | None = None
    services: list[ServiceAlert] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


# --- the rows of each kind (the conditions besides the cut-off are here, once) -----------


def _picking_due(limits: AlertCutoffs) -> sa.ColumnElement[bool]:
    return sa.and_(picking_t.c.status == IN_PROGRESS,
                   picking_t.c.started_at < limits.picking_started)  # fmt: skip


def _unmeasured(task_id: Any) -> sa.ColumnElement[bool]:
    p = package_t.c
    return sa.and_(p.packing_task_id == task_id, sa.or_(
        p.weight_kg.is_(None), p.length_cm.is_(None), p.width_cm.is_(None),
        p.height_cm.is_(None)))  # fmt: skip


def _packing_due(limits: AlertCutoffs) -> sa.ColumnElement[bool]:
    t = packing_t.c
    has_package = sa.exists().where(package_t.c.packing_task_id == t.id)
    return sa.and_(t.status == IN_PROGRESS, t.started_at < limits.packing_started,
                   sa.or_(~has_package, sa.exists().where(_unmeasured(t.id))))  # fmt: skip


def _reservation_due(limits: AlertCutoffs) -> sa.ColumnElement[bool]:
    return sa.and_(order_t.c.status == RESERVED,
                   order_t.c.reserved_until < limits.reservation_expired)  # fmt: skip


def _oldest_unpublished() -> sa.Select[Any]:
    return (sa.select(outbox_t.c.created_at).where(outbox_t.c.published_at.is_(None))
            .order_by(outbox_t.c.id).limit(1))  # fmt: skip


def _counts(conn: Connection, limits: AlertCutoffs) -> dict[AlertKind, int]:
    def count(table: sa.Table, where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
        return sa.select(sa.func.count()).select_from(table).where(where).scalar_subquery()

    columns = [
        count(picking_t, _picking_due(limits)).label(AlertKind.PICKING),
        count(packing_t, _packing_due(limits)).label(AlertKind.PACKING),
        count(order_t, _reservation_due(limits)).label(AlertKind.RESERVATION),
    ]
    if limits.outbox_created is not None:
        oldest = _oldest_unpublished().subquery()
        late = sa.select(sa.func.count()).select_from(oldest).where(
            oldest.c.created_at < limits.outbox_created)  # fmt: skip
        columns.append(late.scalar_subquery().label(AlertKind.OUTBOX))
    row = conn.execute(sa.select(*columns)).mappings().one()
    counts = {AlertKind(name): int(value) for name, value in row.items()}
    counts[AlertKind.SERVICE] = len(service_alerts(limits))
    return counts


def alert_counts(engine: Engine, limits: AlertCutoffs) -> dict[AlertKind, int]:
    """How many alerts of each kind there are (the outbox's: 0 or 1, and only when
    watched)."""
    with engine.connect() as conn:
        return _counts(conn, limits)


def bell_count(
    engine: Engine, thresholds: AlertThresholds, now: datetime | None = None
) -> BellCount:
    """The header's number (counted by data.ledger_watch after changes and every minute)."""
    limits = cutoffs(now or now_utc(), thresholds)
    operational = sum(alert_counts(engine, limits).values())
    return BellCount(low_stock=low_stock_count(engine), operational=operational)


# --- the lists for /alerts ---------------------------------------------------------------


def _task_rows(conn: Connection, task: sa.Table, where: sa.ColumnElement[bool],
               extra: list[Any], limit: int) -> list[TaskAlert]:  # fmt: skip
    t = task.c
    query = (
        sa.select(t.id.label("task_id"), t.order_id, order_t.c.external_id, t.started_at,
                  executor_t.c.name.label("executor"), *extra)
        .select_from(task.join(order_t, order_t.c.id == t.order_id)
                     .outerjoin(executor_t, executor_t.c.id == t.executor_id))
        .where(where).order_by(t.started_at, t.id).limit(limit)
    )  # fmt: skip
    return [TaskAlert(**row) for row in conn.execute(query).mappings()]


def _package_counts(task_id: Any) -> list[Any]:
    def count(where: sa.ColumnElement[bool]) -> sa.ScalarSelect[int]:
        return sa.select(sa.func.count()).select_from(package_t).where(where).scalar_subquery()

    return [count(package_t.c.packing_task_id == task_id).label("packages"),
            count(_unmeasured(task_id)).label("unmeasured")]  # fmt: skip


def operational_alerts(
    engine: Engine, thresholds: AlertThresholds, now: datetime | None = None, *,
    limit: int = MAX_LISTED,
) -> OperationalAlerts:  # fmt: skip
    """Every kind's count and its oldest `limit` rows (the outbox: its backlog)."""
    limits = cutoffs(now or now_utc(), thresholds)
    with engine.connect() as conn:
        counts = _counts(conn, limits)
        picking = _task_rows(conn, picking_t, _picking_due(limits), [], limit)
        packing = _task_rows(conn, packing_t, _packing_due(limits),
                             _package_counts(packing_t.c.id), limit)  # fmt: skip
        query = (
            sa.select(order_t.c.id.label("order_id"), order_t.c.external_id,
                      order_t.c.reserved_until)
            .where(_reservation_due(limits))
            .order_by(order_t.c.reserved_until, order_t.c.id).limit(limit)
        )  # fmt: skip
        reservations = [ReservationAlert(**row) for row in conn.execute(query).mappings()]
        outbox = None
        if counts.get(AlertKind.OUTBOX):
            waiting, oldest = waiting_events(conn)
            if oldest is not None:
                outbox = OutboxBacklog(waiting, oldest)
    return OperationalAlerts(counts, picking, packing, reservations, outbox,
                             service_alerts(limits))  # fmt: skip
