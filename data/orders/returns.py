"""`core.orders.return_ports.ReturnStore` in a unit of work's transaction (`uow.returns`):
the returns of shipped orders (table order_return), the lookup of a scanned code and of a
returned parcel's order. Reads go through SQLAlchemy (rare, not hot)."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.model import ProductRef
from core.orders.return_ports import ReturnDraft, ReturnedUnits
from data.db import read_connection
from data.models import UtcDateTime
from data.transaction import Transaction

RETURNED = sa.text(
    "SELECT r.id, r.order_id, r.order_line_id, r.product_id, r.quantity, r.condition, "
    "r.reason, r.movement_id, r.user_id, r.created_at, p.sku, p.barcode, "
    "p.name AS product_name, u.username FROM order_return r "
    "JOIN product p ON p.id = r.product_id LEFT JOIN app_user u ON u.id = r.user_id "
    "WHERE r.order_id = :o ORDER BY r.created_at, r.id"
).columns(created_at=UtcDateTime())
INSERT = sa.text(
    "INSERT INTO order_return (order_id, order_line_id, product_id, quantity, condition, "
    "reason, movement_id, source_id, user_id, created_at) VALUES (:o, :line, :p, :q, :c, "
    ":reason, :m, :s, :u, :at) RETURNING id"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))
# Barcode first: a code that is one product's barcode and another's GTIN is the barcode's.
BY_CODE = sa.text(
    "SELECT id, is_deleted, sku, name, barcode, gtin, requires_marking FROM product "
    "WHERE barcode = :c OR gtin = :c "
    "ORDER BY CASE WHEN barcode = :c THEN 0 ELSE 1 END, id LIMIT 1"
)
SHIPPED = sa.text(
    "SELECT id FROM sale_order WHERE status = 'shipped' AND kind = 'customer' "
    "AND (lower(tracking_number) = :c OR lower(external_id) = :c) "
    "ORDER BY created_at DESC, id DESC LIMIT :n"
)


class SqlReturns:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def returned(self, order_id: int) -> list[ReturnedUnits]:
        rows = self._tx.conn.execute(RETURNED, {"o": order_id}).mappings()
        return [ReturnedUnits(**dict(r)) for r in rows]

    def add(self, draft: ReturnDraft) -> int:
        params: dict[str, Any] = {
            "o": draft.order_id, "line": draft.order_line_id, "p": draft.product_id,
            "q": draft.quantity, "c": draft.condition, "reason": draft.reason,
            "m": draft.movement_id, "s": draft.source_id, "u": draft.user_id,
            "at": draft.created_at,
        }  # fmt: skip
        return int(self._tx.conn.execute(INSERT, params).scalar_one())

    def product_by_code(self, code: str) -> ProductRef | None:
        row = self._tx.conn.execute(BY_CODE, {"c": code}).first()
        if row is None:
            return None
        return ProductRef(int(row[0]), bool(row[1]), row[2], row[3], row[4], row[5], bool(row[6]))

    def shipped_orders(self, code: str, limit: int) -> list[int]:
        rows = self._tx.conn.execute(SHIPPED, {"c": code.strip().lower(), "n": limit})
        return [int(r[0]) for r in rows]


def order_returns(engine: Engine, order_id: int) -> list[ReturnedUnits]:
    """The order's returns for a page (the order card, the returns page)."""
    with read_connection(engine) as conn:
        rows = conn.execute(RETURNED, {"o": order_id}).mappings()
        return [ReturnedUnits(**dict(r)) for r in rows]
