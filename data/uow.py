"""The unit of work behind `core.ports.UnitOfWork`: one database transaction.

The stock statements are written out as SQL on purpose: each is one atomic statement
that PostgreSQL and SQLite (≥ 3.35) both run as written. A decrement never reads the
balance into Python first.
"""

import json
from datetime import datetime
from threading import Lock
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, RowMapping

from core.model import LocationRef, Movement, MovementDraft, ProductRef, Reference
from data.db import write_connection
from data.models import UtcDateTime

_AT = sa.bindparam("at", type_=UtcDateTime())

# Lower unreserved stock, or change nothing when there is not enough of it.
TAKE = sa.text(
    "UPDATE quant SET quantity = quantity - :q "
    "WHERE product_id = :p AND location_id = :l AND handling_unit_id IS NULL "
    "AND quantity - reserved >= :q RETURNING quantity"
)
# Raise stock, creating the quant on first arrival. An empty quant that refills is new
# stock for FIFO, so it takes the new arrival time.
PUT = sa.text(
    "INSERT INTO quant (product_id, location_id, handling_unit_id, quantity, reserved, "
    "received_at) VALUES (:p, :l, NULL, :q, 0, :at) "
    "ON CONFLICT (product_id, location_id) WHERE handling_unit_id IS NULL DO UPDATE SET "
    "quantity = quant.quantity + excluded.quantity, "
    "received_at = CASE WHEN quant.quantity = 0 THEN excluded.received_at "
    "ELSE quant.received_at END"
).bindparams(_AT)
MOVEMENT_COLUMNS = (
    "operation_type, product_id, quantity, from_location_id, to_location_id, source_id, "
    "distribution_center_id, user_id, notes, idempotency_key, document, reversal_of, created_at"
)
# Nothing is inserted (and no row returned) when the idempotency key or the reversal
# target is already taken; a concurrent twin waits for the first and then sees it.
INSERT_MOVEMENT = sa.text(
    f"INSERT INTO movement ({MOVEMENT_COLUMNS}) VALUES (:operation_type, :product_id, "
    ":quantity, :from_location_id, :to_location_id, :source_id, :distribution_center_id, "
    ":user_id, :notes, :idempotency_key, :document, :reversal_of, :created_at) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("created_at", type_=UtcDateTime()))
INSERT_EVENT = sa.text(
    "INSERT INTO outbox_event (event_type, payload, created_at) VALUES (:t, :p, :at)"
).bindparams(_AT)


def _select_movement(where: str) -> sa.TextClause:
    return sa.text(f"SELECT id, {MOVEMENT_COLUMNS} FROM movement WHERE {where}").columns(
        created_at=UtcDateTime()
    )


MOVEMENT_BY_ID = _select_movement("id = :v")
MOVEMENT_BY_KEY = _select_movement("idempotency_key = :v")
PRODUCT_BY_ID = sa.text("SELECT id, is_deleted FROM product WHERE id = :v")
PRODUCT_BY_BARCODE = sa.text("SELECT id, is_deleted FROM product WHERE barcode = :v")
SOURCE = sa.text("SELECT id, name, is_active FROM source WHERE id = :v")
DISTRIBUTION_CENTER = sa.text(
    "SELECT id, name, is_active, source_id AS parent_id FROM distribution_center WHERE id = :v"
)
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
                is_internal=r["kind"] == "internal",
                warehouse_code=r["warehouse_code"],
                is_active=bool(r["is_active"]),
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


class SqlUnitOfWork:
    def __init__(self, engine: Engine, locations: LocationDirectory) -> None:
        self._engine = engine
        self._locations = locations

    def __enter__(self) -> Self:
        self._connection_cm = write_connection(self._engine)
        self.conn = self._connection_cm.__enter__()
        self._transaction = self.conn.begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if self._transaction.is_active:
                self._transaction.rollback()
        finally:
            self._connection_cm.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        self._transaction.commit()

    def _one(self, statement: sa.TextClause | sa.TextualSelect, value: Any) -> RowMapping | None:
        return self.conn.execute(statement, {"v": value}).mappings().first()

    def product(self, product_id: int) -> ProductRef | None:
        row = self._one(PRODUCT_BY_ID, product_id)
        return ProductRef(row["id"], bool(row["is_deleted"])) if row else None

    def product_by_barcode(self, barcode: str) -> ProductRef | None:
        row = self._one(PRODUCT_BY_BARCODE, barcode)
        return ProductRef(row["id"], bool(row["is_deleted"])) if row else None

    def location(self, code: str) -> LocationRef:
        return self._locations.by_code(self.conn, code)

    def location_by_id(self, location_id: int) -> LocationRef | None:
        return self._locations.by_id(self.conn, location_id)

    def source(self, source_id: int) -> Reference | None:
        row = self._one(SOURCE, source_id)
        return Reference(row["id"], row["name"], bool(row["is_active"])) if row else None

    def distribution_center(self, dc_id: int) -> Reference | None:
        row = self._one(DISTRIBUTION_CENTER, dc_id)
        if row is None:
            return None
        return Reference(row["id"], row["name"], bool(row["is_active"]), row["parent_id"])

    def movement(self, movement_id: int) -> Movement | None:
        row = self._one(MOVEMENT_BY_ID, movement_id)
        return Movement(**row) if row else None

    def movement_by_key(self, idempotency_key: str) -> Movement | None:
        row = self._one(MOVEMENT_BY_KEY, idempotency_key)
        return Movement(**row) if row else None

    def add_movement(self, draft: MovementDraft) -> Movement | None:
        new_id = self.conn.execute(INSERT_MOVEMENT, draft.__dict__).scalar()
        if new_id is None:
            return None
        return Movement(**draft.__dict__, id=new_id)

    def take(self, product_id: int, location_id: int, quantity: int) -> bool:
        params = {"p": product_id, "l": location_id, "q": quantity}
        return self.conn.execute(TAKE, params).first() is not None

    def put(self, product_id: int, location_id: int, quantity: int, at: datetime) -> None:
        params = {"p": product_id, "l": location_id, "q": quantity, "at": at}
        self.conn.execute(PUT, params)

    def add_event(self, event_type: str, payload: dict[str, Any]) -> None:
        params = {
            "t": event_type,
            "p": json.dumps(payload, ensure_ascii=False),
            "at": datetime.fromisoformat(payload["created_at"]),
        }
        self.conn.execute(INSERT_EVENT, params)
