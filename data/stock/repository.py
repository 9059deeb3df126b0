"""`core.stock.ports.Stock` in a unit of work's transaction (data.uow): locations and
the quants of loose stock.

The stock statements are written out as SQL on purpose: each is one atomic statement
that PostgreSQL and SQLite (≥ 3.35) both run as written. A decrement never reads the
balance into Python first. The bulk import (data.imports.store) runs the same two.
"""

from datetime import datetime
from threading import Lock

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.floor.locations import LocationKind
from core.model import HandlingUnitRef, LocationRef
from data.models import UtcDateTime
from data.transaction import Transaction

# Each statement comes in two forms: loose stock (`handling_unit_id IS NULL`) and stock in
# a handling unit (`= :u`), one per partial unique index (NULLs are distinct in a key).
_LOOSE = "product_id = :p AND location_id = :l AND handling_unit_id IS NULL"
_IN_UNIT = "product_id = :p AND location_id = :l AND handling_unit_id = :u"


def _take(where: str, at_version: bool) -> sa.TextClause:
    """Lower unreserved stock, or change nothing when there is not enough of it. Every
    change of a quant raises its version in the same statement (DESIGN.md §2a, positions).
    `at_version`: only while the quant is still at the version a count saw: the check and
    the change are one statement, so a change in between makes it change nothing."""
    version = " AND version = :v" if at_version else ""
    return sa.text(
        "UPDATE quant SET quantity = quantity - :q, version = version + 1 "
        f"WHERE {where} AND quantity - reserved >= :q{version} RETURNING quantity"
    )


TAKE, TAKE_AT_VERSION = _take(_LOOSE, False), _take(_LOOSE, True)
TAKE_FROM_UNIT, TAKE_FROM_UNIT_AT_VERSION = _take(_IN_UNIT, False), _take(_IN_UNIT, True)
ON_HAND = sa.text(f"SELECT quantity, reserved FROM quant WHERE {_LOOSE}")
ON_HAND_IN_UNIT = sa.text(f"SELECT quantity, reserved FROM quant WHERE {_IN_UNIT}")


def _put(unit: bool, at_version: bool) -> sa.TextClause:
    """Raise stock, creating the quant on first arrival. An empty quant that refills is
    new stock for FIFO, so it takes the new arrival time."""
    target = (
        "(product_id, location_id, handling_unit_id) WHERE handling_unit_id IS NOT NULL"
        if unit
        else "(product_id, location_id) WHERE handling_unit_id IS NULL"
    )
    text = (
        "INSERT INTO quant (product_id, location_id, handling_unit_id, quantity, reserved, "
        f"received_at) VALUES (:p, :l, {':u' if unit else 'NULL'}, :q, 0, :at) "
        f"ON CONFLICT {target} DO UPDATE SET "
        "quantity = quant.quantity + excluded.quantity, version = quant.version + 1, "
        "received_at = CASE WHEN quant.quantity = 0 THEN excluded.received_at "
        "ELSE quant.received_at END"
    )
    if at_version:
        text += " WHERE quant.version = :v RETURNING quantity"
    return sa.text(text).bindparams(sa.bindparam("at", type_=UtcDateTime()))


PUT, PUT_AT_VERSION = _put(False, False), _put(False, True)
PUT_IN_UNIT, PUT_IN_UNIT_AT_VERSION = _put(True, False), _put(True, True)
VERSION = sa.text(f"SELECT version FROM quant WHERE {_LOOSE}")
VERSION_IN_UNIT = sa.text(f"SELECT version FROM quant WHERE {_IN_UNIT}")
# A movement into or out of a unit reads the unit with a share lock (PostgreSQL): a unit
# move or a close (which lock it for update first) waits for the movement, and the
# movement for them, so stock never lands in a unit that has left or closed.
UNIT = "SELECT id, code, location_id, closed_at FROM handling_unit WHERE id = :u"
UNIT_HELD = sa.text(UNIT + " FOR SHARE")
UNIT_FREE = sa.text(UNIT)
# A place stock goes into must be active when it arrives, whatever this process's cache
# says. PostgreSQL: the row is held (FOR KEY SHARE) until the commit; a deactivation takes
# it FOR UPDATE first (data.floor.store), so one waits for the other and then sees its
# effect — the deactivation the stock, or the movement the place off. SQLite: writers
# take turns anyway.
HOLD_LOCATION = sa.text("SELECT is_active FROM location WHERE id = :l")
HOLD_LOCATION_PG = sa.text("SELECT is_active FROM location WHERE id = :l FOR KEY SHARE")
LOCATIONS = sa.text(
    "SELECT l.id, l.code, l.name, l.kind, l.is_active, w.code AS warehouse_code "
    "FROM location l LEFT JOIN warehouse w ON w.id = l.warehouse_id"
)


class LocationDirectory:
    """Locations by code and id, loaded once per process and reloaded on a miss."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._lock = Lock()
        self._by_id: dict[int, LocationRef] = {}
        self._by_code: dict[str, LocationRef] = {}

    def reload(self, conn: Connection) -> None:
        rows = conn.execute(LOCATIONS).mappings().all()
        by_id = {
            r["id"]: LocationRef(
                id=r["id"],
                code=r["code"],
                name=r["name"],
                is_internal=r["kind"] != LocationKind.VIRTUAL,
                warehouse_code=r["warehouse_code"],
                is_active=bool(r["is_active"]),
                kind=r["kind"],
            )
            for r in rows
        }
        with self._lock:
            self._by_id = by_id
            self._by_code = {loc.code: loc for loc in by_id.values()}

    def by_code(self, conn: Connection, code: str) -> LocationRef:
        if code not in self._by_code:
            self.reload(conn)
        try:
            return self._by_code[code]
        except KeyError:
            raise RuntimeError(f"location {code} is missing: the database is not seeded") from None

    def by_id(self, conn: Connection, location_id: int) -> LocationRef | None:
        if location_id not in self._by_id:
            self.reload(conn)
        return self._by_id.get(location_id)


class SqlStock:
    def __init__(self, tx: Transaction, locations: LocationDirectory) -> None:
        self._tx = tx
        self._locations = locations

    def location(self, code: str) -> LocationRef:
        return self._locations.by_code(self._tx.conn, code)

    def location_by_id(self, location_id: int) -> LocationRef | None:
        return self._locations.by_id(self._tx.conn, location_id)

    def take(
        self,
        product_id: int,
        location_id: int,
        quantity: int,
        *,
        version: int | None = None,
        handling_unit_id: int | None = None,
    ) -> bool:
        params = {"p": product_id, "l": location_id, "q": quantity, "u": handling_unit_id}
        unit = handling_unit_id is not None
        if version is not None:
            statement = TAKE_FROM_UNIT_AT_VERSION if unit else TAKE_AT_VERSION
            return bool(self._tx.run(statement, {**params, "v": version}))
        return bool(self._tx.run(TAKE_FROM_UNIT if unit else TAKE, params))

    def put(
        self,
        product_id: int,
        location_id: int,
        quantity: int,
        at: datetime,
        *,
        version: int | None = None,
        handling_unit_id: int | None = None,
    ) -> bool:
        params = {"p": product_id, "l": location_id, "q": quantity, "at": at}
        unit = handling_unit_id is not None
        if unit:
            params["u"] = handling_unit_id
        if version is not None:
            statement = PUT_IN_UNIT_AT_VERSION if unit else PUT_AT_VERSION
            return bool(self._tx.run(statement, {**params, "v": version}))
        self._tx.run(PUT_IN_UNIT if unit else PUT, params)
        return True

    def on_hand(
        self, product_id: int, location_id: int, *, handling_unit_id: int | None = None
    ) -> tuple[int, int]:
        statement = ON_HAND if handling_unit_id is None else ON_HAND_IN_UNIT
        params = {"p": product_id, "l": location_id, "u": handling_unit_id}
        row = self._tx.conn.execute(statement, params).first()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    def version(
        self, product_id: int, location_id: int, *, handling_unit_id: int | None = None
    ) -> int | None:
        statement = VERSION if handling_unit_id is None else VERSION_IN_UNIT
        params = {"p": product_id, "l": location_id, "u": handling_unit_id}
        row = self._tx.conn.execute(statement, params).first()
        return int(row[0]) if row else None

    def hold(self, location_id: int) -> bool:
        postgres = self._tx.conn.dialect.name == "postgresql"
        statement = HOLD_LOCATION_PG if postgres else HOLD_LOCATION
        rows = self._tx.run(statement, {"l": location_id})
        return bool(rows) and bool(rows[0][0])

    def handling_unit(self, handling_unit_id: int) -> HandlingUnitRef | None:
        postgres = self._tx.conn.dialect.name == "postgresql"
        statement = UNIT_HELD if postgres else UNIT_FREE  # SQLite: writers take turns
        row = self._tx.conn.execute(statement, {"u": handling_unit_id}).first()
        if row is None:
            return None
        return HandlingUnitRef(row.id, row.code, row.location_id, row.closed_at is None)
