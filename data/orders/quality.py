"""`core.orders.quality_ports.QualityRepository` in a unit of work's transaction
(`uow.quality`), and the reads of checks for pages and the API. Quality control is not
a hot path: plain SQLAlchemy statements on the unit's connection."""

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.orders.quality_ports import QcDefect, QcItem, QcItemDraft, QcPhoto, QcStep, QcTask
from data.db import read_connection, single_read
from data.models import UtcDateTime
from data.reads import page_bounds
from data.transaction import Transaction

_AT = {"type_": UtcDateTime()}
_TASK = (
    "SELECT t.id, t.order_id, t.picking_task_id, t.station_id, t.status, t.executor_id, "
    "t.created_at, t.started_at, t.finished_at, t.cancelled_at, t.cancel_reason, "
    "o.external_id AS order_external_id, loc.code AS station_code, e.name AS executor_name "
    "FROM qc_task t JOIN sale_order o ON o.id = t.order_id "
    "JOIN location loc ON loc.id = t.station_id LEFT JOIN executor e ON e.id = t.executor_id "
)
_TIMES = {c: UtcDateTime() for c in ("created_at", "started_at", "finished_at", "cancelled_at")}
TASK = sa.text(_TASK + "WHERE t.id = :id").columns(**_TIMES)
LOCK_TASK = sa.text("SELECT id FROM qc_task WHERE id = :id FOR UPDATE")
ITEMS = sa.text(
    "SELECT i.id, i.task_id, i.order_line_id, i.product_id, i.location_id, i.quantity, "
    "i.checked, i.defect, p.barcode, p.sku, p.name AS product_name, "
    "loc.code AS location_code FROM qc_item i JOIN product p ON p.id = i.product_id "
    "JOIN location loc ON loc.id = i.location_id WHERE i.task_id IN :ids "
    "ORDER BY loc.route_sequence, loc.code, i.id"
).bindparams(sa.bindparam("ids", expanding=True))
DEFECTS = (
    sa.text(
        "SELECT d.id, d.task_id, d.item_id, d.reason, d.missing, d.user_id, d.created_at, "
        "d.outcome, "
        "d.movement_id, d.repick_location_id, i.product_id, p.sku, "
        "r.code AS repick_location_code FROM qc_defect d JOIN qc_item i ON i.id = d.item_id "
        "JOIN product p ON p.id = i.product_id "
        "LEFT JOIN location r ON r.id = d.repick_location_id "
        "WHERE d.task_id IN :ids ORDER BY d.id"
    )
    .bindparams(sa.bindparam("ids", expanding=True))
    .columns(created_at=UtcDateTime())
)
PHOTOS = (
    sa.text(
        "SELECT id, task_id, file_name, content_type, size_bytes, user_id, created_at "
        "FROM qc_photo WHERE task_id IN :ids ORDER BY id"
    )
    .bindparams(sa.bindparam("ids", expanding=True))
    .columns(created_at=UtcDateTime())
)
PHOTO = sa.text(
    "SELECT id, task_id, file_name, content_type, size_bytes, user_id, created_at "
    "FROM qc_photo WHERE id = :id"
).columns(created_at=UtcDateTime())
# What a picking task — with the tasks split from it per zone — brought to its station,
# per order line and bin.
PICKED_UNITS = sa.text(
    "SELECT order_line_id, product_id, location_id, sum(quantity_picked) AS q "
    "FROM picking_item WHERE quantity_picked > 0 AND task_id IN "
    "(SELECT id FROM picking_task WHERE id = :t OR split_from_id = :t) "
    "GROUP BY order_line_id, product_id, location_id ORDER BY min(task_id), min(sequence)"
)
INSERT_TASK = sa.text(
    "INSERT INTO qc_task (order_id, picking_task_id, station_id, status, created_at) "
    "VALUES (:o, :p, :s, 'pending', :at) RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
INSERT_ITEM = sa.text(
    "INSERT INTO qc_item (task_id, order_line_id, product_id, location_id, quantity, "
    "checked, defect) VALUES (:t, :line, :p, :l, :q, 0, 0)"
)
OPEN_OF = sa.text(
    "SELECT max(id) FROM qc_task WHERE order_id = :o AND status IN ('pending', 'in_progress')"
)
SET_STATUS = sa.text(
    "UPDATE qc_task SET status = :new, "
    "executor_id = CASE WHEN :starting THEN coalesce(:e, executor_id) ELSE executor_id END, "
    "started_at = CASE WHEN :starting THEN :at ELSE started_at END, "
    "finished_at = CASE WHEN :finishing THEN :at ELSE finished_at END, "
    "cancelled_at = CASE WHEN :cancelling THEN :at ELSE cancelled_at END, "
    "cancel_reason = CASE WHEN :cancelling THEN :reason ELSE cancel_reason END "
    "WHERE id = :id AND status = :seen RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
# One more unit counted, only while some are left: the check and the change are one.
CHECK_UNIT = sa.text(
    "UPDATE qc_item SET checked = checked + 1, defect = defect + :d "
    "WHERE id = :id AND checked < quantity RETURNING id"
)
INSERT_DEFECT = sa.text(
    "INSERT INTO qc_defect (task_id, item_id, reason, missing, user_id, created_at) "
    "VALUES (:t, :i, :r, :m, :u, :at) RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
SETTLE_DEFECT = sa.text(
    "UPDATE qc_defect SET outcome = :o, movement_id = :m, repick_location_id = :l "
    "WHERE id = :id AND outcome IS NULL"
)
# The line's `picked` row on the station's loose quant gives units up (released when
# none is left), then the quant's `reserved` falls by as many: each one conditional.
GIVE_UP_PICKED = sa.text(
    "UPDATE reservation SET "
    "quantity = CASE WHEN quantity = :q THEN quantity ELSE quantity - :q END, "
    "status = CASE WHEN quantity = :q THEN 'released' ELSE status END, "
    "released_at = CASE WHEN quantity = :q THEN :at ELSE released_at END "
    "WHERE id = (SELECT r.id FROM reservation r JOIN quant q ON q.id = r.quant_id "
    "WHERE r.order_line_id = :line AND r.status = 'active' AND r.stage = 'picked' "
    "AND q.location_id = :s AND q.handling_unit_id IS NULL AND r.quantity >= :q "
    "ORDER BY r.id LIMIT 1) RETURNING quant_id"
).bindparams(sa.bindparam("at", **_AT))
UNRESERVE = sa.text(
    "UPDATE quant SET reserved = reserved - :q, version = version + 1 "
    "WHERE id = :id AND reserved >= :q RETURNING id"
)
INSERT_PHOTO = sa.text(
    "INSERT INTO qc_photo (task_id, file_name, content_type, size_bytes, user_id, "
    "created_at) VALUES (:t, :f, :c, :n, :u, :at) RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
INSERT_STEP = sa.text(
    "INSERT INTO qc_history (task_id, at, user_id, action, details, idempotency_key) "
    "VALUES (:t, :at, :u, :action, :details, :key) ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("at", **_AT))
STEP_BY_KEY = sa.text(
    "SELECT task_id, action, user_id, at, details, idempotency_key FROM qc_history "
    "WHERE coalesce(user_id, 0) = :u AND idempotency_key = :k"
).columns(at=UtcDateTime())


def _tasks(conn: Connection, heads: Sequence[Any]) -> list[QcTask]:
    if not heads:
        return []
    ids = [h["id"] for h in heads]
    items: dict[int, list[QcItem]] = defaultdict(list)
    for r in conn.execute(ITEMS, {"ids": ids}).mappings():
        items[r["task_id"]].append(QcItem(**dict(r)))
    defects: dict[int, list[QcDefect]] = defaultdict(list)
    for r in conn.execute(DEFECTS, {"ids": ids}).mappings():
        defects[r["task_id"]].append(QcDefect(**dict(r)))
    photos: dict[int, list[QcPhoto]] = defaultdict(list)
    for r in conn.execute(PHOTOS, {"ids": ids}).mappings():
        photos[r["task_id"]].append(QcPhoto(**dict(r)))
    return [QcTask(**dict(h), items=tuple(items[h["id"]]), defects=tuple(defects[h["id"]]),
                   photos=tuple(photos[h["id"]])) for h in heads]  # fmt: skip


def read_task(conn: Connection, task_id: int) -> QcTask | None:
    head = conn.execute(TASK, {"id": task_id}).mappings().first()
    return _tasks(conn, [head])[0] if head else None


class SqlQuality:
    def __init__(self, tx: Transaction, *, postgres: bool) -> None:
        self._tx = tx
        self._postgres = postgres

    def _exec(self, statement: Any, params: dict[str, Any]) -> Any:
        return self._tx.conn.execute(statement, params)

    def picked_units(self, picking_task_id: int) -> list[QcItemDraft]:
        rows = self._exec(PICKED_UNITS, {"t": picking_task_id})
        return [QcItemDraft(int(r[0]), int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def create_task(self, order_id: int, picking_task_id: int, station_id: int, at: datetime,
                    items: list[QcItemDraft]) -> int:  # fmt: skip
        params = {"o": order_id, "p": picking_task_id, "s": station_id, "at": at}
        task_id = int(self._exec(INSERT_TASK, params).scalar_one())
        self._exec(INSERT_ITEM, [{"t": task_id, "line": i.order_line_id, "p": i.product_id,
                                  "l": i.location_id, "q": i.quantity} for i in items])  # fmt: skip
        return task_id

    def task(self, task_id: int, *, hold: bool = False) -> QcTask | None:
        if hold and self._postgres:
            self._exec(LOCK_TASK, {"id": task_id})
        return read_task(self._tx.conn, task_id)

    def open_task_of(self, order_id: int) -> int | None:
        found = self._exec(OPEN_OF, {"o": order_id}).scalar()
        return int(found) if found is not None else None

    def set_status(self, task_id: int, seen: str, status: str, at: datetime, *,
                   executor_id: int | None = None, reason: str | None = None) -> bool:  # fmt: skip
        params = {"id": task_id, "seen": seen, "new": status, "at": at, "e": executor_id,
                  "reason": reason, "starting": status == "in_progress",
                  "finishing": status in ("passed", "failed"),
                  "cancelling": status == "cancelled"}  # fmt: skip
        return self._exec(SET_STATUS, params).first() is not None

    def check_unit(self, item_id: int, defect: bool) -> bool:
        return self._exec(CHECK_UNIT, {"id": item_id, "d": int(defect)}).first() is not None

    def add_defect(self, task_id: int, item_id: int, reason: str, user_id: int | None,
                   at: datetime, *, missing: bool = False) -> int:  # fmt: skip
        params = {"t": task_id, "i": item_id, "r": reason, "m": missing, "u": user_id,
                  "at": at}  # fmt: skip
        return int(self._exec(INSERT_DEFECT, params).scalar_one())

    def settle_defect(self, defect_id: int, outcome: str, movement_id: int,
                      repick_location_id: int | None) -> None:  # fmt: skip
        self._exec(SETTLE_DEFECT, {"id": defect_id, "o": outcome, "m": movement_id,
                                   "l": repick_location_id})  # fmt: skip

    def give_up_picked(self, order_line_id: int, station_id: int, quantity: int,
                       at: datetime) -> int | None:  # fmt: skip
        params = {"line": order_line_id, "s": station_id, "q": quantity, "at": at}
        row = self._exec(GIVE_UP_PICKED, params).first()
        if row is None:
            return None
        quant_id = int(row[0])
        if self._exec(UNRESERVE, {"id": quant_id, "q": quantity}).first() is None:
            return None
        return quant_id

    def add_photo(self, photo: QcPhoto) -> int:
        params = {"t": photo.task_id, "f": photo.file_name, "c": photo.content_type,
                  "n": photo.size_bytes, "u": photo.user_id, "at": photo.created_at}  # fmt: skip
        return int(self._exec(INSERT_PHOTO, params).scalar_one())

    def photo(self, photo_id: int) -> QcPhoto | None:
        row = self._exec(PHOTO, {"id": photo_id}).mappings().first()
        return QcPhoto(**dict(row)) if row else None

    def add_step(self, step: QcStep) -> bool:
        params = {"t": step.task_id, "at": step.at, "u": step.user_id, "action": step.action,
                  "details": step.details[:1000], "key": step.idempotency_key}  # fmt: skip
        return self._exec(INSERT_STEP, params).first() is not None

    def step_by_key(self, key: str, user_id: int | None) -> QcStep | None:
        row = self._exec(STEP_BY_KEY, {"u": user_id or 0, "k": key}).mappings().first()
        return QcStep(**dict(row)) if row else None


# --- Reads for pages and the API ---


@dataclass(frozen=True)
class CheckPage:
    items: list[QcTask]
    total: int


def checks(engine: Engine, *, statuses: Sequence[str] = (), order_id: int | None = None,
           limit: int = 50, offset: int = 0) -> CheckPage:  # fmt: skip
    """Checks, newest first."""
    limit, offset = page_bounds(limit, offset)
    where, params = ["1 = 1"], {"n": limit, "off": offset}
    if statuses:
        where.append("t.status IN :st")
    if order_id is not None:
        where.append("t.order_id = :o")
        params["o"] = order_id
    clause = " AND ".join(where)
    binds = [sa.bindparam("st", expanding=True)] if statuses else []
    if statuses:
        params["st"] = list(statuses)  # type: ignore[assignment]
    count = sa.text(f"SELECT count(*) FROM qc_task t WHERE {clause}").bindparams(*binds)
    heads = (
        sa.text(_TASK + f"WHERE {clause} ORDER BY t.id DESC LIMIT :n OFFSET :off")
        .bindparams(*binds)
        .columns(**_TIMES)
    )
    with read_connection(engine) as conn:
        total = int(conn.execute(count, params).scalar_one())
        found = _tasks(conn, list(conn.execute(heads, params).mappings()))
    return CheckPage(found, total)


def check(engine: Engine, task_id: int) -> QcTask | None:
    with read_connection(engine) as conn:
        return read_task(conn, task_id)


def order_checks(engine: Engine, order_id: int) -> list[QcTask]:
    """An order's checks, oldest first (the order card)."""
    return list(reversed(checks(engine, order_id=order_id, limit=100).items))


def awaits_check(engine: Engine, picking_task_id: int) -> bool:
    """Whether what this picking task brought waits for its quality check."""
    query = sa.text("SELECT 1 FROM qc_task WHERE picking_task_id = :t AND status = 'pending'")
    with read_connection(engine) as conn:
        return conn.execute(query, {"t": picking_task_id}).first() is not None


def photo(engine: Engine, photo_id: int) -> QcPhoto | None:
    with read_connection(engine) as conn:
        row = conn.execute(PHOTO, {"id": photo_id}).mappings().first()
    return QcPhoto(**dict(row)) if row else None


@dataclass(frozen=True)
class Ownership:
    """Who took a check and who the asking user works as (the own-check rule)."""

    executor_id: int | None  # the check's executor; None: nobody took it
    mine: int | None  # the user's active executor; None: they have none


OWNERSHIP = sa.text(
    "SELECT t.executor_id, (SELECT e.id FROM executor e WHERE e.user_id = :user "
    "AND e.is_active ORDER BY e.id LIMIT 1) FROM qc_task t WHERE t.id = :id"
)


def ownership(engine: Engine, task_id: int, user_id: int) -> Ownership | None:
    """The check's executor and the user's, in one row (the own-check rule of the API and
    the tablet); None when there is no such check."""
    with single_read(engine) as conn:
        row = conn.execute(OWNERSHIP, {"id": task_id, "user": user_id}).first()
    return Ownership(row[0], row[1]) if row else None
