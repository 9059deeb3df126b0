"""GET /backup (admins): the same consistent copy the /backup page offers, for a script
(`curl -H "Authorization: Bearer …" -OJ …/api/v1/backup`). Written to a private temporary
folder, sent, and deleted once sent."""

import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

from data.backup import DUMP_MEDIA_TYPE, SQLITE_MEDIA_TYPE, make_backup
from ui.api.errors import responses
from ui.context import AppContext

FILE = {
    200: {
        "description": "Копия базы: файл SQLite (.sqlite3) или дамп PostgreSQL "
        "(.dump, pg_dump --format=custom)",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in (SQLITE_MEDIA_TYPE, DUMP_MEDIA_TYPE)
        },
    }
}


def add_routes(router: APIRouter, ctx: AppContext, admins: Callable[..., Any]) -> None:
    tz = ZoneInfo(ctx.settings.time_zone)

    @router.get(
        "/backup", response_class=Response, tags=["backup"], dependencies=[Depends(admins)],
        responses={**FILE, **responses(401, 403, 409)},
    )  # fmt: skip
    def download_backup() -> FileResponse:
        """Резервная копия всей базы (только администратор).

        SQLite — онлайн-копия (backup API), PostgreSQL — `pg_dump --format=custom`; если
        pg_dump на сервере нет — 409 `backup_unavailable`. Как восстановить — README.
        """
        folder = Path(tempfile.mkdtemp(prefix="wms-backup-"))
        try:
            backup = make_backup(ctx.db.engine, folder, datetime.now(tz))
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        return FileResponse(
            backup.path,
            media_type=backup.media_type,
            filename=backup.file_name,
            headers={"Cache-Control": "no-store"},
            background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
        )
