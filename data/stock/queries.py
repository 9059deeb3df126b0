"""Stock reads: balances per product, quants, summary totals, ledger checks."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.stock.rules import DEFECT_WAREHOUSE, GOOD_WAREHOUSE
from data.catalog.queries import product_search
from data.reads import (
    EXPORT_CHUNK,
    Page,
    Row,
    location_t,
    movement_t,
    page_bounds,
    page_with_total,
    product_t,
    quant_t,
    retry_in_other_layout,
    typed,
    typed_all,
    warehouse_t,
)


@dataclass(frozen=True, eq=False)
class BalanceRow(Row):
    """A product's stock: good and defect units, reserved, available (good − reserved)."""

    product_id: int
    barcode: str
    sku: str
    name: str
    min_stock: int
    good: int
    defect: int
    reserved: int
    available: int


def low_stock_sql(
    available: sa.ColumnElement[int], min_stock: sa.ColumnElement[int] = product_t.c.min_stock
) -> sa.ColumnElement[bool]:
    """core.stock.rules.is_low in SQL — every query that tests low stock uses this one; keep the
    two the same (tests/integration/test_queries.py checks they agree). The positive-minimum
    test comes first: cheap, and it spares most of a join."""
    return sa.and_(min_stock > 0, available < min_stock)


def _stock_by_product() -> sa.Subquery:
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


def _available_by_product() -> sa.Subquery:
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


def _stock_of(conn: sa.Connection, product_ids: list[int]) -> dict[int, dict[str, int]]:
    """good, defect and reserved of these products only (a page's worth), by product id;
    the same sums as `_stock_by_product`, filtered before grouping."""
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
        return _stock_of(conn, product_ids)


def balances(
    engine: Engine,
    *,
    q: str | None = None,
    low_only: bool = False,
    product_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
    include_deleted: bool = False,
    sort: str = "name",
    descending: bool = False,
) -> Page:
    """One row per (not deleted) product: good, defect, reserved, available.

    `include_deleted`: deleted products too (a deleted product's card still shows its stock).
    A text that finds nothing is tried in the other keyboard layout (`Page.searched_for`).
    `sort`: one of BALANCE_SORTS (name by default), `descending` reverses it.
    """
    return retry_in_other_layout(
        q,
        lambda text: _balances(
            engine, q=text, low_only=low_only, product_id=product_id, limit=limit,
            offset=offset, include_deleted=include_deleted, sort=sort, descending=descending,
        ),
    )  # fmt: skip


BALANCE_SORTS = ("name", "sku", "barcode", "min_stock", "good", "defect", "reserved", "available")


_STOCK_SORTS = ("good", "defect", "reserved", "available")


_SORT_KEY = "sort_key__"


def _stock_sort_key(stock: sa.Subquery, sort: str) -> sa.ColumnElement[Any]:
    """A stock column of `_stock_by_product` as a number (0 for a product without stock)."""
    good = sa.func.coalesce(stock.c.good, 0)
    reserved = sa.func.coalesce(stock.c.reserved, 0)
    if sort == "available":
        return good - reserved
    return {"good": good, "defect": sa.func.coalesce(stock.c.defect, 0), "reserved": reserved}[sort]


def _balances(
    engine: Engine,
    *,
    q: str | None,
    low_only: bool,
    product_id: int | None,
    limit: int,
    offset: int,
    include_deleted: bool,
    sort: str,
    descending: bool,
) -> Page:
    """`balances` for the text as given.

    The page of products is chosen first and only its stock is summed: summing every
    quant of a large catalogue to show twenty rows was most of the time. Only the
    low-stock test needs every candidate's stock, and then only `available`.
    """
    limit, offset = page_bounds(limit, offset)
    conditions: list[sa.ColumnElement[bool]] = []
    if not include_deleted:
        conditions.append(product_t.c.is_deleted.is_(False))
    if (search := product_search(q)) is not None:
        conditions.append(search)
    if product_id is not None:
        conditions.append(product_t.c.id == product_id)
    base: sa.FromClause = product_t
    if low_only:
        available = _available_by_product()
        base = product_t.outerjoin(available, available.c.product_id == product_t.c.id)
        conditions.append(low_stock_sql(sa.func.coalesce(available.c.available, 0)))
    columns: list[sa.ColumnElement[Any]] = [
        product_t.c.id.label("product_id"),
        product_t.c.barcode,
        product_t.c.sku,
        product_t.c.name,
        product_t.c.min_stock,
    ]
    sort = sort if sort in BALANCE_SORTS else "name"
    order = [(sort, descending), ("name", False), ("product_id", False)]
    if sort in _STOCK_SORTS:
        # Ordered by stock: every candidate's stock is needed, summed once.
        stock_sums = _stock_by_product()
        base = base.outerjoin(stock_sums, stock_sums.c.product_id == product_t.c.id)
        columns.append(_stock_sort_key(stock_sums, sort).label(_SORT_KEY))
        order[0] = (_SORT_KEY, descending)
    query = sa.select(*columns).select_from(base).where(*conditions)
    count_query = sa.select(sa.func.count()).select_from(base).where(*conditions)
    with engine.connect() as conn:
        rows, total = page_with_total(
            conn, query, order, count_query,
            filtered=search is not None or low_only, limit=limit, offset=offset,
        )  # fmt: skip
        stock = _stock_of(conn, [row["product_id"] for row in rows])
    for row in rows:
        row.pop(_SORT_KEY, None)
    no_stock = {"good": 0, "defect": 0, "reserved": 0}
    items = []
    for row in rows:
        numbers = stock.get(row["product_id"], no_stock)
        available = numbers["good"] - numbers["reserved"]
        items.append(BalanceRow(**row, **numbers, available=available))
    return Page(items, total)


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
    stock = _stock_by_product()
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


@dataclass(frozen=True, eq=False)
class LocationRow(Row):
    id: int
    code: str
    name: str
    warehouse: str  # its warehouse's code


def internal_locations(engine: Engine) -> list[LocationRow]:
    query = (
        sa.select(
            location_t.c.id,
            location_t.c.code,
            location_t.c.name,
            warehouse_t.c.code.label("warehouse"),
        )
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(location_t.c.is_active.is_(True))
        .order_by(location_t.c.route_sequence, location_t.c.code)
    )
    with engine.connect() as conn:
        return typed_all(LocationRow, conn.execute(query))


def warehouses_of(engine: Engine, location_ids: Iterable[int]) -> dict[int, str]:
    """The warehouse code (MAIN, DEFECT) of each of these locations that has one, active or
    not; virtual ones are left out. For a page of movements: reading every location (5,000
    bins) took three quarters of the product card's reads (bench/positions.py)."""
    ids = sorted(set(location_ids))
    if not ids:
        return {}
    query = (
        sa.select(location_t.c.id, warehouse_t.c.code)
        .join(warehouse_t, warehouse_t.c.id == location_t.c.warehouse_id)
        .where(location_t.c.id.in_(ids))
    )
    with engine.connect() as conn:
        return {location_id: code for location_id, code in conn.execute(query).all()}


def iter_balances(
    engine: Engine,
    *,
    q: str | None = None,
    low_only: bool = False,
    sort: str = "name",
    descending: bool = False,
) -> Iterator[BalanceRow]:
    """Every row `balances` would list with these filters (live products, in its order),
    streamed from one query."""
    stock = _stock_by_product()
    good = sa.func.coalesce(stock.c.good, 0)
    defect = sa.func.coalesce(stock.c.defect, 0)
    reserved = sa.func.coalesce(stock.c.reserved, 0)
    available = good - reserved
    conditions: list[sa.ColumnElement[bool]] = [product_t.c.is_deleted.is_(False)]
    if (search := product_search(q)) is not None:
        conditions.append(search)
    if low_only:
        conditions.append(low_stock_sql(available))
    query = (
        sa.select(
            product_t.c.id.label("product_id"),
            product_t.c.barcode,
            product_t.c.sku,
            product_t.c.name,
            product_t.c.min_stock,
            good.label("good"),
            defect.label("defect"),
            reserved.label("reserved"),
            available.label("available"),
        )
        .select_from(product_t.outerjoin(stock, stock.c.product_id == product_t.c.id))
        .where(*conditions)
    )
    sort = sort if sort in BALANCE_SORTS else "name"
    key = _stock_sort_key(stock, sort) if sort in _STOCK_SORTS else product_t.c[sort]
    query = query.order_by(
        key.desc() if descending else key.asc(), product_t.c.name, product_t.c.id
    )
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=EXPORT_CHUNK).execute(query):
            yield typed(BalanceRow, row)
