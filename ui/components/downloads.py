"""Files the pages hand to the browser (exports, an import's errors, example files).

A file is written to a temporary folder, then offered under a one-time address: the
browser fetches it over plain HTTP (a large journal never travels through the page's
websocket), the route checks again that the signed-in session is the user the file was
made for, and the file is deleted once sent. Offers nobody fetched expire.

The route is registered by ui/pages/system/downloads.py (ui/app.py registers every page module).
"""

import logging
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import HTTPException
from fastapi.responses import FileResponse
from nicegui import app, run, ui
from starlette.background import BackgroundTask

from core.errors import DomainError
from core.users.auth import Identity
from core.users.policy import Action
from data.files import exports
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.i18n import number, tr
from ui.session import current_user, guarded

ROUTE = "/downloads/{token}"
EXPORT_FAILED = ("Не удалось выгрузить", "Export failed")
log = logging.getLogger(__name__)
OFFER_TTL_SECONDS = 15 * 60
FOLDER_PREFIX = "wms-download-"


@dataclass(frozen=True)
class Offer:
    path: Path
    file_name: str
    media_type: str
    user_id: int
    expires: float


_offers: dict[str, Offer] = {}
_lock = threading.Lock()


def new_folder() -> Path:
    """A private temporary folder for one file (removed with the file)."""
    return Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))


def _discard(path: Path) -> None:
    folder = path.parent
    if folder.name.startswith(FOLDER_PREFIX):
        shutil.rmtree(folder, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _expire() -> None:
    now = time.monotonic()
    with _lock:
        stale = [token for token, offer in _offers.items() if offer.expires < now]
        gone = [_offers.pop(token) for token in stale]
    for offer in gone:
        _discard(offer.path)


def offer_file(
    user: Identity, path: Path, file_name: str, media_type: str = exports.XLSX_MEDIA_TYPE
) -> None:
    """Let `user`'s browser download `path` once, named `file_name` (call in a handler)."""
    _expire()
    token = secrets.token_urlsafe(24)
    with _lock:
        _offers[token] = Offer(
            path, file_name, media_type, user.id, time.monotonic() + OFFER_TTL_SECONDS
        )
    ui.download.from_url(ROUTE.format(token=token), file_name, media_type)


def offer_bytes(
    user: Identity, content: bytes, file_name: str, media_type: str = exports.XLSX_MEDIA_TYPE
) -> None:
    path = new_folder() / "file"
    path.write_bytes(content)
    offer_file(user, path, file_name, media_type)


def register_route(ctx: AppContext) -> None:
    @app.get(ROUTE, include_in_schema=False)
    def download(token: str) -> FileResponse:
        try:
            user = current_user(ctx)
        except (RuntimeError, AssertionError, KeyError):
            user = None  # no session to read: not the user the file was made for
        with _lock:
            offer = _offers.get(token)
            mine = offer is not None and user is not None and user.id == offer.user_id
            if mine:
                del _offers[token]  # once
        if offer is None or not mine or offer.expires < time.monotonic():
            raise HTTPException(status_code=404, detail="Файл не найден или уже скачан")
        return FileResponse(
            offer.path,
            media_type=offer.media_type,
            filename=offer.file_name,
            headers={"Cache-Control": "no-store"},
            background=BackgroundTask(_discard, offer.path),
        )


# --- The export button of the products, balances and journal pages ---

EXPORTERS: dict[str, Callable[..., int]] = {
    "products": exports.export_products,
    "balances": exports.export_balances,
    "journal": exports.export_journal,
    "low_stock": exports.export_low_stock,
}


def export_button(
    ctx: AppContext,
    kind: str,
    filters: Callable[[], dict[str, Any]],
    action: Action = Action.EXPORT_FILES,
) -> ui.button:
    """«Excel» button: the page's rows with its current `filters()` as an .xlsx download.

    The file is written off the event loop; a long journal shows how far it has got.
    """
    tz_name = ctx.settings.time_zone
    written = [0]
    busy = [False]

    async def export(user: Identity, *_: Any) -> None:
        if busy[0]:
            return
        busy[0] = True
        written[0] = 0
        button.props("loading")
        note = ui.notification(
            tr("Готовим файл…", "Preparing the file…"), spinner=True, timeout=None
        )

        def show_progress() -> None:
            if written[0]:
                note.message = tr(
                    f"Готовим файл: {number(written[0])} строк…",
                    f"Preparing the file: {number(written[0])} rows…",
                )

        ticker = ui.timer(0.5, show_progress)
        path = new_folder() / "export.xlsx"
        try:
            rows = await run.io_bound(
                EXPORTERS[kind],
                ctx.db.engine,
                path,
                **filters(),
                time_zone=tz_name,
                progress=lambda n: written.__setitem__(0, n),
            )
        except DomainError as error:
            _discard(path)
            show_error(error)
            return
        except OSError as error:  # the temporary folder: disk full, no permission
            _discard(path)
            log.warning("export to %s failed: %s", path, error)
            ui.notify(
                tr(
                    "Не удалось записать файл на сервере. Сообщите администратору.",
                    "Could not write the file on the server. Tell the administrator.",
                ),
                type="negative",
                position="top",
            )
            return
        except Exception:  # the database's failure: `guarded` says it (ui.failures)
            _discard(path)
            raise
        finally:
            busy[0] = False
            ticker.cancel()
            note.dismiss()
            button.props(remove="loading")
        if rows is None:  # the app is stopping
            _discard(path)
            return
        offer_file(user, path, exports.export_file_name(kind, datetime.now(UTC), tz_name))
        show_done(tr(f"Выгружено строк: {number(rows)}", f"Rows exported: {number(rows)}"))

    button = (
        ui.button(
            "Excel", icon="download", on_click=guarded(ctx, action, export, doing=EXPORT_FAILED)
        )
        .props("outline no-caps")
        .classes("min-h-12 px-4")
        .tooltip(tr("Скачать .xlsx с текущими фильтрами", "Download .xlsx with current filters"))
        .mark(f"export-{kind}")
    )
    return button
