"""`core.catalog.ports.CatalogLookups` in a unit of work's transaction (data.uow): the
products and reference data a posting reads, with the names its answer shows."""

from typing import Any

import sqlalchemy as sa

from core.model import ProductRef, Reference
from data.transaction import Transaction

# The names come along so that the answer to a posting is built without reading again.
_PRODUCT = "SELECT id, is_deleted, sku, name, barcode, gtin, requires_marking FROM product"
PRODUCT_BY_ID = sa.text(f"{_PRODUCT} WHERE id = :v")
PRODUCT_BY_BARCODE = sa.text(f"{_PRODUCT} WHERE barcode = :v")
# PostgreSQL reads a posting's product FOR KEY SHARE, held to the commit: a delete, which
# takes the row FOR UPDATE first (data.catalog.store), waits for the posting and then sees
# its stock, or the posting waits for the delete and then sees the product deleted. The
# lock blocks no other posting and no edit of the product's fields, and the movement's
# foreign key takes the same one anyway. SQLite needs none: writers take turns.
PRODUCT_BY_ID_LOCKED = sa.text(f"{PRODUCT_BY_ID.text} FOR KEY SHARE")
PRODUCT_BY_BARCODE_LOCKED = sa.text(f"{PRODUCT_BY_BARCODE.text} FOR KEY SHARE")
# An order's products in one round trip (PostgreSQL: an array parameter, locked in id order
# as above; SQLite: the ids expanded into IN).
PRODUCTS_LOCKED = sa.text(f"{_PRODUCT} WHERE id = ANY(:v) ORDER BY id FOR KEY SHARE")
PRODUCTS = sa.text(f"{_PRODUCT} WHERE id IN :v").bindparams(sa.bindparam("v", expanding=True))
# …and named by barcode (the order feed's lines), in one round trip, locked likewise.
PRODUCTS_BY_BARCODE_LOCKED = sa.text(
    f"{_PRODUCT} WHERE barcode = ANY(:v) ORDER BY id FOR KEY SHARE"
)
PRODUCTS_BY_BARCODE = sa.text(f"{_PRODUCT} WHERE barcode IN :v").bindparams(
    sa.bindparam("v", expanding=True)
)
SOURCE = sa.text("SELECT id, name, is_active FROM source WHERE id = :v")
DISTRIBUTION_CENTER = sa.text(
    "SELECT d.id, d.name, d.is_active, d.source_id AS parent_id, s.name AS parent_name "
    "FROM distribution_center d JOIN source s ON s.id = d.source_id WHERE d.id = :v"
)

SOURCE_NAMED = sa.text("SELECT id, name, is_active FROM source WHERE name = :v")
DC_NAMED = sa.text("SELECT id FROM distribution_center WHERE name = :v")


class SqlCatalogLookups:
    def __init__(self, tx: Transaction, *, postgres: bool) -> None:
        self._tx = tx
        self._postgres = postgres
        self._product_by_id = PRODUCT_BY_ID_LOCKED if postgres else PRODUCT_BY_ID
        self._product_by_barcode = PRODUCT_BY_BARCODE_LOCKED if postgres else PRODUCT_BY_BARCODE
        # A source found by name (the order feed) as read then: the order's check of it by
        # id, in the same transaction, is not a second read of the same row.
        self._sources: dict[int, Reference] = {}

    def product(self, product_id: int) -> ProductRef | None:
        """A product read here is not deleted by anyone else until the unit of work ends
        (a delete waits for it), so `is_deleted` stays true to the commit."""
        return _product(self._tx.run(self._product_by_id, {"v": product_id}))

    def product_by_barcode(self, barcode: str) -> ProductRef | None:
        return _product(self._tx.run(self._product_by_barcode, {"v": barcode}))

    def products(self, product_ids: list[int]) -> dict[int, ProductRef]:
        if not product_ids:
            return {}
        if self._postgres:
            rows = self._tx.run(PRODUCTS_LOCKED, {"v": list(product_ids)})
        else:
            rows = list(self._tx.conn.execute(PRODUCTS, {"v": list(product_ids)}))
        found = (_product([row]) for row in rows)
        return {p.id: p for p in found if p is not None}

    def products_by_barcode(self, barcodes: list[str]) -> dict[str, ProductRef]:
        if not barcodes:
            return {}
        if self._postgres:
            rows = self._tx.run(PRODUCTS_BY_BARCODE_LOCKED, {"v": list(barcodes)})
        else:
            rows = list(self._tx.conn.execute(PRODUCTS_BY_BARCODE, {"v": list(barcodes)}))
        found = (_product([row]) for row in rows)
        return {p.barcode: p for p in found if p is not None}

    def source(self, source_id: int) -> Reference | None:
        if source_id in self._sources:
            return self._sources[source_id]
        rows = self._tx.run(SOURCE, {"v": source_id})  # id, name, is_active
        return Reference(rows[0][0], rows[0][1], bool(rows[0][2])) if rows else None

    def distribution_center(self, dc_id: int) -> Reference | None:
        rows = self._tx.run(DISTRIBUTION_CENTER, {"v": dc_id})
        if not rows:
            return None
        id_, name, is_active, parent_id, parent_name = rows[0]
        return Reference(id_, name, bool(is_active), parent_id, parent_name)

    def source_id_named(self, name: str) -> int | None:
        rows = self._tx.run(SOURCE_NAMED, {"v": name})  # names are unique
        if not rows:
            return None
        found = Reference(int(rows[0][0]), rows[0][1], bool(rows[0][2]))
        self._sources[found.id] = found
        return found.id

    def distribution_center_id_named(self, name: str) -> int | None:
        rows = self._tx.run(DC_NAMED, {"v": name})  # names are unique
        return int(rows[0][0]) if rows else None


def _product(rows: list[Any]) -> ProductRef | None:
    if not rows:
        return None
    id_, is_deleted, sku, name, barcode, gtin, marking = rows[0]
    return ProductRef(id_, bool(is_deleted), sku, name, barcode, gtin, bool(marking))
