"""`core.orders.wave_ports.WavesRepository` in a unit of work's transaction (`uow.waves`,
data.uow).

A task joins a wave or a batch by one conditional UPDATE: only while it is in none and
its picking has not started. On PostgreSQL a second claimant waits for the first's row
lock, then re-reads the row and finds it taken; on SQLite writers take turns.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.orders.rules import PRIORITY_RANK
from core.orders.wave_ports import Batch, Candidate, WaveCriteria, ZoneTask
from data.models import UtcDateTime
from data.orders.records import order_t
from data.picking.records import item_t, task_t
from data.reads import location_t
from data.transaction import Transaction
from data.waves.records import read_batch

_AT = {"type_": UtcDateTime()}
_RANK = sa.case(PRIORITY_RANK, value=order_t.c.priority, else_=9)
INSERT_WAVE = sa.text(
    "INSERT INTO pick_wave (name, criteria, batch_size, order_count, batch_count, created_by, "
    "created_at, idempotency_key) VALUES (:n, :c, :b, 0, 0, :u, :at, :key) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
WAVE_BY_KEY = sa.text(
    "SELECT id, order_count, batch_count FROM pick_wave "
    "WHERE coalesce(created_by, 0) = :u AND idempotency_key = :k"
)
BATCH_BY_KEY = sa.text(
    "SELECT id FROM pick_batch WHERE coalesce(created_by, 0) = :u AND idempotency_key = :k"
)
PUT_BY_KEY = sa.text(
    "SELECT batch_id, task_id, product_id FROM pick_batch_put "
    "WHERE coalesce(user_id, 0) = :u AND idempotency_key = :k"
)
WAVE_COUNTS = sa.text("UPDATE pick_wave SET order_count = :o, batch_count = :b WHERE id = :id")
INSERT_BATCH = sa.text(
    "INSERT INTO pick_batch (wave_id, executor_id, created_by, created_at, idempotency_key) "
    "VALUES (:w, NULL, :u, :at, :key) ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
_FREE = "batch_id IS NULL AND status IN ('pending', 'assigned')"
# A batch takes tasks no picker has yet: its taker is assigned all of them.
_UNASSIGNED = "batch_id IS NULL AND status = 'pending' AND executor_id IS NULL"
CLAIM_WAVE = sa.text(
    f"UPDATE picking_task SET wave_id = :w WHERE id = :t AND wave_id IS NULL AND {_FREE} "
    "RETURNING id"
)
CLAIM_BATCH = sa.text(
    f"UPDATE picking_task SET batch_id = :b, batch_slot = :slot WHERE id = :t AND {_UNASSIGNED} "
    "RETURNING id"
)
CLAIM_BATCH_IN_WAVE = sa.text(
    f"UPDATE picking_task SET batch_id = :b, batch_slot = :slot WHERE id = :t AND {_UNASSIGNED} "
    "AND wave_id = :w RETURNING id"
)
TAKE_BATCH = sa.text(
    "UPDATE pick_batch SET executor_id = :e WHERE id = :b "
    "AND (executor_id IS NULL OR executor_id = :e) RETURNING id"
)
# Tasks not started leave the batch (picked one by one again); started ones stay in it.
DISSOLVE = sa.text(
    "UPDATE picking_task SET batch_id = NULL, batch_slot = NULL "
    "WHERE batch_id = :b AND status IN ('pending', 'assigned') RETURNING id"
)
# An order split per zone (core.orders.waves): its rows locked before its task's.
HOLD_ORDERS = sa.text("SELECT id FROM sale_order WHERE id = ANY(:ids) ORDER BY id FOR UPDATE")
# The items of tasks to split per zone, with their zone and route, and what the new
# tasks' picking.created names; a task a picker was given meanwhile is left whole.
SPLIT_ITEMS = sa.text(
    "SELECT i.id, i.task_id, t.order_id, coalesce(l.zone, ''), l.route_sequence, "
    "i.quantity_required, o.external_id, coalesce(w.code, '') FROM picking_item i "
    "JOIN picking_task t ON t.id = i.task_id JOIN sale_order o ON o.id = t.order_id "
    "JOIN location l ON l.id = i.location_id LEFT JOIN warehouse w ON w.id = l.warehouse_id "
    "WHERE i.task_id IN :ids AND t.executor_id IS NULL "
    "ORDER BY i.task_id, l.route_sequence, i.sequence, i.id"
).bindparams(sa.bindparam("ids", expanding=True))
SET_ZONE = sa.text("UPDATE picking_task SET zone = :z WHERE id = :t")
INSERT_SPLIT = sa.text(
    "INSERT INTO picking_task (order_id, status, priority, station_id, created_at, wave_id, "
    "zone, split_from_id) SELECT order_id, 'pending', priority, station_id, created_at, "
    "wave_id, :z, id FROM picking_task WHERE id = :t RETURNING id"
)
MOVE_ITEM = sa.text("UPDATE picking_item SET task_id = :t, sequence = :n WHERE id = :i")
LOCK_BATCH = sa.text("SELECT id FROM pick_batch WHERE id = :b FOR UPDATE")
# A unit onto the put wall only while the slot was given fewer than its order picked.
PUT = sa.text(
    "INSERT INTO pick_batch_put (batch_id, task_id, product_id, user_id, at, idempotency_key) "
    "SELECT :b, :t, :p, :u, :at, :key WHERE "
    "(SELECT coalesce(sum(quantity_picked), 0) FROM picking_item "
    " WHERE task_id = :t AND product_id = :p) > "
    "(SELECT count(*) FROM pick_batch_put WHERE task_id = :t AND product_id = :p) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("at", **_AT))


def candidate_query(criteria: WaveCriteria, *, status: str = "reserved") -> Any:
    """Orders in `status` whose task is free, matching; most urgent, then oldest, first."""
    where: list[Any] = [
        order_t.c.status == status, task_t.c.wave_id.is_(None), task_t.c.batch_id.is_(None),
        task_t.c.status.in_(("pending", "assigned")),
    ]  # fmt: skip
    if criteria.cutoff is not None:
        where.append(order_t.c.created_at <= criteria.cutoff)
    if criteria.carrier:
        where.append(order_t.c.carrier == criteria.carrier)
    if criteria.source_id is not None:
        where.append(order_t.c.source_id == criteria.source_id)
    if criteria.priority:
        where.append(PRIORITY_RANK[criteria.priority] >= _RANK)
    query = (
        sa.select(task_t.c.id, task_t.c.order_id,
                  sa.func.sum(item_t.c.quantity_required).label("units"),
                  sa.func.min(location_t.c.route_sequence).label("first_route"),
                  task_t.c.executor_id,
                  sa.func.count(sa.distinct(sa.func.coalesce(location_t.c.zone, "")))
                  .label("zones"),
                  sa.func.min(location_t.c.zone).label("zone"))
        .select_from(task_t.join(order_t, order_t.c.id == task_t.c.order_id)
                     .join(item_t, item_t.c.task_id == task_t.c.id)
                     .join(location_t, location_t.c.id == item_t.c.location_id))
        .where(*where)
        .group_by(task_t.c.id, task_t.c.order_id, task_t.c.executor_id, order_t.c.priority,
                  order_t.c.created_at)
        .order_by(sa.func.min(_RANK), order_t.c.created_at, task_t.c.id)
        .limit(criteria.limit)
    )  # fmt: skip
    if criteria.zone:
        outside = sa.case((location_t.c.zone == criteria.zone, 0), else_=1)
        query = query.having(sa.func.sum(outside) == 0)
    return query


class SqlWaves:
    def __init__(self, tx: Transaction, *, postgres: bool) -> None:
        self._tx = tx
        self._postgres = postgres

    def candidates(self, criteria: WaveCriteria) -> list[Candidate]:
        rows = self._tx.conn.execute(candidate_query(criteria)).all()
        return [Candidate(int(t), int(o), int(u), int(r), e is not None, int(n),
                          z if n == 1 else None)
                for t, o, u, r, e, n, z in rows]  # fmt: skip

    def hold_orders(self, order_ids: list[int]) -> None:
        if self._postgres and order_ids:
            self._tx.run(HOLD_ORDERS, {"ids": sorted(order_ids)})

    def split_by_zone(self, task_ids: list[int]) -> list[ZoneTask]:
        if not task_ids:
            return []
        rows = self._tx.conn.execute(SPLIT_ITEMS, {"ids": task_ids}).all()
        # task → zone → its items (id, route, units), zones in route order
        plans: dict[int, dict[str, list[tuple[int, int, int]]]] = {}
        heads: dict[int, tuple[int, str, str]] = {}  # task → (order, external id, warehouse)
        for item_id, task_id, order_id, zone, route, units, external_id, warehouse in rows:
            plans.setdefault(task_id, {}).setdefault(zone, []).append((item_id, route, units))
            heads.setdefault(task_id, (order_id, external_id, warehouse))
        added = [
            {"t": t, "z": zone or None} for t, zones in plans.items() for zone in list(zones)[1:]
        ]
        new_ids = iter([int(r[0][0]) for r in self._tx.run_many(INSERT_SPLIT, added)])
        found: list[ZoneTask] = []
        updates: list[tuple[sa.TextClause, dict[str, Any]]] = []
        for task_id, zones in plans.items():
            order_id, external_id, warehouse = heads[task_id]
            for k, (zone, items) in enumerate(zones.items()):
                target = task_id if k == 0 else next(new_ids)
                if k == 0:
                    updates.append((SET_ZONE, {"t": task_id, "z": zone or None}))
                updates += [(MOVE_ITEM, {"i": i, "t": target, "n": n})
                            for n, (i, _, _) in enumerate(items, start=1)]  # fmt: skip
                found.append(ZoneTask(target, order_id, zone or None, sum(u for *_, u in items),
                                      items[0][1], None if k == 0 else task_id, external_id,
                                      warehouse))  # fmt: skip
        self._tx.run_all(updates)
        return found

    def add_wave(self, name: str, criteria: str, batch_size: int, user_id: int | None,
                 at: datetime, key: str | None = None) -> int | None:  # fmt: skip
        rows = self._tx.run(INSERT_WAVE, {"n": name, "c": criteria, "b": batch_size,
                                          "u": user_id, "at": at, "key": key})  # fmt: skip
        return int(rows[0][0]) if rows else None

    def wave_by_key(self, key: str, user_id: int | None) -> tuple[int, int, int] | None:
        row = self._tx.conn.execute(WAVE_BY_KEY, {"u": user_id or 0, "k": key}).first()
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    def batch_by_key(self, key: str, user_id: int | None) -> int | None:
        row = self._tx.conn.execute(BATCH_BY_KEY, {"u": user_id or 0, "k": key}).first()
        return int(row[0]) if row else None

    def put_by_key(self, key: str, user_id: int | None) -> tuple[int, int, int] | None:
        row = self._tx.conn.execute(PUT_BY_KEY, {"u": user_id or 0, "k": key}).first()
        return (int(row[0]), int(row[1]), int(row[2])) if row else None

    def claim_for_wave(self, wave_id: int, task_ids: list[int]) -> list[int]:
        # One conditional UPDATE per task, in the given order, sent in one round trip.
        found = self._tx.run_many(CLAIM_WAVE, [{"w": wave_id, "t": t} for t in task_ids])
        return [int(rows[0][0]) for rows in found if rows]

    def set_wave_counts(self, wave_id: int, orders: int, batches: int) -> None:
        self._tx.run(WAVE_COUNTS, {"id": wave_id, "o": orders, "b": batches})

    def add_batch(self, wave_id: int | None, user_id: int | None, at: datetime,
                  key: str | None = None) -> int | None:  # fmt: skip
        rows = self._tx.run(INSERT_BATCH, {"w": wave_id, "u": user_id, "at": at, "key": key})
        return int(rows[0][0]) if rows else None

    def claim_for_batch(self, batch_id: int, task_id: int, slot: int,
                        wave_id: int | None) -> bool:  # fmt: skip
        params = {"b": batch_id, "t": task_id, "slot": slot}
        if wave_id is None:
            return bool(self._tx.run(CLAIM_BATCH, params))
        return bool(self._tx.run(CLAIM_BATCH_IN_WAVE, {**params, "w": wave_id}))

    def claim_many_for_batch(self, batch_id: int, task_ids: list[int], wave_id: int) -> int:
        rows = [{"b": batch_id, "t": t, "slot": n, "w": wave_id}
                for n, t in enumerate(task_ids, start=1)]  # fmt: skip
        return sum(1 for found in self._tx.run_many(CLAIM_BATCH_IN_WAVE, rows) if found)

    def batch(self, batch_id: int) -> Batch | None:
        return read_batch(self._tx.conn, batch_id)

    def take_batch(self, batch_id: int, executor_id: int) -> bool:
        return bool(self._tx.run(TAKE_BATCH, {"b": batch_id, "e": executor_id}))

    def dissolve(self, batch_id: int) -> int:
        return len(self._tx.run(DISSOLVE, {"b": batch_id}))

    def put(self, batch_id: int, task_id: int, product_id: int, user_id: int | None,
            at: datetime, key: str | None = None) -> bool:  # fmt: skip
        if self._postgres:  # two scanners at one wall take turns on the count
            self._tx.run(LOCK_BATCH, {"b": batch_id})
        params = {"b": batch_id, "t": task_id, "p": product_id, "u": user_id, "at": at,
                  "key": key}  # fmt: skip
        return bool(self._tx.run(PUT, params))
