"""A bin count's first read: the bin's positions, each with the version the count names."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import product_t, quant_t


@dataclass(frozen=True)
class BinPosition:
    product_id: int
    sku: str
    name: str
    barcode: str
    gtin: str | None
    quantity: int
    reserved: int
    version: int


def bin_positions(engine: Engine, location_id: int) -> list[BinPosition]:
    """The loose positions at the bin, empty ones too (their version still counts: a
    product found there is a change of that position), by product name."""
    query = (
        sa.select(
            quant_t.c.product_id, product_t.c.sku, product_t.c.name, product_t.c.barcode,
            product_t.c.gtin, quant_t.c.quantity, quant_t.c.reserved, quant_t.c.version,
        )
        .join(product_t, product_t.c.id == quant_t.c.product_id)
        .where(quant_t.c.location_id == location_id, quant_t.c.handling_unit_id.is_(None))
        .order_by(product_t.c.name, product_t.c.id)
    )  # fmt: skip
    with engine.connect() as conn:
        return [BinPosition(**row) for row in conn.execute(query).mappings()]
