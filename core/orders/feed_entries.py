"""An order feed entry's fields (DESIGN.md §7) read into a confirm or a cancel, and
completed from the Listings and delivery services when it names an order without its items
or address. An entry that can never be one is a MalformedEntry (dead-lettered at once by
core.orders.feed)."""

import json
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import ValidationError
from core.orders.orders import LineRequest
from core.orders.ports import ShipTo
from core.orders.rules import OrderKind, Priority

CONFIRMED, CANCELLED = "order.confirmed", "order.cancelled"
SHIP_TO_FIELDS = ("name", "phone", "address", "city", "postal_code", "country")


class MalformedEntry(ValidationError):
    """An entry that can never succeed as it is: dead-lettered at once."""

    def __init__(self, message: str) -> None:
        super().__init__("malformed_entry", message)


@dataclass(frozen=True)
class FeedConfirm:
    external_id: str
    source: str
    lines: tuple[LineRequest, ...]
    kind: str = OrderKind.CUSTOMER
    priority: str = Priority.NORMAL
    carrier: str | None = None
    ship_to: ShipTo | None = None
    distribution_center: str | None = None


@dataclass(frozen=True)
class FeedCancel:
    external_id: str
    source: str
    reason: str | None = None


class OrderDetails(Protocol):
    """What the Listings and delivery services know of an order the feed names without
    its items or address (data.events.order_details; seed 004 §6)."""

    def items(self, external_id: str) -> str | None:
        """The order's items as the feed's `items` JSON; None without the service."""

    def ship_to(self, external_id: str) -> str | None:
        """Its address as the feed's `ship_to` JSON; None when unknown."""


def complete(fields: dict[str, str], details: OrderDetails) -> dict[str, str]:
    """An `order.confirmed` entry without items (or a customer order's without an address)
    completed from the services; any other entry as it is. A service that fails raises
    (the entry is retried later)."""
    order_id = (fields.get("order_id") or "").strip()
    if (fields.get("type") or "").strip() != CONFIRMED or not order_id:
        return fields
    done = dict(fields)
    if (fields.get("items") or "").strip() in ("", "[]"):
        items = details.items(order_id)
        if items is not None:
            done["items"] = items
    kind = (fields.get("kind") or "").strip() or OrderKind.CUSTOMER
    if kind == OrderKind.CUSTOMER and not (fields.get("ship_to") or "").strip():
        address = details.ship_to(order_id)
        if address is not None:
            done["ship_to"] = address
    return done


def _required(fields: dict[str, str], name: str) -> str:
    value = (fields.get(name) or "").strip()
    if not value:
        raise MalformedEntry(f"Нет поля {name}")
    return value


def _json(fields: dict[str, str], name: str) -> Any:
    try:
        return json.loads(fields[name])
    except (TypeError, ValueError) as error:
        raise MalformedEntry(f"Поле {name}: не JSON ({error})") from None


def _lines(fields: dict[str, str]) -> tuple[LineRequest, ...]:
    items = _json(fields, "items") if "items" in fields else None
    if not isinstance(items, list) or not items:
        raise MalformedEntry("Поле items: нужен непустой список строк")
    lines = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict):
            raise MalformedEntry(f"items[{n}]: нужен объект {{barcode, quantity}}")
        barcode, quantity = item.get("barcode"), item.get("quantity")
        if not isinstance(barcode, str | int) or isinstance(barcode, bool) or not str(barcode):
            raise MalformedEntry(f"items[{n}]: нет штрихкода")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise MalformedEntry(f"items[{n}]: количество — целое число больше нуля")
        lines.append(LineRequest(quantity, barcode=str(barcode)))
    return tuple(lines)


def _ship_to(fields: dict[str, str]) -> ShipTo | None:
    if not (fields.get("ship_to") or "").strip():
        return None
    value = _json(fields, "ship_to")
    if not isinstance(value, dict):
        raise MalformedEntry("Поле ship_to: нужен объект")
    # Keys beyond the address's own are ignored; values are kept as text.
    return ShipTo(**{k: str(value[k]) for k in SHIP_TO_FIELDS if value.get(k) is not None})


def _choice(fields: dict[str, str], name: str, allowed: type[OrderKind | Priority],
            default: str) -> str:  # fmt: skip
    value = (fields.get(name) or "").strip()
    if not value:
        return default
    if value not in {x.value for x in allowed}:
        raise MalformedEntry(f"Поле {name}: неизвестное значение {value!r}")
    return value


def parse_entry(fields: dict[str, str]) -> FeedConfirm | FeedCancel:
    """An entry's fields as read from the stream; MalformedEntry when it cannot be one."""
    kind = (fields.get("type") or "").strip()
    if kind not in (CONFIRMED, CANCELLED):
        raise MalformedEntry(f"Неизвестный тип события {kind!r}")
    external_id, source = _required(fields, "order_id"), _required(fields, "source")
    if kind == CANCELLED:
        return FeedCancel(external_id, source, (fields.get("reason") or "").strip() or None)
    return FeedConfirm(
        external_id, source, _lines(fields),
        _choice(fields, "kind", OrderKind, OrderKind.CUSTOMER),
        _choice(fields, "priority", Priority, Priority.NORMAL),
        (fields.get("carrier") or "").strip() or None, _ship_to(fields),
        (fields.get("distribution_center") or "").strip() or None,
    )  # fmt: skip
