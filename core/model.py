"""Plain domain records passed between core and its storage port."""

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ProductRef:
    id: int
    is_deleted: bool
    sku: str = ""
    name: str = ""
    barcode: str = ""
    gtin: str | None = None
    requires_marking: bool = False  # Честный ЗНАК (core.marking)


@dataclass(frozen=True)
class LocationRef:
    id: int
    code: str
    name: str
    is_internal: bool
    warehouse_code: str | None
    is_active: bool
    kind: str  # core.floor.locations.LocationKind: a count may be at a bin, not a station


@dataclass(frozen=True)
class Reference:
    """A source or a distribution center (`parent_id`: a DC's source)."""

    id: int
    name: str
    is_active: bool
    parent_id: int | None = None
    parent_name: str | None = None


@dataclass(frozen=True)
class MovementDraft:
    operation_type: str
    product_id: int
    quantity: int
    from_location_id: int
    to_location_id: int
    source_id: int | None
    distribution_center_id: int | None
    user_id: int | None
    notes: str | None
    idempotency_key: str | None
    document: str | None
    reversal_of: int | None
    created_at: datetime
    # TRANSFER only (DESIGN.md §6): the handling unit the stock is taken out of at
    # from_location and the one it goes into at to_location; None is loose stock.
    from_handling_unit_id: int | None = field(default=None, kw_only=True)
    handling_unit_id: int | None = field(default=None, kw_only=True)


@dataclass(frozen=True)
class HandlingUnitRef:
    """A pallet or box as a movement checks it: where it is, and whether it is open."""

    id: int
    code: str
    location_id: int
    is_open: bool


@dataclass(frozen=True)
class MovementNames:
    """What a person reads beside a movement's ids, as its own transaction read them: an
    answer built from these needs no read after the commit."""

    sku: str
    barcode: str
    product_name: str
    from_location: str  # location codes
    to_location: str
    source_name: str | None
    distribution_center_name: str | None


@dataclass(frozen=True)
class Movement(MovementDraft):
    id: int

    def as_event(self) -> dict[str, Any]:
        # Shallow (asdict deep-copies): every value is a plain number, text or time.
        payload = {f.name: getattr(self, f.name) for f in fields(self)}
        payload["created_at"] = self.created_at.isoformat()
        payload.pop("idempotency_key")
        return payload

    def same_request_as(self, draft: MovementDraft) -> bool:
        """True when a retried request (same idempotency key) asks for the same thing."""
        keys = (
            "operation_type",
            "product_id",
            "quantity",
            "from_location_id",
            "to_location_id",
            "source_id",
            "distribution_center_id",
            "reversal_of",
            "from_handling_unit_id",
            "handling_unit_id",
        )
        return all(getattr(self, k) == getattr(draft, k) for k in keys)
