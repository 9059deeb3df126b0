"""Reads of picking tasks for pages and the API: the list with filters (server-paged),
a worker's queue (assigned to them first, then priority and age), one task, and the one
column the API's own-task check needs."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.orders.picking_ports import PickTask
from core.orders.rules import PRIORITY_RANK
from data.picking.records import executor_t, read_task, read_tasks, task_t
from data.reads import page_bounds

_URGENCY = sa.case(PRIORITY_RANK, value=task_t.c.priority, else_=9)
OPEN = ("pending", "assigned", "in_progress")


@dataclass(frozen=True)
class TaskPage:
    items: list[PickTask]
    total: int


def tasks(
    engine: Engine, *, statuses: Sequence[str] = (), order_id: int | None = None,
    executor_id: int | None = None, limit: int = 50, offset: int = 0,
) -> TaskPage:  # fmt: skip
    """Tasks, newest first."""
    limit, offset = page_bounds(limit, offset)
    where: list[Any] = []
    if statuses:
        where.append(task_t.c.status.in_(list(statuses)))
    if order_id is not None:
        where.append(task_t.c.order_id == order_id)
    if executor_id is not None:
        where.append(task_t.c.executor_id == executor_id)
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(task_t).where(*where)
        ).scalar_one()
        items = read_tasks(conn, where, [task_t.c.id.desc()], limit=limit, offset=offset)
    return TaskPage(items, int(total))


def latest_picking(engine: Engine, latest_id: int | None) -> tuple[PickTask, ...]:
    """The order card's picking: its latest task (`latest_id`) and, when a wave split the
    order per zone, every task of that split, first the one split from."""
    if latest_id is None:
        return ()
    with engine.connect() as conn:
        root = conn.execute(
            sa.select(sa.func.coalesce(task_t.c.split_from_id, task_t.c.id))
            .where(task_t.c.id == latest_id)
        ).scalar()  # fmt: skip
        if root is None:
            return ()
        split = sa.or_(task_t.c.id == root, task_t.c.split_from_id == root)
        return tuple(read_tasks(conn, [split], [task_t.c.id]))


def queue(engine: Engine, user_id: int | None, *, limit: int = 30) -> list[PickTask]:
    """Open tasks a worker may take: theirs first (in progress, then assigned), then the
    unassigned ones, each by priority (urgent first) and age; others' tasks are left out."""
    with engine.connect() as conn:
        mine = sa.select(executor_t.c.id).where(executor_t.c.user_id == user_id)
        own = sa.and_(task_t.c.executor_id.is_not(None), task_t.c.executor_id.in_(mine))
        # A batch's tasks are walked together on /batches (core.orders.batches), not here.
        where = [task_t.c.status.in_(OPEN), sa.or_(own, task_t.c.executor_id.is_(None)),
                 task_t.c.batch_id.is_(None)]  # fmt: skip
        order = [sa.case((own, 0), else_=1), sa.case((task_t.c.status == "in_progress", 0),
                 else_=1), _URGENCY, task_t.c.created_at, task_t.c.id]  # fmt: skip
        return read_tasks(conn, where, order, limit=limit)


def task(engine: Engine, task_id: int) -> PickTask | None:
    with engine.connect() as conn:
        return read_task(conn, task_id)


def executor_of(engine: Engine, user_id: int) -> int | None:
    """The active executor linked to a user (a worker picks as them)."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(executor_t.c.id).where(
                executor_t.c.user_id == user_id, executor_t.c.is_active.is_(True)
            )
        ).first()
        return int(row[0]) if row else None


@dataclass(frozen=True)
class Ownership:
    """Who holds a task and who the asking user picks as (the API's own-task check)."""

    executor_id: int | None  # the task's executor; None: not assigned yet
    mine: int | None  # the user's active executor; None: they have none


def mine_sql(user_id: int) -> Any:
    """The user's active executor as a scalar subquery (what executor_of reads)."""
    return (
        sa.select(executor_t.c.id)
        .where(executor_t.c.user_id == user_id, executor_t.c.is_active.is_(True))
        .limit(1)
        .scalar_subquery()
    )


def ownership_sql(table: str, *, with_order: bool = False) -> sa.TextClause:
    """The own-task check's one row for `table`: the task's executor and the user's active
    executor (`mine_sql`); `with_order`: the task's order first (a step's first read,
    core.orders.own_tasks). Text made once: building the statement per request cost more
    CPU than running it."""
    order = "t.order_id, " if with_order else ""
    return sa.text(
        f"SELECT {order}t.executor_id, (SELECT e.id FROM executor e WHERE e.user_id = :user "
        f"AND e.is_active LIMIT 1) FROM {table} t WHERE t.id = :id"
    )
