"""Bins from an Excel list on the storage map: the file is checked whole first (every
row's errors with its row and column, core.floor.bin_import), then every bin is created
in one transaction or none."""

from typing import Any

from nicegui import events, run, ui

from core.errors import DomainError
from core.floor.bin_import import BinFileReport, import_bins
from core.imports import FileRejected
from core.users.auth import Identity
from data.floor.bin_files import EXAMPLE_NAME, example_bin_file, read_bin_file
from ui.components.downloads import offer_bytes
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.formatting import plural, quantity
from ui.i18n import tr
from ui.middleware import UPLOAD_PATHS, megabytes
from ui.pages.floor.location_dialogs import MANAGE, Done, dialog_card
from ui.session import guarded


def import_form(ctx: AppContext, on_done: Done) -> None:
    """A bin list from .xlsx, .xls or .csv: checked whole first, then all created or none."""
    dialog, card = dialog_card(tr("Ячейки из Excel", "Bins from Excel"), "max-w-3xl")
    settings = ctx.settings
    received: dict[str, Any] = {}
    with card:
        ui.label(
            tr("Столбцы: «Код» (обязателен), «Наименование», «Зона», «Порядок обхода», «Склад» "
               "(Годный или Брак). Сначала проверяются все строки; если есть ошибки, не "
               "создаётся ничего.",
               "Columns: «Код» (required), «Наименование», «Зона», «Порядок обхода», «Склад». "
               "Every row is checked first; with any error nothing is created.")
        ).classes("text-body2 text-grey-8")  # fmt: skip
        upload = (
            ui.upload(
                label=tr("Перетащите файл или нажмите «+»", "Drop a file or press «+»"),
                auto_upload=True,
                max_file_size=settings.import_max_bytes,
            )
            .props('accept=".xlsx,.xls,.csv" flat bordered color=primary')
            .classes("w-full")
            .mark("bins-upload")
        )
        url = str(upload.props["url"])
        UPLOAD_PATHS.add(url)  # the server refuses a bigger upload while it arrives
        upload.client.on_delete(lambda: UPLOAD_PATHS.discard(url))
        ui.button(
            tr("Скачать образец", "Download an example"), icon="download",
            on_click=guarded(ctx, MANAGE, lambda user, _e=None: offer_bytes(
                user, example_bin_file(), EXAMPLE_NAME)),
        ).props("flat no-caps").mark("bins-example")  # fmt: skip
        result = ui.column().classes("w-full gap-2").mark("bins-result")

    def check(content: bytes, name: str, apply: bool) -> BinFileReport:
        sheet = read_bin_file(content, name, settings)
        return import_bins(ctx.locations, sheet, apply=apply)

    def show(report: BinFileReport) -> None:
        result.clear()
        with result:
            if report.error_count:
                ui.label(
                    tr(f"Ошибок: {quantity(report.error_count)}. Ничего не создано — исправьте "
                       "файл и загрузите снова.",
                       f"Errors: {quantity(report.error_count)}. Nothing was created.")
                ).classes("text-body1 text-negative").mark("bins-errors-count")  # fmt: skip
                rows = [{"n": i, "row": e.row, "column": e.column or "", "message": e.message}
                        for i, e in enumerate(report.errors[:500])]  # fmt: skip
                columns = [
                    {"name": "row", "label": tr("Строка", "Row"), "field": "row"},
                    {"name": "column", "label": tr("Столбец", "Column"), "field": "column",
                     "align": "left"},
                    {"name": "message", "label": tr("Ошибка", "Error"), "field": "message",
                     "align": "left", "classes": "whitespace-normal"},
                ]  # fmt: skip
                ui.table(columns=columns, rows=rows, row_key="n").props(
                    "flat bordered dense hide-bottom virtual-scroll"
                ).classes("w-full max-h-80").mark("bins-errors")
                return
            count = len(report.bins)
            ui.label(
                tr(f"Ошибок нет. Будет создано {quantity(count)} "
                   f"{plural(count, 'ячейка', 'ячейки', 'ячеек')}.",
                   f"No errors. {quantity(count)} bins will be created.")
            ).classes("text-body1 text-positive").mark("bins-ok")  # fmt: skip
            ui.button(tr("Создать", "Create"), on_click=guarded(ctx, MANAGE, confirm)).props(
                "size=lg"
            ).mark("bins-confirm")

    async def run_check(apply: bool) -> BinFileReport | None:
        try:
            return await run.io_bound(check, received["content"], received["name"], apply)
        except (FileRejected, DomainError) as error:
            result.clear()
            with result:
                ui.label(error.message).classes("text-body1 text-negative").mark("bins-refused")
            return None

    async def uploaded(_user: Identity, event: events.UploadEventArguments) -> None:
        if event.file.size() > settings.import_max_bytes:
            show_error(
                FileRejected(
                    "file_too_large",
                    tr(f"Файл больше {megabytes(settings.import_max_bytes)} МБ", "File too large"),
                )
            )
            return  # fmt: skip
        received.update(content=await event.file.read(), name=event.file.name)
        upload.reset()
        report = await run_check(apply=False)
        if report is not None:
            show(report)

    async def confirm(_user: Identity, _event: Any = None) -> None:
        report = await run_check(apply=True)
        if report is None:
            return
        if not report.applied:  # changed meanwhile: show what is wrong now
            show(report)
            return
        dialog.close()
        count = len(report.bins)
        show_done(tr(f"Создано: {quantity(count)} {plural(count, 'ячейка', 'ячейки', 'ячеек')}",
                     f"Bins created: {quantity(count)}"))  # fmt: skip
        await on_done()

    upload.on_upload(guarded(ctx, MANAGE, uploaded))
    dialog.open()
