"""Read side: balances per product, the journal, summary totals.

Pages and the API read through these; nothing here writes.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

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


def _page_bounds(limit: int, offset: int) -> tuple[int, int]:
    return max(1, min(limit, MAX_PAGE)), max(0, offset)


def _like_pattern(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def product_search(q: str | None) -> sa.ColumnElement[bool] | None:
    """Barcode or GTIN exactly, or SKU or name containing the text (case-insensitive)."""
    if not q or not q.strip():
        return None
    q = q.strip()
    pattern = _like_pattern(q)
    return sa.or_(
        product_t.c.barcode == q,
        product_t.c.gtin == q,
        sa.func.lower(product_t.c.sku).like(pattern, escape="\\"),
        sa.func.lower(product_t.c.name).like(pattern, escape="\\"),
    )


def _stock_by_product() -> sa.Subquery:
    """good, defect and reserved per product, summed over each warehouse's locations."""
    in_main = warehouse_t.c.code == "MAIN"
    in_defect = warehouse_t.c.code == "DEFECT"
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


def balances(
    engine: Engine,
    *,
    q: str | None = None,
    low_only: bool = False,
    product_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
    include_deleted: bool = False,
) -> Page:
    """One row per (not deleted) product: good, defect, reserved, available.

    `include_deleted`: deleted products too (a deleted product's card still shows its stock).
    """
    limit, offset = _page_bounds(limit, offset)
    stock = _stock_by_product()
    good = sa.func.coalesce(stock.c.good, 0)
    defect = sa.func.coalesce(stock.c.defect, 0)
    reserved = sa.func.coalesce(stock.c.reserved, 0)
    available = good - reserved
    conditions: list[sa.ColumnElement[bool]] = []
    if not include_deleted:
        conditions.append(product_t.c.is_deleted.is_(False))
    if (search := product_search(q)) is not None:
        conditions.append(search)
    if low_only:
        conditions.append(available < product_t.c.min_stock)
    if product_id is not None:
        conditions.append(product_t.c.id == product_id)
    base = product_t.outerjoin(stock, stock.c.product_id == product_t.c.id)
    rows = (
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
        .select_from(base)
        .where(*conditions)
    )
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(base).where(*conditions)
        ).scalar_one()
        items = conn.execute(
            rows.order_by(product_t.c.name, product_t.c.id).limit(limit).offset(offset)
        ).mappings()
        return Page([dict(r) for r in items], total)


def product_stock(engine: Engine, product_id: int) -> dict[str, int]:
    """good, defect, reserved and available of one product (zeros when it has no stock).

    The same sums as `balances`, filtered before grouping: a scan needs one product's
    numbers fast however large the catalogue is.
    """
    in_main = warehouse_t.c.code == "MAIN"
    in_defect = warehouse_t.c.code == "DEFECT"
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
            # Spelled per partial unique index (loose / in a unit) so each can be used;
            # quant has no plain index on product_id and would be scanned whole.
            sa.or_(
                sa.and_(quant_t.c.product_id == product_id, quant_t.c.handling_unit_id.is_(None)),
                sa.and_(
                    quant_t.c.product_id == product_id, quant_t.c.handling_unit_id.is_not(None)
                ),
            )
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
            sa.func.count().filter(good - reserved < product_t.c.min_stock)
            .label("low_stock_products"),
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


def journal(
    engine: Engine, flt: JournalFilter | None = None, *, limit: int = 50, offset: int = 0
) -> Page:
    """Movements, newest first, with the names a person needs to read them."""
    limit, offset = _page_bounds(limit, offset)
    conditions = (flt or JournalFilter()).conditions()
    m = movement_t.c
    from_loc = location_t.alias("from_loc")
    to_loc = location_t.alias("to_loc")
    query = (
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
        .limit(limit)
        .offset(offset)
    )
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
    """Products (`deleted`: False live only, True deleted only, None both)."""
    limit, offset = _page_bounds(limit, offset)
    conditions: list[sa.ColumnElement[bool]] = []
    if deleted is not None:
        conditions.append(product_t.c.is_deleted.is_(deleted))
    if (search := product_search(q)) is not None:
        conditions.append(search)
    column = product_t.c[sort if sort in PRODUCT_SORTS else "name"]
    order = column.desc() if descending else column.asc()
    columns = [c for c in product_t.c if c.name != "updated_at"]
    query = (
        sa.select(*columns)
        .where(*conditions)
        .order_by(order, product_t.c.id)
        .limit(limit)
        .offset(offset)
    )
    with engine.connect() as conn:
        total = conn.execute(
            sa.select(sa.func.count()).select_from(product_t).where(*conditions)
        ).scalar_one()
        return Page([dict(r) for r in conn.execute(query).mappings()], total)


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
        user_t.c.locked_until,
        user_t.c.created_at,
    ).order_by(user_t.c.username)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(query).mappings()]
