"""/import: an Excel or CSV file dropped on the page, checked whole, previewed, then written
whole on confirmation — all by core.imports; and /import/history, every import made.

The file is checked (dry run) as soon as it arrives; the preview lists every error at once
with its spreadsheet row and column. Nothing is written until «Загрузить» is pressed, and
then the whole file or nothing. The work runs off the event loop with a progress bar, so
the page stays responsive.

The upload's size is limited on the server: a body larger than the limit is refused with
413 while it is being received (not only by the browser's check), the received file is
measured again, and core.imports checks it once more.
"""

import logging
from dataclasses import dataclass, replace
from typing import Any

from nicegui import app, events, run, ui
from sqlalchemy.exc import SQLAlchemyError

from core.auth import Identity
from core.errors import DomainError
from core.imports import (
    IMPORT_KINDS,
    KIND_LABELS,
    FileRejected,
    ImportReport,
    importable,
)
from core.operations import OPERATIONS
from core.policy import Action
from data.files.workbooks import errors_workbook, example_file
from data.imports import import_file
from data.queries import import_history
from ui.context import AppContext
from ui.downloads import offer_bytes
from ui.feedback import show_done, show_error
from ui.formatting import format_time, plural
from ui.i18n import language, number, tr
from ui.layout import frame
from ui.middleware import UPLOAD_PATHS, UploadLimit, megabytes
from ui.session import guarded, protected_page

PATH = "/import"
HISTORY_PATH = "/import/history"
ROLES = Action.IMPORT_FILES  # who may: core.policy
ACCEPT = ".xlsx,.xls,.csv"
PREVIEW_ROWS = 1000
HISTORY_PAGE_SIZES = (20, 50, 100)
# The operation last chosen for a whole movements file (app.storage.user): a file without
# an «Операция» column is read as that, or as a receipt the first time.
LAST_OPERATION_KEY = "import_operation"
DEFAULT_OPERATION = "RECEIPT"
# Room for the multipart envelope around the file in the upload request.
ENVELOPE_BYTES = 64 * 1024

ACTION_LABELS: dict[str, tuple[str, str]] = {
    "create": ("Новые товары", "New products"),
    "update": ("Изменятся", "To be updated"),
    "unchanged": ("Без изменений", "Unchanged"),
    "set": ("Остаток изменится", "Stock to be set"),
}
STAGES: dict[str, tuple[str, str]] = {
    "parse": ("Чтение файла", "Reading the file"),
    "check": ("Проверка строк", "Checking rows"),
    "write": ("Запись в базу", "Writing"),
}

log = logging.getLogger(__name__)


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return tr(*ACTION_LABELS[action])
    op = OPERATIONS.get(action)
    return op.label(language()) if op else action


def kind_label(kind: str) -> str:
    ru, en = KIND_LABELS.get(kind, (kind, kind))
    return tr(ru, en)


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


@dataclass
class Upload:
    content: bytes
    file_name: str
    kind: str
    operation_type: str | None
    report: ImportReport | None = None


class ImportView:
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
        self.upload_data = Upload(content, file.name, self.kind.value, self.operation.value)
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
        return (data.kind, data.operation_type) != (self.kind.value, self._operation())

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
                    "ещё раз? Всё, что в нём есть, будет проведено повторно.",
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
        except SQLAlchemyError as error:
            log.warning("import failed: %s", error)
            self._fail(
                tr(
                    "База данных недоступна: файл не загружен. Повторите.",
                    "The database is unavailable: nothing was imported. Try again.",
                )
            )
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

    # --- the preview ---

    def _show(self, data: Upload) -> None:
        report = data.report
        assert report is not None
        self.preview.clear()
        with self.preview:
            if report.applied:
                self._applied(report)
                return
            with ui.card().classes("w-full gap-2").mark("import-summary"):
                ui.label(f"{data.file_name} · {kind_label(report.kind)}").classes(
                    "text-h6 break-all"
                )
                errors = report.error_count
                ui.label(
                    tr(
                        f"Строк в файле: {number(report.rows_total)} · без ошибок: "
                        f"{number(report.rows_ok)} · ошибок: {number(errors)}",
                        f"Rows in the file: {number(report.rows_total)} · fine: "
                        f"{number(report.rows_ok)} · errors: {number(errors)}",
                    )
                ).classes("text-body1").mark("import-counts")
                if report.counts:
                    with ui.row().classes("gap-2"):
                        for action, count in sorted(report.counts.items()):
                            ui.chip(f"{action_label(action)}: {number(count)}").props(
                                "outline color=primary"
                            ).classes("text-body2")
                if report.operation_inferred and report.operation_type in OPERATIONS:
                    ui.label(
                        tr(
                            "В файле нет столбца «Операция»: для всего файла взята операция "
                            f"«{OPERATIONS[report.operation_type].label_ru}». Если нужна "
                            "другая, выберите её выше.",
                            "The file has no «Операция» column: the whole file is read as "
                            f"«{OPERATIONS[report.operation_type].label_en}». Choose another "
                            "above if needed.",
                        )
                    ).classes("text-body2 text-orange-9").mark("import-operation-inferred")
                if report.same_file_imported_before:
                    ui.label(
                        tr(
                            "Этот файл уже загружали раньше (то же содержимое).",
                            "This file was imported before (same content).",
                        )
                    ).classes("text-body2 text-orange-9").mark("import-seen-before")
            if errors:
                self._errors(report)
            else:
                self._changes(report)
            with ui.row().classes("w-full gap-2 justify-end"):
                ui.button(
                    tr("Другой файл", "Another file"),
                    icon="upload_file",
                    on_click=guarded(self.ctx, ROLES, self._another),
                ).props("flat no-caps size=lg").mark("import-another")
                if not errors and report.rows_ok:
                    ui.button(
                        tr(
                            f"Загрузить {number(report.rows_ok)} "
                            + plural(report.rows_ok, "строку", "строки", "строк"),
                            f"Import {number(report.rows_ok)} rows",
                        ),
                        icon="check",
                        on_click=guarded(self.ctx, ROLES, self._confirm),
                    ).props("unelevated no-caps size=lg color=positive").mark("import-confirm")

    def _errors(self, report: ImportReport) -> None:
        with ui.row().classes("w-full items-center gap-3"):
            ui.label(
                tr(
                    "Файл не будет загружен, пока в нём есть ошибки. Исправьте их и загрузите "
                    "файл снова.",
                    "The file cannot be imported while it has errors. Fix them and upload "
                    "it again.",
                )
            ).classes("text-body1 text-negative grow")
            ui.button(
                tr("Скачать ошибки (.xlsx)", "Download errors (.xlsx)"),
                icon="download",
                on_click=guarded(self.ctx, ROLES, self._errors_file),
            ).props("outline no-caps size=lg color=negative").mark("import-errors-download")
        if report.error_count > len(report.errors):
            ui.label(
                tr(
                    f"Показаны первые {number(len(report.errors))} "
                    + plural(len(report.errors), "ошибка", "ошибки", "ошибок")
                    + f" из {number(report.error_count)}, и они же отмечены в файле ошибок: "
                    "исправьте их и загрузите файл снова, чтобы увидеть остальные.",
                    f"The first {number(len(report.errors))} of {number(report.error_count)} "
                    "errors are shown and marked in the errors file: fix them and upload the "
                    "file again to see the rest.",
                )
            ).classes("text-body2 text-grey-7")
        columns = [
            {"name": "row", "label": tr("Строка", "Row"), "field": "row", "align": "right",
             "sortable": True},
            {"name": "column", "label": tr("Столбец", "Column"), "field": "column",
             "align": "left", "sortable": True},
            {"name": "message", "label": tr("Ошибка", "Error"), "field": "message",
             "align": "left"},
        ]  # fmt: skip
        rows = [
            {"id": i, "row": e.row, "column": e.column or "—", "message": e.message}
            for i, e in enumerate(report.errors)
        ]
        table = (
            ui.table(columns=columns, rows=rows, row_key="id", pagination=25)
            .props("flat bordered wrap-cells")
            .classes("w-full")
            .mark("import-errors")
        )
        table.props["rows-per-page-options"] = [25, 50, 100, 0]

    def _changes(self, report: ImportReport) -> None:
        total = sum(report.counts.values())
        ui.label(tr("Что изменится", "What will change")).classes("text-subtitle1")
        if total > len(report.changes):
            ui.label(
                tr(
                    f"Показаны первые {number(len(report.changes))} "
                    + plural(len(report.changes), "строка", "строки", "строк")
                    + f" из {number(total)}.",
                    f"The first {number(len(report.changes))} of {number(total)} rows are shown.",
                )
            ).classes("text-body2 text-grey-7")
        columns = [
            {"name": "row", "label": tr("Строка", "Row"), "field": "row", "align": "right"},
            {"name": "action", "label": tr("Действие", "Action"), "field": "action",
             "align": "left"},
            {"name": "description", "label": tr("Что", "What"), "field": "description",
             "align": "left"},
        ]  # fmt: skip
        rows = [
            {"id": i, "row": c.row, "action": action_label(c.action),
             "description": c.description}
            for i, c in enumerate(report.changes[:PREVIEW_ROWS])
        ]  # fmt: skip
        table = (
            ui.table(columns=columns, rows=rows, row_key="id", pagination=25)
            .props("flat bordered wrap-cells")
            .classes("w-full")
            .mark("import-changes")
        )
        table.props["rows-per-page-options"] = [25, 50, 100, 0]

    def _applied(self, report: ImportReport) -> None:
        with (
            ui.card()
            .classes("w-full gap-2 bg-green-1")
            .mark("import-done")
        ):  # fmt: skip
            ui.label(
                tr(
                    f"Загружено: {number(report.rows_ok)} "
                    + plural(report.rows_ok, "строка", "строки", "строк")
                    + f" из «{report.file_name}»",
                    f"Imported: {number(report.rows_ok)} rows of «{report.file_name}»",
                )
            ).classes("text-h6 text-positive break-all")
            if report.counts:
                ui.label(
                    ", ".join(
                        f"{action_label(a)}: {number(n)}" for a, n in sorted(report.counts.items())
                    )
                ).classes("text-body1")
            target = "/products" if report.kind == "products" else "/journal"
            with ui.row().classes("gap-2"):
                ui.button(
                    tr("Открыть товары", "Open products")
                    if report.kind == "products"
                    else tr("Открыть журнал", "Open the journal"),
                    on_click=lambda: ui.navigate.to(target),
                ).props("outline no-caps size=lg")
                ui.button(
                    tr("Загрузить другой файл", "Import another file"),
                    icon="upload_file",
                    on_click=guarded(self.ctx, ROLES, self._another),
                ).props("flat no-caps size=lg").mark("import-another")


# --- History ---


def history_columns() -> list[dict[str, Any]]:
    def column(name: str, label: str, align: str = "left", **extra: Any) -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": align, **extra}

    return [
        column("created_at", tr("Когда", "When"), classes="text-no-wrap"),
        column("file_name", tr("Файл", "File"), classes="break-all", style="min-width: 8rem"),
        column("sha", "SHA-256", classes="gt-sm text-mono", headerClasses="gt-sm"),
        column("kind", tr("Что", "Kind")),
        column("user", tr("Пользователь", "User")),
        column("rows", tr("Строк", "Rows"), "right"),
        column("result", tr("Результат", "Result")),
    ]  # fmt: skip


def history_row(item: dict[str, Any], tz_name: str) -> dict[str, Any]:
    kind = kind_label(item["kind"])
    op = OPERATIONS.get(item.get("operation_type") or "")
    if op is not None:
        kind = f"{kind}: {op.label(language())}"
    errors = int(item.get("error_count") or 0)
    if item["applied"]:
        result = tr("Загружен", "Imported")
    elif item.get("status") == "failed":
        result = tr("Не загружен", "Failed")
    else:
        result = tr(f"Отклонён: ошибок {number(errors)}", f"Refused: {number(errors)} errors")
    return {
        "id": item["id"],
        "created_at": format_time(item["created_at"], tz_name),
        "file_name": item["file_name"],
        "sha": item["file_sha256"][:12],
        "sha_full": item["file_sha256"],
        "kind": kind,
        "user": item.get("user") or "",
        "rows": f"{number(item['rows_ok'])} / {number(item['rows_total'])}",
        "result": result,
        "reason": item.get("reason") or "",
        "applied": bool(item["applied"]),
    }


SHA_CELL = r"""
<q-td :props="props" class="gt-sm">
  <span class="text-mono" :title="props.row.sha_full">{{ props.row.sha }}</span>
</q-td>
"""
RESULT_CELL = r"""
<q-td :props="props">
  <q-badge :color="props.row.applied ? 'positive' : 'negative'" :label="props.row.result"
           class="text-body2 q-px-sm q-py-xs" />
  <div v-if="props.row.reason" class="text-body2 text-negative q-mt-xs">
    {{ props.row.reason }}
  </div>
</q-td>
"""


class HistoryView:
    def __init__(self, ctx: AppContext, batch_id: int | None = None) -> None:
        self.ctx = ctx
        self.batch_id = batch_id  # one import only (a journal row links to it)
        with ui.row().classes("w-full items-center gap-3"):
            self.total = ui.label().classes("text-body1 text-grey-8").mark("history-total")
            if batch_id is not None:
                ui.link(tr("Все импорты", "All imports"), HISTORY_PATH).classes("text-body1")
            ui.space()
            ui.button(
                tr("Новый импорт", "New import"),
                icon="upload_file",
                on_click=lambda: ui.navigate.to(PATH),
            ).props("unelevated no-caps").classes("min-h-12").mark("history-new-import")
        self.table = (
            ui.table(
                columns=history_columns(),
                rows=[],
                row_key="id",
                pagination={"page": 1, "rowsPerPage": HISTORY_PAGE_SIZES[0], "rowsNumber": 0},
            )
            .props(
                f':rows-per-page-options="{list(HISTORY_PAGE_SIZES)}" flat bordered wrap-cells '
                f'no-data-label="{tr("Импортов ещё не было", "No imports yet")}" '
                f'rows-per-page-label="{tr("Строк на странице:", "Rows per page:")}"'
            )
            .classes("w-full")
            .mark("import-history")
        )
        self.table.add_slot("body-cell-sha", SHA_CELL)
        self.table.add_slot("body-cell-result", RESULT_CELL)
        self.table.on("request", guarded(ctx, ROLES, self._requested))
        self.load(page=1, size=HISTORY_PAGE_SIZES[0])

    async def _requested(self, _user: Identity, e: events.GenericEventArguments) -> None:
        pagination = e.args.get("pagination", {}) if isinstance(e.args, dict) else {}
        size = pagination.get("rowsPerPage")
        self.load(
            page=int(pagination.get("page") or 1),
            size=size if size in HISTORY_PAGE_SIZES else HISTORY_PAGE_SIZES[0],
        )

    def load(self, *, page: int, size: int) -> None:
        result = import_history(
            self.ctx.db.engine, limit=size, offset=(page - 1) * size, batch_id=self.batch_id
        )
        tz_name = self.ctx.settings.time_zone
        self.table.rows = [history_row(item, tz_name) for item in result.items]
        self.table.pagination = {
            **self.table.pagination,
            "page": page,
            "rowsPerPage": size,
            "rowsNumber": result.total,
        }
        self.total.set_text(tr("Импортов: ", "Imports: ") + number(result.total))


def register(ctx: AppContext) -> None:
    app.add_middleware(
        UploadLimit, file_limit=ctx.settings.import_max_bytes, envelope=ENVELOPE_BYTES
    )

    @protected_page(ctx, PATH, ROLES)
    def import_page(user: Identity) -> None:
        with frame(user, tr("Импорт", "Import"), PATH):
            ImportView(ctx)

    @protected_page(ctx, HISTORY_PATH, ROLES)
    def import_history_page(user: Identity, import_id: str | None = None) -> None:
        # One import (a journal row links to it); nonsense shows the whole history.
        batch_id = int(import_id) if import_id and import_id.isdigit() else None
        with frame(user, tr("История импорта", "Import history"), PATH):
            HistoryView(ctx, batch_id)
