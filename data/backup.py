"""A consistent copy of the whole database, for an admin to download (ui/pages/system/backup.py).

SQLite: the online backup API copies a snapshot page by page while the app keeps
working (readers and writers are not stopped; the copy is one moment of the database).
PostgreSQL: `pg_dump --format=custom` (one snapshot transaction), when pg_dump is on the
server's PATH; restore it with `pg_restore` (README, «Резервная копия»).
"""

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine

from core.errors import DomainError
from data.db import is_sqlite

SQLITE_MEDIA_TYPE = "application/vnd.sqlite3"
DUMP_MEDIA_TYPE = "application/octet-stream"


class BackupError(DomainError):
    kind = "conflict"


@dataclass(frozen=True)
class Backup:
    path: Path
    file_name: str
    media_type: str


def pg_dump_path() -> str | None:
    return shutil.which("pg_dump")


def backup_available(engine: Engine) -> bool:
    return is_sqlite(engine) or pg_dump_path() is not None


def make_backup(engine: Engine, folder: Path, local_now: datetime) -> Backup:
    """Write the copy into `folder`; `local_now` names the file (e.g. wms-2026-12-06-1430)."""
    stem = f"wms-{local_now:%Y-%m-%d-%H%M}"
    if is_sqlite(engine):
        path = folder / f"{stem}.sqlite3"
        _sqlite_backup(engine, path)
        return Backup(path, path.name, SQLITE_MEDIA_TYPE)
    path = folder / f"{stem}.dump"
    _pg_dump(engine, path)
    return Backup(path, path.name, DUMP_MEDIA_TYPE)


def _sqlite_backup(engine: Engine, path: Path) -> None:
    raw = engine.raw_connection()
    target = sqlite3.connect(path)
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        source.backup(target)
        # One self-contained file: the app's WAL mode is set again when it opens the copy.
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        target.close()
        raw.close()


def _pg_dump(engine: Engine, path: Path) -> None:
    program = pg_dump_path()
    if program is None:
        raise BackupError(
            "backup_unavailable",
            "На сервере нет программы pg_dump: установите клиент PostgreSQL той же или "
            "более новой версии, что и сервер базы (пакет postgresql-client), "
            "или делайте копию командой pg_dump (README, «Резервная копия»)",
        )
    url = engine.url
    # The password goes by the environment, never on a command line others can list.
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(
        [program, "--format=custom", f"--file={path}", f"--dbname={conninfo}"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        last_line = (result.stderr.strip().splitlines() or ["без сообщения"])[-1]
        raise BackupError("backup_failed", f"pg_dump завершился с ошибкой: {last_line}")
