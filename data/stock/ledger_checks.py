"""The ledger check: every quant equals its ledger sum (tests, benchmarks, the demo)."""

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import location_t, movement_t, quant_t


def ledger_discrepancies(engine: Engine) -> list[dict[str, int]]:
    """Quants that differ from their ledger sum (Σ in − Σ out); empty when all is well."""
    m = movement_t.c
    inbound = sa.select(
        m.product_id.label("product_id"), m.to_location_id.label("location_id"), m.quantity
    )
    outbound = sa.select(m.product_id, m.from_location_id, -m.quantity)
    flows = sa.union_all(inbound, outbound).subquery("flows")
    ledger = (
        sa.select(
            flows.c.product_id, flows.c.location_id, sa.func.sum(flows.c.quantity).label("qty")
        )
        .join(location_t, location_t.c.id == flows.c.location_id)
        .where(location_t.c.kind != "virtual")
        .group_by(flows.c.product_id, flows.c.location_id)
        .subquery("ledger")
    )
    quants = (
        sa.select(
            quant_t.c.product_id,
            quant_t.c.location_id,
            sa.func.sum(quant_t.c.quantity).label("qty"),
        )
        .group_by(quant_t.c.product_id, quant_t.c.location_id)
        .subquery("quants")
    )
    # A full outer join, spelled as two left joins so that SQLite runs it too.
    left = sa.select(
        ledger.c.product_id,
        ledger.c.location_id,
        ledger.c.qty.label("ledger"),
        sa.func.coalesce(quants.c.qty, 0).label("quant"),
    ).select_from(
        ledger.outerjoin(
            quants,
            sa.and_(
                quants.c.product_id == ledger.c.product_id,
                quants.c.location_id == ledger.c.location_id,
            ),
        )
    )
    right = (
        sa.select(
            quants.c.product_id,
            quants.c.location_id,
            sa.literal(0).label("ledger"),
            quants.c.qty.label("quant"),
        )
        .select_from(
            quants.outerjoin(
                ledger,
                sa.and_(
                    quants.c.product_id == ledger.c.product_id,
                    quants.c.location_id == ledger.c.location_id,
                ),
            )
        )
        .where(ledger.c.product_id.is_(None))
    )
    both = sa.union_all(left, right).subquery("both")
    query = sa.select(both).where(both.c.ledger != both.c.quant)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
