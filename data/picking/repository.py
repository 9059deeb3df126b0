"""`core.orders.picking_ports.PickingRepository` in a unit of work's transaction (`uow.picking`,
data.uow).

The stock statements of a pick are SQL written out, each one atomic on PostgreSQL and
SQLite: the bin quant gives up `quantity` and `reserved` together only while it holds
that much reserved; the station quant takes both in one upsert; the bin reservation loses
the units only while it still holds them. Nothing is read into Python and written back.
A task's row is locked (PostgreSQL) before anything of it changes, always after its
order's row (core.orders.picking.order_and_task), so a pick and a cancel of its order take
turns: both lock the order, then the task, then the quants.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.orders.own_tasks import TaskHead
from core.orders.picking_ports import ExecutorRef, ItemDraft, PickStep, PickTask
from data.models import UtcDateTime
from data.picking.queries import ownership_sql
from data.picking.records import read_task, task_on_driver
from data.transaction import Transaction

_AT = {"type_": UtcDateTime()}
# The given station (:s), else the first active packing station.
STATION = sa.text(
    "SELECT id FROM location WHERE (CAST(:s AS BIGINT) IS NULL AND kind = 'packing' "
    "AND is_active) OR id = CAST(:s AS BIGINT) ORDER BY route_sequence, code LIMIT 1"
)
INSERT_TASK = sa.text(
    "INSERT INTO picking_task (order_id, status, priority, station_id, created_at) "
    "VALUES (:o, 'pending', :p, :s, :at) RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
INSERT_ITEM = sa.text(
    "INSERT INTO picking_item (task_id, sequence, order_line_id, reservation_id, product_id, "
    "location_id, quantity_required, quantity_picked, status) "
    "VALUES (:t, :n, :line, :r, :p, :l, :q, 0, 'pending')"
)
# PostgreSQL: the task at the station and its items in one statement (one round trip);
# nothing at all when there is no active packing station.
INSERT_TASK_AND_ITEMS = sa.text(
    "WITH t AS (INSERT INTO picking_task (order_id, status, priority, station_id, "
    "created_at) SELECT :o, 'pending', :p, s.id, :at FROM (" + STATION.text + ") s "
    "RETURNING id), i AS (INSERT INTO picking_item (task_id, sequence, order_line_id, "
    "reservation_id, product_id, location_id, quantity_required, quantity_picked, status) "
    "SELECT t.id, x.n, x.line, x.r, x.p, x.l, x.q, 0, 'pending' FROM t, "
    "unnest(CAST(:ns AS int[]), CAST(:lines AS bigint[]), CAST(:rs AS bigint[]), "
    "CAST(:ps AS bigint[]), CAST(:ls AS bigint[]), CAST(:qs AS int[])) "
    "AS x(n, line, r, p, l, q)) SELECT id FROM t"
).bindparams(sa.bindparam("at", **_AT))
LOCK_TASK = sa.text("SELECT id FROM picking_task WHERE id = :id FOR UPDATE")
TASKS_OF = sa.text("SELECT id FROM picking_task WHERE order_id = :o ORDER BY id")
SPLIT = sa.text(
    "SELECT id, status, zone FROM picking_task WHERE id = :r OR split_from_id = :r ORDER BY id"
)
EXECUTOR = sa.text("SELECT id, is_active, user_id FROM executor WHERE id = :id")
SET_STATUS = sa.text(
    "UPDATE picking_task SET status = :new, "
    "executor_id = CASE WHEN :assigning THEN :e ELSE executor_id END, "
    "assigned_at = CASE WHEN :assigning THEN :at ELSE assigned_at END, "
    "started_at = CASE WHEN :starting THEN :at ELSE started_at END, "
    "completed_at = CASE WHEN :completing THEN :at ELSE completed_at END, "
    "cancelled_at = CASE WHEN :cancelling THEN :at ELSE cancelled_at END, "
    "cancel_reason = CASE WHEN :cancelling THEN :reason ELSE cancel_reason END "
    "WHERE id = :id AND status = :seen RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
# Reserved units leave the bin: quantity and reserved fall together, only while the
# quant holds that much reserved (so never below what other orders hold there).
TAKE_RESERVED = sa.text(
    "UPDATE quant SET quantity = quantity - :q, reserved = reserved - :q, "
    "version = version + 1 WHERE id = :id AND reserved >= :q AND quantity >= :q RETURNING id"
)
# …and arrive at the station still reserved: one upsert on the loose quant.
PUT_RESERVED = sa.text(
    "INSERT INTO quant (product_id, location_id, handling_unit_id, quantity, reserved, "
    "received_at) VALUES (:p, :l, NULL, :q, :q, :at) "
    "ON CONFLICT (product_id, location_id) WHERE handling_unit_id IS NULL DO UPDATE SET "
    "quantity = quant.quantity + excluded.quantity, "
    "reserved = quant.reserved + excluded.reserved, version = quant.version + 1, "
    "received_at = CASE WHEN quant.quantity = 0 THEN excluded.received_at "
    "ELSE quant.received_at END RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
# The bin reservation gives up :q units; a row left with none is released (its units
# moved on to the station's `picked` row).
MOVE_RESERVATION = sa.text(
    "UPDATE reservation SET "
    "quantity = CASE WHEN quantity = :q THEN quantity ELSE quantity - :q END, "
    "status = CASE WHEN quantity = :q THEN 'released' ELSE status END, "
    "released_at = CASE WHEN quantity = :q THEN :at ELSE released_at END "
    "WHERE id = :id AND status = 'active' AND stage = 'bin' AND quantity >= :q "
    "RETURNING quant_id"
).bindparams(sa.bindparam("at", **_AT))
INSERT_PICKED = sa.text(
    "INSERT INTO reservation (order_id, order_line_id, quant_id, quantity, status, "
    "created_at, stage) SELECT order_id, id, :quant, :q, 'active', :at, 'picked' "
    "FROM order_line WHERE id = :line"
).bindparams(sa.bindparam("at", **_AT))
LINE_PICKED = sa.text(
    "UPDATE order_line SET picked = picked + :q "
    "WHERE id = :line AND picked + shipped + :q <= quantity RETURNING id"
)
LINE_UNPICKED = sa.text(
    "UPDATE order_line SET picked = picked - :q WHERE id = :line AND picked >= :q RETURNING id"
)
SET_ITEM = sa.text(
    "UPDATE picking_item SET status = :status, quantity_picked = quantity_picked + :q, "
    "reason = :reason WHERE id = :id AND status = :seen RETURNING id"
)
INSERT_STEP = sa.text(
    "INSERT INTO picking_history (task_id, at, user_id, action, item_id, details, "
    "idempotency_key) VALUES (:t, :at, :u, :action, :item, :details, :key) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
STEP_BY_KEY = sa.text(
    "SELECT task_id, action, user_id, at, item_id, details, idempotency_key "
    "FROM picking_history WHERE coalesce(user_id, 0) = :u AND idempotency_key = :k"
).columns(at=UtcDateTime())
ORDER_OF = sa.text("SELECT order_id FROM picking_task WHERE id = :id")
TASK_HEAD = ownership_sql("picking_task", with_order=True)


class SqlPicking:
    def __init__(self, tx: Transaction, *, postgres: bool) -> None:
        self._tx = tx
        self._postgres = postgres

    def _one(self, statement: Any, params: dict[str, Any]) -> Any:
        return self._tx.conn.execute(statement, params).mappings().first()

    def create_task(self, order_id: int, priority: str, at: datetime, items: list[ItemDraft],
                    station_id: int | None = None) -> int | None:  # fmt: skip
        if self._postgres:
            rows = self._tx.run(INSERT_TASK_AND_ITEMS, {
                "o": order_id, "p": priority, "at": at, "s": station_id,
                "ns": [i.sequence for i in items],
                "lines": [i.order_line_id for i in items],
                "rs": [i.reservation_id for i in items], "ps": [i.product_id for i in items],
                "ls": [i.location_id for i in items], "qs": [i.quantity for i in items],
            })  # fmt: skip
            return int(rows[0][0]) if rows else None
        stations = self._tx.run(STATION, {"s": station_id})
        if not stations:
            return None
        task_id = int(self._tx.run(INSERT_TASK, {"o": order_id, "p": priority,
                                                 "s": stations[0][0], "at": at})[0][0])  # fmt: skip
        self._tx.run_all([
            (INSERT_ITEM, {"t": task_id, "n": i.sequence, "line": i.order_line_id,
                           "r": i.reservation_id, "p": i.product_id, "l": i.location_id,
                           "q": i.quantity})
            for i in items
        ])  # fmt: skip
        return task_id

    def task(self, task_id: int, *, hold: bool = False) -> PickTask | None:
        if self._postgres:  # the lock and the reads in one round trip
            return task_on_driver(self._tx, task_id, lock=LOCK_TASK if hold else None)
        return read_task(self._tx.conn, task_id)  # SQLite has no row locks

    def task_ids_of(self, order_id: int) -> list[int]:
        return [int(row[0]) for row in self._tx.run(TASKS_OF, {"o": order_id})]

    def split_of(self, root_id: int) -> list[tuple[int, str, str | None]]:
        return [(int(i), str(s), z) for i, s, z in self._tx.run(SPLIT, {"r": root_id})]

    def executor(self, executor_id: int) -> ExecutorRef | None:
        row = self._one(EXECUTOR, {"id": executor_id})
        return ExecutorRef(row["id"], bool(row["is_active"]), row["user_id"]) if row else None

    def set_status(self, task_id: int, seen: str, status: str, at: datetime, *,
                   executor_id: int | None = None, reason: str | None = None) -> bool:  # fmt: skip
        params = {"id": task_id, "seen": str(seen), "new": str(status), "at": at,
                  "assigning": status == "assigned", "e": executor_id,
                  "starting": status == "in_progress", "completing": status == "completed",
                  "cancelling": status == "cancelled",
                  "reason": reason}  # fmt: skip
        return bool(self._tx.run(SET_STATUS, params))

    def take_reserved(self, quant_id: int, quantity: int) -> bool:
        return bool(self._tx.run(TAKE_RESERVED, {"id": quant_id, "q": quantity}))

    def put_reserved(self, product_id: int, location_id: int, quantity: int,
                     at: datetime) -> int:  # fmt: skip
        rows = self._tx.run(PUT_RESERVED, {"p": product_id, "l": location_id, "q": quantity,
                                           "at": at})  # fmt: skip
        return int(rows[0][0])

    def move_reservation(self, reservation_id: int, quantity: int, at: datetime) -> int | None:
        rows = self._tx.run(MOVE_RESERVATION, {"id": reservation_id, "q": quantity, "at": at})
        return int(rows[0][0]) if rows else None

    def add_picked(self, order_line_id: int, quant_id: int, quantity: int,
                   at: datetime) -> bool:  # fmt: skip
        if not self._tx.run(LINE_PICKED, {"line": order_line_id, "q": quantity}):
            return False
        self._tx.run(INSERT_PICKED, {"quant": quant_id, "q": quantity, "at": at,
                                     "line": order_line_id})  # fmt: skip
        return True

    def unpick(self, order_line_id: int, quantity: int) -> bool:
        return bool(self._tx.run(LINE_UNPICKED, {"line": order_line_id, "q": quantity}))

    def set_item(self, item_id: int, seen: str, status: str, picked: int,
                 reason: str | None) -> bool:  # fmt: skip
        params = {"id": item_id, "seen": seen, "status": status, "q": picked, "reason": reason}
        return bool(self._tx.run(SET_ITEM, params))

    def add_step(self, step: PickStep) -> bool:
        params = {"t": step.task_id, "at": step.at, "u": step.user_id, "action": step.action,
                  "item": step.item_id, "details": step.details[:1000],
                  "key": step.idempotency_key}  # fmt: skip
        return bool(self._tx.run(INSERT_STEP, params))

    def step_by_key(self, key: str, user_id: int | None) -> PickStep | None:
        row = self._one(STEP_BY_KEY, {"u": user_id or 0, "k": key})
        return PickStep(**row) if row else None

    def order_of(self, task_id: int) -> int | None:
        rows = self._tx.run(ORDER_OF, {"id": task_id})
        return int(rows[0][0]) if rows else None

    def task_head(self, task_id: int, user_id: int) -> TaskHead | None:
        rows = self._tx.run(TASK_HEAD, {"id": task_id, "user": user_id})
        return TaskHead(*rows[0]) if rows else None
