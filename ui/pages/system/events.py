"""/events (managers, admins): how the WMS's events are getting out and the order feed in —
the outbox backlog (committed, not yet on Redis) and its oldest event, the last publication,
this process's relay and feed consumer (running, failing, their last error), the feed's
group on Redis (length, lag, pending, consumers) and its dead letters, and each callback
service's circuit breaker (data.events.services) with its last error. Live: read every
POLL_SECONDS off the event loop, redrawn only when something changed.

Without WMS_REDIS_URL the outbox just grows (DESIGN.md §3): the page says so and shows it.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from nicegui import run, ui

from core.users.auth import Identity
from core.users.policy import Action
from data.events.carriers import DELIVERY, LISTINGS
from data.events.feed import connect
from data.events.services import ServiceState, service_states
from data.events.status import (
    FEED_HEALTH,
    RELAY_HEALTH,
    FeedStatus,
    Health,
    OutboxStatus,
    feed_status,
    outbox_status,
)
from ui.context import AppContext
from ui.failures import database_away
from ui.formatting import format_time, quantity
from ui.i18n import tr
from ui.layout import frame
from ui.session import guarded, protected_page

PATH = "/events"
POLL_SECONDS = 2.0
SLOW_SECONDS = 60  # an event waiting longer than this is shown in orange


@dataclass(frozen=True)
class LoopView:
    """A `Health` as the page shows it (a copy: the loop's thread goes on changing it)."""

    running: bool
    failures: int
    last_error: str
    last_error_at: datetime | None


def loop_view(health: Health) -> LoopView:
    return LoopView(health.running, health.failures, health.last_error, health.last_error_at)


@dataclass(frozen=True)
class ServiceView:
    """A callback service as the page shows it (without its last success: that moves on
    every call and would redraw the page for nothing)."""

    name: str
    url: str
    breaker: str
    failures: int
    last_error: str | None
    last_error_at: datetime | None
    failing_since: datetime | None


def service_view(s: ServiceState) -> ServiceView:
    return ServiceView(s.name, s.url, s.breaker, s.failures, s.last_error, s.last_error_at,
                       s.failing_since)  # fmt: skip


SERVICE_NAMES = {LISTINGS: "Listings (статусы заказов)", DELIVERY: "Служба доставки"}
BREAKER = {  # pybreaker's states
    "closed": ("Работает", "text-positive"),
    "open": ("Цепь разомкнута: вызовы приостановлены", "text-negative"),
    "half-open": ("Пробный вызов", "text-orange-9"),
}


@dataclass(frozen=True)
class Snapshot:
    outbox: OutboxStatus | None  # None: the database did not answer
    feed: FeedStatus | None  # None: no Redis configured, or it did not answer
    redis_error: str
    relay: LoopView
    consumer: LoopView
    services: tuple[ServiceView, ...]


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.MANAGE_ORDERS)
    def events_page(user: Identity) -> None:
        with frame(user, tr("События и интеграции", "Events and integrations"), PATH):
            EventsView(ctx).build()


class EventsView:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.zone = ctx.settings.time_zone
        url = ctx.settings.redis_url
        self.redis = connect(url) if url else None

    def build(self) -> None:
        self.shown = self._read()
        self.cards()
        ui.timer(POLL_SECONDS, guarded(self.ctx, Action.MANAGE_ORDERS, self._poll))
        if self.redis is not None:
            ui.context.client.on_delete(self.redis.close)

    def _read(self) -> Snapshot:
        try:
            outbox: OutboxStatus | None = outbox_status(self.ctx.db.engine)
        except Exception as error:
            if not database_away(error):
                raise  # a bug, not an outage
            outbox = None  # the database away: the page says so instead of failing
        feed, redis_error = None, ""
        if self.redis is not None:
            try:
                feed = feed_status(self.redis)
            except Exception as error:
                redis_error = f"{type(error).__name__}: {error}"[:300]
        services = tuple(service_view(s) for s in service_states())
        return Snapshot(outbox, feed, redis_error, loop_view(RELAY_HEALTH),
                        loop_view(FEED_HEALTH), services)  # fmt: skip

    async def _poll(self, _user: Identity) -> None:
        found = await run.io_bound(self._read)
        if found != self.shown:
            self.shown = found
            self.cards.refresh()

    @ui.refreshable_method
    def cards(self) -> None:
        s = self.shown
        # Two columns on a desktop (four on a wide screen), one under another on a tablet.
        with (
            ui.element("div")
            .classes("w-full grid gap-4 grid-cols-1 lg:grid-cols-2 2xl:grid-cols-4")
            .mark("events")
        ):
            self._outbox(s)
            self._relay(s)
            self._feed(s)
            self._services(s)

    def _card(self, title: str, marker: str) -> ui.card:
        card = ui.card().classes("w-full gap-1").props("bordered").mark(marker)
        with card:
            ui.label(title).classes("text-h6")
        return card

    def _line(self, text: str, marker: str, tone: str = "") -> None:
        ui.label(text).classes(f"text-body1 {tone}").mark(marker)

    def _outbox(self, s: Snapshot) -> None:
        with self._card(tr("Очередь событий (outbox)", "Outbox"), "outbox"):
            if s.outbox is None:
                self._line(tr("База данных недоступна", "The database is unavailable"),
                           "outbox-unavailable", "text-negative")  # fmt: skip
                return
            o = s.outbox
            waiting = quantity(o.waiting)
            self._line(tr(f"Ждут отправки: {waiting}", f"Waiting: {waiting}"),
                       "outbox-waiting")  # fmt: skip
            if o.oldest_waiting is not None:
                age = (datetime.now(UTC) - o.oldest_waiting).total_seconds()
                tone = "text-orange-9" if age > SLOW_SECONDS else "text-grey-8"
                self._line(tr(f"Самое старое: {format_time(o.oldest_waiting, self.zone)}",
                              f"Oldest: {format_time(o.oldest_waiting, self.zone)}"),
                           "outbox-oldest", tone)  # fmt: skip
            last = format_time(o.last_published, self.zone) or "—"
            self._line(tr(f"Последняя отправка: {last}", f"Last published: {last}"),
                       "outbox-last", "text-grey-8")  # fmt: skip

    def _relay(self, s: Snapshot) -> None:
        with self._card(tr("Отправка в Redis", "Publishing to Redis"), "relay"):
            if self.redis is None:
                self._line(tr("Redis не подключён (WMS_REDIS_URL не задан): события ждут в "
                              "очереди и уйдут, когда его подключат.",
                              "Redis is not configured (WMS_REDIS_URL): events wait in the "
                              "outbox until it is."), "redis-off", "text-grey-8")  # fmt: skip
                return
            self._loop(s.relay, "relay")

    def _loop(self, v: LoopView, marker: str) -> None:
        if v.failures:
            self._line(tr(f"Ошибка, попыток подряд: {v.failures}",
                          f"Failing, attempts in a row: {v.failures}"),
                       f"{marker}-failing", "text-negative text-weight-medium")  # fmt: skip
            when = format_time(v.last_error_at, self.zone)
            self._line(f"{when} · {v.last_error}", f"{marker}-error", "text-negative")
        elif v.running:
            self._line(tr("Работает", "Running"), f"{marker}-ok", "text-positive")
        else:
            self._line(tr("Не запущена в этом процессе", "Not running in this process"),
                       f"{marker}-idle", "text-grey-8")  # fmt: skip

    def _feed(self, s: Snapshot) -> None:
        with self._card(tr("Лента заказов", "Order feed"), "feed"):
            if self.redis is None:
                self._line(tr("Не подключена", "Not connected"), "feed-off", "text-grey-8")
                return
            self._loop(s.consumer, "consumer")
            if s.feed is None:
                self._line(tr(f"Redis недоступен: {s.redis_error}",
                              f"Redis is unavailable: {s.redis_error}"),
                           "redis-down", "text-negative")  # fmt: skip
                return
            f = s.feed
            lag = "?" if f.lag is None else str(f.lag)
            self._line(tr(f"В потоке: {f.length}; не прочитано: {lag}; в работе: {f.pending}",
                          f"In the stream: {f.length}; unread: {lag}; pending: {f.pending}"),
                       "feed-counts")  # fmt: skip
            self._line(tr(f"Обработчиков: {f.consumers}", f"Consumers: {f.consumers}"),
                       "feed-consumers", "text-grey-8")  # fmt: skip
            tone = "text-negative" if f.dead_letters else "text-grey-8"
            with ui.row().classes("items-center gap-2"):
                self._line(tr(f"Ошибок ленты: {f.dead_letters}", f"Feed errors: {f.dead_letters}"),
                           "feed-dead-letters", tone)  # fmt: skip
                if f.dead_letters:
                    ui.link(tr("Открыть", "Open"), "/events/dead-letters").mark("open-dead-letters")

    def _services(self, s: Snapshot) -> None:
        with self._card(tr("Внешние сервисы", "External services"), "services"):
            if not s.services:
                self._line(tr("Не настроены (WMS_LISTINGS_URL, WMS_DELIVERY_URL)",
                              "Not configured (WMS_LISTINGS_URL, WMS_DELIVERY_URL)"),
                           "services-off", "text-grey-8")  # fmt: skip
                return
            for v in s.services:
                with ui.column().classes("gap-0 w-full").mark(f"service-{v.name}"):
                    ui.label(SERVICE_NAMES.get(v.name, v.name)).classes("text-subtitle1")
                    ui.label(v.url).classes("text-caption text-grey-7")
                    text, tone = BREAKER.get(v.breaker, (v.breaker, ""))
                    if v.breaker == "closed" and v.failing_since is not None:
                        # Failing, but not yet as often as opens the breaker.
                        text = tr(f"Сбои: {v.failures} подряд, вызовы продолжаются",
                                  f"Failing: {v.failures} in a row, calls go on")  # fmt: skip
                        tone = "text-orange-9"
                    self._line(text, f"service-{v.name}-state", tone)
                    if v.failing_since is not None:
                        since = format_time(v.failing_since, self.zone)
                        self._line(tr(f"Недоступен с {since}", f"Unavailable since {since}"),
                                   f"service-{v.name}-since", "text-negative")  # fmt: skip
                    if v.last_error:
                        when = format_time(v.last_error_at, self.zone)
                        self._line(f"{when} · {v.last_error}", f"service-{v.name}-error",
                                   "text-grey-8")  # fmt: skip
