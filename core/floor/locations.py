"""Locations inside a warehouse (DESIGN.md §2a, §6): kinds, the rules of a location's code,
name, zone and route order, and the use cases of the storage map — create, change,
deactivate (never while it holds stock) — over the `LocationStore` port.

Codes are what a scanner reads from a bin label (Code 128): Latin capitals, digits and
`-`, `_`, `.`; typed in lower case they are taken in capitals. Codes are unique among all
locations, the virtual ones included (a scan must name one place).
"""

import hashlib
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any, Protocol

from core.catalog.products import other_keyboard_layout
from core.errors import Conflict, NotFound, ValidationError
from core.labels.printing import check_printer_address
from core.stock.operations import WAREHOUSES


class LocationKind(StrEnum):
    """The `kind` of a location, as the API names it (DESIGN.md §6)."""

    DEFAULT = "default"  # a warehouse's own location: stock "not yet put away"
    BIN = "bin"
    PACKING = "packing"
    OUTBOUND = "outbound"
    VIRTUAL = "virtual"  # the outside world: vendors, customers, DCs, scrap, losses


# Kinds of location that hold stock (everything but the outside world).
INTERNAL_KINDS = frozenset(k for k in LocationKind if k is not LocationKind.VIRTUAL)
# What a manager creates: a warehouse's default location and the virtual ones are seeded.
CREATABLE_KINDS = (LocationKind.BIN, LocationKind.PACKING, LocationKind.OUTBOUND)
KIND_LABELS: dict[str, tuple[str, str]] = {
    LocationKind.DEFAULT: ("Не размещено", "Not put away"),
    LocationKind.BIN: ("Ячейка", "Bin"),
    LocationKind.PACKING: ("Стол упаковки", "Packing station"),
    LocationKind.OUTBOUND: ("Зона отгрузки", "Outbound dock"),
}

# Seeded in the good-stock warehouse: picks go to the first active packing station unless
# a task names one; shipments leave from the outbound dock.
SEEDED_FLOOR_LOCATIONS: dict[str, tuple[LocationKind, str]] = {
    "PACK-1": (LocationKind.PACKING, "Стол упаковки 1"),
    "OUT-1": (LocationKind.OUTBOUND, "Зона отгрузки 1"),
}

MAX_CODE = 32  # a label's barcode stays readable at this length
MAX_NAME = 100  # the column's length
MAX_ZONE = 16
MAX_ROUTE = 1_000_000_000
ROUTE_STEP = 10  # new locations are numbered 10 apart: room to put one in between later
CODE_ALPHABET = "латинские буквы, цифры и знаки «-», «_», «.»"
# The same rule for the API's schema (ui.api.locations) and for core.
CODE_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_CODE - 1}}}"
ZONE_PATTERN = rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_ZONE - 1}}}"
_CODE = re.compile(CODE_PATTERN)
_ZONE = re.compile(ZONE_PATTERN)


@dataclass(frozen=True)
class LocationData:
    """What a manager says about a new location; `route_sequence` None: at the end of the
    warehouse's route."""

    code: str
    name: str = ""
    kind: str = LocationKind.BIN
    warehouse: str = "MAIN"
    zone: str | None = None
    route_sequence: int | None = None


@dataclass(frozen=True)
class LocationRecord:
    id: int
    code: str
    name: str
    kind: str
    warehouse: str
    zone: str | None
    route_sequence: int
    is_active: bool
    # A packing station's label printer, `host` or `host:port` (core.labels.printing);
    # None: no printer, labels are downloaded. Other kinds have none.
    printer_address: str | None = None


EDITABLE = ("code", "name", "zone", "route_sequence", "is_active", "printer_address")


@dataclass(frozen=True)
class RequestKey:
    """An API request's Idempotency-Key, its user's own, with a fingerprint of what it
    asked for: the same key with another request is refused, not taken for a retry."""

    user_id: int
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Created:
    location: LocationRecord
    replayed: bool  # the key was seen before: nothing new was written


class LocationStore(Protocol):
    def get(self, location_id: int) -> LocationRecord | None: ...
    def taken_codes(self, codes: Collection[str]) -> list[str]:
        """Those of `codes` some location (any kind, inactive too) already has."""

    def route_end(self, warehouse: str) -> int:
        """The highest route number among the warehouse's locations (0 when none)."""

    def insert(self, data: LocationData, key: RequestKey | None = None) -> int | None:
        """Add one location (its route number given) and, with a key, the key with it, in
        one transaction; its id, or None when the key was taken meanwhile (the twin's answer
        is then `created_under(key)`). Conflict `location_code_taken` when the database
        refuses a duplicate code (a concurrent twin)."""

    def insert_many(self, items: Sequence[LocationData]) -> int:
        """Add every item in one transaction with one bulk insert, or none (Conflict as
        `insert`); how many were added."""

    def created_under(self, key: RequestKey) -> tuple[str, LocationRecord] | None:
        """(fingerprint, location) of an earlier request under this user's key."""

    def update(
        self, location_id: int, changes: dict[str, Any], *, only_if_empty: bool
    ) -> LocationRecord | None:
        """Apply `changes` in one statement; with `only_if_empty`, only while nothing lies
        there (no stock, no open handling unit): None when something does."""

    def occupancy(self, location_id: int) -> tuple[int, int]:
        """(units, open handling units) at the location now."""


# --- Rules of each field ---


def typed_code(text: str) -> str:
    """A code as typed or scanned, the way codes are stored: trimmed, in capitals, and
    read back from the Russian keyboard layout when a scanner typed it there («Ф-01» is
    `A-01`)."""
    text = (text or "").strip()
    if any("а" <= ch.lower() <= "я" or ch.lower() == "ё" for ch in text):
        text = other_keyboard_layout(text) or text
    return text.upper()


def check_code(value: str, field: str = "code") -> str:
    code = (value or "").strip()
    if not code:
        raise ValidationError("code_required", "Укажите код места", field=field)
    if len(code) > MAX_CODE:
        message = f"Код места: не больше {MAX_CODE} символов"
        raise ValidationError("code_too_long", message, field=field)
    if not _CODE.fullmatch(code):
        message = f"Код места «{code}»: только {CODE_ALPHABET}, первым — буква или цифра"
        if any(ch.isalpha() and not ch.isascii() for ch in code):
            message += " (русские буквы не читаются сканером — переключите раскладку)"
        raise ValidationError("invalid_code", message, field=field)
    return code.upper()


def check_zone(value: str | None) -> str | None:
    zone = (value or "").strip()
    if not zone:
        return None
    if not _ZONE.fullmatch(zone):
        message = f"Зона «{zone}»: до {MAX_ZONE} символов, {CODE_ALPHABET}"
        raise ValidationError("invalid_zone", message, field="zone")
    return zone.upper()


def check_name(value: str | None, default: str) -> str:
    name = (value or "").strip() or default
    if len(name) > MAX_NAME:
        message = f"Название места: не больше {MAX_NAME} символов"
        raise ValidationError("name_too_long", message, field="name")
    return name


def check_route(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ROUTE:
        message = f"Порядок обхода: целое число от 0 до {MAX_ROUTE:,}".replace(",", " ")
        raise ValidationError("invalid_route_sequence", message, field="route_sequence")
    return value


def check_kind(value: str) -> str:
    if value not in CREATABLE_KINDS:
        allowed = ", ".join(CREATABLE_KINDS)
        message = f"Тип места: {allowed} (основные места складов уже есть)"
        raise ValidationError("invalid_kind", message, field="kind")
    return value


def check_warehouse(value: str) -> str:
    if value not in WAREHOUSES:
        message = f"Склад: {' или '.join(WAREHOUSES)}"
        raise ValidationError("invalid_warehouse", message, field="warehouse")
    return value


def clean(data: LocationData) -> LocationData:
    code = check_code(data.code)
    return LocationData(
        code=code,
        name=check_name(data.name, code),
        kind=check_kind(data.kind),
        warehouse=check_warehouse(data.warehouse),
        zone=check_zone(data.zone),
        route_sequence=None if data.route_sequence is None else check_route(data.route_sequence),
    )


def next_route(end: int) -> int:
    """The first route number after `end`, on the ROUTE_STEP grid."""
    return min((end // ROUTE_STEP + 1) * ROUTE_STEP, MAX_ROUTE)


def codes_taken(codes: Sequence[str], *, limit: int = 5) -> Conflict:
    shown = ", ".join(codes[:limit])
    more = f" и ещё {len(codes) - limit}" if len(codes) > limit else ""
    if len(codes) == 1:
        return Conflict("location_code_taken", f"Место с кодом {shown} уже есть", field="code")
    return Conflict("location_code_taken", f"Места с такими кодами уже есть: {shown}{more}",
                    field="code")  # fmt: skip


def fingerprint(data: LocationData) -> str:
    text = "\x1f".join(f"{f.name}={getattr(data, f.name)!r}" for f in fields(data))
    return hashlib.sha256(text.encode()).hexdigest()


# --- Use cases ---


def get_location(store: LocationStore, location_id: int) -> LocationRecord:
    location = store.get(location_id)
    if location is None or location.kind not in INTERNAL_KINDS:
        raise NotFound("location_not_found", "Место хранения не найдено")
    return location


def create_location(
    store: LocationStore,
    data: LocationData,
    *,
    user_id: int | None = None,
    idempotency_key: str | None = None,
) -> Created:
    """A bin, packing station or outbound dock. With an idempotency key (the API's), the
    same key again returns the first answer and changes nothing."""
    data = clean(data)
    key = _request_key(data, user_id, idempotency_key)
    if key is not None and (earlier := _replay(store, key)) is not None:
        return earlier
    if taken := store.taken_codes([data.code]):
        if key is not None and (earlier := _replay(store, key)) is not None:
            return earlier  # the first request under this key committed a moment ago
        raise codes_taken(taken)
    if data.route_sequence is None:
        data = replace(data, route_sequence=next_route(store.route_end(data.warehouse)))
    new_id = store.insert(data, key)
    if new_id is None:  # a concurrent request under the same key wrote first
        assert key is not None
        replayed = _replay(store, key)
        assert replayed is not None
        return replayed
    return Created(get_location(store, new_id), replayed=False)


def _request_key(data: LocationData, user_id: int | None, key: str | None) -> RequestKey | None:
    key = (key or "").strip()
    if not key or user_id is None:
        return None
    if len(key) > 128:
        raise ValidationError(
            "invalid_idempotency_key", "Ключ идемпотентности: не больше 128 символов",
            field="idempotency_key",
        )  # fmt: skip
    return RequestKey(user_id, key, fingerprint(data))


def _replay(store: LocationStore, key: RequestKey) -> Created | None:
    earlier = store.created_under(key)
    if earlier is None:
        return None
    seen, location = earlier
    if seen != key.fingerprint:
        raise Conflict(
            "idempotency_key_reused",
            "Этот ключ идемпотентности уже использован для другого запроса",
        )
    return Created(location, replayed=True)


def update_location(
    store: LocationStore, location_id: int, changes: dict[str, Any]
) -> LocationRecord:
    """Rename, renumber, move to another zone, deactivate or bring back, set a packing
    station's label printer (PATCH: the fields not given keep their values). Deactivation
    is refused while something lies there."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError("unknown_field", f"Неизвестное поле: {', '.join(sorted(unknown))}")
    current = get_location(store, location_id)
    values = _checked_changes(current, changes)
    if not values:
        return current
    if "code" in values and (taken := store.taken_codes([values["code"]])):
        raise codes_taken(taken)
    deactivating = values.get("is_active") is False and current.is_active
    if deactivating and current.kind == LocationKind.DEFAULT:
        raise Conflict(
            "default_location_required",
            f"«{current.name}» — основное место склада: сюда приходит товар, отключить его нельзя",
        )
    updated = store.update(location_id, values, only_if_empty=deactivating)
    if updated is None:
        raise not_empty(current, *store.occupancy(location_id))
    return updated


def _checked_changes(current: LocationRecord, changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "code" in changes:
        code = check_code(str(changes["code"] or ""))
        if code != current.code:
            if current.kind not in CREATABLE_KINDS:
                raise Conflict(
                    "location_code_fixed",
                    f"Код основного места склада ({current.code}) изменить нельзя",
                    field="code",
                )  # fmt: skip
            values["code"] = code
    if "name" in changes:
        values["name"] = check_name(changes["name"], values.get("code", current.code))
    if "zone" in changes:
        values["zone"] = check_zone(changes["zone"])
    if "route_sequence" in changes:
        values["route_sequence"] = check_route(changes["route_sequence"])
    if "is_active" in changes:
        if not isinstance(changes["is_active"], bool):
            raise ValidationError("invalid_is_active", "is_active: true или false",
                                  field="is_active")  # fmt: skip
        values["is_active"] = changes["is_active"]
    if "printer_address" in changes:
        values["printer_address"] = _checked_printer(current, changes["printer_address"])
    return {k: v for k, v in values.items() if getattr(current, k) != v}


def _checked_printer(current: LocationRecord, value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValidationError("invalid_printer_address", "Адрес принтера: строка",
                              field="printer_address")  # fmt: skip
    address = check_printer_address(value)
    if address is not None and current.kind != LocationKind.PACKING:
        raise ValidationError(
            "printer_only_at_packing",
            "Принтер этикеток указывается только у стола упаковки",
            field="printer_address",
        )
    return address


def not_empty(location: LocationRecord, units: int, units_held: int) -> Conflict:
    what = []
    if units:
        what.append(f"товар ({units:,} шт.)".replace(",", " "))
    if units_held:
        what.append(f"паллеты или коробки ({units_held})")
    held = " и ".join(what) or "товар"
    return Conflict(
        "location_not_empty",
        f"В месте {location.code} лежит {held}: сначала переместите всё в другое место, "
        "потом отключайте",
    )
