"""Read side of the floor pages: where a product lies."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import location_t, quant_t, warehouse_t
from data.stock.queries import quants_of


def product_places(engine: Engine, product_id: int) -> list[dict[str, Any]]:
    """Each internal location holding the product: `code`, `name`, `warehouse` (MAIN or
    DEFECT), `quantity`, `reserved`; in the order a picker walks them (route order)."""
    query = (
        sa.select(
            location_t.c.code,
            location_t.c.name,
            warehouse_t.c.code.label("warehouse"),
            sa.func.sum(quant_t.c.quantity).label("quantity"),
            sa.func.sum(quant_t.c.reserved).label("reserved"),
        )
        .join(location_t, location_t.c.id == quant_t.c.location_id)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(
            quants_of(quant_t.c.product_id == product_id),
            quant_t.c.quantity > 0,
        )
        .group_by(
            location_t.c.id,
            location_t.c.code,
            location_t.c.name,
            location_t.c.route_sequence,
            warehouse_t.c.code,
        )
        .order_by(warehouse_t.c.code.desc(), location_t.c.route_sequence, location_t.c.code)
    )  # fmt: skip
    with engine.connect() as conn:
        return [
            {**row, "quantity": int(row["quantity"]), "reserved": int(row["reserved"])}
            for row in conn.execute(query).mappings()
        ]
