"""The outbox relay (DESIGN.md §3, §7): committed outbox rows → Redis Streams.

Rows are read in id order, a batch at a time; each §7 event (core.events.CONTRACT) is one
XADD to its stream with every value a string: `type`, `event_id` ("wms-<outbox id>", the
same on a re-publish), `timestamp` (Unix seconds of the fact) and the contract's fields.
A batch is one pipeline (no MULTI), then its rows are marked published in one statement:
at least once — a crash between the two repeats the batch, with the same event_ids. A
stream gets its entries in outbox id order: commit order for changes of one order, task or
quant (their writers hold its row), while two unrelated transactions may commit in the
other order than their ids. Rows of other types (movement.posted,
import.applied: the WMS's own facts, their §7 side is written beside them as
inventory.*) are marked published without sending.

One relay at a time: on PostgreSQL each round holds the transaction-level advisory lock
RELAY_LOCK (pg_try_advisory_xact_lock; a second process finds it taken and waits), on SQLite a
process-local lock. Redis down: `publish_round` raises, the caller (`run_forever`) logs
once, backs off exponentially (capped) and tries again; the outbox just grows.
"""

import json
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from tenacity import wait_exponential

from core.events import CONTRACT
from data.db import is_sqlite, read_connection, write_connection
from data.events.status import RELAY_HEALTH, Health
from data.models import UtcDateTime

log = logging.getLogger(__name__)

BATCH = 1000
RELAY_LOCK = 0x574D5352  # "WMSR": the advisory lock key of the relay
_LOCAL_LOCK = threading.Lock()

# `after`: past the batch just marked, until a read finds nothing. On PostgreSQL marking a
# row leaves its old (NULL, id) entry in ix_outbox_event_unpublished until vacuum; a read
# from the start would step over every entry marked so far (a 100,000-event backlog
# drained at a third of the speed of a 30,000 one, bench/events.py). A row committed late
# with a lower id is read once a read finds nothing and the next starts from 0 again.
UNPUBLISHED = sa.text(
    "SELECT id, event_type, payload, created_at FROM outbox_event "
    "WHERE published_at IS NULL AND id > :after ORDER BY id LIMIT :n"
).columns(created_at=UtcDateTime())
MARK = sa.text(
    "UPDATE outbox_event SET published_at = :at WHERE id IN :ids AND published_at IS NULL"
).bindparams(sa.bindparam("ids", expanding=True), sa.bindparam("at", type_=UtcDateTime()))
# PostgreSQL: the batch's ids as one array parameter (a thousand binds cost more).
MARK_PG = sa.text(
    "UPDATE outbox_event SET published_at = :at WHERE id = ANY(:ids) AND published_at IS NULL"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))
# PostgreSQL: the lock first, in a statement of its own, and the mark's commit not waiting
# for the WAL flush — a mark lost in a database crash only means its batch is published
# again, with the same event_ids. Not one statement with the read: a statement's snapshot
# is taken before its lock is, so a relay that got the lock the instant another released
# it would read that one's batch as still unpublished and send it twice (the two-relays
# test caught it under load). The lock ends with the transaction.
TAKE_LOCK = sa.text(
    "SELECT pg_try_advisory_xact_lock(:k), set_config('synchronous_commit', 'off', true)"
)


def _now() -> datetime:
    return datetime.now().astimezone()


def event_id(outbox_id: int) -> str:
    return f"wms-{outbox_id}"


def entry(outbox_id: int, event_type: str, payload: str, created_at: datetime
          ) -> tuple[str, dict[str, str]] | None:  # fmt: skip
    """The stream and fields of an outbox row; None when it is not a §7 event."""
    spec = CONTRACT.get(event_type)
    if spec is None:
        return None
    stream, names = spec
    data = json.loads(payload)
    fields = {"type": event_type, "event_id": event_id(outbox_id),
              "timestamp": str(int(created_at.timestamp()))}  # fmt: skip
    for name in names:
        fields[name] = str(data.get(name, ""))
    return stream, fields


class Relay:
    """Publishes the outbox of one database to one Redis."""

    def __init__(self, engine: Engine, client: redis.Redis, batch: int = BATCH) -> None:
        self.engine = engine
        self.client = client
        self.batch = batch
        self.published = 0  # entries sent by this relay (repeats after a crash included)
        self._after = 0  # the last id marked since the outbox was last found empty
        # A test hook: runs after the XADDs of a batch, before its rows are marked.
        self.after_send: Callable[[], None] | None = None

    def publish_round(self) -> int:
        """One batch: the rows handled (0: nothing waiting, or another relay holds the
        lock). Raises redis.RedisError when Redis is unreachable; nothing is marked."""
        if is_sqlite(self.engine):
            if not _LOCAL_LOCK.acquire(blocking=False):
                return 0
            try:
                return self._round()
            finally:
                _LOCAL_LOCK.release()
        return self._round()

    def _round(self) -> int:
        if is_sqlite(self.engine):
            return self._round_sqlite()
        with self.engine.begin() as conn:
            if not conn.execute(TAKE_LOCK, {"k": RELAY_LOCK}).scalar():
                return 0  # another process relays now
            rows = conn.execute(UNPUBLISHED, {"after": self._after, "n": self.batch}).all()
            if rows:
                self._send(rows)
                conn.execute(MARK_PG, {"ids": [r.id for r in rows], "at": _now()})
        self._after = rows[-1].id if rows else 0  # at the end: from the start next time
        return len(rows)

    def _round_sqlite(self) -> int:
        """The read and the mark in two transactions. One deferred transaction that reads
        and later writes fails with SQLITE_BUSY whenever the floor commits in between (its
        snapshot is stale: the batch went out again and the relay backed off, seconds of
        lag at 200 events/s, bench/event_latency.py); one BEGIN IMMEDIATE would hold the
        floor's writers for the Redis round trip. The rows read are committed, and the
        process-local lock keeps this the only relay."""
        with read_connection(self.engine) as conn:
            rows = conn.execute(UNPUBLISHED, {"after": self._after, "n": self.batch}).all()
        if not rows:
            self._after = 0  # at the end: from the start next time
            return 0
        self._send(rows)
        with write_connection(self.engine) as conn, conn.begin():
            conn.execute(MARK, {"ids": [r.id for r in rows], "at": _now()})
        self._after = rows[-1].id
        return len(rows)

    def _send(self, rows: Sequence[sa.Row[Any]]) -> None:
        """The §7 entries of `rows` in one pipeline (no MULTI)."""
        pipe = self.client.pipeline(transaction=False)
        sent = 0
        for row in rows:
            found = entry(row.id, row.event_type, row.payload, row.created_at)
            if found is not None:
                stream, fields = found
                pipe.xadd(stream, fields)  # type: ignore[arg-type]
                sent += 1
        if sent:
            pipe.execute()
            if log.isEnabledFor(logging.DEBUG):  # a batch a line: DEBUG, not the floor's INFO
                log.debug("event relay: published a batch",
                          extra={"events": sent, "first_event_id": event_id(rows[0].id),
                                 "last_event_id": event_id(rows[-1].id)})  # fmt: skip
        if self.after_send is not None:
            self.after_send()
        self.published += sent

    def drain(self) -> int:
        """Rounds until nothing is waiting (or another relay holds the lock)."""
        self._after = 0
        total = 0
        while n := self.publish_round():
            total += n
        return total


def run_forever(relay: Relay, stop: threading.Event, idle: float = 0.2,
                max_wait: float = 5.0, health: Health = RELAY_HEALTH) -> None:  # fmt: skip
    """The relay's loop (a worker thread): drain, sleep `idle`, again. A Redis or database
    failure is logged once per outage and retried with exponential backoff up to
    `max_wait` seconds; publishing resumes by itself when the service is back. `health`
    tells the events page how it goes."""
    backoff = wait_exponential(multiplier=0.1, max=max_wait)
    failures = 0
    while not stop.is_set():
        try:
            relay.drain()
            health.ok()
        except (redis.RedisError, sa.exc.DBAPIError, OSError) as exc:
            health.failed(exc)
            failures += 1
            if failures == 1:
                log.warning("event relay: publishing paused (%s); the outbox keeps the events",
                            exc)  # fmt: skip
            stop.wait(backoff(_State(failures)))
            continue
        if failures:
            log.info("event relay: publishing resumed after %d failed attempts", failures)
            failures = 0
        stop.wait(idle)
    health.stopped()


class _State:
    """The part of tenacity's RetryCallState its wait strategies read."""

    def __init__(self, attempt_number: int) -> None:
        self.attempt_number = attempt_number


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)


def unpublished_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM outbox_event WHERE published_at IS NULL")
        ).scalar_one()
