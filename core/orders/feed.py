"""The order feed (DESIGN.md §7, a fixed contract): `order.confirmed` and `order.cancelled`
entries of the stream `listings:events:orders`, read in group `wms-consumers`, go through
the same use cases as POST /orders and POST /orders/{id}/cancel.

Rules (this module; data.events.feed is the Redis side):
- an entry is acknowledged only after its transaction commits; a repeat changes nothing
  (an order is placed once per (source, external id); a cancel of a cancelled order is done);
- an entry that cannot be parsed goes to the dead letters at once; one that fails is left
  pending and retried when it is claimed again (XAUTOCLAIM after the idle time), and on
  its `max_deliveries`-th failed delivery goes to the dead letters — both acknowledged, and
  the next entry is processed;
- an outage (the database away: `is_outage`, told by the adapter) is no fault of the
  entry: the round stops there, the entry stays pending with its count of failed
  deliveries untouched by it, and the runner retries after a pause — so an hour without the
  database sends nothing to the dead letters;
- a cancel arriving before its confirm finds no order: it fails like any other entry, is
  retried (the confirm may still come: each retry waits the claim's idle time), and ends
  in the dead letters, where a manager retries it once the order exists.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from structlog.contextvars import bound_contextvars

from core.catalog.ports import CatalogLookups
from core.errors import Conflict, NotFound, ValidationError
from core.orders.orders import LineRequest, OrderRequest, cancel_order, log_placed, place_order
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.orders.ports import ShipTo
from core.orders.rules import OrderKind, Priority, Status

log = logging.getLogger(__name__)

STREAM = "listings:events:orders"
GROUP = "wms-consumers"
DEAD_LETTERS = "wms:events:dead-letter"
CONFIRMED, CANCELLED = "order.confirmed", "order.cancelled"
SHIP_TO_FIELDS = ("name", "phone", "address", "city", "postal_code", "country")
# What a dead letter adds to the entry's own fields (dropped again on a retry).
DEAD_LETTER_FIELDS = ("error", "entry_id")


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


@dataclass(frozen=True)
class Delivery:
    """One entry as read (or claimed) from the feed; `deliveries` counts this one."""

    entry_id: str
    fields: dict[str, str]
    deliveries: int = 1


Outcome = Literal["done", "retry", "dead"]


class OrderFeed(Protocol):
    """The stream side (data.events.feed.RedisOrderFeed)."""

    def claim(self, min_idle_ms: int, count: int) -> list[Delivery]:
        """Entries pending longer than `min_idle_ms` on any consumer, now this one's."""

    def read(self, count: int, block_ms: int) -> list[Delivery]:
        """New entries for this consumer, waiting up to `block_ms` for the first."""

    def ack(self, entry_id: str) -> None: ...
    def dead_letter(self, delivery: Delivery, error: str) -> None:
        """Copy the entry to the dead letters with `error` and `entry_id`, and acknowledge
        it, both at once."""


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


def _source_id(catalog: CatalogLookups, name: str) -> int:
    found = catalog.source_id_named(name)
    if found is None:
        raise ValidationError("source_not_found", f"Источник «{name}» не найден", field="source")
    return found


def _request(catalog: CatalogLookups, entry: FeedConfirm) -> OrderRequest:
    dc_id = None
    if entry.distribution_center is not None:
        dc_id = catalog.distribution_center_id_named(entry.distribution_center)
        if dc_id is None:
            raise ValidationError("distribution_center_not_found",
                                  f"РЦ «{entry.distribution_center}» не найден",
                                  field="distribution_center")  # fmt: skip
    return OrderRequest(
        entry.external_id, entry.kind, entry.lines, _source_id(catalog, entry.source),
        entry.priority, entry.carrier, entry.ship_to, dc_id,
    )  # fmt: skip


def confirm_from_feed(uow: FulfillmentUnitOfWork, entry: FeedConfirm) -> bool:
    """POST /orders's use case (place and reserve, one transaction), by names; True when
    the order is new, False when it was placed before (nothing changed)."""
    with uow:
        done = place_order(uow, _request(uow.catalog, entry), None, confirm=True)
        if not done.replayed:
            uow.commit()
    if not done.replayed:
        log_placed(done.order)
    return not done.replayed


def _status(make_uow: Callable[[], FulfillmentUnitOfWork], entry: FeedCancel) -> tuple[int, str]:
    with make_uow() as uow:
        order_id = uow.orders.by_external_id(_source_id(uow.catalog, entry.source),
                                             entry.external_id)  # fmt: skip
        head = uow.orders.head(order_id) if order_id is not None else None
    if head is None:
        raise NotFound("order_not_found",
                       f"Заказ {entry.external_id} ({entry.source}) не найден")  # fmt: skip
    return head.id, head.status


def cancel_from_feed(make_uow: Callable[[], FulfillmentUnitOfWork], entry: FeedCancel) -> bool:
    """POST /orders/{id}/cancel's use case, the order found by source and external id;
    False when it was cancelled already (a repeat: done, nothing changed)."""
    order_id, status = _status(make_uow, entry)
    if status == Status.CANCELLED:
        return False
    try:
        cancel_order(make_uow(), order_id, entry.reason, None)
    except Conflict:
        if _status(make_uow, entry)[1] == Status.CANCELLED:  # cancelled meanwhile
            return False
        raise
    return True


def never_an_outage(_error: Exception) -> bool:
    return False


def _failed(feed: OrderFeed, delivery: Delivery, error: Exception, max_deliveries: int,
            is_outage: Callable[[Exception], bool]) -> Outcome:  # fmt: skip
    if is_outage(error):
        raise error
    message = error.message if isinstance(error, ValidationError | Conflict | NotFound) \
        else f"{type(error).__name__}: {error}"  # fmt: skip
    if delivery.deliveries >= max_deliveries:
        return _dead(feed, delivery, message)
    log.warning("order feed entry %s failed (delivery %d): %s",
                delivery.entry_id, delivery.deliveries, message)  # fmt: skip
    return "retry"


def _dead(feed: OrderFeed, delivery: Delivery, message: str) -> Outcome:
    feed.dead_letter(delivery, message)
    # A person fixes the cause and retries it from the dead letters' page.
    log.error("order feed entry dead-lettered: %s", message,
              extra={"deliveries": delivery.deliveries})  # fmt: skip
    return "dead"


def handle(
    feed: OrderFeed, make_uow: Callable[[], FulfillmentUnitOfWork], delivery: Delivery,
    max_deliveries: int, is_outage: Callable[[Exception], bool] = never_an_outage,
    details: OrderDetails | None = None,
) -> Outcome:  # fmt: skip
    """One delivery: applied and acknowledged, left pending for a retry, or dead-lettered.
    An outage is raised: the caller stops the round and pauses. With `details`, an entry
    without items or address is completed from the services first. Its lines carry the
    entry's ids, type and order id (the marketplace's: `external_id`)."""
    fields = delivery.fields
    with bound_contextvars(entry_id=delivery.entry_id, event_id=fields.get("event_id"),
                           event_type=fields.get("type"),
                           external_id=fields.get("order_id")):  # fmt: skip
        return _handle(feed, make_uow, delivery, max_deliveries, is_outage, details)


def _handle(
    feed: OrderFeed, make_uow: Callable[[], FulfillmentUnitOfWork], delivery: Delivery,
    max_deliveries: int, is_outage: Callable[[Exception], bool],
    details: OrderDetails | None,
) -> Outcome:  # fmt: skip
    try:
        entry = parse_entry(delivery.fields if details is None
                            else complete(delivery.fields, details))  # fmt: skip
    except MalformedEntry as error:
        return _dead(feed, delivery, error.message)
    except Exception as error:  # a service failed or refused: retried like a rule
        return _failed(feed, delivery, error, max_deliveries, is_outage)
    try:
        if isinstance(entry, FeedConfirm):
            confirm_from_feed(make_uow(), entry)
        else:
            cancel_from_feed(make_uow, entry)
    except Exception as error:  # a rule refused it, or the database failed: retried
        return _failed(feed, delivery, error, max_deliveries, is_outage)
    feed.ack(delivery.entry_id)  # after the commit: a crash before it means a repeat
    return "done"


@dataclass
class FeedRound:
    done: int = 0
    retry: int = 0
    dead: int = 0


def run_round(
    feed: OrderFeed, make_uow: Callable[[], FulfillmentUnitOfWork], *, claim_idle_ms: int,
    max_deliveries: int, count: int = 100, block_ms: int = 1000,
    is_outage: Callable[[Exception], bool] = never_an_outage,
    details: OrderDetails | None = None,
) -> FeedRound:  # fmt: skip
    """Claimed entries (a dead consumer's, or this one's own failures due again) first,
    then new ones."""
    result = FeedRound()
    claimed = feed.claim(claim_idle_ms, count)
    fresh = feed.read(count, 0 if claimed else block_ms)
    for delivery in [*claimed, *fresh]:
        outcome = handle(feed, make_uow, delivery, max_deliveries, is_outage, details)
        setattr(result, outcome, getattr(result, outcome) + 1)
    return result
