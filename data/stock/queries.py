"""Stock reads: the stock sums per product (for a page of products, one product, all of
them), the low-stock test in SQL, the summary totals. Balances are in data.stock.balances,
locations in data.stock.locations, the ledger check in data.stock.ledger_checks."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.stock.rules import DEFECT_WAREHOUSE, GOOD_WAREHOUSE
from data.reads import location_t, product_t, quant_t, warehouse_t


def low_stock_sql(
    available: sa.ColumnElement[int], min_stock: sa.ColumnElement[int] = product_t.c.min_stock
) -> sa.ColumnElement[bool]:
    """core.stock.rules.is_low in SQL — every query that tests low stock uses this one; keep the
    two the same (tests/integration/test_queries.py checks they agree). The positive-minimum
    test comes first: cheap, and it spares most of a join."""
    return sa.and_(min_stock > 0, available < min_stock)


def stock_by_product() -> sa.Subquery:
    """good, defect and reserved per product, summed over each warehouse's locations."""
    in_main = warehouse_t.c.code == GOOD_WAREHOUSE
    in_defect = warehouse_t.c.code == DEFECT_WAREHOUSE
    return (
        sa.select(
            quant_t.c.product_id,
            sa.func.sum(sa.case((in_main, quant_t.c.quantity), else_=0)).label("good"),
            sa.func.sum(sa.case((in_defect, quant_t.c.quantity), else_=0)).label("defect"),
            sa.func.sum(sa.case((in_main, quant_t.c.reserved), else_=0)).label("reserved"),
        )
        .join(location_t, location_t.c.id == quant_t.c.location_id)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .group_by(quant_t.c.product_id)
        .subquery("stock")
    )


def _main_locations() -> sa.Select[Any]:
    return (
        sa.select(location_t.c.id)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(warehouse_t.c.code == GOOD_WAREHOUSE)
    )


def available_by_product() -> sa.Subquery:
    """available (good − reserved) per product that has good stock quants."""
    return (
        sa.select(
            quant_t.c.product_id,
            sa.func.sum(quant_t.c.quantity - quant_t.c.reserved).label("available"),
        )
        .where(quant_t.c.location_id.in_(_main_locations()))
        .group_by(quant_t.c.product_id)
        .subquery("available")
    )


def quants_of(products: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """The quants of `products` (a condition on quant.product_id), spelled once per partial
    unique index (loose stock, stock in a unit) so each can be used: quant has no plain
    index on product_id and would be scanned whole."""
    return sa.or_(
        sa.and_(products, quant_t.c.handling_unit_id.is_(None)),
        sa.and_(products, quant_t.c.handling_unit_id.is_not(None)),
    )


def stock_sums_of(conn: sa.Connection, product_ids: list[int]) -> dict[int, dict[str, int]]:
    """good, defect and reserved of these products only (a page's worth), by product id;
    the same sums as `stock_by_product`, filtered before grouping."""
    if not product_ids:
        return {}
    ids = sorted(set(product_ids))
    in_main = warehouse_t.c.code == GOOD_WAREHOUSE
    in_defect = warehouse_t.c.code == DEFECT_WAREHOUSE
    query = (
        sa.select(
            quant_t.c.product_id,
            sa.func.sum(sa.case((in_main, quant_t.c.quantity), else_=0)).label("good"),
            sa.func.sum(sa.case((in_defect, quant_t.c.quantity), else_=0)).label("defect"),
            sa.func.sum(sa.case((in_main, quant_t.c.reserved), else_=0)).label("reserved"),
        )
        .join(location_t, location_t.c.id == quant_t.c.location_id)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(quants_of(quant_t.c.product_id.in_(ids)))
        .group_by(quant_t.c.product_id)
    )
    return {
        row.product_id: {"good": int(row.good), "defect": int(row.defect),
                         "reserved": int(row.reserved)}
        for row in conn.execute(query)
    }  # fmt: skip


def stock_of(engine: Engine, product_ids: list[int]) -> dict[int, dict[str, int]]:
    """good, defect and reserved of these products (a page's worth), by product id; a
    product without stock is left out."""
    with engine.connect() as conn:
        return stock_sums_of(conn, product_ids)


def product_stock(engine: Engine, product_id: int) -> dict[str, int]:
    """good, defect, reserved and available of one product (zeros when it has no stock).

    The same sums as `balances`, filtered before grouping: a scan needs one product's
    numbers fast however large the catalogue is.
    """
    in_main = warehouse_t.c.code == GOOD_WAREHOUSE
    in_defect = warehouse_t.c.code == DEFECT_WAREHOUSE
    query = (
        sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((in_main, quant_t.c.quantity), else_=0)), 0)
            .label("good"),
            sa.func.coalesce(sa.func.sum(sa.case((in_defect, quant_t.c.quantity), else_=0)), 0)
            .label("defect"),
            sa.func.coalesce(sa.func.sum(sa.case((in_main, quant_t.c.reserved), else_=0)), 0)
            .label("reserved"),
        )
        .join(location_t, location_t.c.id == quant_t.c.location_id)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(
            quants_of(quant_t.c.product_id == product_id)
        )
    )  # fmt: skip
    with engine.connect() as conn:
        row = conn.execute(query).mappings().one()
    stock = {key: int(value) for key, value in row.items()}
    stock["available"] = stock["good"] - stock["reserved"]
    return stock


def summary(engine: Engine) -> dict[str, int]:
    stock = stock_by_product()
    good = sa.func.coalesce(stock.c.good, 0)
    defect = sa.func.coalesce(stock.c.defect, 0)
    reserved = sa.func.coalesce(stock.c.reserved, 0)
    query = (
        sa.select(
            sa.func.coalesce(sa.func.sum(good), 0).label("good_units"),
            sa.func.coalesce(sa.func.sum(defect), 0).label("defect_units"),
            sa.func.coalesce(sa.func.sum(reserved), 0).label("reserved_units"),
            sa.func.count().filter(good + defect > 0).label("products_in_stock"),
            sa.func.count().filter(low_stock_sql(good - reserved)).label("low_stock_products"),
        )
        .select_from(product_t.outerjoin(stock, stock.c.product_id == product_t.c.id))
        .where(product_t.c.is_deleted.is_(False))
    )  # fmt: skip
    with engine.connect() as conn:
        row = conn.execute(query).mappings().one()
        return {key: int(value) for key, value in row.items()}
