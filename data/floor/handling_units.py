"""`core.floor.ports.HandlingUnitRepository` in a unit of work's transaction, and the unit
of work a handling unit's use cases run in (the ledger's, with `units` beside it).

Locks (PostgreSQL; SQLite writers take turns anyway): `lock` takes the units FOR UPDATE
in id order; a movement into or out of a unit takes it FOR SHARE
(data.stock.repository.UNIT_HELD). Closing is one conditional UPDATE run after the lock,
so it sees every movement that committed while it waited.
"""

import uuid
from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Self

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from core.floor.locations import RequestKey
from core.floor.ports import UnitContent, UnitRecord
from data.database import Database
from data.floor.store import CLAIM_KEY, handling_unit_t, request_key_t
from data.models import utc_now
from data.reads import quant_t
from data.uow import SqlUnitOfWork

SCOPE = "handling_units"
u = handling_unit_t.c
_SELECT = sa.select(u.id, u.code, u.kind, u.location_id, u.parent_id, u.created_at, u.closed_at)


def unit_record(row: sa.RowMapping) -> UnitRecord:
    return UnitRecord(
        id=row["id"],
        code=row["code"],
        kind=row["kind"],
        location_id=row["location_id"],
        parent_id=row["parent_id"],
        created_at=row["created_at"],
        closed_at=row["closed_at"],
    )


def tree_ids(unit_id: int) -> sa.CTE:
    """The unit and every open unit nested in it (a recursive CTE, on both databases)."""
    top = sa.select(u.id).where(u.id == unit_id).cte("tree", recursive=True)
    child = handling_unit_t.alias("child")
    return top.union_all(
        sa.select(child.c.id).where(child.c.parent_id == top.c.id, child.c.closed_at.is_(None))
    )


class SqlHandlingUnits:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._postgres = conn.dialect.name == "postgresql"

    def _one(self, query: sa.Select) -> UnitRecord | None:
        row = self._conn.execute(query).mappings().first()
        return unit_record(row) if row else None

    def get(self, unit_id: int) -> UnitRecord | None:
        return self._one(_SELECT.where(u.id == unit_id))

    def by_code(self, code: str) -> UnitRecord | None:
        return self._one(_SELECT.where(u.code == code))

    def lock(self, unit_ids: list[int]) -> list[UnitRecord]:
        if not unit_ids:
            return []
        query = _SELECT.where(u.id.in_(unit_ids)).order_by(u.id)
        if self._postgres:
            query = query.with_for_update()
        return [unit_record(r) for r in self._conn.execute(query).mappings()]

    def tree(self, unit_id: int) -> list[UnitRecord]:
        ids = tree_ids(unit_id)
        query = _SELECT.where(u.id.in_(sa.select(ids.c.id))).order_by(u.id)
        return [unit_record(r) for r in self._conn.execute(query).mappings()]

    def insert(
        self,
        kind: str,
        location_id: int,
        parent_id: int | None,
        at: datetime,
        code_of: Callable[[int], str],
    ) -> UnitRecord:
        # The code depends on the new id: a unique placeholder first, the code next.
        values = {"code": f"new:{uuid.uuid4().hex}", "kind": kind, "location_id": location_id,
                  "parent_id": parent_id, "created_at": at}  # fmt: skip
        new_id = int(
            self._conn.execute(
                sa.insert(handling_unit_t).values(values).returning(u.id)
            ).scalar_one()
        )
        self._conn.execute(
            handling_unit_t.update().where(u.id == new_id).values(code=code_of(new_id))
        )
        found = self.get(new_id)
        assert found is not None
        return found

    def claim_key(self, key: RequestKey) -> bool:
        params = {"u": key.user_id, "s": SCOPE, "k": key.key, "f": key.fingerprint,
                  "at": utc_now()}  # fmt: skip
        return self._conn.execute(CLAIM_KEY, params).first() is not None

    def _key_is(self, key: RequestKey) -> tuple[sa.ColumnElement[bool], ...]:
        k = request_key_t.c
        return (k.user_id == key.user_id, k.scope == SCOPE, k.idempotency_key == key.key)

    def created_under(self, key: RequestKey) -> tuple[str, int] | None:
        k = request_key_t.c
        row = self._conn.execute(
            sa.select(k.fingerprint, k.resource_id).where(*self._key_is(key))
        ).first()
        if row is None or row.resource_id is None:
            return None
        return row.fingerprint, int(row.resource_id)

    def remember(self, key: RequestKey, unit_id: int) -> None:
        self._conn.execute(
            request_key_t.update().where(*self._key_is(key)).values(resource_id=unit_id)
        )

    def contents(self, unit_ids: list[int], location_id: int) -> list[UnitContent]:
        q = quant_t.c
        query = (
            sa.select(q.product_id, q.handling_unit_id, q.quantity, q.reserved)
            .where(q.handling_unit_id.in_(unit_ids), q.location_id == location_id, q.quantity > 0)
            .order_by(q.product_id, q.handling_unit_id)  # the quants' lock order
        )
        return [
            UnitContent(r.product_id, r.handling_unit_id, int(r.quantity), int(r.reserved))
            for r in self._conn.execute(query)
        ]

    def relocate(self, unit_ids: list[int], from_location_id: int, to_location_id: int) -> int:
        statement = (
            handling_unit_t.update()
            .where(u.id.in_(unit_ids), u.location_id == from_location_id)
            .values(location_id=to_location_id)
        )
        return int(self._conn.execute(statement).rowcount)

    def set_parent(self, unit_id: int, parent_id: int | None) -> None:
        self._conn.execute(
            handling_unit_t.update().where(u.id == unit_id).values(parent_id=parent_id)
        )

    def close(self, unit_id: int, at: datetime) -> bool:
        child = handling_unit_t.alias("child")
        stock = sa.exists().where(quant_t.c.handling_unit_id == unit_id, quant_t.c.quantity > 0)
        open_child = sa.exists().where(child.c.parent_id == unit_id, child.c.closed_at.is_(None))
        statement = (
            handling_unit_t.update()
            .where(u.id == unit_id, u.closed_at.is_(None), ~stock, ~open_child)
            .values(closed_at=at)
        )
        return self._conn.execute(statement).rowcount == 1

    def stock_units(self, unit_id: int) -> int:
        query = sa.select(sa.func.coalesce(sa.func.sum(quant_t.c.quantity), 0)).where(
            quant_t.c.handling_unit_id == unit_id
        )
        return int(self._conn.execute(query).scalar_one())

    def open_children(self, unit_id: int) -> int:
        query = sa.select(sa.func.count()).where(u.parent_id == unit_id, u.closed_at.is_(None))
        return int(self._conn.execute(query).scalar_one())


class SqlHandlingUnitWork(SqlUnitOfWork):
    """The ledger's unit of work with the handling units in the same transaction."""

    def __enter__(self) -> Self:
        super().__enter__()
        self._units = SqlHandlingUnits(self.conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        super().__exit__(exc_type, exc, tb)

    @property
    def units(self) -> SqlHandlingUnits:
        return self._units


def handling_unit_work(db: Database) -> SqlHandlingUnitWork:
    return SqlHandlingUnitWork(db.engine, db.locations, after_commit=db.run_daily_job)
