"""The storage map's store on the location table: `core.floor.locations.LocationStore`.

Many bins are written with one multi-row INSERT (SQLAlchemy's insertmanyvalues: a few
statements for thousands of rows, not a round trip each). Deactivation is one conditional
UPDATE: it changes nothing while stock or an open handling unit lies there.
"""

import logging
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from core.errors import Conflict
from core.floor.locations import LocationData, LocationRecord, RequestKey
from data.db import write_connection
from data.models import HandlingUnit, UtcDateTime, utc_now
from data.models import RequestKey as RequestKeyRow
from data.reads import location_t, quant_t, warehouse_t
from data.uow import LocationDirectory

log = logging.getLogger(__name__)
handling_unit_t = HandlingUnit.__table__
request_key_t = RequestKeyRow.__table__
SCOPE = "locations"
_CHUNK = 500  # codes per IN (…): well below SQLite's limit of bound variables
# Nothing is inserted (no row back) when the key is taken; a concurrent twin holding it
# is waited for by the primary key, then seen.
CLAIM_KEY = sa.text(
    "INSERT INTO request_key (user_id, scope, idempotency_key, fingerprint, created_at) "
    "VALUES (:u, :s, :k, :f, :at) ON CONFLICT DO NOTHING RETURNING user_id"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))

_COLUMNS = (
    location_t.c.id,
    location_t.c.code,
    location_t.c.name,
    location_t.c.kind,
    warehouse_t.c.code.label("warehouse"),
    location_t.c.zone,
    location_t.c.route_sequence,
    location_t.c.is_active,
    location_t.c.printer_address,
)
_SELECT = sa.select(*_COLUMNS).select_from(
    location_t.outerjoin(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
)


def record(row: sa.RowMapping) -> LocationRecord:
    return LocationRecord(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        kind=row["kind"],
        warehouse=row["warehouse"] or "",
        zone=row["zone"],
        route_sequence=row["route_sequence"],
        is_active=bool(row["is_active"]),
        printer_address=row["printer_address"],
    )


def something_there(location_id: Any) -> sa.ColumnElement[bool]:
    """Stock or an open handling unit at the location (`location_id`: a value or a column)."""
    stock = sa.exists().where(quant_t.c.location_id == location_id, quant_t.c.quantity > 0)
    units = sa.exists().where(
        handling_unit_t.c.location_id == location_id, handling_unit_t.c.closed_at.is_(None)
    )
    return sa.or_(stock, units)


class SqlLocationStore:
    def __init__(self, engine: Engine, directory: LocationDirectory | None = None) -> None:
        self._engine = engine
        # The units of work's cache of locations: told at once when this process changes one.
        self._directory = directory

    def get(self, location_id: int) -> LocationRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(_SELECT.where(location_t.c.id == location_id)).mappings().first()
        return record(row) if row else None

    def taken_codes(self, codes: Collection[str]) -> list[str]:
        wanted = list(dict.fromkeys(codes))
        taken: list[str] = []
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = sa.select(location_t.c.code).where(location_t.c.code.in_(chunk))
                taken.extend(conn.execute(query).scalars())
        return taken

    def route_end(self, warehouse: str) -> int:
        query = (
            sa.select(sa.func.max(location_t.c.route_sequence))
            .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
            .where(warehouse_t.c.code == warehouse)
        )
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one() or 0)

    def insert(self, data: LocationData, key: RequestKey | None = None) -> int | None:
        with self._writing() as conn:
            if key is not None and not self._claim(conn, key):
                return None  # another request under this key is (was) creating it
            statement = sa.insert(location_t).values(_row(data, self._warehouses(conn)))
            new_id = int(conn.execute(statement.returning(location_t.c.id)).scalar_one())
            if key is not None:
                conn.execute(request_key_t.update().where(*_key_is(key)).values(resource_id=new_id))
        self._changed()
        return new_id

    def insert_many(self, items: Sequence[LocationData]) -> int:
        if not items:
            return 0
        with self._writing() as conn:
            warehouses = self._warehouses(conn)
            # An executemany without RETURNING: the driver sends it in bulk (psycopg in a
            # pipeline); with RETURNING it would be rebuilt as giant VALUES statements.
            conn.execute(sa.insert(location_t), [_row(item, warehouses) for item in items])
        return len(items)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction; a duplicate code refused by the database is a Conflict."""
        try:
            with write_connection(self._engine) as conn, conn.begin():
                yield conn
        except IntegrityError as error:
            # A concurrent twin took a code between the check and the write.
            raise Conflict(
                "location_code_taken", "Место с таким кодом уже есть", field="code"
            ) from error

    def _warehouses(self, conn: Connection) -> dict[str, int]:
        return dict(conn.execute(sa.select(warehouse_t.c.code, warehouse_t.c.id)).all())

    def _claim(self, conn: Connection, key: RequestKey) -> bool:
        """Take the key in this transaction; False when it is taken (a concurrent twin
        holding it is waited for by the primary key)."""
        params = {
            "u": key.user_id,
            "s": SCOPE,
            "k": key.key,
            "f": key.fingerprint,
            "at": utc_now(),
        }
        return conn.execute(CLAIM_KEY, params).first() is not None

    def created_under(self, key: RequestKey) -> tuple[str, LocationRecord] | None:
        query = sa.select(request_key_t.c.fingerprint, request_key_t.c.resource_id).where(
            *_key_is(key)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.resource_id is None:
            return None
        location = self.get(row.resource_id)
        return None if location is None else (row.fingerprint, location)

    def update(
        self, location_id: int, changes: dict[str, Any], *, only_if_empty: bool
    ) -> LocationRecord | None:
        statement = location_t.update().where(location_t.c.id == location_id).values(changes)
        if only_if_empty:
            statement = statement.where(~something_there(location_id))
        with self._writing() as conn:
            if only_if_empty and conn.dialect.name == "postgresql":
                # Wait for the movements into this place that hold it (FOR KEY SHARE,
                # data.stock.repository.HOLD_LOCATION_PG); the check below is a new
                # statement, so it sees the stock they committed. Movements that come
                # after wait for this one and then find the place off.
                row = sa.select(location_t.c.id).where(location_t.c.id == location_id)
                conn.execute(row.with_for_update())
            changed = conn.execute(statement.returning(location_t.c.id)).first()
        if changed is None:
            return None
        self._changed()
        return self.get(location_id)

    def occupancy(self, location_id: int) -> tuple[int, int]:
        units = sa.select(sa.func.coalesce(sa.func.sum(quant_t.c.quantity), 0)).where(
            quant_t.c.location_id == location_id
        )
        held = sa.select(sa.func.count()).where(
            handling_unit_t.c.location_id == location_id, handling_unit_t.c.closed_at.is_(None)
        )
        with self._engine.connect() as conn:
            return int(conn.execute(units).scalar_one()), int(conn.execute(held).scalar_one())

    def _changed(self) -> None:
        """After a change is committed: this process's units of work see a renamed or
        deactivated location at once. Other processes see it when they next reload (on a
        location unknown to them)."""
        if self._directory is None:
            return
        try:
            with self._engine.connect() as conn:
                self._directory.reload(conn)
        except SQLAlchemyError:  # committed already: never say "not done" for it
            log.warning("could not reload the location directory", exc_info=True)


def _row(item: LocationData, warehouses: dict[str, int]) -> dict[str, Any]:
    return {
        "code": item.code,
        "name": item.name,
        "kind": item.kind,
        "warehouse_id": warehouses[item.warehouse],
        "parent_id": None,
        "zone": item.zone,
        "route_sequence": item.route_sequence or 0,
        "is_active": True,
    }


def _key_is(key: RequestKey) -> tuple[sa.ColumnElement[bool], ...]:
    return (
        request_key_t.c.user_id == key.user_id,
        request_key_t.c.scope == SCOPE,
        request_key_t.c.idempotency_key == key.key,
    )
