"""Invariant 6 (DESIGN.md §2b) and invariant 1 as SQL, for any test that reserves."""

import sqlalchemy as sa

from data.database import Database

# Quants whose `reserved` differs from the sum of their active reservation lines.
DRIFT = sa.text(
    "SELECT q.id, q.reserved, coalesce(sum(r.quantity), 0) AS held FROM quant q "
    "LEFT JOIN reservation r ON r.quant_id = q.id AND r.status = 'active' "
    "GROUP BY q.id, q.reserved HAVING q.reserved <> coalesce(sum(r.quantity), 0)"
)
OVER = sa.text("SELECT id FROM quant WHERE quantity < 0 OR reserved < 0 OR reserved > quantity")
# Order lines holding (in bins) + picked + shipped more than they asked for, and orders
# holding without a reason to. Units at a packing station are `picked`, not held twice.
LINE_OVER = sa.text(
    "SELECT l.id FROM order_line l LEFT JOIN reservation r ON r.order_line_id = l.id "
    "AND r.status = 'active' AND r.stage = 'bin' GROUP BY l.id, l.quantity, l.picked, l.shipped "
    "HAVING coalesce(sum(r.quantity), 0) + l.picked + l.shipped > l.quantity"
)
HOLDING_WRONGLY = sa.text(
    "SELECT DISTINCT o.id, o.status FROM sale_order o JOIN reservation r ON r.order_id = o.id "
    "AND r.status = 'active' WHERE o.status IN ('new', 'awaiting_stock', 'cancelled')"
)
PARTIAL = sa.text(
    "SELECT o.id FROM sale_order o JOIN order_line l ON l.order_id = o.id "
    "LEFT JOIN reservation r ON r.order_line_id = l.id AND r.status = 'active' "
    "WHERE o.status = 'reserved' GROUP BY o.id, l.id, l.quantity "
    "HAVING coalesce(sum(r.quantity), 0) <> l.quantity"
)


def check_reservations(db: Database) -> None:
    with db.engine.connect() as conn:
        assert conn.execute(DRIFT).all() == [], "quant.reserved ≠ Σ active reservations"
        assert conn.execute(OVER).all() == [], "a quant is negative or over-reserved"
        assert conn.execute(LINE_OVER).all() == [], "a line holds more than it asked for"
        assert conn.execute(HOLDING_WRONGLY).all() == [], "an order holds stock it may not"
        assert conn.execute(PARTIAL).all() == [], "a reserved order is not fully covered"
