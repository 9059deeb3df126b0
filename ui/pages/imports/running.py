"""Running core.imports for the import page off the event loop: a progress bar fed by
the worker thread (or the queue ahead of a big file), and what failed said on the page.
The page supplies its widgets and `_show` (the preview)."""

from dataclasses import dataclass, replace

from nicegui import app, run, ui

from core.errors import DomainError
from core.imports import FileRejected, ImportReport, importable
from core.stock.operations import OPERATIONS
from core.users.auth import Identity
from data.imports.importing import import_file
from ui.components.feedback import show_error
from ui.failures import failure_text
from ui.formatting import plural
from ui.i18n import language, number, tr
from ui.pages.imports.preview import ImportPreview, Upload

IMPORT_FAILED = ("Не удалось загрузить файл", "Nothing was imported")
# The operation last chosen for a whole movements file (app.storage.user): a file without
# an «Операция» column is read as that, or as a receipt the first time.
LAST_OPERATION_KEY = "import_operation"
DEFAULT_OPERATION = "RECEIPT"
STAGES: dict[str, tuple[str, str]] = {
    "parse": ("Чтение файла", "Reading the file"),
    "check": ("Проверка строк", "Checking rows"),
    "write": ("Запись в базу", "Writing"),
}


def operation_options() -> dict[str | None, str]:
    """The operation for a whole movements file, or none: the file's «Операция» column.
    TRANSFER names its locations per movement, which a file cannot (core.imports refuses
    it with its own message); the others can be chosen."""
    options: dict[str | None, str] = {
        None: tr("Из столбца «Операция» в файле", "From the file's «Операция» column")
    }
    for code, op in OPERATIONS.items():
        if importable(op):
            options[code] = op.label(language())
    return options


@dataclass
class Progress:
    """Written by the worker thread, read by a timer on the event loop."""

    stage: str = "parse"
    fraction: float = 0.0
    ahead: int = 0  # imports ahead of this one while it waits for its turn

    def __call__(self, stage: str, fraction: float) -> None:
        self.ahead = 0
        self.stage, self.fraction = stage, max(0.0, min(1.0, fraction))

    def queued(self, ahead: int) -> None:
        self.ahead = ahead


class ImportRunning(ImportPreview):
    """The import page's runs: one at a time (`busy`), each with a fresh `Progress`."""

    busy: bool
    progress: Progress

    async def _run(self, user: Identity, data: Upload, *, dry_run: bool) -> ImportReport | None:
        self.busy = True
        self.progress = Progress()
        self.failure.set_visibility(False)
        self.progress_box.set_visibility(True)
        self._show_progress()
        self.ticker.activate()
        self.upload.disable()
        for button in self.preview.descendants():
            if isinstance(button, ui.button):
                button.disable()
        try:
            return await run.io_bound(
                import_file,
                self.ctx.db,
                content=data.content,
                file_name=data.file_name,
                kind=data.kind,
                operation_type=data.operation_type,
                dry_run=dry_run,
                user_id=user.id,
                settings=self.settings,
                progress=self.progress,
                # asked only when the preview said so: a file imported since is refused
                repeat_allowed=data.report is not None and data.report.same_file_imported_before,
                waiting=self.progress.queued,
                fallback_operation=self._fallback_operation(),
                order_options=data.order_options,
            )
        except FileRejected as error:
            self.preview.clear()
            self._fail(error.message)
        except DomainError as error:
            show_error(error)
            self._fail(error.message)
            if data.report is not None:
                if error.code == "file_imported_before":  # the next confirm asks first
                    data.report = replace(data.report, same_file_imported_before=True)
                self._show(data)
        except Exception as error:  # the database's failure, said on the page
            text = failure_text(error, "an import", IMPORT_FAILED)
            if text is None:
                raise
            self._fail(text)
            if data.report is not None:
                self._show(data)
        finally:
            self.busy = False
            self.ticker.deactivate()
            self.progress_box.set_visibility(False)
            self.upload.enable()
            self.upload.reset()  # the drop zone is ready for the next file
        return None

    def _fallback_operation(self) -> str | None:
        last = app.storage.user.get(LAST_OPERATION_KEY)
        return last if last and last in operation_options() else DEFAULT_OPERATION

    def _show_progress(self) -> None:
        if ahead := self.progress.ahead:
            self.stage.set_text(
                tr(
                    f"Файл в очереди: перед ним {number(ahead)} "
                    + plural(ahead, "файл", "файла", "файлов"),
                    f"The file is queued: {number(ahead)} ahead of it",
                )
            )
            self.bar.set_value(0)
            return
        stage = tr(*STAGES.get(self.progress.stage, STAGES["parse"]))
        percent = round(self.progress.fraction * 100)
        self.stage.set_text(f"{stage}: {percent} %")
        self.bar.set_value(self.progress.fraction)

    def _fail(self, message: str) -> None:
        self.failure.set_text(message)
        self.failure.set_visibility(True)
