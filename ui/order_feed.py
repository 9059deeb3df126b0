"""The order feed's consumer (core.orders.feed over data.events.feed), started with the
app when WMS_REDIS_URL is set and stopped on shutdown.

It runs in a thread of its own (its reads block up to a second on Redis), never on the
event loop. Redis or the database down: the round's error is logged and the next round
waits longer (1 s doubling to 30 s), so the app keeps serving and the feed resumes by
itself; an entry whose round failed stays pending and is claimed again.
"""

import logging
import threading

import redis
from nicegui import app

from core.orders.feed import OrderDetails, run_round
from core.settings import Settings
from data.database import Database
from data.events.carriers import DELIVERY, LISTINGS
from data.events.feed import RedisOrderFeed, connect
from data.events.order_details import ServiceDetails
from data.events.services import Transient, registered
from data.events.status import FEED_HEALTH
from ui.context import AppContext
from ui.failures import database_away

log = logging.getLogger(__name__)

MAX_BACKOFF = 30.0


class FeedConsumer:
    def __init__(self, db: Database, settings: Settings, *, stream: str | None = None,
                 dead_letters: str | None = None, block_ms: int = 1000,
                 details: OrderDetails | None = None) -> None:  # fmt: skip
        assert settings.redis_url, "the feed needs WMS_REDIS_URL"
        keys = {k: v for k, v in (("stream", stream), ("dead_letters", dead_letters)) if v}
        self.feed = RedisOrderFeed(connect(settings.redis_url), settings.feed_consumer, **keys)
        self.db, self.settings, self.block_ms = db, settings, block_ms
        self.details = details
        self._stop = threading.Event()
        self.health = FEED_HEALTH
        self._thread: threading.Thread | None = None

    def run_once(self) -> None:
        run_round(
            self.feed, self.db.unit_of_work,
            claim_idle_ms=int(self.settings.feed_claim_idle_seconds * 1000),
            max_deliveries=self.settings.feed_max_deliveries, block_ms=self.block_ms,
            is_outage=feed_outage, details=self.details,
        )  # fmt: skip

    def _loop(self) -> None:
        backoff = 0.0
        while not self._stop.is_set():
            try:
                self.run_once()
                if self.health.failures:
                    log.info("the order feed resumed after %d failed rounds", self.health.failures)
                self.health.ok()
                backoff = 0.0
            except Exception as error:
                self.health.failed(error)
                backoff = min(MAX_BACKOFF, backoff * 2 or 1.0)
                if isinstance(error, redis.ConnectionError | redis.TimeoutError) or database_away(
                    error
                ):  # an outage: said once, shown on /events, retried
                    if self.health.failures == 1:
                        log.warning("the order feed paused (%s); retrying", error)
                else:
                    log.exception("the order feed failed; next try in %.0f s", backoff)
                self._stop.wait(backoff)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="order-feed", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.health.stopped()
        self.feed.client.close()


def feed_outage(error: Exception) -> bool:
    """The database or a service the entry is completed from is away: no fault of the
    entry (it waits, pending, and is not dead-lettered for it)."""
    return database_away(error) or isinstance(error, Transient)


def details_from_services() -> OrderDetails | None:
    """The services ui.callbacks registered (their breakers shared), None without both."""
    listings, delivery = registered(LISTINGS), registered(DELIVERY)
    return ServiceDetails(listings, delivery) if listings or delivery else None


def install(ctx: AppContext) -> None:
    """Called once per app by ui.app.build; nothing runs while WMS_REDIS_URL is unset."""
    if not ctx.settings.redis_url:
        return
    consumers: list[FeedConsumer] = []

    def start() -> None:
        consumers.append(FeedConsumer(ctx.db, ctx.settings, details=details_from_services()))
        consumers[-1].start()

    def stop() -> None:
        for consumer in consumers:
            consumer.stop()

    app.on_startup(start)
    app.on_shutdown(stop)
