"""/import: an Excel or CSV file dropped on the page, checked whole, previewed, then written
whole on confirmation — all by core.imports (/import/history: ui.pages.imports.history).

The file is checked (dry run) as soon as it arrives; the preview lists every error at once
with its spreadsheet row and column. Nothing is written until «Загрузить» is pressed, and
then the whole file or nothing. The work runs off the event loop with a progress bar, so
the page stays responsive.

The upload's size is limited on the server: a body larger than the limit is refused with
413 while it is being received (not only by the browser's check), the received file is
measured again, and core.imports checks it once more.
"""

from dataclasses import dataclass, replace
from typing import Any

from nicegui import app, events, run, ui

from core.errors import DomainError
from core.imports import (
    IMPORT_KINDS,
    FileRejected,
    ImportReport,
    importable,
)
from core.stock.operations import OPERATIONS
from core.users.auth import Identity
from data.files.workbooks import errors_workbook, example_file
from data.imports.importing import import_file
from ui.components.downloads import offer_bytes
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.failures import failure_text
from ui.formatting import plural
from ui.i18n import language, number, tr
from ui.layout import frame
from ui.middleware import UPLOAD_PATHS, UploadLimit, megabytes
from ui.pages.imports.history import HISTORY_PATH, PATH, ROLES, kind_label
from ui.pages.imports.orders import SupplyChoices, again_note
from ui.pages.imports.preview import ImportPreview, Upload
from ui.session import guarded, protected_page

ACCEPT = ".xlsx,.xls,.csv"
IMPORT_FAILED = ("Не удалось загрузить файл", "Nothing was imported")
# The operation last chosen for a whole movements file (app.storage.user): a file without
# an «Операция» column is read as that, or as a receipt the first time.
LAST_OPERATION_KEY = "import_operation"
DEFAULT_OPERATION = "RECEIPT"
# Room for the multipart envelope around the file in the upload request.
ENVELOPE_BYTES = 64 * 1024

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


# --- The import page ---


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


class ImportView(ImportPreview):
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.settings = ctx.settings
        self.upload_data: Upload | None = None
        self.busy = False
        self.progress = Progress()
        self._build()

    # --- layout ---

    def _build(self) -> None:
        limit = self.settings.import_max_bytes
        with ui.row().classes("w-full items-end gap-3"):
            with ui.column().classes("gap-1"):
                ui.label(tr("Что в файле", "What the file holds")).classes(
                    "text-caption text-grey-7"
                )
                self.kind = (
                    ui.toggle({k: kind_label(k) for k in IMPORT_KINDS}, value="movements")
                    .props("no-caps padding='12px 16px'")
                    .mark("import-kind")
                )
            self.operation = (
                ui.select(
                    operation_options(),
                    value=None,
                    label=tr("Операция для всего файла", "Operation for the whole file"),
                )
                .props("outlined")
                .classes("min-w-72")
                .mark("import-operation")
            )
            ui.space()
            ui.button(
                tr("Образец файла", "Example file"),
                icon="description",
                on_click=guarded(self.ctx, ROLES, self._example),
            ).props("outline no-caps").classes("min-h-12").mark("import-example")
            ui.button(
                tr("История импорта", "Import history"),
                icon="history",
                on_click=lambda: ui.navigate.to(HISTORY_PATH),
            ).props("flat no-caps").classes("min-h-12").mark("import-history-link")
        self.supply = SupplyChoices(self.ctx, self.kind)
        self.supply.on_change(guarded(self.ctx, ROLES, self._options_changed))
        self.kind.on_value_change(guarded(self.ctx, ROLES, self._options_changed))
        self.operation.on_value_change(guarded(self.ctx, ROLES, self._operation_chosen))
        self.operation.bind_visibility_from(self.kind, "value", lambda k: k == "movements")

        self.upload = (
            ui.upload(
                label=tr(
                    "Перетащите файл сюда или нажмите «+», чтобы выбрать",
                    "Drop a file here or press «+» to choose one",
                ),
                auto_upload=True,
                max_file_size=limit,
                on_upload=guarded(self.ctx, ROLES, self._received),
                on_rejected=guarded(self.ctx, ROLES, self._rejected),
            )
            .props(f'accept="{ACCEPT}" flat bordered color=primary')
            .classes("w-full import-drop")
            .mark("import-upload")
        )
        url = str(self.upload.props["url"])
        UPLOAD_PATHS.add(url)
        self.upload.client.on_delete(lambda: UPLOAD_PATHS.discard(url))
        ui.label(
            tr(
                f"Файлы .xlsx, .xls или .csv до {megabytes(limit)} МБ и "
                f"{number(self.settings.import_max_rows)} строк. Первая строка с названиями "
                "столбцов может быть ниже шапки документа.",
                f"Files .xlsx, .xls or .csv up to {megabytes(limit)} MB and "
                f"{number(self.settings.import_max_rows)} rows. The header row may sit "
                "below a title block.",
            )
        ).classes("text-body2 text-grey-7 -mt-2")

        with ui.column().classes("w-full gap-1") as self.progress_box:
            self.stage = ui.label().classes("text-body1").mark("import-stage")
            self.bar = (
                ui.linear_progress(value=0, show_value=False, size="12px")
                .props("rounded")
                .mark("import-progress")
            )
        self.progress_box.set_visibility(False)
        self.failure = (
            ui.label()
            .classes("w-full text-body1 text-negative bg-red-1 rounded-borders q-pa-md")
            .mark("import-failure")
        )
        self.failure.set_visibility(False)
        self.preview = ui.column().classes("w-full gap-3").mark("import-preview")
        self.ticker = ui.timer(0.25, self._show_progress, active=False)
        hint = tr(
            "Перетащите сюда файл .xlsx, .xls или .csv", "Drop an .xlsx, .xls or .csv file here"
        )
        ui.add_css(
            ".import-drop { max-height: none; }"
            ".import-drop .q-uploader__subtitle { display: none; }"
            ".import-drop .q-uploader__list { min-height: 140px; display: flex;"
            " flex-direction: column; justify-content: center; }"
            f'.import-drop .q-uploader__list:empty::before {{ content: "{hint}";'
            " text-align: center; font-size: 1.1rem; color: #757575; }"
        )

    # --- events ---

    async def _example(self, user: Identity, *_: Any) -> None:
        name, content = example_file(self.kind.value)
        offer_bytes(user, content, name)

    async def _rejected(self, _user: Identity, *_: Any) -> None:
        self._fail(
            tr(
                f"Файл не принят: нужен .xlsx, .xls или .csv не больше "
                f"{megabytes(self.settings.import_max_bytes)} МБ",
                f"File refused: it must be .xlsx, .xls or .csv of at most "
                f"{megabytes(self.settings.import_max_bytes)} MB",
            )
        )

    async def _received(self, user: Identity, event: events.UploadEventArguments) -> None:
        file = event.file
        if self.busy:
            ui.notify(tr("Подождите: идёт проверка", "Please wait: busy"), position="top")
            return
        self.upload_data = None
        self.preview.clear()
        if file.size() > self.settings.import_max_bytes:  # the browser's check is not enough
            size = megabytes(self.settings.import_max_bytes)
            self._fail(
                tr(
                    f"Файл больше {size} МБ: разделите его на части",
                    f"The file is larger than {size} MB: split it",
                )
            )
            return
        content = await file.read()
        self.upload_data = Upload(content, file.name, self.kind.value, self.operation.value,
                                  self.supply.options(self.kind.value))  # fmt: skip
        await self._check(user)

    async def _operation_chosen(self, user: Identity, *_: Any) -> None:
        if self.operation.value is not None:
            app.storage.user[LAST_OPERATION_KEY] = self.operation.value
        await self._options_changed(user)

    async def _options_changed(self, user: Identity, *_: Any) -> None:
        data = self.upload_data
        if data is None or self.busy or (data.report is not None and data.report.applied):
            return
        if self._stale(data):
            await self._check(user)  # the same file, read as what is now chosen

    def _operation(self) -> str | None:
        return self.operation.value if self.kind.value == "movements" else None

    async def _check(self, user: Identity) -> None:
        data = self.upload_data
        # Again while the choices changed during a check: the preview must match them.
        while data is not None and (data.report is None or self._stale(data)):
            data.kind, data.operation_type = self.kind.value, self._operation()
            data.order_options = self.supply.options(data.kind)
            report = await self._run(user, data, dry_run=True)
            if report is None or data is not self.upload_data:
                return
            data.report = report
            if report.operation_inferred:
                # The file names no operation: it was read as the fallback, which is now
                # the choice shown (and the one a confirmation writes with).
                data.operation_type = report.operation_type
                self.operation.value = report.operation_type
            self._show(data)

    def _stale(self, data: Upload) -> bool:
        now = (self.kind.value, self._operation(), self.supply.options(self.kind.value))
        return (data.kind, data.operation_type, data.order_options) != now

    async def _confirm(self, user: Identity, *_: Any) -> None:
        data = self.upload_data
        if data is None or data.report is None or self.busy:
            return
        if data.report.same_file_imported_before:
            self._ask_again(data)
            return
        await self._write(user, data)

    def _ask_again(self, data: Upload) -> None:
        with ui.dialog() as dialog, ui.card().classes("max-w-lg gap-3").mark("import-again"):
            ui.label(tr("Этот файл уже загружали", "This file was imported before")).classes(
                "text-h6"
            )
            ui.label(
                tr(
                    f"«{data.file_name}» с тем же содержимым уже был загружен. Загрузить его "
                    "ещё раз? " + again_note(data.kind),
                    f"«{data.file_name}» with the same content was imported before. Import "
                    "it again? Everything in it will be applied once more.",
                )
            ).classes("text-body1")

            async def again(user: Identity, *_: Any) -> None:
                dialog.close()
                await self._write(user, data)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Отмена", "Cancel"), on_click=dialog.close).props(
                    "flat no-caps size=lg"
                ).mark("import-again-cancel")
                ui.button(
                    tr("Загрузить ещё раз", "Import again"),
                    color="warning",
                    on_click=guarded(self.ctx, ROLES, again),
                ).props("unelevated no-caps size=lg").mark("import-again-confirm")
        dialog.on("hide", lambda: dialog.delete())
        dialog.open()

    async def _write(self, user: Identity, data: Upload) -> None:
        report = await self._run(user, data, dry_run=False)
        if report is None:
            return
        data.report = report
        if report.applied:
            show_done(
                tr(
                    f"Файл загружен: {number(report.rows_ok)} "
                    + plural(report.rows_ok, "строка", "строки", "строк"),
                    f"File imported: {number(report.rows_ok)} rows",
                )
            )
        self._show(data)

    async def _errors_file(self, user: Identity, *_: Any) -> None:
        data = self.upload_data
        if data is None or data.report is None:
            return
        content = await run.io_bound(errors_workbook, data.content, data.file_name, data.report)
        if content is None:
            return
        stem = data.file_name.rsplit(".", 1)[0] or "file"
        offer_bytes(user, content, f"{stem} — ошибки.xlsx")

    def _another(self, _user: Identity, *_: Any) -> None:
        self.upload_data = None
        self.preview.clear()
        self.failure.set_visibility(False)
        self.upload.reset()

    # --- running core.imports off the event loop ---

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


def register(ctx: AppContext) -> None:
    app.add_middleware(
        UploadLimit, file_limit=ctx.settings.import_max_bytes, envelope=ENVELOPE_BYTES
    )

    @protected_page(ctx, PATH, ROLES)
    def import_page(user: Identity) -> None:
        with frame(user, tr("Импорт", "Import"), PATH):
            ImportView(ctx)
