"""Registers the app's pages and routes on NiceGUI's FastAPI app."""

from fastapi.responses import JSONResponse
from nicegui import app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from ui.context import AppContext
from ui.pages import home, login


def build(ctx: AppContext) -> None:
    login.register(ctx)
    home.register(ctx)

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
