"""Registers the app's pages and routes on NiceGUI's FastAPI app."""

import importlib
import pkgutil

from fastapi.responses import JSONResponse
from nicegui import app
from nicegui import ui as nicegui_ui  # `ui` is this package (import ui.pages)
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

import ui.pages
from ui import live, security
from ui.context import AppContext


def build(ctx: AppContext) -> None:
    # One button style app-wide, dialogs included: Quasar writes button text in CAPITALS
    # unless told otherwise, and Russian in capitals reads badly.
    for element in (nicegui_ui.button, nicegui_ui.toggle, nicegui_ui.dropdown_button):
        element.default_props("no-caps")
    live.install(ctx)  # the ledger watch: live pages and the header's low-stock count
    # Every module in ui/pages registers its own pages.
    for module in pkgutil.iter_modules(ui.pages.__path__):
        importlib.import_module(f"ui.pages.{module.name}").register(ctx)
    security.install(app, ctx)  # NiceGUI's upload routes: signed-in sessions only
    importlib.import_module("ui.api").register(ctx)  # REST API under /api/v1 (DESIGN.md §5)

    @app.get("/healthz", include_in_schema=True, tags=["health"])
    def healthz() -> JSONResponse:
        """Liveness and a database round trip."""
        try:
            with ctx.db.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except SQLAlchemyError:
            error = {"code": "database_unavailable", "message": "База данных недоступна"}
            return JSONResponse({"error": error}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok"})
