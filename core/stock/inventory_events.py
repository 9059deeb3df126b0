"""The stock side of the events contract (DESIGN.md §7): what a posted movement between
two internal places tells other systems, written in the movement's transaction."""

from core.events import EventType, add_event
from core.model import LocationRef, Movement
from core.stock.ports import StockUnitOfWork


def inventory_event(uow: StockUnitOfWork, movement: Movement, src: LocationRef,
                     dst: LocationRef) -> None:  # fmt: skip
    """DESIGN.md §7 for a move between two internal places: inventory.placed when stock
    leaves a warehouse's own place (not yet put away) for a storage place, else
    inventory.moved. A unit's move within one place, receipts and issues: nothing."""
    if not (src.is_internal and dst.is_internal) or src.id == dst.id:
        return
    product = uow.catalog.product(movement.product_id)
    barcode = product.barcode if product else str(movement.product_id)
    warehouse = dst.warehouse_code or src.warehouse_code or ""
    at = movement.created_at
    if src.kind == "default" and dst.kind != "default":
        add_event(
            uow,
            EventType.INVENTORY_PLACED,
            at,
            listing_id=barcode,
            warehouse_id=warehouse,
            quantity=movement.quantity,
            location=dst.code,
        )
    else:
        add_event(
            uow,
            EventType.INVENTORY_MOVED,
            at,
            listing_id=barcode,
            warehouse_id=warehouse,
            from_location=src.code,
            to_location=dst.code,
        )
