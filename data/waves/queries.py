"""Reads of waves and batches for pages and the API: the wave list with progress, a
wave's card (per order: picked of total, what blocks it), batches and a worker's queue.
A wave's and a batch's status are read from their tasks, never stored twice."""

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.orders.wave_ports import Batch, WaveCriteria
from data.models import PackingTask
from data.orders.records import order_t
from data.picking.queries import mine_sql
from data.picking.records import executor_t, item_t, task_t
from data.reads import page_bounds
from data.waves.records import batch_t, read_batch, wave_t
from data.waves.repository import candidate_query

packing_t = PackingTask.__table__
FINAL = ("completed", "cancelled")


def status_of(statuses: Sequence[str], taken: bool = False) -> str:
    """A group of tasks as one status: `completed` when all are done (`cancelled` when
    all were cancelled), `in_progress` once one started, else `assigned` or `pending`."""
    if statuses and all(s == "cancelled" for s in statuses):
        return "cancelled"
    if all(s in FINAL for s in statuses):
        return "completed"
    if any(s in ("in_progress", "completed") for s in statuses):
        return "in_progress"
    return "assigned" if taken or any(s == "assigned" for s in statuses) else "pending"


@dataclass(frozen=True)
class WaveOrder:
    order_id: int
    external_id: str
    order_status: str
    task_id: int
    task_status: str
    batch_id: int | None
    slot: int | None
    executor_name: str | None
    items_total: int
    items_done: int
    units_required: int
    units_picked: int
    short_items: int
    skipped_items: int
    zone: str | None = None  # the task's zone when the wave split its order per zone


@dataclass(frozen=True)
class Wave:
    id: int
    name: str
    criteria: dict[str, Any]
    batch_size: int
    order_count: int
    batch_count: int
    created_at: datetime
    status: str
    orders_done: int
    items_total: int
    items_done: int
    short_items: int
    cancelled_orders: int
    orders: tuple[WaveOrder, ...] = ()
    awaiting_stock: int = 0  # orders that match its criteria but still wait for stock
    blockers: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class BatchSummary:
    id: int
    wave_id: int | None
    executor_id: int | None
    executor_name: str | None
    created_at: datetime
    status: str
    orders: int
    items_total: int
    items_done: int


ITEM_COUNTS = (
    sa.select(
        item_t.c.task_id,
        sa.func.count().label("items_total"),
        sa.func.sum(sa.case((item_t.c.status != "pending", 1), else_=0)).label("items_done"),
        sa.func.sum(item_t.c.quantity_required).label("units_required"),
        sa.func.sum(item_t.c.quantity_picked).label("units_picked"),
        sa.func.sum(sa.case((item_t.c.status == "short", 1), else_=0)).label("short_items"),
        sa.func.sum(sa.case((item_t.c.status == "skipped", 1), else_=0)).label("skipped_items"),
    )
    .group_by(item_t.c.task_id)
    .subquery()
)  # fmt: skip
ORDER_ROWS = (
    sa.select(
        order_t.c.id.label("order_id"), order_t.c.external_id,
        order_t.c.status.label("order_status"), task_t.c.id.label("task_id"),
        task_t.c.status.label("task_status"), task_t.c.batch_id,
        task_t.c.batch_slot.label("slot"), executor_t.c.name.label("executor_name"),
        *(sa.func.coalesce(c, 0).label(c.name) for c in ITEM_COUNTS.c if c.name != "task_id"),
        task_t.c.zone, task_t.c.wave_id,
    )
    .select_from(
        task_t.join(order_t, order_t.c.id == task_t.c.order_id)
        .outerjoin(executor_t, executor_t.c.id == task_t.c.executor_id)
        .outerjoin(ITEM_COUNTS, ITEM_COUNTS.c.task_id == task_t.c.id)
    )
)  # fmt: skip


def _orders(conn: Connection, where: Any) -> list[dict[str, Any]]:
    query = ORDER_ROWS.where(where).order_by(
        task_t.c.batch_id, task_t.c.batch_slot, task_t.c.order_id, task_t.c.id
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def _wave(head: Any, rows: list[dict[str, Any]], *, full: bool = False,
          awaiting: int = 0) -> Wave:  # fmt: skip
    statuses = [r["task_status"] for r in rows]
    short = sum(r["short_items"] + r["skipped_items"] for r in rows)
    # An order split per zone has a row per zone: it is done when all of them are.
    by_order: dict[int, list[str]] = {}
    for r in rows:
        by_order.setdefault(r["order_id"], []).append(r["task_status"])
    done = sum(1 for s in by_order.values() if all(t in FINAL for t in s))
    cancelled = sum(1 for s in by_order.values() if "cancelled" in s)
    blockers = []
    if short:
        names = ", ".join(dict.fromkeys(
            r["external_id"] for r in rows if r["short_items"] + r["skipped_items"]))  # fmt: skip
        blockers.append(f"Недостача или пропуск: {short} поз. (заказы {names})")
    if cancelled:
        blockers.append(f"Отменено заказов: {cancelled}")
    if awaiting:
        blockers.append(f"Ждут товара по условиям волны: {awaiting} заказ(ов)")
    orders = tuple(WaveOrder(**{k: v for k, v in r.items() if k != "wave_id"}) for r in rows)
    return Wave(
        head["id"], head["name"], json.loads(head["criteria"] or "{}"), head["batch_size"],
        head["order_count"], head["batch_count"], head["created_at"], status_of(statuses),
        done, sum(r["items_total"] for r in rows),
        sum(r["items_done"] for r in rows), short, cancelled,
        orders if full else (), awaiting, tuple(blockers),
    )  # fmt: skip


def waves(engine: Engine, *, limit: int = 50, offset: int = 0) -> tuple[list[Wave], int]:
    """Waves, newest first, each with its progress."""
    limit, offset = page_bounds(limit, offset)
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(wave_t)).scalar_one()
        heads = conn.execute(
            sa.select(wave_t).order_by(wave_t.c.id.desc()).limit(limit).offset(offset)
        ).mappings().all()  # fmt: skip
        rows = _orders(conn, task_t.c.wave_id.in_([h["id"] for h in heads])) if heads else []
    by_wave: dict[int, list[dict[str, Any]]] = {}
    for r in rows:
        by_wave.setdefault(r["wave_id"], []).append(r)
    return [_wave(h, by_wave.get(h["id"], [])) for h in heads], int(total)


def _awaiting(conn: Connection, criteria: dict[str, Any]) -> int:
    """Orders matching the wave's criteria (but zone: nothing is in a bin yet) that wait
    for stock: what keeps the wave from being all the cut-off asked for."""
    where: list[Any] = [order_t.c.status == "awaiting_stock"]
    if criteria.get("cutoff"):
        where.append(order_t.c.created_at <= datetime.fromisoformat(criteria["cutoff"]))
    if criteria.get("carrier"):
        where.append(order_t.c.carrier == criteria["carrier"])
    if criteria.get("source_id"):
        where.append(order_t.c.source_id == criteria["source_id"])
    query = sa.select(sa.func.count()).select_from(order_t).where(*where)
    return int(conn.execute(query).scalar_one())


def wave(engine: Engine, wave_id: int) -> Wave | None:
    """One wave with every order's progress and what blocks it."""
    with engine.connect() as conn:
        head = conn.execute(sa.select(wave_t).where(wave_t.c.id == wave_id)).mappings().first()
        if head is None:
            return None
        rows = _orders(conn, task_t.c.wave_id == wave_id)
        awaiting = _awaiting(conn, json.loads(head["criteria"] or "{}"))
    return _wave(head, rows, full=True, awaiting=awaiting)


def preview(engine: Engine, criteria: WaveCriteria) -> int:
    """How many released orders a wave with these criteria would take now."""
    with engine.connect() as conn:
        return len(conn.execute(candidate_query(criteria)).all())


def _summaries(conn: Connection, where: list[Any], limit: int, offset: int) -> list[BatchSummary]:
    heads = conn.execute(
        sa.select(batch_t, executor_t.c.name.label("executor_name"))
        .select_from(batch_t.outerjoin(executor_t, executor_t.c.id == batch_t.c.executor_id))
        .where(*where).order_by(batch_t.c.id.desc()).limit(limit).offset(offset)
    ).mappings().all()  # fmt: skip
    ids = [h["id"] for h in heads]
    rows = _orders(conn, task_t.c.batch_id.in_(ids)) if ids else []
    statuses: dict[int, list[str]] = {}
    totals: Counter[int] = Counter()
    done: Counter[int] = Counter()
    for r in rows:
        statuses.setdefault(r["batch_id"], []).append(r["task_status"])
        totals[r["batch_id"]] += r["items_total"]
        done[r["batch_id"]] += r["items_done"]
    return [
        BatchSummary(h["id"], h["wave_id"], h["executor_id"], h["executor_name"],
                     h["created_at"], status_of(statuses.get(h["id"], []),
                                                h["executor_id"] is not None),
                     len(statuses.get(h["id"], [])), totals[h["id"]], done[h["id"]])
        for h in heads
    ]  # fmt: skip


def batches(engine: Engine, *, wave_id: int | None = None, limit: int = 50,
            offset: int = 0) -> tuple[list[BatchSummary], int]:  # fmt: skip
    limit, offset = page_bounds(limit, offset)
    where = [batch_t.c.wave_id == wave_id] if wave_id is not None else []
    with engine.connect() as conn:
        total = conn.execute(sa.select(sa.func.count()).select_from(batch_t).where(*where))
        return _summaries(conn, where, limit, offset), int(total.scalar_one())


def queue(engine: Engine, user_id: int, *, limit: int = 30) -> list[BatchSummary]:
    """Open batches a worker may take: theirs first, then free ones; oldest first."""
    open_task = sa.exists().where(task_t.c.batch_id == batch_t.c.id,
                                  task_t.c.status.not_in(FINAL))  # fmt: skip
    mine = mine_sql(user_id)
    where = [open_task, sa.or_(batch_t.c.executor_id.is_(None), batch_t.c.executor_id == mine)]
    with engine.connect() as conn:
        found = _summaries(conn, where, 200, 0)
    found.sort(key=lambda b: (b.executor_id is None, b.id))
    return found[:limit]


def batch(engine: Engine, batch_id: int) -> Batch | None:
    with engine.connect() as conn:
        return read_batch(conn, batch_id)


def batch_owner(engine: Engine, batch_id: int,
                user_id: int) -> tuple[int | None, int | None] | None:  # fmt: skip
    """(the batch's executor, the user's executor); None when there is no such batch."""
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(batch_t.c.executor_id, mine_sql(user_id)).where(batch_t.c.id == batch_id)
        ).first()
    return (row[0], row[1]) if row else None


def packing_tasks(engine: Engine, order_ids: Sequence[int]) -> dict[int, int]:
    """The latest packing task of each order (the put wall's «Упаковать»)."""
    if not order_ids:
        return {}
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(packing_t.c.order_id, sa.func.max(packing_t.c.id))
            .where(packing_t.c.order_id.in_(list(order_ids)))
            .group_by(packing_t.c.order_id)
        ).all()  # fmt: skip
    return {int(o): int(t) for o, t in rows}
