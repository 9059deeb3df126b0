"""The catalog's stores on their tables: `core.catalog.ports.ProductStore` and
`core.catalog.ports.ReferenceStore`."""

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from core.catalog.ports import Kind, ProductData, ProductRecord, ReferenceRecord
from core.catalog.products import EDITABLE
from core.errors import Conflict
from data.db import write_connection
from data.models import DistributionCenter, Product, Quant, Source, utc_now

product_t = Product.__table__
quant_t = Quant.__table__
_PRODUCT_COLUMNS = [product_t.c[name] for name in (*EDITABLE, "id", "is_deleted")]
_TABLES = {"source": Source.__table__, "distribution_center": DistributionCenter.__table__}


class SqlProductStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _first(self, condition: sa.ColumnElement[bool]) -> ProductRecord | None:
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(*_PRODUCT_COLUMNS).where(condition)).mappings().first()
        return ProductRecord(**row) if row else None

    def get(self, product_id: int) -> ProductRecord | None:
        return self._first(product_t.c.id == product_id)

    def holder_of_code(self, code: str, *, except_id: int | None) -> ProductRecord | None:
        condition = sa.or_(product_t.c.barcode == code, product_t.c.gtin == code)
        if except_id is not None:
            condition = sa.and_(condition, product_t.c.id != except_id)
        return self._first(condition)

    def _write(self, statement: sa.Executable) -> ProductRecord:
        try:
            with write_connection(self._engine) as conn, conn.begin():
                row = conn.execute(statement.returning(*_PRODUCT_COLUMNS)).mappings().one()  # type: ignore[attr-defined]
        except IntegrityError as error:
            # A concurrent twin got the barcode or GTIN between our check and the write.
            raise Conflict("barcode_taken", "Штрихкод или GTIN уже занят другим товаром") from error
        return ProductRecord(**row)

    def insert(self, data: ProductData) -> ProductRecord:
        now = utc_now()
        values = {**data.__dict__, "is_deleted": False, "created_at": now, "updated_at": now}
        return self._write(sa.insert(product_t).values(values))

    def update(self, product_id: int, data: ProductData) -> ProductRecord:
        values = {**data.__dict__, "updated_at": utc_now()}
        return self._write(sa.update(product_t).where(product_t.c.id == product_id).values(values))

    def delete(self, product_id: int) -> ProductRecord | None:
        in_stock = sa.exists().where(quant_t.c.product_id == product_id, quant_t.c.quantity > 0)
        statement = (
            sa.update(product_t)
            .where(product_t.c.id == product_id, ~in_stock)
            .values(is_deleted=True, updated_at=utc_now())
            .returning(*_PRODUCT_COLUMNS)
        )
        with write_connection(self._engine) as conn, conn.begin():
            # PostgreSQL: the product's row FOR UPDATE first. Every writer that puts stock
            # on a product reads it FOR KEY SHARE (data.uow, data.imports), so this waits
            # for the ones in flight, and the conditional UPDATE — a statement of its own,
            # with a fresh snapshot — then sees their stock; the ones after it wait for
            # this commit and see the product deleted. SQLite: BEGIN IMMEDIATE already
            # makes writers take turns (SQLAlchemy leaves FOR UPDATE out there).
            lock = sa.select(product_t.c.id).where(product_t.c.id == product_id).with_for_update()
            conn.execute(lock)
            row = conn.execute(statement).mappings().first()
        return ProductRecord(**row) if row else None

    def restore(self, product_id: int) -> ProductRecord:
        statement = (
            sa.update(product_t)
            .where(product_t.c.id == product_id)
            .values(is_deleted=False, updated_at=utc_now())
        )
        return self._write(statement)


class SqlReferenceStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _record(self, kind: Kind, row: sa.RowMapping) -> ReferenceRecord:
        source_id = row["source_id"] if kind == "distribution_center" else None
        return ReferenceRecord(row["id"], row["name"], bool(row["is_active"]), source_id)

    def get(self, kind: Kind, item_id: int) -> ReferenceRecord | None:
        table = _TABLES[kind]
        with self._engine.connect() as conn:
            row = conn.execute(sa.select(table).where(table.c.id == item_id)).mappings().first()
        return self._record(kind, row) if row else None

    def name_taken(self, kind: Kind, name: str, *, except_id: int | None) -> bool:
        table = _TABLES[kind]
        query = sa.select(table.c.id).where(sa.func.lower(table.c.name) == name.lower())
        if except_id is not None:
            query = query.where(table.c.id != except_id)
        with self._engine.connect() as conn:
            return conn.execute(query).first() is not None

    def _write(self, kind: Kind, statement: sa.Executable) -> ReferenceRecord:
        try:
            with write_connection(self._engine) as conn, conn.begin():
                row = conn.execute(statement.returning(_TABLES[kind])).mappings().one()  # type: ignore[attr-defined]
        except IntegrityError as error:
            raise Conflict("name_taken", "Такое название уже есть") from error
        return self._record(kind, row)

    def insert(self, kind: Kind, name: str, source_id: int | None) -> ReferenceRecord:
        values: dict[str, object] = {"name": name, "is_active": True}
        if kind == "distribution_center":
            values["source_id"] = source_id
        return self._write(kind, sa.insert(_TABLES[kind]).values(values))

    def update(
        self, kind: Kind, item_id: int, name: str, is_active: bool, source_id: int | None
    ) -> ReferenceRecord:
        table = _TABLES[kind]
        values: dict[str, object] = {"name": name, "is_active": is_active}
        if kind == "distribution_center":
            values["source_id"] = source_id
        return self._write(kind, sa.update(table).where(table.c.id == item_id).values(values))
