"""What the catalog needs from storage, and the records it exchanges with it.

Three ports: the look-ups a posting makes in its own unit of work (`CatalogLookups`),
and the stores behind the product and reference-data pages (`ProductStore`,
`ReferenceStore`). data.catalog implements them.
"""

from dataclasses import dataclass
from typing import Literal, Protocol

from core.model import ProductRef, Reference


class CatalogLookups(Protocol):
    """A unit of work's catalog: what a posting reads, with the names its answer shows."""

    def product(self, product_id: int) -> ProductRef | None: ...
    def products(self, product_ids: list[int]) -> dict[int, ProductRef]:
        """Several products in one read (an order's lines), by id; the missing ones absent."""

    def product_by_barcode(self, barcode: str) -> ProductRef | None: ...
    def products_by_barcode(self, barcodes: list[str]) -> dict[str, ProductRef]:
        """Several products in one read (an order's lines named by barcode), by barcode;
        the unknown ones absent."""

    def source(self, source_id: int) -> Reference | None: ...
    def distribution_center(self, dc_id: int) -> Reference | None:
        """The DC, with its marketplace as `parent_id` and `parent_name`."""

    def source_id_named(self, name: str) -> int | None:
        """The id of the source (marketplace) with this name (the order feed names it)."""

    def distribution_center_id_named(self, name: str) -> int | None: ...


# --- Products ---


@dataclass(frozen=True)
class ProductData:
    sku: str
    name: str
    barcode: str
    gtin: str | None = None
    min_stock: int = 0
    weight_g: int | None = None
    length_mm: int | None = None
    width_mm: int | None = None
    height_mm: int | None = None
    requires_marking: bool = False  # Честный ЗНАК: each unit scanned as its DataMatrix at packing


@dataclass(frozen=True)
class ProductRecord(ProductData):
    id: int = 0
    is_deleted: bool = False


class ProductStore(Protocol):
    def get(self, product_id: int) -> ProductRecord | None: ...
    def holder_of_code(self, code: str, *, except_id: int | None) -> ProductRecord | None:
        """A product whose barcode or GTIN equals `code`, other than `except_id`."""

    def insert(self, data: ProductData) -> ProductRecord:
        """Raises Conflict when the database refuses a duplicate (a concurrent twin)."""

    def update(self, product_id: int, data: ProductData) -> ProductRecord: ...
    def delete(self, product_id: int) -> ProductRecord | None:
        """Mark deleted unless some of it is in stock (None then), in one statement."""

    def restore(self, product_id: int) -> ProductRecord: ...


# --- Reference data: sources (marketplaces) and their distribution centers ---

Kind = Literal["source", "distribution_center"]


@dataclass(frozen=True)
class ReferenceRecord:
    id: int
    name: str
    is_active: bool
    source_id: int | None = None  # a distribution center's marketplace


class ReferenceStore(Protocol):
    def get(self, kind: Kind, item_id: int) -> ReferenceRecord | None: ...
    def name_taken(self, kind: Kind, name: str, *, except_id: int | None) -> bool: ...
    def insert(self, kind: Kind, name: str, source_id: int | None) -> ReferenceRecord: ...
    def update(
        self, kind: Kind, item_id: int, name: str, is_active: bool, source_id: int | None
    ) -> ReferenceRecord: ...
