"""Registers the app's pages and routes on NiceGUI's FastAPI app."""

import importlib
import pkgutil

from fastapi.responses import JSONResponse
from nicegui import app
from nicegui import ui as nicegui_ui  # `ui` is this package (import ui.pages)
from sqlalchemy import text

import ui.pages
from ui import callbacks, event_relay, live, metrics, order_feed, reservation_sweep, security
from ui.context import AppContext
from ui.failures import failure_of


def build(ctx: AppContext) -> None:
    # One button style app-wide, dialogs included: Quasar writes button text in CAPITALS
    # unless told otherwise, and Russian in capitals reads badly.
    for element in (nicegui_ui.button, nicegui_ui.toggle, nicegui_ui.dropdown_button):
        element.default_props("no-caps")
    live.install(ctx)  # the ledger watch: live pages and the header's low-stock count
    reservation_sweep.install(ctx)  # expired reservations released (when a TTL is set)
    order_feed.install(ctx)  # the order feed read from Redis (when WMS_REDIS_URL is set)
    event_relay.install(ctx)  # the outbox to Redis Streams (when WMS_REDIS_URL is set)
    callbacks.install(ctx)  # Listings and delivery callbacks (when their URLs are set)
    # Every module under ui/pages (one package per area) that has a `register` adds its
    # own pages; the others are pieces of those pages (the dashboard's charts).
    for found in pkgutil.walk_packages(ui.pages.__path__, "ui.pages."):
        module = importlib.import_module(found.name)
        if hasattr(module, "register"):
            module.register(ctx)
    security.install(app, ctx)  # NiceGUI's upload routes: signed-in sessions only
    importlib.import_module("ui.api").register(ctx)  # REST API under /api/v1 (DESIGN.md §5)
    metrics.install(app, ctx)  # /metrics for Prometheus, and the API's latency by route

    @app.get("/healthz", include_in_schema=True, tags=["health"])
    def healthz() -> JSONResponse:
        """Liveness and a database round trip."""
        try:
            with ctx.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as error:
            failure = failure_of(error)
            if failure is None:
                raise
            body = {"error": {"code": failure.code, "message": failure.message}}
            return JSONResponse(body, status_code=failure.status)
        return JSONResponse({"status": "ok", "database": "ok"})
