"""Balances per product: the paged list (the page of products chosen first, only its
stock summed) and the same rows streamed for an export."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.catalog.queries import product_search
from data.reads import (
    EXPORT_CHUNK,
    Page,
    Row,
    page_bounds,
    page_with_total,
    product_t,
    retry_in_other_layout,
    typed,
)
from data.stock.queries import available_by_product, low_stock_sql, stock_by_product, stock_sums_of


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


BALANCE_SORTS = ("name", "sku", "barcode", "min_stock", "good", "defect", "reserved", "available")
_STOCK_SORTS = ("good", "defect", "reserved", "available")
_SORT_KEY = "sort_key__"


def _stock_sort_key(stock: sa.Subquery, sort: str) -> sa.ColumnElement[Any]:
    """A stock column of `stock_by_product` as a number (0 for a product without stock)."""
    good = sa.func.coalesce(stock.c.good, 0)
    reserved = sa.func.coalesce(stock.c.reserved, 0)
    if sort == "available":
        return good - reserved
    return {"good": good, "defect": sa.func.coalesce(stock.c.defect, 0), "reserved": reserved}[sort]


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
        available = available_by_product()
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
        stock_sums = stock_by_product()
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
        stock = stock_sums_of(conn, [row["product_id"] for row in rows])
    for row in rows:
        row.pop(_SORT_KEY, None)
    no_stock = {"good": 0, "defect": 0, "reserved": 0}
    items = []
    for row in rows:
        numbers = stock.get(row["product_id"], no_stock)
        available = numbers["good"] - numbers["reserved"]
        items.append(BalanceRow(**row, **numbers, available=available))
    return Page(items, total)


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
    stock = stock_by_product()
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
