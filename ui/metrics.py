"""Prometheus metrics at /metrics (core.metrics says what each measures).

The floor's figures are read from the database when Prometheus scrapes (a custom
collector: nothing is counted in memory, so every app process reports the same truth and
a restart loses nothing); the HTTP latency of the API is observed in this process
(ui.api.latency). /metrics goes through the API's middleware stack (ui.api.stack), not
the pages' sessions.

Access: a bearer token (WMS_METRICS_TOKEN) or a client address in WMS_METRICS_ALLOW. With
neither set the endpoint answers 404 `metrics_disabled`: metrics are off by default, so an
app on the open internet shows no figures, and a 404 says "nothing here" rather than
suggesting that some credential would open it.
"""

import hmac
from collections.abc import Iterator
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine

from core.dashboard.orders import shortage_rate
from core.metrics import Durations, FeedFigures, allowed, success_rate
from data.metrics.feed import connect, feed_figures
from data.metrics.queries import floor_figures
from ui.api import latency
from ui.api.errors import BEARER, error_response
from ui.context import AppContext
from ui.failures import failure_of, log_failure

PATH = "/metrics"
DISABLED = ("metrics_disabled",
            "Метрики выключены: задайте WMS_METRICS_TOKEN или WMS_METRICS_ALLOW")  # fmt: skip
NO_TOKEN = ("not_authenticated", "Нужен токен метрик: заголовок Authorization: Bearer …")
BAD_TOKEN = ("invalid_token", "Недействительный токен метрик")
NOT_ALLOWED = ("forbidden", "Этому адресу метрики не отдаются (WMS_METRICS_ALLOW)")


def _gauge(name: str, doc: str, value: float | None) -> Iterator[Metric]:
    if value is not None:  # nothing to measure: no sample, not a made-up zero
        yield GaugeMetricFamily(name, doc, value=value)


def _durations(name: str, doc: str, measured: Durations) -> Iterator[Metric]:
    family = GaugeMetricFamily(name, doc, labels=["stat"])
    for stat, value in (("p50", measured.p50), ("p90", measured.p90), ("avg", measured.mean)):
        if value is not None:
            family.add_metric([stat], value)
    yield family
    yield GaugeMetricFamily(f"{name.removesuffix('_seconds')}_count_24h",
                            f"How many the {name} figures are over (last 24 h)",
                            value=measured.count)  # fmt: skip


class FloorCollector(Collector):
    """Reads the database (and the feed's group on Redis, when configured) per scrape."""

    def __init__(self, engine: Engine, redis_url: str | None = None) -> None:
        self.engine = engine
        self.redis = connect(redis_url) if redis_url else None

    def collect(self) -> Iterator[Metric]:
        f = floor_figures(self.engine, datetime.now(UTC))
        yield from _durations("wms_picking_task_duration_seconds",
                              "Picking task, started to completed, tasks completed in the last "
                              "24 h", f.picking)  # fmt: skip
        yield from _durations("wms_packing_task_duration_seconds",
                              "Packing task, started to packed, tasks packed in the last 24 h",
                              f.packing)  # fmt: skip
        yield from _durations("wms_order_to_shipment_seconds",
                              "Order, confirmed to shipped, orders shipped in the last 24 h",
                              f.order_to_shipment)  # fmt: skip
        yield GaugeMetricFamily("wms_picked_items_last_hour",
                                "Units picked in the last hour (items picked per hour)",
                                value=f.picked_units_last_hour)  # fmt: skip
        yield from _gauge("wms_picking_shortage_ratio",
                          "Pick items short or skipped / pick items with an outcome, last 24 h",
                          shortage_rate(f.pick_shortages, f.pick_outcomes))  # fmt: skip
        yield GaugeMetricFamily("wms_pick_outcomes_24h",
                                "Pick items with an outcome (picked, short, skipped), last 24 h",
                                value=f.pick_outcomes)  # fmt: skip
        yield from _gauge("wms_package_weight_kg_avg",
                          "Average weight of the packages made in the last 24 h (weighed ones)",
                          f.package_weight_kg)  # fmt: skip
        yield from _gauge("wms_order_success_ratio",
                          "Orders shipped / (shipped + cancelled), orders ended in the last 24 h",
                          success_rate(f.orders_shipped, f.orders_cancelled))  # fmt: skip
        ended = GaugeMetricFamily("wms_orders_ended_24h", "Orders shipped or cancelled in the "
                                  "last 24 h", labels=["status"])  # fmt: skip
        ended.add_metric(["shipped"], f.orders_shipped)
        ended.add_metric(["cancelled"], f.orders_cancelled)
        yield ended
        yield GaugeMetricFamily("wms_outbox_backlog_events", "Outbox events not yet published",
                                value=f.outbox_backlog)  # fmt: skip
        yield GaugeMetricFamily("wms_outbox_lag_seconds", "Age of the oldest unpublished outbox "
                                "event (0: none waiting)", value=f.outbox_lag_seconds)  # fmt: skip
        if self.redis is not None:
            yield from _feed(feed_figures(self.redis))


def _feed(feed: FeedFigures) -> Iterator[Metric]:
    yield GaugeMetricFamily("wms_order_feed_redis_up", "Redis answered the scrape's XINFO",
                            value=1 if feed.reachable else 0)  # fmt: skip
    yield from _gauge(
        "wms_order_feed_lag_entries",
        "Order feed entries not yet read by group wms-consumers",
        feed.lag,
    )
    yield from _gauge(
        "wms_order_feed_pending_entries",
        "Order feed entries read but not yet acknowledged",
        feed.pending,
    )
    yield from _gauge("wms_order_feed_consumers", "Consumers in group wms-consumers",
                      feed.consumers)  # fmt: skip


def refusal(request: Request, ctx: AppContext) -> Response | None:
    """None: the scraper may read; otherwise the answer (REST API's error body)."""
    token, networks = ctx.settings.metrics_token, ctx.settings.metrics_networks
    if not token and not networks:
        return error_response(404, *DISABLED)
    client = request.client.host if request.client else None
    if allowed(client, networks):
        return None
    if not token:
        return error_response(403, *NOT_ALLOWED)
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        return error_response(401, *NO_TOKEN, headers=BEARER)
    if not hmac.compare_digest(given.strip().encode(), token.encode()):
        return error_response(401, *BAD_TOKEN, headers=BEARER)
    return None


def install(app: FastAPI, ctx: AppContext) -> None:
    """The /metrics route and the API latency middleware, on one registry of this build."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FloorCollector(ctx.db.engine, ctx.settings.redis_url))
    latency.install(app, registry)

    @app.get(PATH, include_in_schema=False)
    def metrics(request: Request) -> Response:  # sync: FastAPI runs it in a worker thread
        refused = refusal(request, ctx)
        if refused is not None:
            return refused
        try:
            body = generate_latest(registry)
        except Exception as error:
            failure = failure_of(error)
            if failure is None:
                raise
            log_failure(failure, error, f"GET {PATH}")
            return error_response(failure.status, failure.code, failure.message)
        return Response(body, media_type=CONTENT_TYPE_LATEST)
