"""The import use case over ports: check a file's rows and, when asked and clean, write them."""

import hashlib
import logging
import os
from datetime import UTC, datetime

from core.errors import Conflict, DomainError, ValidationError
from core.imports.importer import Importer, default_operation
from core.imports.movements import MovementImporter
from core.imports.opening_balances import OpeningBalanceImporter
from core.imports.orders import OrderImporter, OrderOptions
from core.imports.plan import IMPORT_KINDS, ImportReport, Job, Plan, Progress, file_too_large
from core.imports.ports import BatchRecord, SheetReader, StoreFactory
from core.imports.products import ProductImporter
from core.imports.rows import Errors
from core.settings import Settings

log = logging.getLogger(__name__)


def file_sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _clean_file_name(file_name: str) -> str:
    name = os.path.basename((file_name or "").replace("\\", "/")).strip()
    return (name or "file")[:255]


def run_import(
    stores: StoreFactory,
    read_sheet: SheetReader,
    *,
    content: bytes,
    file_name: str,
    kind: str,
    operation_type: str | None,
    dry_run: bool,
    user_id: int | None,
    settings: Settings,
    progress: Progress | None = None,
    repeat_allowed: bool = True,
    fallback_operation: str | None = None,
    order_options: OrderOptions | None = None,
) -> ImportReport:
    report_progress: Progress = progress or (lambda stage_progress, _fraction: None)
    if kind not in IMPORT_KINDS:
        raise ValidationError(
            "invalid_kind",
            "Тип импорта: products, movements, opening_balances или orders",
            field="kind",
        )
    # Checked for every kind (a bad name is an error, not ignored); used by movements.
    chosen_op = default_operation(operation_type)
    default_op = chosen_op if kind == "movements" else None
    file_name = _clean_file_name(file_name)
    if len(content) > settings.import_max_bytes:  # before hashing or parsing anything
        raise file_too_large(settings)
    sha = file_sha256(content)
    report_progress("parse", 0.0)
    importer_class = _IMPORTERS[kind]
    # A movements file reads its rows while checking them (and reports that stage).
    reading = None if importer_class.streams else report_progress
    sheet = read_sheet(content, file_name, reading)
    inferred = (
        kind == "movements"
        and default_op is None
        and "operation" not in sheet.columns
        and bool(fallback_operation)
    )
    if inferred:
        default_op = default_operation(fallback_operation)
    headers = {name: column.header for name, column in sheet.columns.items()}
    errors = Errors(headers)
    importer = importer_class(sheet, errors, default_op, file_name)
    if isinstance(importer, OrderImporter):
        importer.options = order_options or OrderOptions()
    importer.parse()
    report_progress("parse", 1.0)

    def rows_ok() -> int:
        if sheet.header_row in errors.rows:  # a column is missing: no row can be taken
            return 0
        return importer.rows_total - len(errors.rows)

    def finish(plan: "Plan", applied: bool, import_id: int | None, before: bool) -> ImportReport:
        return ImportReport(
            kind=kind,
            dry_run=dry_run,
            rows_total=importer.rows_total,
            rows_ok=rows_ok(),
            applied=applied,
            errors=sorted(errors.items, key=lambda e: e.row),
            changes=plan.changes,
            counts=dict(plan.counts),
            file_name=file_name,
            file_sha256=sha,
            import_id=import_id,
            same_file_imported_before=before,
            error_count=errors.count,
            operation_type=default_op.code if default_op else None,
            operation_inferred=inferred,
            file_format=importer.format.code
            if isinstance(importer, OrderImporter) and importer.format
            else None,
        )

    def batch(status: str, at: datetime, reason: str | None = None) -> BatchRecord:
        return BatchRecord(
            file_name=file_name,
            file_sha256=sha,
            kind=kind,
            operation_type=default_op.code if default_op else None,
            user_id=user_id,
            created_at=at,
            rows_total=importer.rows_total,
            rows_ok=rows_ok(),
            applied=status == "applied",
            error_count=errors.count,
            status=status,
            reason=reason,
        )

    try:
        with stores(not dry_run) as store:
            if not dry_run:
                # Confirmations of one file take turns, so the second one sees the first
                # one's history row (and refuses, unless a repeat is allowed).
                store.lock_file(sha)
            before = store.imported_before(sha)
            if before and not dry_run and not repeat_allowed:
                raise Conflict(
                    "file_imported_before",
                    "Этот файл уже загружен — возможно, другим пользователем, пока был открыт "
                    "предпросмотр. Загрузите его ещё раз, только если так и задумано",
                )
            at = datetime.now(UTC)
            # The history row goes first (its id names the ledger rows' document); it is
            # completed at the end and commits with everything else, or not at all.
            import_id = None if dry_run else store.add_batch(batch("applied", at))
            job = Job(import_id, user_id, at, report_progress)
            plan = importer.check(store, job)
            if dry_run:
                report_progress("check", 1.0)
                return finish(plan, False, None, before)
            if not errors.count:
                assert import_id is not None
                importer.write(store, plan, job)
                store.finish_batch(import_id, importer.rows_total, rows_ok())
                store.commit()
                importer.after_commit()
                report_progress("write", 1.0)
                return finish(plan, True, import_id, before)
    except Exception as error:
        if not dry_run:  # rolled back whole; the attempt and its reason are recorded
            _record_failure(stores, batch("failed", datetime.now(UTC), _failure_reason(error)))
        raise
    # Refused for its errors: nothing of the file was written; the attempt is recorded.
    with stores(True) as store:
        import_id = store.add_batch(batch("refused", datetime.now(UTC)))
        store.commit()
    return finish(plan, False, import_id, before)


def _failure_reason(error: Exception) -> str:
    if isinstance(error, DomainError):
        return error.message[:500]
    return f"Сбой при записи ({type(error).__name__}): файл не загружен, ничего не записано"


def _record_failure(stores: StoreFactory, record: BatchRecord) -> None:
    """A history row for a confirmation that failed, in a transaction of its own. When
    even that fails (the database is gone), the original error is what the caller sees."""
    try:
        with stores(True) as store:
            store.add_batch(record)
            store.commit()
    except Exception:
        log.warning(
            "the failed import of %s could not be recorded", record.file_name, exc_info=True
        )


_IMPORTERS: dict[str, type[Importer]] = {
    "products": ProductImporter,
    "movements": MovementImporter,
    "opening_balances": OpeningBalanceImporter,
    "orders": OrderImporter,
}
