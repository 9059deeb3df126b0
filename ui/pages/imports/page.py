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

from typing import Any

from nicegui import app, events, run, ui

from core.imports import IMPORT_KINDS
from core.users.auth import Identity
from data.files.workbooks import errors_workbook, example_file
from ui.components.downloads import offer_bytes
from ui.components.feedback import show_done
from ui.context import AppContext
from ui.formatting import plural
from ui.i18n import number, tr
from ui.layout import frame
from ui.middleware import UPLOAD_PATHS, UploadLimit, megabytes
from ui.pages.imports.history import HISTORY_PATH, PATH, ROLES, kind_label
from ui.pages.imports.orders import SupplyChoices, again_note
from ui.pages.imports.preview import Upload
from ui.pages.imports.running import LAST_OPERATION_KEY, ImportRunning, Progress, operation_options
from ui.session import guarded, protected_page

ACCEPT = ".xlsx,.xls,.csv"
# Room for the multipart envelope around the file in the upload request.
ENVELOPE_BYTES = 64 * 1024


class ImportView(ImportRunning):
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


def register(ctx: AppContext) -> None:
    app.add_middleware(
        UploadLimit, file_limit=ctx.settings.import_max_bytes, envelope=ENVELOPE_BYTES
    )

    @protected_page(ctx, PATH, ROLES)
    def import_page(user: Identity) -> None:
        with frame(user, tr("Импорт", "Import"), PATH):
            ImportView(ctx)
