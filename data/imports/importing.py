"""`import_file`: the import use case (core.imports.run_import) put together with the
database store (data.imports.store) and data.files' reader; QUEUE lets big files wait
for their turn."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from core.imports import (
    ImportQueue,
    ImportReport,
    ImportStore,
    Progress,
    Sheet,
    Waiting,
    run_import,
)
from core.imports.orders import OrderOptions
from core.settings import Settings
from data.database import Database
from data.db import read_connection, write_connection
from data.files.memory import release_memory
from data.files.sheet_reading import headers_of
from data.files.spreadsheets import read_file
from data.imports.store import SqlImportStore


@contextmanager
def _session(db: Database, write: bool) -> Iterator[ImportStore]:
    """A store on one transaction: a write one (BEGIN IMMEDIATE on SQLite) or a read one.
    Anything not committed rolls back."""
    connect = write_connection if write else read_connection
    with connect(db.engine) as conn:
        store = SqlImportStore(conn, db.locations, db.engine, db.after_import)
        try:
            yield store
        finally:
            store.rollback()


def store_factory(db: Database) -> Callable[[bool], AbstractContextManager[ImportStore]]:
    return lambda write: _session(db, write)


QUEUE = ImportQueue(release_memory)


def import_file(
    db: Database,
    *,
    content: bytes,
    file_name: str,
    kind: str,
    operation_type: str | None = None,
    dry_run: bool = True,
    user_id: int | None = None,
    settings: Settings,
    progress: Progress | None = None,
    repeat_allowed: bool = True,
    waiting: Waiting | None = None,
    fallback_operation: str | None = None,
    order_options: OrderOptions | None = None,
) -> ImportReport:
    """Check a file and, unless `dry_run` or any row has an error, write it whole.

    `fallback_operation`: the operation of a movements file that names none, neither by
    `operation_type` nor in an «Операция» column (the page offers the last one used); the
    report says it was taken (`operation_inferred`).

    A big file waits for its turn in QUEUE first; `waiting(n)` hears how many imports are
    ahead of it while it waits (ImportQueueTimeout when the wait is too long).

    `repeat_allowed=False`: refuse (Conflict `file_imported_before`) a file whose sha256
    was imported already — the page passes it when its preview said the file was new, so
    a file another manager imported meanwhile is not booked twice without a question.

    Raises FileRejected when the file cannot be read at
    all, ValidationError for a bad `kind` or `operation_type`, InsufficientStock when the
    stock changed under a running import (PostgreSQL; the file then writes nothing)."""

    def read(content: bytes, file_name: str, progress: Progress | None) -> Sheet:
        return read_file(content, file_name, settings, progress, headers_of(kind))

    with QUEUE.slot(content, settings, waiting):
        return run_import(
            store_factory(db),
            read,
            content=content,
            file_name=file_name,
            kind=kind,
            operation_type=operation_type,
            dry_run=dry_run,
            user_id=user_id,
            settings=settings,
            progress=progress,
            repeat_allowed=repeat_allowed,
            fallback_operation=fallback_operation,
            order_options=order_options,
        )
