"""Start the WMS: read settings, upgrade the schema, seed reference data, serve the app.

uv run main.py
"""

import secrets
from pathlib import Path

from nicegui import ui

from core.settings import Settings, get_settings
from data.database import Database
from data.migrate import upgrade
from data.seed import ensure_admin, seed_reference_data
from ui.app import build
from ui.context import AppContext


def storage_secret(settings: Settings) -> str:
    """From WMS_STORAGE_SECRET, or generated once and kept beside the SQLite file."""
    if settings.storage_secret:
        return settings.storage_secret
    path: Path = settings.data_dir / "storage_secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return path.read_text().strip()


def prepare(settings: Settings) -> Database:
    db = Database.from_url(
        settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous
    )
    upgrade(db.engine)
    seed_reference_data(db.engine)
    generated = ensure_admin(db.engine, settings.admin_password)
    if generated:
        # Shown once; only its hash is stored.
        print(f"Создан пользователь admin с паролем: {generated}", flush=True)
    return db


def main() -> None:
    settings = get_settings()
    db = prepare(settings)
    secret = storage_secret(settings)
    build(AppContext(db=db, settings=settings, secret=secret))
    ui.run(
        host=settings.host,
        port=settings.port,
        title="Склад",
        language="ru",
        storage_secret=secret,
        # /docs and /openapi.json (ui/api/docs.py) list the REST API, not NiceGUI's routes.
        endpoint_documentation="none",
        reload=False,
        show=False,
        favicon="📦",
    )


if __name__ in {"__main__", "__mp_main__"}:
    main()
