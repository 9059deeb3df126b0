"""Photos of quality checks for pages: served at /qc-photos/{id} to a signed-in user who
may see orders (never by the file's name, never to a visitor), and shown as thumbnails
that open full size (the QC run page, the order card)."""

from collections.abc import Sequence

from fastapi import HTTPException, Response
from nicegui import app, ui

from core.orders.quality_ports import QcPhoto
from core.users.policy import Action, can
from data.files.photos import PhotoFiles
from data.orders.quality import photo
from ui.context import AppContext
from ui.i18n import tr
from ui.session import current_user

ROUTE = "/qc-photos/{photo_id}"


def photo_src(p: QcPhoto) -> str:
    return f"/qc-photos/{p.id}"


def register_photo_route(ctx: AppContext) -> None:
    store = PhotoFiles(ctx.settings.data_dir)

    @app.get(ROUTE, include_in_schema=False)
    def qc_photo(photo_id: int) -> Response:
        try:
            user = current_user(ctx)
        except (RuntimeError, AssertionError, KeyError):
            user = None  # no session to read
        if user is None or not (can(user.role, Action.CHECK_QUALITY)
                                or can(user.role, Action.SEE_ORDERS)):  # fmt: skip
            raise HTTPException(status_code=404, detail="Фото не найдено")
        found = photo(ctx.db.engine, photo_id) if 0 < photo_id < 2**31 else None
        content = store.read(found.file_name) if found else None
        if found is None or content is None:
            raise HTTPException(status_code=404, detail="Фото не найдено")
        headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
        return Response(content, media_type=found.content_type, headers=headers)


def photo_strip(photos: Sequence[QcPhoto]) -> None:
    """Thumbnails; a tap opens the photo full size in a new tab."""
    if not photos:
        ui.label(tr("Фото нет", "No photos")).classes("text-body2 text-grey-7").mark("no-photos")
        return
    for p in photos:
        with ui.link(target=photo_src(p), new_tab=True).mark("qc-photo"):
            ui.image(photo_src(p)).classes("w-28 h-28 rounded-borders").props("fit=cover")
