"""HTTP latency of the REST API for /metrics: a Prometheus histogram observed by a pure
ASGI middleware, labelled by the route's template (`/api/v1/orders/{order_id}`), the
method and the status class — never the raw path, whose ids would make a series each."""

import time

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.api.stack import API_PREFIX

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
            self.observed.labels(*labels(scope, status)).observe(time.perf_counter() - started)


def install(app: FastAPI, registry: CollectorRegistry) -> None:
    app.add_middleware(RouteLatency, observed=histogram(registry))
