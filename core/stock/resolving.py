"""What a movement request names, looked up in storage: the product, the places
and handling units, the marketplace or DC; and the names an answer shows."""

from core.catalog.ports import CatalogLookups
from core.errors import Conflict, ValidationError
from core.model import LocationRef, MovementNames, ProductRef, Reference
from core.stock.operations import Direction, Loc, Operation, Requirement
from core.stock.ports import Locations, Stock
from core.stock.requests import MovementRequest


def resolve_product(catalog: CatalogLookups, req: MovementRequest) -> ProductRef:
    if req.product_id is not None:
        product = catalog.product(req.product_id)
    elif req.barcode and req.barcode.strip():
        product = catalog.product_by_barcode(req.barcode.strip())
    else:
        raise ValidationError("product_required", "Укажите товар", field="product_id")
    if product is None:
        raise ValidationError(
            "product_not_found", "Товар не найден", field="barcode" if req.barcode else "product_id"
        )
    if product.is_deleted:
        raise ValidationError("product_deleted", "Товар удалён", field="product_id")
    return product


def _internal_location(locations: Locations, location_id: int, field: str) -> LocationRef:
    location = locations.location_by_id(location_id)
    if location is None or not location.is_internal or not location.is_active:
        raise ValidationError(
            "invalid_location", "Место хранения не найдено или не является складским",
            field=field,
        )  # fmt: skip
    return location


UNIT_KINDS = "Паллета или коробка"


def check_unit_at(
    stock: Stock, unit_id: int | None, location: LocationRef, field: str, *, taking: bool
) -> None:
    """A unit a movement names must exist, be open and be at the movement's place there.
    Reading it holds it (Stock.handling_unit) until the movement commits."""
    if unit_id is None:
        return
    unit = stock.handling_unit(unit_id)
    if unit is None:
        raise ValidationError("handling_unit_not_found", f"{UNIT_KINDS} не найдена", field=field)
    if not unit.is_open:
        raise Conflict(
            "handling_unit_closed",
            f"{UNIT_KINDS} {unit.code} закрыта: "
            + ("в ней ничего нет" if taking else "в неё больше ничего не кладут"),
        )
    if unit.location_id != location.id:
        raise Conflict(
            "handling_unit_elsewhere",
            f"{UNIT_KINDS} {unit.code} находится не в месте {location.code}",
        )


def resolve_locations(
    locations: Locations, op: Operation, req: MovementRequest
) -> tuple[LocationRef, LocationRef]:
    """Where a checked request takes stock from and where it puts it."""
    if op.needs(Requirement.LOCATIONS):
        assert req.from_location_id is not None and req.to_location_id is not None
        return (
            _internal_location(locations, req.from_location_id, "from_location_id"),
            _internal_location(locations, req.to_location_id, "to_location_id"),
        )
    if op.needs(Requirement.WAREHOUSE_AND_DIRECTION):
        assert req.warehouse is not None
        stock = locations.location(req.warehouse)
        if req.location_id is not None:
            stock = _internal_location(locations, req.location_id, "location_id")
            if stock.warehouse_code != req.warehouse:
                raise ValidationError(
                    "invalid_location", f"Место {stock.code} — не на складе {req.warehouse}",
                    field="location_id",
                )  # fmt: skip
        outside = locations.location(Loc.INVENTORY_LOSS)
        return (outside, stock) if req.direction == Direction.GAIN else (stock, outside)
    assert op.from_location is not None and op.to_location is not None
    return locations.location(op.from_location), locations.location(op.to_location)


def resolve_references(
    catalog: CatalogLookups, req: MovementRequest
) -> tuple[Reference | None, Reference | None]:
    """Return (source, dc); a shipment records its DC's marketplace as the source."""
    if req.source_id is not None:
        source = catalog.source(req.source_id)
        if source is None or not source.is_active:
            raise ValidationError(
                "source_not_found", "Источник не найден или отключён", field="source_id"
            )
        return source, None
    if req.distribution_center_id is not None:
        dc = catalog.distribution_center(req.distribution_center_id)
        if dc is None or not dc.is_active:
            raise ValidationError(
                "distribution_center_not_found", "РЦ не найден или отключён",
                field="distribution_center_id",
            )  # fmt: skip
        assert dc.parent_id is not None, "a DC belongs to a marketplace"
        return Reference(dc.parent_id, dc.parent_name or "", True), dc
    return None, None


def movement_names(
    product: ProductRef,
    src: LocationRef,
    dst: LocationRef,
    source: Reference | None,
    dc: Reference | None,
) -> MovementNames:
    return MovementNames(
        sku=product.sku,
        barcode=product.barcode,
        product_name=product.name,
        from_location=src.code,
        to_location=dst.code,
        source_name=source.name if source else None,
        distribution_center_name=dc.name if dc else None,
    )
