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
  in the dead letters, where a manager retries it once the order exists;
- the confirms of a round are placed in one transaction, each in a savepoint of its own
  (`place_batch`): one commit (its WAL flush) and one XACK for all of them, not one each.
  An entry that fails rolls back only its
  savepoint and is handled as above (one whose rows another transaction holds is applied
  again alone after the commit); an order and its outbox events still commit together,
  and an entry is acknowledged only after that commit (a crash between the two is a
  replay). A cancel ends the batch before it: entries are applied in the feed's order.
"""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Literal, Protocol

from structlog.contextvars import bound_contextvars

from core.catalog.ports import CatalogLookups
from core.errors import Conflict, NotFound, ValidationError
from core.orders.feed_entries import (
    CANCELLED,
    CONFIRMED,
    FeedCancel,
    FeedConfirm,
    MalformedEntry,
    OrderDetails,
    complete,
    parse_entry,
)  # fmt: skip
from core.orders.orders import OrderRequest, Placed, cancel_order, log_placed, place_new
from core.orders.picking_ports import FulfillmentUnitOfWork
from core.orders.rules import Status

__all__ = ["CANCELLED", "CONFIRMED", "FeedCancel", "FeedConfirm", "MalformedEntry",
           "OrderDetails", "complete", "parse_entry"]  # fmt: skip

log = logging.getLogger(__name__)

STREAM = "listings:events:orders"
GROUP = "wms-consumers"
DEAD_LETTERS = "wms:events:dead-letter"
# What a dead letter adds to the entry's own fields (dropped again on a retry).
DEAD_LETTER_FIELDS = ("error", "entry_id")
LOCK_WAIT_MS = 50
# Confirms a transaction at most: its savepoints stay well under the 64 subtransactions
# PostgreSQL caches per backend (beyond, every snapshot elsewhere gets slower).
BATCH_SIZE = 20
RULES = (ValidationError, Conflict, NotFound)  # a refusal of the entry itself


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

    def ack(self, *entry_ids: str) -> None:
        """Acknowledge these entries, all in one command."""

    def dead_letter(self, delivery: Delivery, error: str) -> None:
        """Copy the entry to the dead letters with `error` and `entry_id`, and acknowledge
        it, both at once."""


class FeedUnitOfWork(FulfillmentUnitOfWork, Protocol):
    def savepoint(self) -> AbstractContextManager[None]:
        """Work that raises inside is undone alone; the transaction goes on without it."""

    def wait_for_locks(self, ms: int) -> None:
        """From now on a row another transaction holds is waited for at most `ms`."""


def _source_id(catalog: CatalogLookups, name: str, known: dict[str, int] | None = None) -> int:
    found = known.get(name) if known is not None else None
    if found is None:
        found = catalog.source_id_named(name)
    if found is None:
        raise ValidationError("source_not_found", f"Источник «{name}» не найден", field="source")
    if known is not None:
        known[name] = found
    return found


def _request(catalog: CatalogLookups, entry: FeedConfirm,
             sources: dict[str, int] | None = None) -> OrderRequest:  # fmt: skip
    dc_id = None
    if entry.distribution_center is not None:
        dc_id = catalog.distribution_center_id_named(entry.distribution_center)
        if dc_id is None:
            raise ValidationError("distribution_center_not_found",
                                  f"РЦ «{entry.distribution_center}» не найден",
                                  field="distribution_center")  # fmt: skip
    return OrderRequest(
        entry.external_id, entry.kind, entry.lines, _source_id(catalog, entry.source, sources),
        entry.priority, entry.carrier, entry.ship_to, dc_id,
    )  # fmt: skip


def confirm_from_feed(uow: FulfillmentUnitOfWork, entry: FeedConfirm) -> bool:
    """POST /orders's use case (place and reserve, one transaction), by names; True when
    the order is new, False when it was placed before (nothing changed)."""
    with uow:
        placed = place_new(uow, _request(uow.catalog, entry))
        if placed is not None:
            uow.commit()
    if placed is not None:
        log_placed(placed)
    return placed is not None


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


def _bound(delivery: Delivery) -> AbstractContextManager[None]:
    """Log lines about an entry carry its ids, type and order id (the marketplace's:
    `external_id`)."""
    fields = delivery.fields
    return bound_contextvars(entry_id=delivery.entry_id, event_id=fields.get("event_id"),
                             event_type=fields.get("type"),
                             external_id=fields.get("order_id"))  # fmt: skip


def _prepare(
    feed: OrderFeed, delivery: Delivery, max_deliveries: int,
    is_outage: Callable[[Exception], bool], details: OrderDetails | None,
) -> FeedConfirm | FeedCancel | Outcome:  # fmt: skip
    """The entry parsed (completed from the services first, with `details`), or its
    outcome when it cannot be applied now."""
    try:
        return parse_entry(delivery.fields if details is None
                           else complete(delivery.fields, details))  # fmt: skip
    except MalformedEntry as error:
        return _dead(feed, delivery, error.message)
    except Exception as error:  # a service failed or refused: retried like a rule
        return _failed(feed, delivery, error, max_deliveries, is_outage)


def _apply(
    feed: OrderFeed, make_uow: Callable[[], FulfillmentUnitOfWork], delivery: Delivery,
    entry: FeedConfirm | FeedCancel, max_deliveries: int,
    is_outage: Callable[[Exception], bool],
) -> Outcome:  # fmt: skip
    """One entry in a transaction of its own: applied and acknowledged, left pending for
    a retry, or dead-lettered. An outage is raised: the caller stops the round and pauses."""
    with _bound(delivery):
        try:
            if isinstance(entry, FeedConfirm):
                confirm_from_feed(make_uow(), entry)
            else:
                cancel_from_feed(make_uow, entry)
        except Exception as error:  # a rule refused it, or the database failed: retried
            return _failed(feed, delivery, error, max_deliveries, is_outage)
        feed.ack(delivery.entry_id)  # after the commit: a crash before it means a repeat
        return "done"


Batch = list[tuple[Delivery, FeedConfirm]]


def place_batch(
    feed: OrderFeed, make_uow: Callable[[], FeedUnitOfWork], batch: Batch,
    max_deliveries: int, is_outage: Callable[[Exception], bool] = never_an_outage,
) -> list[Outcome]:  # fmt: skip
    """Confirms placed in one transaction, each in a savepoint of its own, then all
    acknowledged at once. An entry a rule refuses is handled as alone (retried, or
    dead-lettered on its last delivery); one that failed otherwise (its stock held by
    another transaction for longer than LOCK_WAIT_MS, say) is applied again alone after
    the commit. An outage
    raises with nothing committed or acknowledged; any other failure of the transaction
    as a whole (its commit) leaves each entry to a transaction of its own."""
    if len(batch) < 2:
        return [_apply(feed, make_uow, d, e, max_deliveries, is_outage) for d, e in batch]
    placed: list[tuple[Delivery, Placed | None]] = []  # None: placed before (a repeat)
    refused: list[tuple[Delivery, Exception]] = []
    again: Batch = []
    try:
        with make_uow() as uow:
            # A batch waiting on another's rows would hold its own meanwhile (convoys,
            # deadlocks): an order that finds its stock held is applied alone, later.
            uow.wait_for_locks(LOCK_WAIT_MS)
            sources: dict[str, int] = {}
            for delivery, entry in batch:
                try:
                    with _bound(delivery), uow.savepoint():
                        order = place_new(uow, _request(uow.catalog, entry, sources))
                except RULES as error:
                    refused.append((delivery, error))
                    continue
                except Exception as error:
                    if is_outage(error):
                        raise
                    again.append((delivery, entry))
                    continue
                placed.append((delivery, order))
            if any(order is not None for _, order in placed):
                uow.commit()
    except Exception as error:
        if is_outage(error):
            raise
        log.warning("a batch of %d feed entries failed as a whole (%s): each alone",
                    len(batch), error)  # fmt: skip
        return [_apply(feed, make_uow, d, e, max_deliveries, is_outage) for d, e in batch]
    if placed:
        feed.ack(*(delivery.entry_id for delivery, _ in placed))  # after the commit
    outcomes: list[Outcome] = []
    for delivery, order in placed:
        if order is not None:
            with _bound(delivery):
                log_placed(order)
        outcomes.append("done")
    for delivery, error in refused:
        with _bound(delivery):
            outcomes.append(_failed(feed, delivery, error, max_deliveries, is_outage))
    outcomes += [_apply(feed, make_uow, d, e, max_deliveries, is_outage) for d, e in again]
    return outcomes


@dataclass
class FeedRound:
    done: int = 0
    retry: int = 0
    dead: int = 0

    def add(self, outcome: Outcome) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def run_round(
    feed: OrderFeed, make_uow: Callable[[], FeedUnitOfWork], *, claim_idle_ms: int,
    max_deliveries: int, count: int = 100, block_ms: int = 1000,
    is_outage: Callable[[Exception], bool] = never_an_outage,
    details: OrderDetails | None = None, batch_size: int = BATCH_SIZE,
) -> FeedRound:  # fmt: skip
    """Claimed entries (a dead consumer's, or this one's own failures due again) first,
    then new ones; confirms in batches (place_batch), a cancel alone after the confirms
    before it."""
    result = FeedRound()
    batch: Batch = []

    def flush() -> None:
        for outcome in place_batch(feed, make_uow, batch, max_deliveries, is_outage):
            result.add(outcome)
        batch.clear()

    claimed = feed.claim(claim_idle_ms, count)
    fresh = feed.read(count, 0 if claimed else block_ms)
    for delivery in [*claimed, *fresh]:
        try:
            with _bound(delivery):
                entry = _prepare(feed, delivery, max_deliveries, is_outage, details)
        except Exception:  # an outage: the entries before it are still applied
            flush()
            raise
        if isinstance(entry, FeedConfirm):
            batch.append((delivery, entry))
            if len(batch) >= batch_size:
                flush()
        elif isinstance(entry, FeedCancel):
            flush()
            result.add(_apply(feed, make_uow, delivery, entry, max_deliveries, is_outage))
        else:
            result.add(entry)
    flush()
    return result
