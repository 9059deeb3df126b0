"""Catalog reads: the product list and search, the picker's options, reference data."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from data.reads import (
    EXPORT_CHUNK,
    Page,
    Row,
    dc_t,
    like_pattern,
    page_bounds,
    page_with_total,
    product_t,
    retry_in_other_layout,
    source_t,
    typed,
    typed_all,
)


@dataclass(frozen=True, eq=False)
class ProductRow(Row):
    id: int
    sku: str
    name: str
    barcode: str
    gtin: str | None
    min_stock: int
    weight_g: int | None
    length_mm: int | None
    width_mm: int | None
    height_mm: int | None
    is_deleted: bool
    created_at: datetime
    requires_marking: bool = False


@dataclass(frozen=True, eq=False)
class SourceRow(Row):
    id: int
    name: str
    is_active: bool


@dataclass(frozen=True, eq=False)
class DistributionCenterRow(Row):
    id: int
    name: str
    is_active: bool
    source_id: int
    source_name: str


# What a text search looks in: SKU and name as one lower-case text with «ё» read as «е»
# (core.catalog.products.fold_search_text; the words typed are folded the same way). One
# expression, so SQLite calls its (Python, Unicode-aware) lower() once per product, and
# PostgreSQL can answer from one trigram index on exactly this expression (migration
# 0008). The constants are literal SQL, not parameters, so that the planner sees the
# indexed expression itself.
PRODUCT_SEARCH_TEXT = sa.func.replace(
    sa.func.lower(product_t.c.sku + sa.literal_column("' '") + product_t.c.name),
    sa.literal_column("'ё'"),
    sa.literal_column("'е'"),
)


def product_search(q: str | None) -> sa.ColumnElement[bool] | None:
    """Barcode or GTIN exactly, or SKU and name containing every word of the text, in any
    order and case («свеча ван» finds «Свеча ароматическая …, ваниль»)."""
    if not q or not q.strip():
        return None
    q = q.strip()
    words = [PRODUCT_SEARCH_TEXT.like(like_pattern(word), escape="\\") for word in q.split()]
    return sa.or_(product_t.c.barcode == q, product_t.c.gtin == q, sa.and_(*words))


PRODUCT_SORTS = ("name", "sku", "barcode", "min_stock", "created_at", "id")


_PRODUCT_LIST_COLUMNS = [c for c in product_t.c if c.name != "updated_at"]


def _product_filter(
    q: str | None, deleted: bool | None
) -> tuple[list[sa.ColumnElement[bool]], sa.ColumnElement[bool] | None]:
    """The WHERE of a product list (`deleted`: False live only, True deleted only, None
    both), and the text search part of it (None when nothing was typed)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if deleted is not None:
        conditions.append(product_t.c.is_deleted.is_(deleted))
    if (search := product_search(q)) is not None:
        conditions.append(search)
    return conditions, search


def products(
    engine: Engine,
    *,
    q: str | None = None,
    deleted: bool | None = False,
    sort: str = "name",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> Page:
    """Products (`deleted`: False live only, True deleted only, None both). A text that
    finds nothing is tried in the other keyboard layout (`Page.searched_for`)."""
    return retry_in_other_layout(
        q,
        lambda text: _products(
            engine, q=text, deleted=deleted, sort=sort, descending=descending, limit=limit,
            offset=offset,
        ),
    )  # fmt: skip


def _products(
    engine: Engine,
    *,
    q: str | None,
    deleted: bool | None,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> Page:
    limit, offset = page_bounds(limit, offset)
    conditions, search = _product_filter(q, deleted)
    sort = sort if sort in PRODUCT_SORTS else "name"
    query = sa.select(*_PRODUCT_LIST_COLUMNS).where(*conditions)
    count_query = sa.select(sa.func.count()).select_from(product_t).where(*conditions)
    with engine.connect() as conn:
        rows, total = page_with_total(
            conn, query, [(sort, descending), ("id", False)], count_query,
            filtered=search is not None, limit=limit, offset=offset,
        )  # fmt: skip
    return Page(typed_all(ProductRow, rows), total)


def product_options(
    engine: Engine, *, q: str | None = None, deleted: bool | None = False, limit: int = 20
) -> list[ProductRow]:
    """The first `limit` products matching `q`, by name, for a picker as one types.

    Unlike `products` it counts nothing: a picker shows a few options and no total. With
    nothing typed, the name index is read in order and stops after `limit` rows.
    """
    limit, _ = page_bounds(limit, 0)
    conditions, search = _product_filter(q, deleted)
    matches = sa.select(*_PRODUCT_LIST_COLUMNS).where(*conditions).cte("matches")
    if search is not None:
        # SQLite would walk the name index for the order, reading every product's row on
        # the way: twice as slow as a plain scan that sorts the matches, which a
        # materialised CTE forces. PostgreSQL's planner stays free (trigram index).
        matches = matches.prefix_with("MATERIALIZED", dialect="sqlite")
    query = sa.select(matches).order_by(matches.c.name, matches.c.id).limit(limit)
    with engine.connect() as conn:
        return typed_all(ProductRow, conn.execute(query))


def product_by_code(engine: Engine, code: str) -> ProductRow | None:
    """A live product whose barcode or GTIN is exactly `code` (a scan)."""
    code = code.strip()
    query = sa.select(*_PRODUCT_LIST_COLUMNS).where(
        sa.or_(product_t.c.barcode == code, product_t.c.gtin == code),
        product_t.c.is_deleted.is_(False),
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
        return typed(ProductRow, row) if row else None


def sources(engine: Engine, *, active_only: bool = False) -> list[SourceRow]:
    query = sa.select(source_t.c.id, source_t.c.name, source_t.c.is_active).order_by(
        source_t.c.name
    )
    if active_only:
        query = query.where(source_t.c.is_active.is_(True))
    with engine.connect() as conn:
        return typed_all(SourceRow, conn.execute(query))


def distribution_centers(
    engine: Engine, *, active_only: bool = False, source_id: int | None = None
) -> list[DistributionCenterRow]:
    query = (
        sa.select(
            dc_t.c.id,
            dc_t.c.name,
            dc_t.c.is_active,
            dc_t.c.source_id,
            source_t.c.name.label("source_name"),
        )
        .join(source_t, source_t.c.id == dc_t.c.source_id)
        .order_by(source_t.c.name, dc_t.c.name)
    )
    if active_only:
        query = query.where(dc_t.c.is_active.is_(True))
    if source_id is not None:
        query = query.where(dc_t.c.source_id == source_id)
    with engine.connect() as conn:
        return typed_all(DistributionCenterRow, conn.execute(query))


def iter_products(
    engine: Engine,
    *,
    q: str | None = None,
    deleted: bool | None = False,
    sort: str = "name",
    descending: bool = False,
) -> Iterator[ProductRow]:
    """Every product `products` would list with these filters, in its order, streamed
    from one query (the catalogue is bounded; one query is one consistent snapshot)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if deleted is not None:
        conditions.append(product_t.c.is_deleted.is_(deleted))
    if (search := product_search(q)) is not None:
        conditions.append(search)
    column = product_t.c[sort if sort in PRODUCT_SORTS else "name"]
    order = column.desc() if descending else column.asc()
    query = sa.select(*_PRODUCT_LIST_COLUMNS).where(*conditions).order_by(order, product_t.c.id)
    with engine.connect() as conn:
        for row in conn.execution_options(yield_per=EXPORT_CHUNK).execute(query):
            yield typed(ProductRow, row)
