"""Reads behind the sticker dialogs: the products and quantities of a receipt (its supply),
and the packing stations that have a label printer."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import location_t, movement_t, product_t

RECEIPT = "RECEIPT"
IMPORT_PREFIX = "import:"


@dataclass(frozen=True)
class Station:
    id: int
    code: str
    name: str
    printer_address: str


@dataclass(frozen=True)
class ReceiptLine:
    product_id: int
    sku: str
    name: str
    barcode: str
    quantity: int


def stations(engine: Engine) -> list[Station]:
    """Active packing stations with a label printer, by route order then code."""
    loc = location_t.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(loc.id, loc.code, loc.name, loc.printer_address)
            .where(loc.kind == "packing", loc.is_active.is_(True),
                   loc.printer_address.is_not(None), loc.printer_address != "")
            .order_by(loc.route_sequence, loc.code)
        ).all()  # fmt: skip
    return [Station(*row) for row in rows]


def station(engine: Engine, station_id: int) -> Station | None:
    return next((s for s in stations(engine) if s.id == station_id), None)


def receipt_lines(engine: Engine, movement_id: int) -> list[ReceiptLine]:
    """The supply a RECEIPT belongs to, per product: every receipt of its import (document
    `import:<id>`) not reversed, or this one receipt. Empty when it is no receipt."""
    m = movement_t.c
    with engine.connect() as conn:
        first = conn.execute(
            sa.select(m.operation_type, m.document).where(m.id == movement_id)
        ).one_or_none()
        if first is None or first.operation_type != RECEIPT:
            return []
        reversals = sa.select(m.reversal_of).where(m.reversal_of.is_not(None))
        same = (
            m.document == first.document
            if (first.document or "").startswith(IMPORT_PREFIX)
            else m.id == movement_id
        )
        rows = conn.execute(
            sa.select(product_t.c.id, product_t.c.sku, product_t.c.name, product_t.c.barcode,
                      sa.func.sum(m.quantity).label("quantity"))
            .join(product_t, product_t.c.id == m.product_id)
            .where(same, m.operation_type == RECEIPT, m.reversal_of.is_(None),
                   m.id.not_in(reversals.scalar_subquery()))
            .group_by(product_t.c.id, product_t.c.sku, product_t.c.name, product_t.c.barcode)
            .order_by(product_t.c.sku)
        ).all()  # fmt: skip
    return [ReceiptLine(r.id, r.sku, r.name, r.barcode, int(r.quantity)) for r in rows]


def products_as_lines(engine: Engine, quantities: dict[int, int]) -> list[ReceiptLine]:
    """Products with the quantities received on a page (the operations form's receipts)."""
    if not quantities:
        return []
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(product_t.c.id, product_t.c.sku, product_t.c.name, product_t.c.barcode)
            .where(product_t.c.id.in_(list(quantities))).order_by(product_t.c.sku)
        ).all()  # fmt: skip
    return [ReceiptLine(r.id, r.sku, r.name, r.barcode, quantities[r.id]) for r in rows]
