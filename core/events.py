"""The events a change writes to the outbox, in its own transaction, for other systems.

One name per kind of fact. `movement.posted` and `import.applied` carry the fact's own
record (a movement's fields, an import's span of ledger rows) and stay inside the WMS.
The others are the contract of DESIGN.md §7: `CONTRACT` names each one's Redis stream and
fields, and the payload written at the cause's commit holds exactly those fields (plus
`created_at`, the fact's time), already resolved — `order_id` is the order's external id,
`listing_id` the product's barcode, `warehouse_id` the warehouse's code — so the relay
(data.events.relay) publishes them without reading any business table.
Storage writes them as given: `core.ports.Outbox`.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    MOVEMENT_POSTED = "movement.posted"  # payload: core.model.Movement.as_event()
    IMPORT_APPLIED = "import.applied"  # payload: the import, its file and ledger span
    PICKING_CREATED = "picking.created"
    PICKING_ASSIGNED = "picking.assigned"
    PICKING_COMPLETED = "picking.completed"
    PACKING_STARTED = "packing.started"
    PACKING_COMPLETED = "packing.completed"  # the task is packed
    SHIPMENT_CREATED = "shipment.created"  # shipment_id: the packing task's id
    INVENTORY_RESERVED = "inventory.reserved"
    INVENTORY_RELEASED = "inventory.released"
    INVENTORY_PLACED = "inventory.placed"  # put away: a warehouse's own place → a bin
    INVENTORY_MOVED = "inventory.moved"  # any other move between two internal places


PICKING = "wms:events:picking"
PACKING = "wms:events:packing"
SHIPMENT = "wms:events:shipment"
INVENTORY = "wms:events:inventory"

# type → (stream, fields), DESIGN.md §7 (fixed). A type not here is not published.
CONTRACT: dict[str, tuple[str, tuple[str, ...]]] = {
    EventType.PICKING_CREATED: (PICKING, ("task_id", "order_id", "warehouse_id")),
    EventType.PICKING_ASSIGNED: (PICKING, ("task_id", "order_id", "worker_id")),
    EventType.PICKING_COMPLETED: (PICKING, ("task_id", "order_id")),
    EventType.PACKING_STARTED: (PACKING, ("task_id", "order_id")),
    EventType.PACKING_COMPLETED: (PACKING, ("task_id", "order_id")),
    EventType.SHIPMENT_CREATED: (SHIPMENT, ("shipment_id", "order_id", "tracking_number")),
    EventType.INVENTORY_RESERVED: (
        INVENTORY, ("listing_id", "warehouse_id", "quantity", "order_id"),
    ),
    EventType.INVENTORY_RELEASED: (
        INVENTORY, ("listing_id", "warehouse_id", "quantity", "reason"),
    ),
    EventType.INVENTORY_PLACED: (INVENTORY, ("listing_id", "warehouse_id", "quantity", "location")),
    EventType.INVENTORY_MOVED: (
        INVENTORY, ("listing_id", "warehouse_id", "from_location", "to_location"),
    ),
}  # fmt: skip


def contract_event(event: EventType, at: datetime, **fields: Any) -> dict[str, Any]:
    """A §7 event's payload: exactly its fields (checked here, so a writer that forgets
    one fails its own tests) and the fact's time."""
    _, names = CONTRACT[event]
    if set(fields) != set(names):
        raise ValueError(f"{event}: fields {sorted(fields)} != {sorted(names)}")
    return {**{k: "" if v is None else str(v) for k, v in fields.items()},
            "created_at": at.isoformat()}  # fmt: skip


def add_event(uow: Any, event: EventType, at: datetime, **fields: Any) -> None:
    """Write a §7 event into the unit's outbox (its transaction)."""
    uow.outbox.add(event, contract_event(event, at, **fields))


def add_events(uow: Any, events: list[tuple[EventType, dict[str, Any]]]) -> None:
    """Several §7 events (payloads from `contract_event`) into the outbox together: one
    statement for what a step writes, not one round trip each."""
    if events:
        uow.outbox.add_many(events)
