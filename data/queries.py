"""Read side: balances per product, the journal, summary totals.

Pages and the API read through these; nothing here writes.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.catalog import fold_search_text, other_keyboard_layout
from core.stock import DEFECT_WAREHOUSE, GOOD_WAREHOUSE
from data.models import (
    DistributionCenter,
    Location,
    Movement,
    Product,
    Quant,
    Source,
    User,
    Warehouse,
)
from data.users import account_lock

product_t = Product.__table__
quant_t = Quant.__table__
location_t = Location.__table__
warehouse_t = Warehouse.__table__
movement_t = Movement.__table__
user_t = User.__table__
source_t = Source.__table__
dc_t = DistributionCenter.__table__

MAX_PAGE = 500


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    total: int
    # The search text these rows were found by, when it is not what was typed: the text in
    # the other keyboard layout («gktl» typed, «плед» searched). None otherwise.
    searched_for: str | None = None


def retry_in_other_layout(q: str | None, search: Callable[[str | None], Page]) -> Page:
    """`search(q)`; when that finds nothing and `q` reads as words in the other keyboard
    layout, the search for those instead, marked with the text it used."""
    page = search(q)
    if page.total or not q or (other := other_keyboard_layout(q.strip())) is None:
        return page
    retried = search(other)
    return replace(retried, searched_for=other) if retried.total else page


def _page_bounds(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_PAGE)), max(0, offset)


def _like_pattern(text: str) -> str:
    escaped = fold_search_text(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# What a text search looks in: SKU and name as one lower-case text with «ё» read as «е»
# (core.catalog.fold_search_text; the words typed are folded the same way). One
# expression, so SQLite calls its (Python, Unicode-aware) lower() once per product, and
# PostgreSQL can answer from one trigram index on exactly this expression (migration
# 0008). The constants are literal SQL, not parameters, so that the planner sees the
# indexed expression itself.
PRODUCT_SEARCH_TEXT = sa.func.replace(
    sa.func.lower(product_t.c.sku + sa.literal_column("' '") + product_t.c.name),
    sa.literal_column("'ё'"),
    sa.literal_column("'е'"),
)


def low_stock_sql(
    available: sa.ColumnElement[int], min_stock: sa.ColumnElement[int] = product_t.c.min_stock
) -> sa.ColumnElement[bool]:
    """core.stock.is_low in SQL — every query that tests low stock uses this one; keep the
    two the same (tests/test_queries.py checks they agree). The positive-minimum test comes
    first: cheap, and it spares most of a join."""
    return sa.and_(min_stock > 0, available < min_stock)


def product_search(q: str | None) -> sa.ColumnElement[bool] | None:
    """Barcode or GTIN exactly, or SKU and name containing every word of the text, in any
    order and case («свеча ван» finds «Свеча ароматическая …, ваниль»)."""
    if not q or not q.strip():
        return None
    q = q.strip()
    words = [PRODUCT_SEARCH_TEXT.like(_like_pattern(word), escape="\\") for word in q.split()]
    return sa.or_(product_t.c.barcode == q, product_t.c.gtin == q, sa.and_(*words))


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


_TOTAL = "total_matching__"  # the window count riding along with a filtered page


def _page_with_total(
    conn: sa.Connection,
    query: sa.Select[Any],
    order: list[tuple[str, bool]],
    count_query: sa.Select[Any],
    *,
    filtered: bool,
    limit: int,
    offset: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of `query` in `order` (selected column names, descending?) and the
    number of all its rows.

    Unfiltered, the count is a cheap separate statement and the page an index-ordered read
    that stops after `limit` rows. Filtered (a text search, the low-stock test), every
    candidate has to be looked at anyway: the matches are collected once, counted by a
    window over them and sorted, so the table is scanned once, not twice. The matches are
    a materialised CTE because PostgreSQL would otherwise walk the name index hoping to
    meet `limit` matches early, reading the whole table when they cluster at the end.
    """

    def ordered(columns: Any) -> list[sa.ColumnElement[Any]]:
        return [columns[name].desc() if desc else columns[name].asc() for name, desc in order]

    if not filtered:
        total = conn.execute(count_query).scalar_one()
        page = query.order_by(*ordered(query.selected_columns)).limit(limit).offset(offset)
        return [dict(r) for r in conn.execute(page).mappings()], total
    matches = query.cte("matches").prefix_with("MATERIALIZED", dialect="postgresql")
    page = (
        sa.select(matches, sa.func.count().over().label(_TOTAL))
        .order_by(*ordered(matches.c))
        .limit(limit)
        .offset(offset)
    )
    rows = [dict(r) for r in conn.execute(page).mappings()]
    if not rows:  # nothing matches, or the page lies past the end: count on its own
        return [], 0 if offset == 0 else conn.execute(count_query).scalar_one()
    total = int(rows[0][_TOTAL])
    for row in rows:
        del row[_TOTAL]
    return rows, total


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
    limit, offset = _page_bounds(limit, offset)
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
        rows, total = _page_with_total(
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
        items.append({**row, **numbers, "available": numbers["good"] - numbers["reserved"]})
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


@dataclass(frozen=True)
class JournalFilter:
    operation_type: str | None = None
    product_id: int | None = None
    user_id: int | None = None
    source_id: int | None = None
    distribution_center_id: int | None = None
    date_from: datetime | None = None  # inclusive, aware
    date_to: datetime | None = None  # exclusive, aware
    movement_id: int | None = None  # one movement (the API returns it with names)

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        m = movement_t.c
        wanted: list[sa.ColumnElement[bool]] = []
        for column, value in (
            (m.operation_type, self.operation_type),
            (m.product_id, self.product_id),
            (m.user_id, self.user_id),
            (m.source_id, self.source_id),
            (m.distribution_center_id, self.distribution_center_id),
            (m.id, self.movement_id),
        ):
            if value is not None:
                wanted.append(column == value)
        if self.date_from is not None:
            wanted.append(m.created_at >= self.date_from)
        if self.date_to is not None:
            wanted.append(m.created_at < self.date_to)
        return wanted


# How a person is named on pages and in files: the full name where one is given, the
# login otherwise (the API's `user` stays the login, DESIGN.md §5).
USER_DISPLAY_NAME = sa.func.coalesce(sa.func.nullif(user_t.c.full_name, ""), user_t.c.username)


def _journal_rows(conditions: list[sa.ColumnElement[bool]]) -> sa.Select[Any]:
    """The journal's movements with the names a person needs, newest first."""
    m = movement_t.c
    from_loc = location_t.alias("from_loc")
    to_loc = location_t.alias("to_loc")
    return (
        sa.select(
            m.id,
            m.operation_type,
            m.product_id,
            m.quantity,
            m.source_id,
            m.distribution_center_id,
            m.from_location_id,
            m.to_location_id,
            user_t.c.username.label("user"),
            USER_DISPLAY_NAME.label("user_name"),
            m.notes,
            m.created_at,
            m.reversal_of,
            m.document,
            product_t.c.sku,
            product_t.c.barcode,
            product_t.c.name.label("product_name"),
            source_t.c.name.label("source_name"),
            dc_t.c.name.label("distribution_center_name"),
            from_loc.c.code.label("from_location"),
            to_loc.c.code.label("to_location"),
        )
        .select_from(
            movement_t.join(product_t, product_t.c.id == m.product_id)
            .join(from_loc, from_loc.c.id == m.from_location_id)
            .join(to_loc, to_loc.c.id == m.to_location_id)
            .outerjoin(user_t, user_t.c.id == m.user_id)
            .outerjoin(source_t, source_t.c.id == m.source_id)
            .outerjoin(dc_t, dc_t.c.id == m.distribution_center_id)
        )
        .where(*conditions)
        .order_by(m.created_at.desc(), m.id.desc())
    )


def journal(
    engine: Engine, flt: JournalFilter | None = None, *, limit: int = 50, offset: int = 0
) -> Page:
    """Movements, newest first, with the names a person needs to read them."""
    limit, offset = _page_bounds(limit, offset)
    conditions = (flt or JournalFilter()).conditions()
    m = movement_t.c
    query = _journal_rows(conditions).limit(limit).offset(offset)
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(movement_t).where(*conditions)
        ).scalar_one()
        reversed_ids = sa.select(m.reversal_of).where(m.reversal_of.is_not(None))
        items = [dict(r) for r in conn.execute(query).mappings()]
        if items:
            ids = [item["id"] for item in items]
            done = set(conn.execute(reversed_ids.where(m.reversal_of.in_(ids))).scalars())
            for item in items:
                item["is_reversed"] = item["id"] in done
        return Page(items, total)


def journal_entry(engine: Engine, movement_id: int) -> dict[str, Any] | None:
    """One movement as the journal shows it (with names), or None."""
    items = journal(engine, JournalFilter(movement_id=movement_id), limit=1).items
    return items[0] if items else None


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
        .where(location_t.c.kind == "internal")
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
    limit, offset = _page_bounds(limit, offset)
    conditions, search = _product_filter(q, deleted)
    sort = sort if sort in PRODUCT_SORTS else "name"
    query = sa.select(*_PRODUCT_LIST_COLUMNS).where(*conditions)
    count_query = sa.select(sa.func.count()).select_from(product_t).where(*conditions)
    with engine.connect() as conn:
        rows, total = _page_with_total(
            conn, query, [(sort, descending), ("id", False)], count_query,
            filtered=search is not None, limit=limit, offset=offset,
        )  # fmt: skip
    return Page(rows, total)


def product_options(
    engine: Engine, *, q: str | None = None, deleted: bool | None = False, limit: int = 20
) -> list[dict[str, Any]]:
    """The first `limit` products matching `q`, by name, for a picker as one types.

    Unlike `products` it counts nothing: a picker shows a few options and no total. With
    nothing typed, the name index is read in order and stops after `limit` rows.
    """
    limit, _ = _page_bounds(limit, 0)
    conditions, search = _product_filter(q, deleted)
    matches = sa.select(*_PRODUCT_LIST_COLUMNS).where(*conditions).cte("matches")
    if search is not None:
        # SQLite would walk the name index for the order, reading every product's row on
        # the way: twice as slow as a plain scan that sorts the matches, which a
        # materialised CTE forces. PostgreSQL's planner stays free (trigram index).
        matches = matches.prefix_with("MATERIALIZED", dialect="sqlite")
    query = sa.select(matches).order_by(matches.c.name, matches.c.id).limit(limit)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def product_by_code(engine: Engine, code: str) -> dict[str, Any] | None:
    """A live product whose barcode or GTIN is exactly `code` (a scan)."""
    code = code.strip()
    query = sa.select(product_t).where(
        sa.or_(product_t.c.barcode == code, product_t.c.gtin == code),
        product_t.c.is_deleted.is_(False),
    )
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
        return dict(row) if row else None


def sources(engine: Engine, *, active_only: bool = False) -> list[dict[str, Any]]:
    query = sa.select(source_t.c.id, source_t.c.name, source_t.c.is_active).order_by(
        source_t.c.name
    )
    if active_only:
        query = query.where(source_t.c.is_active.is_(True))
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


def distribution_centers(
    engine: Engine, *, active_only: bool = False, source_id: int | None = None
) -> list[dict[str, Any]]:
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
        return [dict(r) for r in conn.execute(query).mappings()]


def internal_locations(engine: Engine) -> list[dict[str, Any]]:
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
        return [dict(r) for r in conn.execute(query).mappings()]


def users(engine: Engine) -> list[dict[str, Any]]:
    query = sa.select(
        user_t.c.id,
        user_t.c.username,
        user_t.c.full_name,
        user_t.c.role,
        user_t.c.is_active,
        account_lock(user_t.c.username).label("locked_until"),
        user_t.c.created_at,
    ).order_by(user_t.c.username)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]


# --- Whole tables for exports: read in constant memory, however long the table ---

EXPORT_CHUNK = 5000


def iter_products(
    engine: Engine,
    *,
    q: str | None = None,
    deleted: bool | None = False,
    sort: str = "name",
    descending: bool = False,
) -> Iterator[dict[str, Any]]:
    """Every product `products` would list with these filters, in its order, streamed
    from one query (the catalogue is bounded; one query is one consistent snapshot)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if deleted is not None:
        conditions.append(product_t.c.is_deleted.is_(deleted))
    if (search := product_search(q)) is not None:
        conditions.append(search)
    column = product_t.c[sort if sort in PRODUCT_SORTS else "name"]
    order = column.desc() if descending else column.asc()
    columns = [c for c in product_t.c if c.name != "updated_at"]
    query = sa.select(*columns).where(*conditions).order_by(order, product_t.c.id)
    with engine.connect() as conn:
        rows = conn.execution_options(yield_per=EXPORT_CHUNK).execute(query).mappings()
        for row in rows:
            yield dict(row)


def iter_balances(
    engine: Engine,
    *,
    q: str | None = None,
    low_only: bool = False,
    sort: str = "name",
    descending: bool = False,
) -> Iterator[dict[str, Any]]:
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
        rows = conn.execution_options(yield_per=EXPORT_CHUNK).execute(query).mappings()
        for row in rows:
            yield dict(row)


def journal_chunks(
    engine: Engine, flt: JournalFilter | None = None, *, chunk_size: int = EXPORT_CHUNK
) -> Iterator[list[dict[str, Any]]]:
    """The journal in `journal`'s order (newest first), `chunk_size` movements at a time.

    Keyset pagination: each query continues after the last (created_at, id) it returned,
    so every chunk is one short index range read (no OFFSET rescanning what came before,
    no transaction held open for the whole export). Movements posted meanwhile are newer
    than the first chunk and do not shift the rest.
    """
    size = max(1, chunk_size)
    m = movement_t.c
    base = _journal_rows((flt or JournalFilter()).conditions()).limit(size)
    after: tuple[datetime, int] | None = None
    while True:
        query = base
        if after is not None:
            at, last_id = after
            # Spelled as a range on created_at first, so its indexes serve the query.
            query = query.where(m.created_at <= at, sa.or_(m.created_at < at, m.id < last_id))
        with engine.connect() as conn:
            chunk = [dict(r) for r in conn.execute(query).mappings()]
        if not chunk:
            return
        yield chunk
        if len(chunk) < size:
            return
        after = (chunk[-1]["created_at"], chunk[-1]["id"])


def import_history(
    engine: Engine, *, limit: int = 50, offset: int = 0, batch_id: int | None = None
) -> Page:
    """Confirmed imports, newest first: file, sha256, kind, user, time, rows and result
    (status applied, refused or failed, and a failure's reason; `batch_id`: that import
    only, the one a journal row links to)."""
    from data.models import ImportBatch  # here, not above: keeps this addition self-contained

    limit, offset = _page_bounds(limit, offset)
    b = ImportBatch.__table__.c
    wanted = [] if batch_id is None else [b.id == batch_id]
    query = (
        sa.select(
            b.id,
            b.file_name,
            b.file_sha256,
            b.kind,
            b.operation_type,
            USER_DISPLAY_NAME.label("user"),  # shown to people: the name, not the login
            b.created_at,
            b.rows_total,
            b.rows_ok,
            b.applied,
            b.error_count,
            b.status,
            b.reason,
        )
        .select_from(ImportBatch.__table__.outerjoin(user_t, user_t.c.id == b.user_id))
        .where(*wanted)
        .order_by(b.created_at.desc(), b.id.desc())
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(ImportBatch.__table__).where(*wanted)
        )
        items = [{**dict(r), "applied": bool(r["applied"])} for r in conn.execute(query).mappings()]
        return Page(items, total.scalar_one())
