"""The events' housekeeping, run by the daily job (data.daily_job): rows nobody reads any
more are deleted once older than `Settings.events_keep_days`, so the outbox and the
callbacks' records do not grow for ever.

- `callback_delivery`: a consumer reads only events above its watermark (`since_id`,
  data.events.callbacks), so its records at or below it serve only the /events page's
  recent history.
- `outbox_event`: an event already published to Redis and below every callback consumer's
  watermark is read by nobody. An unpublished event is never deleted (nothing is lost:
  without Redis the events wait in the outbox, DESIGN.md §3).
"""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from data.models import UtcDateTime

PRUNE_DELIVERIES = sa.text(
    "DELETE FROM callback_delivery WHERE at < :cut AND outbox_id <= ("
    "SELECT c.since_id FROM callback_consumer c WHERE c.name = callback_delivery.consumer)"
).bindparams(sa.bindparam("cut", type_=UtcDateTime()))
# ix_outbox_event_unpublished (published_at, id) finds the old published ones.
PRUNE_OUTBOX = sa.text(
    "DELETE FROM outbox_event WHERE published_at IS NOT NULL AND published_at < :cut "
    "AND id <= coalesce((SELECT min(since_id) FROM callback_consumer), id)"
).bindparams(sa.bindparam("cut", type_=UtcDateTime()))


def prune_events(conn: Connection, cut: datetime) -> tuple[int, int]:
    """Delete, in the caller's transaction, what is older than `cut` and read by nobody.
    Returns (callback records, outbox events) deleted."""
    deliveries = conn.execute(PRUNE_DELIVERIES, {"cut": cut}).rowcount
    events = conn.execute(PRUNE_OUTBOX, {"cut": cut}).rowcount
    return deliveries, events
