"""`core.orders.packing_ports.PackingRepository` in a unit of work's transaction
(`uow.packing`, data.uow).

The stock statements of packing and shipping are SQL written out, each one atomic on
PostgreSQL and SQLite: the station's loose quant gives up `quantity` and `reserved`
together only while it holds that much reserved (the picking repository's statement);
the package's box quant takes both in one upsert; a reservation gives up units only while
it still holds them; shipping marks a packed reservation shipped once and lowers its box
quant the same way. Nothing is read into Python and written back. A task's row is locked
(PostgreSQL) after its order's, as an order's cancel locks them.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.orders.own_tasks import TaskHead
from core.orders.packing_ports import Package, PackageDraft, PackStep, PackTask, PickedUnits
from data.models import UtcDateTime
from data.packing.records import read_task, task_on_driver
from data.picking.queries import ownership_sql
from data.picking.repository import TAKE_RESERVED
from data.transaction import Transaction

_AT = {"type_": UtcDateTime()}
INSERT_TASK = sa.text(
    "INSERT INTO packing_task (order_id, picking_task_id, station_id, status, created_at) "
    "VALUES (:o, :p, :s, 'pending', :at) RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
LOCK_TASK = sa.text("SELECT id FROM packing_task WHERE id = :id FOR UPDATE")
LATEST_TASK = sa.text("SELECT max(id) AS id FROM packing_task WHERE order_id = :o")
SET_STATUS = sa.text(
    "UPDATE packing_task SET status = :new, "
    "executor_id = CASE WHEN :starting THEN :e ELSE executor_id END, "
    "started_at = CASE WHEN :starting THEN :at ELSE started_at END, "
    "packed_at = CASE WHEN :packing THEN :at ELSE packed_at END, "
    "shipped_at = CASE WHEN :shipping THEN :at ELSE shipped_at END, "
    "carrier = CASE WHEN :shipping THEN :carrier ELSE carrier END, "
    "tracking_number = CASE WHEN :shipping THEN :tracking ELSE tracking_number END, "
    "cancelled_at = CASE WHEN :cancelling THEN :at ELSE cancelled_at END, "
    "cancel_reason = CASE WHEN :cancelling THEN :reason ELSE cancel_reason END "
    "WHERE id = :id AND status = :seen RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
# Its marking codes follow a task that ships (shipped) or is cancelled (free again).
CODES_FOLLOW = sa.text(
    "UPDATE marking_code SET status = :new, "
    "shipped_at = CASE WHEN :shipping THEN :at ELSE shipped_at END "
    "WHERE packing_task_id = :id AND status = 'packed'"
).bindparams(sa.bindparam("at", **_AT))
# The task's row is held, so the next number cannot be taken meanwhile.
NEXT_SEQUENCE = sa.text(
    "SELECT coalesce(max(sequence_number), 0) + 1 FROM package WHERE packing_task_id = :t"
)
INSERT_UNIT = sa.text(
    "INSERT INTO handling_unit (code, kind, location_id, created_at) "
    "VALUES (:code, 'box', :l, :at) RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
INSERT_PACKAGE = sa.text(
    "INSERT INTO package (packing_task_id, sequence_number, packaging_type, weight_kg, "
    "length_cm, width_cm, height_cm, barcode, handling_unit_id, created_at) "
    "VALUES (:t, :n, :kind, :w, :l, :wd, :h, :code, :u, :at) RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
# A package's given values; the others kept (the task's row is held by the caller).
SET_MEASURES = sa.text(
    "UPDATE package SET packaging_type = coalesce(:kind, packaging_type), "
    "weight_kg = coalesce(:w, weight_kg), length_cm = coalesce(:l, length_cm), "
    "width_cm = coalesce(:wd, width_cm), height_cm = coalesce(:h, height_cm) "
    "WHERE id = :id RETURNING id"
)
PICKED_UNITS = sa.text(
    "SELECT r.id AS reservation_id, r.order_line_id, l.product_id, r.quant_id, r.quantity "
    "FROM reservation r JOIN order_line l ON l.id = r.order_line_id "
    "WHERE r.order_id = :o AND r.status = 'active' AND r.stage = 'picked' "
    "ORDER BY r.order_line_id, r.id"
)
# The station's `picked` row gives up :q units; a row left with none is released (its
# units moved on into the box's `packed` row).
MOVE_PICKED = sa.text(
    "UPDATE reservation SET "
    "quantity = CASE WHEN quantity = :q THEN quantity ELSE quantity - :q END, "
    "status = CASE WHEN quantity = :q THEN 'released' ELSE status END, "
    "released_at = CASE WHEN quantity = :q THEN :at ELSE released_at END "
    "WHERE id = :id AND status = 'active' AND stage = 'picked' AND quantity >= :q "
    "RETURNING quant_id"
).bindparams(sa.bindparam("at", **_AT))
# …and arrive in the box still reserved: one upsert on the quant in the unit, which is
# where the station quant is; the units keep their arrival time.
PUT_RESERVED_IN_UNIT = sa.text(
    "INSERT INTO quant (product_id, location_id, handling_unit_id, quantity, reserved, "
    "received_at) SELECT :p, location_id, :u, :q, :q, received_at FROM quant "
    "WHERE id = :station ON CONFLICT (product_id, location_id, handling_unit_id) "
    "WHERE handling_unit_id IS NOT NULL DO UPDATE SET "
    "quantity = quant.quantity + excluded.quantity, "
    "reserved = quant.reserved + excluded.reserved, version = quant.version + 1 RETURNING id"
)
INSERT_PACKED = sa.text(
    "INSERT INTO reservation (order_id, order_line_id, quant_id, quantity, status, "
    "created_at, stage) SELECT order_id, id, :quant, :q, 'active', :at, 'packed' "
    "FROM order_line WHERE id = :line"
).bindparams(sa.bindparam("at", **_AT))
LINE_PACKED = sa.text(
    "UPDATE order_line SET packed = packed + :q "
    "WHERE id = :line AND packed + :q <= picked RETURNING id"
)
INSERT_ITEM = sa.text(
    "INSERT INTO package_item (package_id, order_line_id, product_id, quantity) "
    "VALUES (:pkg, :line, :p, :q)"
)
# A packed reservation leaves once, whole: marked shipped (no longer active).
SHIP_RESERVATION = sa.text(
    "UPDATE reservation SET status = 'released', stage = 'shipped', released_at = :at "
    "WHERE id = :id AND status = 'active' AND stage = 'packed' AND quantity = :q "
    "AND quant_id = :quant RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
LINE_SHIPPED = sa.text(
    "UPDATE order_line SET picked = picked - :q, packed = packed - :q, "
    "shipped = shipped + :q WHERE id = :line AND packed >= :q RETURNING id"
)
LINE_UNPACKED = sa.text(
    "UPDATE order_line SET picked = picked - :q, packed = packed - :q "
    "WHERE id = :line AND packed >= :q RETURNING id"
)
CLOSE_UNITS = sa.text(
    "UPDATE handling_unit SET closed_at = :at WHERE closed_at IS NULL AND id IN "
    "(SELECT handling_unit_id FROM package WHERE packing_task_id = :t)"
).bindparams(sa.bindparam("at", **_AT))
ORDER_SHIPPED = sa.text(
    "UPDATE sale_order SET carrier = :c, tracking_number = :t WHERE id = :o RETURNING id"
)
INSERT_STEP = sa.text(
    "INSERT INTO packing_history (task_id, at, user_id, action, package_id, details, "
    "idempotency_key) VALUES (:t, :at, :u, :action, :pkg, :details, :key) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
STEP_BY_KEY = sa.text(
    "SELECT task_id, action, user_id, at, package_id, details, idempotency_key "
    "FROM packing_history WHERE coalesce(user_id, 0) = :u AND idempotency_key = :k"
).columns(at=UtcDateTime())
ORDER_OF = sa.text("SELECT order_id FROM packing_task WHERE id = :id")
TASK_HEAD = ownership_sql("packing_task", with_order=True)


class SqlPacking:
    def __init__(self, tx: Transaction, *, postgres: bool) -> None:
        self._tx = tx
        self._postgres = postgres

    def _one(self, statement: Any, params: dict[str, Any]) -> Any:
        return self._tx.conn.execute(statement, params).mappings().first()

    def create_task(self, order_id: int, picking_task_id: int, station_id: int,
                    at: datetime) -> int:  # fmt: skip
        params = {"o": order_id, "p": picking_task_id, "s": station_id, "at": at}
        return int(self._tx.run(INSERT_TASK, params)[0][0])

    def task(self, task_id: int, *, hold: bool = False) -> PackTask | None:
        if self._postgres:  # the lock and the reads in one round trip
            return task_on_driver(self._tx, task_id, lock=LOCK_TASK if hold else None)
        return read_task(self._tx.conn, task_id)  # SQLite has no row locks

    def latest_task_of(self, order_id: int) -> int | None:
        row = self._one(LATEST_TASK, {"o": order_id})
        return int(row["id"]) if row and row["id"] is not None else None

    def set_status(self, task_id: int, seen: str, status: str, at: datetime, *,
                   executor_id: int | None = None, reason: str | None = None,
                   carrier: str | None = None,
                   tracking_number: str | None = None) -> bool:  # fmt: skip
        params = {"id": task_id, "seen": str(seen), "new": str(status), "at": at,
                  "e": executor_id, "starting": status == "in_progress",
                  "packing": status == "packed", "shipping": status == "shipped",
                  "carrier": carrier, "tracking": tracking_number,
                  "cancelling": status == "cancelled", "reason": reason}  # fmt: skip
        moved = bool(self._tx.run(SET_STATUS, params))
        if moved and status in ("shipped", "cancelled"):
            self._tx.run(CODES_FOLLOW, {"id": task_id, "new": str(status), "at": at,
                                        "shipping": status == "shipped"})  # fmt: skip
        return moved

    def set_measures(self, package_id: int, kind: str | None, weight: float | None,
                     length: float | None, width: float | None,
                     height: float | None) -> bool:  # fmt: skip
        params = {"id": package_id, "kind": kind, "w": weight, "l": length, "wd": width,
                  "h": height}  # fmt: skip
        return bool(self._tx.run(SET_MEASURES, params))

    def add_package(self, task_id: int, station_id: int, draft: PackageDraft,
                    at: datetime) -> Package:  # fmt: skip
        number = int(self._tx.run(NEXT_SEQUENCE, {"t": task_id})[0][0])
        code = f"PKG-{task_id}-{number}"
        unit = int(self._tx.run(INSERT_UNIT, {"code": code, "l": station_id, "at": at})[0][0])
        params = {"t": task_id, "n": number, "kind": draft.packaging_type, "w": draft.weight_kg,
                  "l": draft.length_cm, "wd": draft.width_cm, "h": draft.height_cm,
                  "code": code, "u": unit, "at": at}  # fmt: skip
        package_id = int(self._tx.run(INSERT_PACKAGE, params)[0][0])
        return Package(package_id, task_id, number, draft.packaging_type, draft.weight_kg,
                       draft.length_cm, draft.width_cm, draft.height_cm, code, unit)  # fmt: skip

    def picked_units(self, order_id: int) -> list[PickedUnits]:
        return [PickedUnits(*row) for row in self._tx.run(PICKED_UNITS, {"o": order_id})]

    def pack_units(self, units: PickedUnits, quantity: int, package: Package,
                   at: datetime) -> bool:  # fmt: skip
        q = quantity
        moved = self._tx.run(MOVE_PICKED, {"id": units.reservation_id, "q": q, "at": at})
        if not moved:
            return False
        station_quant = int(moved[0][0])
        if not self._tx.run(TAKE_RESERVED, {"id": station_quant, "q": q}):
            return False
        box = self._tx.run(PUT_RESERVED_IN_UNIT, {"p": units.product_id, "q": q,
                                                  "station": station_quant,
                                                  "u": package.handling_unit_id})  # fmt: skip
        line = units.order_line_id
        if not self._tx.run(LINE_PACKED, {"line": line, "q": q}):
            return False
        self._tx.run_all([
            (INSERT_PACKED, {"quant": int(box[0][0]), "q": q, "at": at, "line": line}),
            (INSERT_ITEM, {"pkg": package.id, "line": line, "p": units.product_id, "q": q}),
        ])  # fmt: skip
        return True

    def ship_units(self, reservation_id: int, order_line_id: int, quant_id: int,
                   quantity: int, at: datetime) -> bool:  # fmt: skip
        params = {"id": reservation_id, "q": quantity, "quant": quant_id, "at": at}
        if not self._tx.run(SHIP_RESERVATION, params):
            return False
        if not self._tx.run(TAKE_RESERVED, {"id": quant_id, "q": quantity}):
            return False
        return bool(self._tx.run(LINE_SHIPPED, {"line": order_line_id, "q": quantity}))

    def unpack(self, order_line_id: int, quantity: int) -> bool:
        return bool(self._tx.run(LINE_UNPACKED, {"line": order_line_id, "q": quantity}))

    def close_units(self, task_id: int, at: datetime) -> None:
        self._tx.run(CLOSE_UNITS, {"t": task_id, "at": at})

    def order_shipped(self, order_id: int, carrier: str, tracking_number: str) -> None:
        self._tx.run(ORDER_SHIPPED, {"o": order_id, "c": carrier, "t": tracking_number})

    def add_step(self, step: PackStep) -> bool:
        params = {"t": step.task_id, "at": step.at, "u": step.user_id, "action": step.action,
                  "pkg": step.package_id, "details": step.details[:1000],
                  "key": step.idempotency_key}  # fmt: skip
        return bool(self._tx.run(INSERT_STEP, params))

    def step_by_key(self, key: str, user_id: int | None) -> PackStep | None:
        row = self._one(STEP_BY_KEY, {"u": user_id or 0, "k": key})
        return PackStep(**row) if row else None

    def order_of(self, task_id: int) -> int | None:
        rows = self._tx.run(ORDER_OF, {"id": task_id})
        return int(rows[0][0]) if rows else None

    def task_head(self, task_id: int, user_id: int) -> TaskHead | None:
        rows = self._tx.run(TASK_HEAD, {"id": task_id, "user": user_id})
        return TaskHead(*rows[0]) if rows else None
