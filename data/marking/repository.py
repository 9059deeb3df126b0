"""`core.marking.ports.MarkingRepository` in a unit of work's transaction (`uow.marking`).

A code is written with INSERT … ON CONFLICT DO NOTHING against the partial unique index
on (gtin, serial) of the codes in use (packed or shipped): of two scans of one code at
once, one row is written and the other answer is "duplicate" — no read-then-write.
Shipping and cancelling a packing task move its codes along in SqlPacking.set_status.
"""

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.marking.ports import CodeDraft, CodeRecord, Unmarked
from data.models import UtcDateTime
from data.transaction import Transaction

INSERT = sa.text(
    "INSERT INTO marking_code (order_id, packing_task_id, package_id, product_id, gtin, "
    "serial, code, status, user_id, created_at) VALUES (:o, :t, :pkg, :p, :g, :s, :c, "
    "'packed', :u, :at) ON CONFLICT DO NOTHING RETURNING id"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))
_RECORD = (
    "SELECT m.id, m.order_id, m.packing_task_id, m.package_id, m.product_id, m.gtin, "
    "m.serial, m.code, m.status, o.external_id AS order_external_id FROM marking_code m "
    "JOIN sale_order o ON o.id = m.order_id "
)
IN_USE = sa.text(
    _RECORD + "WHERE m.gtin = :g AND m.serial = :s AND m.status IN ('packed', 'shipped')"
)
BY_ID = sa.text(_RECORD + "WHERE m.id = :id")
DELETE = sa.text(
    "DELETE FROM marking_code WHERE id = :id AND packing_task_id = :t AND status = 'packed' "
    "RETURNING id"
)
CODED = sa.text(
    "SELECT count(*) FROM marking_code WHERE package_id = :pkg AND product_id = :p "
    "AND status = 'packed'"
)
UNMARKED = sa.text(
    "SELECT i.product_id, p.sku, sum(i.quantity) - coalesce(("
    "  SELECT count(*) FROM marking_code m JOIN package pk ON pk.id = m.package_id "
    "  WHERE pk.packing_task_id = :t AND m.product_id = i.product_id "
    "  AND m.status IN ('packed', 'shipped')), 0) AS missing "
    "FROM package_item i JOIN package k ON k.id = i.package_id "
    "JOIN product p ON p.id = i.product_id "
    "WHERE k.packing_task_id = :t AND p.requires_marking "
    "GROUP BY i.product_id, p.sku ORDER BY i.product_id"
)
GIVE_BACK = sa.text(
    "UPDATE marking_code SET status = 'returned', returned_at = :at WHERE order_id = :o "
    "AND gtin = :g AND serial = :s AND status = 'shipped' RETURNING id"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))


class SqlMarking:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def _record(self, statement: Any, params: dict[str, Any]) -> CodeRecord | None:
        row = self._tx.conn.execute(statement, params).mappings().first()
        return CodeRecord(**row) if row else None

    def add(self, draft: CodeDraft) -> int | None:
        params = {"o": draft.order_id, "t": draft.packing_task_id, "pkg": draft.package_id,
                  "p": draft.product_id, "g": draft.gtin, "s": draft.serial, "c": draft.code,
                  "u": draft.user_id, "at": draft.created_at}  # fmt: skip
        rows = self._tx.run(INSERT, params)
        return int(rows[0][0]) if rows else None

    def in_use(self, gtin: str, serial: str) -> CodeRecord | None:
        return self._record(IN_USE, {"g": gtin, "s": serial})

    def code(self, code_id: int) -> CodeRecord | None:
        return self._record(BY_ID, {"id": code_id})

    def delete(self, code_id: int, task_id: int) -> bool:
        return bool(self._tx.run(DELETE, {"id": code_id, "t": task_id}))

    def coded(self, package_id: int, product_id: int) -> int:
        return int(self._tx.conn.execute(CODED, {"pkg": package_id, "p": product_id}).scalar_one())

    def unmarked(self, task_id: int) -> list[Unmarked]:
        rows = self._tx.conn.execute(UNMARKED, {"t": task_id}).mappings()
        found = [Unmarked(int(r["product_id"]), r["sku"], int(r["missing"])) for r in rows]
        return [u for u in found if u.missing > 0]

    def give_back(self, order_id: int, gtin: str, serial: str, at: datetime) -> bool:
        return bool(self._tx.run(GIVE_BACK, {"o": order_id, "g": gtin, "s": serial, "at": at}))
