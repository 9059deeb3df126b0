"""What the events page shows (ui/pages/system/events.py): the outbox's backlog read from
the database, the order feed's group read from Redis, and how this process's own relay and
feed consumer are doing (`HEALTH`, kept by their loops)."""

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.orders.feed import DEAD_LETTERS, GROUP, STREAM
from data.models import UtcDateTime

# Both use ix_outbox_event_unpublished (published_at, id): the waiting rows are its NULL
# end, the newest publication its other end.
WAITING = sa.text(
    "SELECT count(*) AS n, min(created_at) AS oldest FROM outbox_event WHERE published_at IS NULL"
).columns(oldest=UtcDateTime())
LAST_PUBLISHED = sa.text("SELECT max(published_at) AS at FROM outbox_event").columns(
    at=UtcDateTime()
)


@dataclass(frozen=True)
class OutboxStatus:
    waiting: int  # events committed, not yet on their stream
    oldest_waiting: datetime | None  # when the oldest of them happened
    last_published: datetime | None


def waiting_events(conn: Connection) -> tuple[int, datetime | None]:
    """How many events wait in the outbox and when the oldest of them happened (/events,
    /metrics, /alerts)."""
    row = conn.execute(WAITING).one()
    return int(row.n), row.oldest


def outbox_status(engine: Engine) -> OutboxStatus:
    with engine.connect() as conn:
        waiting, oldest = waiting_events(conn)
        last = conn.execute(LAST_PUBLISHED).scalar()
    return OutboxStatus(waiting, oldest, last)


@dataclass(frozen=True)
class FeedStatus:
    length: int  # entries in the feed's stream
    lag: int | None  # entries the group has not read yet (None: Redis cannot tell)
    pending: int  # read, not yet acknowledged
    consumers: int
    dead_letters: int


def feed_group(client: "redis.Redis[str]", stream: str = STREAM) -> dict[str, object] | None:
    """XINFO GROUPS's line for `wms-consumers` (name, consumers, pending, lag...); None while
    the stream or the group does not exist."""
    try:
        groups = client.xinfo_groups(stream)
    except redis.ResponseError:  # no such stream yet
        return None
    return next((g for g in groups if g.get("name") == GROUP), None)


def feed_status(client: "redis.Redis[str]", *, stream: str = STREAM,
                dead_letters: str = DEAD_LETTERS) -> FeedStatus:  # fmt: skip
    """The group `wms-consumers` on the feed; zeros before the group exists."""
    with client.pipeline(transaction=False) as pipe:
        pipe.exists(stream)
        pipe.xlen(stream)
        pipe.xlen(dead_letters)
        exists, length, dead = pipe.execute()
    group = feed_group(client, stream) if exists else None
    group = group or {}
    lag = group.get("lag") if group else length
    return FeedStatus(
        length=int(length),
        lag=None if lag is None else int(lag),  # type: ignore[call-overload]
        pending=int(group.get("pending", 0)),  # type: ignore[call-overload]
        consumers=int(group.get("consumers", 0)),  # type: ignore[call-overload]
        dead_letters=int(dead),
    )


@dataclass
class Health:
    """A background loop's last outcome: written by its thread, read by pages."""

    name: str
    running: bool = False
    failures: int = 0  # failed rounds in a row
    last_error: str = ""
    last_error_at: datetime | None = None
    last_ok_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def ok(self) -> None:
        with self._lock:
            self.running, self.failures, self.last_ok_at = True, 0, datetime.now(UTC)

    def failed(self, error: BaseException) -> None:
        with self._lock:
            self.running = True
            self.failures += 1
            self.last_error = f"{type(error).__name__}: {error}"[:300]
            self.last_error_at = datetime.now(UTC)

    def stopped(self) -> None:
        with self._lock:
            self.running = False

    def reset(self) -> None:
        """As before the loop's first round (a new app in the same process: tests)."""
        with self._lock:
            self.running, self.failures, self.last_error = False, 0, ""
            self.last_error_at = self.last_ok_at = None


# This process's loops (ui.event_relay, ui.order_feed).
RELAY_HEALTH = Health("relay")
FEED_HEALTH = Health("feed")
