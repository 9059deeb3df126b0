"""`core.orders.ports.OrderRepository` in a unit of work's transaction (`uow.orders`,
data.uow).

The reservation statements are SQL written out, each one atomic on PostgreSQL and SQLite:
the quants an order may take from are locked first, in (product, location) order — the
order every movement touches quants in — and each hold raises its quant's `reserved` by
a conditional UPDATE only while that much is unreserved (PostgreSQL: all of an order's
holds in one such statement, RESERVE_ALL). Nothing is read into Python and
written back. SQLite has no row locks: its writers take turns (BEGIN IMMEDIATE).
"""

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.orders.ports import (
    Carrier,
    Hold,
    Order,
    OrderDraft,
    OrderHead,
    OrderLine,
    Reservation,
    Slot,
    Step,
)
from core.orders.rules import PRIORITY_RANK
from data.models import UtcDateTime
from data.orders.records import (
    ACTIVE_RESERVATIONS,
    ACTIVE_RESERVATIONS_TYPED,
    LINE_COLUMNS,
    LINES_OF,
    RESERVATIONS_TYPED,
    order_on_driver,
    read_order,
    reservation_of,
    ship_to_json,
)
from data.transaction import Transaction

# Good stock an order may be given: loose stock (what a movement can take today) in MAIN's
# default location and its bins — stock at a packing station or a dock is already on its
# way out. `handling_unit_id IS NULL` also lets the search use uq_quant_loose.
_SLOTS = (
    "SELECT q.id AS quant_id, q.product_id, q.location_id, q.quantity - q.reserved AS "
    "available, q.received_at, l.route_sequence FROM quant q "
    "JOIN location l ON l.id = q.location_id JOIN warehouse w ON w.id = l.warehouse_id "
    "WHERE q.product_id IN :products AND q.handling_unit_id IS NULL AND w.code = 'MAIN' "
    "AND l.kind IN ('default', 'bin') "
    "AND l.is_active AND q.quantity > 0 "
    "ORDER BY q.product_id, q.location_id"
)
SLOTS = (
    sa.text(_SLOTS)
    .bindparams(sa.bindparam("products", expanding=True))
    .columns(received_at=UtcDateTime())
)
# PostgreSQL: the same rows locked, in that order, until the transaction ends; a quant
# another order holds is waited for and then read as it committed. The products are one
# array parameter, so the statement goes straight to the driver (data.transaction).
SLOTS_LOCKED = sa.text(
    _SLOTS.replace("IN :products", "= ANY(:products)") + " FOR NO KEY UPDATE OF q"
)
SLOT_COLUMNS = ("quant_id", "product_id", "location_id", "available", "received_at",
                "route_sequence")  # fmt: skip
# Hold :q units of one quant, only while at least that much is unreserved: the check and
# the change are one statement. Every change of a quant raises its version (§2a).
RESERVE = sa.text(
    "UPDATE quant SET reserved = reserved + :q, version = version + 1 "
    "WHERE id = :id AND quantity - reserved >= :q RETURNING id"
)
INSERT_RESERVATION = sa.text(
    "INSERT INTO reservation (order_id, order_line_id, quant_id, quantity, status, "
    "created_at, expires_at) SELECT order_id, id, :quant, :q, 'active', :at, :expires "
    "FROM order_line WHERE id = :line RETURNING id"
).bindparams(sa.bindparam("at", type_=UtcDateTime()), sa.bindparam("expires", type_=UtcDateTime()))
# PostgreSQL: every hold of an order in one statement (one round trip). Each quant is
# raised once by what its holds add up to, only while that much is unreserved (the same
# condition, row by row), and a quant raised writes its holds' reservation rows; a quant
# without that much changes nothing, fewer rows come back than holds, and the caller's
# transaction is rolled back. The quants are locked already (SLOTS_LOCKED, in lock
# order), so the UPDATE waits for no one. The rows written come back as
# ACTIVE_RESERVATIONS lists them (same columns, route order): no read after it.
RESERVE_ALL = sa.text(
    "WITH h AS (SELECT * FROM unnest(CAST(:quants AS bigint[]), CAST(:qs AS int[]), "
    "CAST(:lines AS bigint[])) WITH ORDINALITY AS h(quant, q, line, n)), "
    "need AS (SELECT quant, sum(q) AS q FROM h GROUP BY quant), "
    "taken AS (UPDATE quant SET reserved = quant.reserved + need.q, "
    "version = quant.version + 1 FROM need WHERE quant.id = need.quant "
    "AND quant.quantity - quant.reserved >= need.q "
    "RETURNING quant.id, quant.location_id, quant.handling_unit_id), "
    "r AS (INSERT INTO reservation (order_id, order_line_id, quant_id, quantity, status, "
    "created_at, expires_at) SELECT l.order_id, l.id, h.quant, h.q, 'active', :at, :expires "
    "FROM h JOIN taken ON taken.id = h.quant JOIN order_line l ON l.id = h.line "
    "ORDER BY h.n RETURNING id, order_line_id, quant_id, quantity, status, created_at, "
    "expires_at, stage) "
    "SELECT r.id, r.order_line_id, r.quant_id, l.product_id, loc.id AS location_id, "
    "r.quantity, r.status, r.created_at, r.expires_at, loc.code AS location_code, r.stage, "
    "taken.handling_unit_id FROM r JOIN order_line l ON l.id = r.order_line_id "
    "JOIN taken ON taken.id = r.quant_id JOIN location loc ON loc.id = taken.location_id "
    "ORDER BY loc.route_sequence, loc.code, r.id"
).bindparams(sa.bindparam("at", type_=UtcDateTime()), sa.bindparam("expires", type_=UtcDateTime()))
# Release one reservation once: only an active row turns released, and gives back what it
# held (so a release racing another frees the units once).
RELEASE_ROW = sa.text(
    "UPDATE reservation SET status = 'released', released_at = :at "
    "WHERE id = :id AND status = 'active' RETURNING quant_id, quantity"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))
# Give the units back to the quant; never below zero (the CHECK would refuse it anyway).
UNRESERVE = sa.text(
    "UPDATE quant SET reserved = reserved - :q, version = version + 1 "
    "WHERE id = :id AND reserved >= :q RETURNING id"
)
INSERT_ORDER = sa.text(
    "INSERT INTO sale_order (external_id, source_id, kind, priority, status, carrier, "
    "distribution_center_id, ship_to, created_by, created_at) VALUES (:external_id, "
    ":source_id, :kind, :priority, 'new', :carrier, :dc, :ship_to, :created_by, :at) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))
INSERT_LINE = sa.text(
    "INSERT INTO order_line (order_id, sequence, product_id, quantity, picked, packed, "
    "shipped) VALUES (:o, :s, :p, :q, 0, 0, 0)"
)
INSERT_LINE_RETURNING = sa.text(INSERT_LINE.text + " RETURNING id")
_STEP_VALUES = ":step_at, :u, :action, :step_status, :details, :key"
INSERT_STEP_COLUMNS = (
    "INSERT INTO order_history (order_id, at, user_id, action, status, details, idempotency_key) "
)
# PostgreSQL: the order, its first history row and its lines in one statement (one round
# trip); no row at all when (source, external id) is taken or the step's idempotency key
# is (a twin: the caller's transaction is rolled back). The lines' ids come back in their
# sequence.
INSERT_ORDER_AND_LINES = sa.text(
    f"WITH o AS ({INSERT_ORDER.text}), h AS ({INSERT_STEP_COLUMNS}SELECT o.id, "
    f"{_STEP_VALUES} FROM o ON CONFLICT DO NOTHING RETURNING id), "
    "l AS (INSERT INTO order_line (order_id, "
    "sequence, product_id, quantity, picked, packed, shipped) SELECT o.id, x.s, x.p, x.q, "
    "0, 0, 0 FROM o, unnest(CAST(:ps AS bigint[]), CAST(:qs AS int[])) WITH ORDINALITY "
    "AS x(p, q, s) RETURNING id, sequence) "
    "SELECT o.id, l.id FROM o JOIN h ON true JOIN l ON true ORDER BY l.sequence"
).bindparams(sa.bindparam("at", type_=UtcDateTime()), sa.bindparam("step_at", type_=UtcDateTime()))
BY_EXTERNAL_ID = sa.text(
    "SELECT id FROM sale_order WHERE coalesce(source_id, 0) = :s AND external_id = :e"
)
_HEAD = "SELECT id, status, external_id, priority FROM sale_order WHERE id = :id"
HEAD = sa.text(_HEAD)
HEAD_HELD = sa.text(_HEAD + " FOR NO KEY UPDATE")
# A status moves only from the status the use case saw.
SET_STATUS = sa.text(
    "UPDATE sale_order SET status = :new, "
    "confirmed_at = CASE WHEN :confirming THEN :at ELSE confirmed_at END, "
    "cancelled_at = CASE WHEN :cancelling THEN :at ELSE cancelled_at END, "
    "cancel_reason = CASE WHEN :cancelling THEN :reason ELSE cancel_reason END "
    "WHERE id = :id AND status = :seen RETURNING id"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))
# PostgreSQL: the move and its history row in one statement; the row only if it moved.
SET_STATUS_WITH_STEP = sa.text(
    f"WITH s AS ({SET_STATUS.text}) {INSERT_STEP_COLUMNS}SELECT s.id, {_STEP_VALUES} "
    "FROM s RETURNING order_id"
).bindparams(sa.bindparam("at", type_=UtcDateTime()), sa.bindparam("step_at", type_=UtcDateTime()))
# How long a background job's transaction waits for a row lock (wait_briefly): shorter
# than PostgreSQL's deadlock_timeout (1 s), so in a cycle with a person's request it is the
# job that gives up, before the server picks a victim.
LOCK_WAIT = "300ms"
HOLD_UNTIL = sa.text("UPDATE sale_order SET reserved_until = :until WHERE id = :id").bindparams(
    sa.bindparam("until", type_=UtcDateTime())
)
# Orders whose reservation is due to expire (core.orders.expiry): only `reserved` ones —
# once picking starts the stock stays with the picker. The sweep locks each order and
# checks its reservations again before it releases anything.
EXPIRED = sa.text(
    "SELECT id FROM sale_order WHERE status = 'reserved' AND reserved_until <= :now "
    "ORDER BY reserved_until, id LIMIT :n"
).bindparams(sa.bindparam("now", type_=UtcDateTime()))
INSERT_STEP = sa.text(
    f"{INSERT_STEP_COLUMNS}VALUES (:o, {_STEP_VALUES}) ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("step_at", type_=UtcDateTime()))
_STEP_COLUMNS = "order_id, action, status, user_id, at, details, idempotency_key"
STEP_BY_KEY = sa.text(
    f"SELECT {_STEP_COLUMNS} FROM order_history "
    "WHERE coalesce(user_id, 0) = :u AND idempotency_key = :k"
).columns(at=UtcDateTime())
STEPS = sa.text(
    f"SELECT {_STEP_COLUMNS} FROM order_history WHERE order_id = :o ORDER BY at, id"
).columns(at=UtcDateTime())
_URGENCY = " ".join(f"WHEN '{p}' THEN {rank}" for p, rank in PRIORITY_RANK.items())
_WAITING = (
    f"SELECT o.id FROM sale_order o WHERE o.status = 'awaiting_stock' {{products}} "
    f"ORDER BY CASE o.priority {_URGENCY} ELSE 9 END, o.created_at, o.id LIMIT :n"
)
WAITING_ANY = sa.text(_WAITING.format(products=""))
WAITING = sa.text(
    _WAITING.format(
        products="AND EXISTS (SELECT 1 FROM order_line l WHERE l.order_id = o.id "
        "AND l.product_id IN :products)"
    )
).bindparams(sa.bindparam("products", expanding=True))


def any_waiting(conn: Connection, product_ids: Sequence[int]) -> bool:
    """Whether some order waits for these products: a read, so that a movement whose
    products nobody waits for (nearly all) costs one indexed SELECT and no write lock."""
    return conn.execute(WAITING, {"products": list(product_ids), "n": 1}).first() is not None


CARRIER = sa.text("SELECT code, name, is_active FROM carrier WHERE code = :c")


def _step_params(step: Step) -> dict[str, Any]:
    """A history row's values, as _STEP_VALUES names them (its order id apart)."""
    return {"step_at": step.at, "u": step.user_id, "action": step.action,
            "step_status": str(step.status), "details": step.details[:1000],
            "key": step.idempotency_key}  # fmt: skip


class SqlOrders:
    def __init__(self, tx: Transaction, *, postgres: bool) -> None:
        self._tx = tx
        self._postgres = postgres
        # Products whose stock this transaction freed: their waiting orders are tried
        # again after the commit (data.uow).
        self.freed: set[int] = set()
        # Carriers read in this transaction: the feed's batch names the same one each order.
        self._carriers: dict[str, Carrier | None] = {}

    def _one(self, statement: Any, params: dict[str, Any]) -> Any:
        return self._tx.conn.execute(statement, params).mappings().first()

    def _rows(self, postgres: sa.TextClause, sqlite: Any, params: dict[str, Any]) -> list[Any]:
        """A read of the use case's transaction on the driver's cursor (data.transaction);
        on SQLite through SQLAlchemy, which turns its stored text back into times."""
        if self._postgres:
            return self._tx.run(postgres, params)
        return list(self._tx.conn.execute(sqlite, params))

    def carrier(self, code: str) -> Carrier | None:
        if code not in self._carriers:
            rows = self._tx.run(CARRIER, {"c": code})
            self._carriers[code] = Carrier(rows[0][0], rows[0][1], bool(rows[0][2])) \
                if rows else None  # fmt: skip
        return self._carriers[code]

    def by_external_id(self, source_id: int | None, external_id: str) -> int | None:
        rows = self._tx.run(BY_EXTERNAL_ID, {"s": source_id or 0, "e": external_id})
        return int(rows[0][0]) if rows else None

    def insert_order(self, draft: OrderDraft, step: Step) -> tuple[int, list[int]] | None:
        params = {
            "external_id": draft.external_id, "source_id": draft.source_id,
            "kind": draft.kind, "priority": draft.priority, "carrier": draft.carrier,
            "dc": draft.distribution_center_id, "ship_to": ship_to_json(draft.ship_to),
            "created_by": draft.created_by, "at": draft.created_at,
        }  # fmt: skip
        if self._postgres:
            rows = self._tx.run(INSERT_ORDER_AND_LINES, {
                **params, **_step_params(step), "ps": [line.product_id for line in draft.lines],
                "qs": [line.quantity for line in draft.lines],
            })  # fmt: skip
            return (int(rows[0][0]), [int(r[1]) for r in rows]) if rows else None
        rows = self._tx.run(INSERT_ORDER, params)
        if not rows:
            return None
        order_id = int(rows[0][0])
        line_ids = [
            int(self._tx.run(INSERT_LINE_RETURNING, {"o": order_id, "s": n,
                                                     "p": line.product_id,
                                                     "q": line.quantity})[0][0])
            for n, line in enumerate(draft.lines, start=1)
        ]  # fmt: skip
        if not self.add_step(replace(step, order_id=order_id)):
            return None
        return order_id, line_ids

    def head(self, order_id: int, *, hold: bool = False) -> OrderHead | None:
        rows = self._tx.run(HEAD_HELD if hold and self._postgres else HEAD, {"id": order_id})
        return OrderHead(*rows[0]) if rows else None

    def order(self, order_id: int) -> Order | None:
        if self._postgres:
            return order_on_driver(self._tx, order_id)
        return read_order(self._tx.conn, order_id)

    def lines(self, order_id: int) -> list[OrderLine]:
        rows = self._tx.run(LINES_OF, {"o": order_id})
        return [OrderLine(**dict(zip(LINE_COLUMNS, r, strict=True))) for r in rows]

    def lock_slots(self, product_ids: list[int]) -> list[Slot]:
        if not product_ids:
            return []
        rows = self._rows(SLOTS_LOCKED, SLOTS, {"products": product_ids})
        slots = [Slot(**dict(zip(SLOT_COLUMNS, r, strict=True))) for r in rows]
        return [s for s in slots if s.available > 0]

    def reserve(self, holds: list[Hold], at: datetime,
                expires_at: datetime | None) -> list[Reservation] | None:  # fmt: skip
        if not holds:
            return []
        if self._postgres:
            rows = self._tx.run(RESERVE_ALL, {
                "quants": [h.quant_id for h in holds], "qs": [h.quantity for h in holds],
                "lines": [h.order_line_id for h in holds], "at": at, "expires": expires_at,
            })  # fmt: skip
            return [reservation_of(r) for r in rows] if len(rows) == len(holds) else None
        params = [{"quant": h.quant_id, "q": h.quantity, "at": at, "expires": expires_at,
                   "line": h.order_line_id} for h in holds]  # fmt: skip
        # SQLite has no UPDATE in a WITH: two statements a hold (its writers take turns).
        ids = []
        for hold, values in zip(holds, params, strict=True):
            if not self._tx.run(RESERVE, {"id": hold.quant_id, "q": hold.quantity}):
                return None
            ids.append(int(self._tx.run(INSERT_RESERVATION, values)[0][0]))
        rows = self._tx.conn.execute(RESERVATIONS_TYPED, {"ids": ids})
        return [reservation_of(r) for r in rows]

    def active_reservations(self, order_id: int) -> list[Reservation]:
        rows = self._rows(ACTIVE_RESERVATIONS, ACTIVE_RESERVATIONS_TYPED, {"o": order_id})
        return [reservation_of(r) for r in rows]

    def release(self, reservation: Reservation, at: datetime) -> bool:
        released = self._tx.conn.execute(RELEASE_ROW, {"id": reservation.id, "at": at}).first()
        if released is None:
            return False
        quant_id, quantity = released
        if not self._tx.run(UNRESERVE, {"id": quant_id, "q": quantity}):
            return False
        self.freed.add(reservation.product_id)
        return True

    def set_status(self, order_id: int, seen: str, status: str, at: datetime,
                   *, reason: str | None = None, step: Step | None = None) -> bool:  # fmt: skip
        params = {"id": order_id, "seen": str(seen), "new": str(status), "at": at,
                  "reason": reason, "confirming": status == "reserved",
                  "cancelling": status == "cancelled"}  # fmt: skip
        if step is None:
            return bool(self._tx.run(SET_STATUS, params))
        assert step.idempotency_key is None, "a step with a key is written by add_step"
        if self._postgres:
            return bool(self._tx.run(SET_STATUS_WITH_STEP, {**params, **_step_params(step)}))
        moved = bool(self._tx.run(SET_STATUS, params))
        if moved:
            self.add_step(step)
        return moved

    def hold_until(self, order_id: int, until: datetime | None) -> None:
        self._tx.run(HOLD_UNTIL, {"id": order_id, "until": until})

    def wait_briefly(self) -> None:
        # PostgreSQL: a lock not granted within LOCK_WAIT raises LockNotAvailable (the
        # transaction rolls back). SQLite has no row locks: its writers take turns.
        if self._postgres:
            self._tx.conn.execute(sa.text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))

    def expired(self, now: datetime, limit: int) -> list[int]:
        return [int(r[0]) for r in self._tx.conn.execute(EXPIRED, {"now": now, "n": limit})]

    def add_step(self, step: Step) -> bool:
        return bool(self._tx.run(INSERT_STEP, {"o": step.order_id, **_step_params(step)}))

    def step_by_key(self, key: str, user_id: int | None) -> Step | None:
        row = self._one(STEP_BY_KEY, {"u": user_id or 0, "k": key})
        return Step(**row) if row else None

    def steps(self, order_id: int) -> list[Step]:
        return [Step(**r) for r in self._tx.conn.execute(STEPS, {"o": order_id}).mappings()]

    def waiting(self, product_ids: Sequence[int] | None, limit: int) -> list[int]:
        if product_ids is None:
            rows = self._tx.conn.execute(WAITING_ANY, {"n": limit})
        else:
            rows = self._tx.conn.execute(WAITING, {"products": list(product_ids), "n": limit})
        return [int(r[0]) for r in rows]
