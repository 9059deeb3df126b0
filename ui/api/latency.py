"""HTTP latency of the REST API for /metrics: a Prometheus histogram observed by a pure
ASGI middleware, labelled by the route's template (`/api/v1/orders/{order_id}`), the
method and the status class — never the raw path, whose ids would make a series each.
The same measurement is the API's request log line (INFO: a program's request is a
deliberate act, and a line costs some 20 µs against a movement's milliseconds)."""

import logging
import time

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.api.stack import API_PREFIX
from ui.logs import path_ids

log = logging.getLogger("wms.requests")

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route: a 404 before routing, one series for all of them
# From a scan's few milliseconds to a big import's minute.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


def histogram(registry: CollectorRegistry) -> Histogram:
    return Histogram("wms_http_request_duration_seconds",
                     "REST API request duration, by route template, method and status class",
                     ["route", "method", "status"], buckets=BUCKETS,
                     registry=registry)  # fmt: skip


def labels(scope: Scope, status: int) -> tuple[str, str, str]:
    route = getattr(scope.get("route"), "path", None) or UNMATCHED
    method = scope["method"] if scope["method"] in METHODS else "other"
    return route, method, f"{status // 100}xx"


class RouteLatency:
    def __init__(self, app: ASGIApp, observed: Histogram) -> None:
        self.app, self.observed = app, observed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500  # an exception out of the app: a 500

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:  # the route is in the scope once the router has chosen it
            took = time.perf_counter() - started
            route, method, status_class = labels(scope, status)
            self.observed.labels(route, method, status_class).observe(took)
            if log.isEnabledFor(logging.INFO):
                log.info("request", extra={"route": route, "method": method, "status": status,
                                           "duration_ms": round(took * 1000, 1),
                                           **path_ids(scope.get("path_params") or {})})  # fmt: skip


def install(app: FastAPI, registry: CollectorRegistry) -> None:
    app.add_middleware(RouteLatency, observed=histogram(registry))
