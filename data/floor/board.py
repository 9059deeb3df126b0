"""The floor board's reads (/floor-board): every open picking, quality and packing task
with who holds it, where (the zone of a picker's next bin, or the station) and how far
it got; and the orders waiting longest to be picked. A few small statements, read
together; the board reads them again after each change."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.db import read_connection
from data.models import UtcDateTime

_TIMES = {"started_at": UtcDateTime(), "created_at": UtcDateTime()}
PICKING = sa.text(
    "SELECT 'picking' AS kind, t.id AS task_id, t.order_id, o.external_id, t.status, "
    "t.priority, e.name AS worker, t.started_at, t.created_at, "
    "(SELECT count(*) FROM picking_item i WHERE i.task_id = t.id AND i.status <> 'pending') "
    "AS done, (SELECT count(*) FROM picking_item i WHERE i.task_id = t.id) AS total, "
    "(SELECT l.zone FROM picking_item i JOIN location l ON l.id = i.location_id "
    "WHERE i.task_id = t.id AND i.status = 'pending' ORDER BY i.sequence LIMIT 1) AS zone, "
    "(SELECT l.code FROM picking_item i JOIN location l ON l.id = i.location_id "
    "WHERE i.task_id = t.id AND i.status = 'pending' ORDER BY i.sequence LIMIT 1) AS place "
    "FROM picking_task t JOIN sale_order o ON o.id = t.order_id "
    "LEFT JOIN executor e ON e.id = t.executor_id "
    "WHERE t.status IN ('pending', 'assigned', 'in_progress') ORDER BY t.created_at, t.id "
    "LIMIT :n"
).columns(**_TIMES)
QC = sa.text(
    "SELECT 'qc' AS kind, t.id AS task_id, t.order_id, o.external_id, t.status, o.priority, "
    # A manager checking without an executor of their own is named by their user.
    "coalesce(e.name, (SELECT coalesce(nullif(u.full_name, ''), u.username) FROM qc_history h "
    "JOIN app_user u ON u.id = h.user_id WHERE h.task_id = t.id AND h.action = 'start' "
    "LIMIT 1)) AS worker, t.started_at, t.created_at, "
    "(SELECT coalesce(sum(i.checked), 0) FROM qc_item i WHERE i.task_id = t.id) AS done, "
    "(SELECT coalesce(sum(i.quantity), 0) FROM qc_item i WHERE i.task_id = t.id) AS total, "
    "s.zone, s.code AS place FROM qc_task t JOIN sale_order o ON o.id = t.order_id "
    "JOIN location s ON s.id = t.station_id LEFT JOIN executor e ON e.id = t.executor_id "
    "WHERE t.status IN ('pending', 'in_progress') ORDER BY t.created_at, t.id LIMIT :n"
).columns(**_TIMES)
PACKING = sa.text(
    "SELECT 'packing' AS kind, k.id AS task_id, k.order_id, o.external_id, k.status, "
    "o.priority, e.name AS worker, k.started_at, k.created_at, "
    "(SELECT coalesce(sum(l.packed), 0) FROM order_line l WHERE l.order_id = k.order_id) "
    "AS done, (SELECT coalesce(sum(l.picked), 0) FROM order_line l "
    "WHERE l.order_id = k.order_id) AS total, s.zone, s.code AS place "
    "FROM packing_task k JOIN sale_order o ON o.id = k.order_id "
    "JOIN location s ON s.id = k.station_id LEFT JOIN executor e ON e.id = k.executor_id "
    "WHERE k.status IN ('pending', 'in_progress') ORDER BY k.created_at, k.id LIMIT :n"
).columns(**_TIMES)
# Orders not yet being picked: waiting for stock, or reserved and waiting for a picker.
WAITING = sa.text(
    "SELECT o.id, o.external_id, o.status, o.priority, o.created_at, "
    "(SELECT coalesce(sum(l.quantity), 0) FROM order_line l WHERE l.order_id = o.id) AS units "
    "FROM sale_order o WHERE o.status IN ('new', 'awaiting_stock', 'reserved') "
    "ORDER BY o.created_at, o.id LIMIT :n"
).columns(created_at=UtcDateTime())
WAITING_COUNT = sa.text(
    "SELECT count(*) FROM sale_order WHERE status IN ('new', 'awaiting_stock', 'reserved')"
)


@dataclass(frozen=True)
class BoardTask:
    kind: str  # picking | qc | packing
    task_id: int
    order_id: int
    external_id: str
    status: str
    priority: str
    worker: str | None  # None: nobody has taken it yet
    started_at: datetime | None
    created_at: datetime
    done: int
    total: int
    zone: str | None
    place: str | None  # the next bin, or the station

    @property
    def active(self) -> bool:
        return self.status == "in_progress"


@dataclass(frozen=True)
class WaitingOrder:
    id: int
    external_id: str
    status: str
    priority: str
    created_at: datetime
    units: int


@dataclass(frozen=True)
class Board:
    tasks: tuple[BoardTask, ...]
    waiting: tuple[WaitingOrder, ...]
    waiting_total: int


def board(engine: Engine, *, tasks: int = 200, oldest: int = 10) -> Board:
    with read_connection(engine) as conn:
        found: list[BoardTask] = []
        for statement in (PICKING, QC, PACKING):
            rows = conn.execute(statement, {"n": tasks}).mappings()
            found += [BoardTask(**{**r, "done": int(r["done"]), "total": int(r["total"])})
                      for r in rows]  # fmt: skip
        waiting = [WaitingOrder(**{**r, "units": int(r["units"])})
                   for r in conn.execute(WAITING, {"n": oldest}).mappings()]  # fmt: skip
        total = int(conn.execute(WAITING_COUNT).scalar_one())
    return Board(tuple(found), tuple(waiting), total)
