"""Callbacks to other services as outbox consumers (DESIGN.md §3): each consumer reads
the committed outbox events of its kinds that it has not handled yet, in id order, calls
its service (data.events.services: retries, a circuit breaker) and only then records the
event as handled — with whatever the answer changes (a tracking number) in that same
short transaction. At least once: a crash between the call and the record repeats the
call with the same event_id, which the receiver deduplicates. No floor transaction ever
waits on a service, and Redis plays no part (the relay's `published_at` is not read).

A consumer stops at the first event its service fails (the later ones wait, in order)
and the loop backs off; an event the service refuses (a 4xx) is recorded `rejected` with
the answer and the next one goes on. When first started a consumer begins at the end of
the outbox (history is not called back). Its watermark `since_id` moves past handled
events once no transaction can still commit an id below it (the grace period), so a
round reads only the recent tail of the outbox.

One dispatcher calls back at a time, so two app processes do not call a service twice
for one event: on PostgreSQL a round holds the session-level advisory lock CALLBACK_LOCK
(taken and committed at once: no transaction stays open during the calls; a process
that dies releases it with its connection), and a process-local lock besides.
"""

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from structlog.contextvars import bound_contextvars
from tenacity import wait_exponential

from data.db import is_sqlite
from data.events.relay import _State, event_id
from data.events.services import Rejected, Transient
from data.models import UtcDateTime

log = logging.getLogger(__name__)

BATCH = 100
GRACE_SECONDS = 60.0  # longer than any transaction between taking an outbox id and commit

PENDING = (
    sa.text(
        "SELECT o.id, o.event_type, o.payload, o.created_at FROM outbox_event o "
        "WHERE o.event_type IN :kinds AND o.id > :since AND NOT EXISTS ("
        "SELECT 1 FROM callback_delivery d WHERE d.consumer = :c AND d.outbox_id = o.id) "
        "ORDER BY o.id LIMIT :n"
    )
    .bindparams(sa.bindparam("kinds", expanding=True))
    .columns(created_at=UtcDateTime())
)
RECORD = sa.text(
    "INSERT INTO callback_delivery (consumer, outbox_id, outcome, detail, at) "
    "VALUES (:c, :id, :outcome, :detail, :at) ON CONFLICT DO NOTHING"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))
TOP = sa.text("SELECT coalesce(max(id), 0) FROM outbox_event")
CALLBACK_LOCK = 0x574D5343  # "WMSC"
_LOCAL_LOCK = threading.Lock()


@dataclass(frozen=True)
class Event:
    outbox_id: int
    event_type: str
    payload: dict[str, Any]
    created_at: datetime

    @property
    def event_id(self) -> str:
        return event_id(self.outbox_id)  # the relay's: one id per event everywhere


@dataclass(frozen=True)
class Outcome:
    outcome: str  # delivered | skipped | rejected (a consumer that records its refusal)
    detail: str = ""
    # What the answer changes, in the transaction that records the delivery.
    apply: Callable[[Connection], None] | None = None


@dataclass(frozen=True)
class Consumer:
    name: str
    kinds: tuple[str, ...]
    handle: Callable[[Event], Outcome]  # raises Transient (later) or Rejected (never)


class Dispatcher:
    def __init__(self, engine: Engine, consumers: Sequence[Consumer], *, batch: int = BATCH,
                 grace: float = GRACE_SECONDS) -> None:  # fmt: skip
        self.engine = engine
        self.consumers = tuple(consumers)
        self.batch = batch
        self.grace = grace
        self._marks: deque[tuple[float, int]] = deque()  # (when, the outbox's top id then)
        self._safe = 0  # every outbox id up to this has committed or never will
        self.delivered = 0
        self._started = False
        self._waiting: set[str] = set()  # consumers whose service failed: logged once

    def start(self) -> None:
        """Register the consumers that are new at the end of the outbox (the first round
        does it when not called before)."""
        with self.engine.begin() as conn:
            top = conn.execute(TOP).scalar_one()
            known = set(conn.execute(sa.text("SELECT name FROM callback_consumer")).scalars())
            for c in self.consumers:
                if c.name not in known:
                    conn.execute(sa.text("INSERT INTO callback_consumer (name, since_id) "
                                         "VALUES (:c, :s) ON CONFLICT DO NOTHING"),
                                 {"c": c.name, "s": top})  # fmt: skip
        self._started = True

    def round(self) -> bool:
        """Each consumer's waiting events, a batch each; False when a service failed
        (its events wait for the next round). True at once while another dispatcher
        (thread or process) holds the lock."""
        if not _LOCAL_LOCK.acquire(blocking=False):
            return True
        try:
            if is_sqlite(self.engine):
                return self._round()
            with self.engine.connect() as conn:
                taken = conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"),
                                     {"k": CALLBACK_LOCK}).scalar()  # fmt: skip
                conn.commit()
                if not taken:
                    return True
                try:
                    return self._round()
                finally:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": CALLBACK_LOCK})
                    conn.commit()
        finally:
            _LOCAL_LOCK.release()

    def _round(self) -> bool:
        if not self._started:
            self.start()
        self._mark()
        ok = True
        for consumer in self.consumers:
            ok = self._consume(consumer) and ok
        return ok

    def _mark(self) -> None:
        now = time.monotonic()
        with self.engine.connect() as conn:
            self._marks.append((now, conn.execute(TOP).scalar_one()))
        while self._marks and self._marks[0][0] <= now - self.grace:
            self._safe = self._marks.popleft()[1]

    def _consume(self, c: Consumer) -> bool:
        with self.engine.connect() as conn:
            since = conn.execute(sa.text("SELECT since_id FROM callback_consumer WHERE name = :c"),
                                 {"c": c.name}).scalar_one()  # fmt: skip
            rows = conn.execute(PENDING, {"kinds": list(c.kinds), "since": since, "c": c.name,
                                          "n": self.batch}).all()  # fmt: skip
        upto = self._safe  # handled (or not its kind) up to here
        for row in rows:
            event = Event(row.id, row.event_type, json.loads(row.payload), row.created_at)
            with bound_contextvars(**_ids(event)):
                outcome = self._call(c, event)
                if outcome is None:
                    self._advance(c.name, since, min(upto, row.id - 1))
                    return False
                self._record(c.name, event, outcome)
        if len(rows) == self.batch:
            upto = min(upto, rows[-1].id)
        self._advance(c.name, since, upto)
        return True

    def _call(self, c: Consumer, event: Event) -> Outcome | None:
        """The consumer's outcome; None when its service failed (the event waits)."""
        try:
            outcome = c.handle(event)
        except Rejected as exc:  # the service refused it: a person looks into it (/events)
            log.error("callback %s: refused: %s", c.name, exc)
            return Outcome("rejected", str(exc)[:500])
        except Transient as exc:  # an outage: said once, then again when it is over
            if c.name not in self._waiting:
                log.warning("callback %s: the service failed, events wait: %s", c.name, exc)
                self._waiting.add(c.name)
            return None
        if c.name in self._waiting:
            self._waiting.discard(c.name)
            log.info("callback %s: the service answers again", c.name)
        if outcome.outcome == "rejected":
            log.error("callback %s: refused: %s", c.name, outcome.detail)
        else:
            log.info("callback %s: %s", c.name, outcome.outcome)
        return outcome

    def _record(self, consumer: str, event: Event, outcome: Outcome) -> None:
        with self.engine.begin() as conn:
            done = conn.execute(RECORD, {"c": consumer, "id": event.outbox_id,
                                         "outcome": outcome.outcome,
                                         "detail": outcome.detail[:500],
                                         "at": datetime.now(UTC)}).rowcount  # fmt: skip
            if done and outcome.apply is not None:
                outcome.apply(conn)
        if outcome.outcome == "delivered":
            self.delivered += 1

    def _advance(self, consumer: str, since: int, upto: int) -> None:
        if upto > since:
            with self.engine.begin() as conn:
                conn.execute(sa.text("UPDATE callback_consumer SET since_id = :u "
                                     "WHERE name = :c AND since_id < :u"),
                             {"u": upto, "c": consumer})  # fmt: skip


def _ids(event: Event) -> dict[str, Any]:
    """What a callback's log lines carry: the event, its order (the marketplace's id) and
    task."""
    p = event.payload
    return {"event_id": event.event_id, "event_type": event.event_type,
            "external_id": p.get("order_id"),
            "task_id": _number(p.get("task_id") or p.get("shipment_id"))}  # fmt: skip


def _number(value: Any) -> Any:
    return int(value) if isinstance(value, str) and value.isdigit() else value


def run_forever(dispatcher: Dispatcher, stop: threading.Event, idle: float = 0.5,
                max_wait: float = 5.0) -> None:  # fmt: skip
    """The dispatcher's loop (a worker thread): a round, sleep `idle`, again. A failing
    service or database makes it back off exponentially up to `max_wait` seconds — short,
    as the other service's events wait too, and an open breaker costs no request; it
    resumes by itself."""
    backoff = wait_exponential(multiplier=0.5, max=max_wait)
    failures = 0
    while not stop.is_set():
        try:
            ok = dispatcher.round()
        except (sa.exc.DBAPIError, OSError) as exc:
            if failures == 0:
                log.warning("callbacks: paused, the database failed (%s)", exc)
            ok = False
        except Exception:  # a bug in a handler: logged, the loop goes on
            log.exception("callbacks: a round failed")
            ok = False
        if ok:
            failures = 0
            stop.wait(idle)
            continue
        failures += 1
        stop.wait(backoff(_State(failures)))
