"""The import page's preview of a checked file: its counts, every error with its row and
column, what would change, and what was written. The buttons it shows act through
`ui.pages.imports.page.ImportView` (its handlers, named here)."""

from dataclasses import dataclass

from nicegui import ui

from core.imports import (
    ImportReport,
)
from core.imports.orders import OrderOptions
from core.stock.operations import OPERATIONS
from ui.context import AppContext
from ui.formatting import plural
from ui.i18n import language, number, tr
from ui.pages.imports import orders
from ui.pages.imports.history import ROLES, kind_label
from ui.session import guarded

PREVIEW_ROWS = 1000  # changes listed at most

ACTION_LABELS: dict[str, tuple[str, str]] = {
    "create": ("Новые товары", "New products"),
    "update": ("Изменятся", "To be updated"),
    "unchanged": ("Без изменений", "Unchanged"),
    "set": ("Остаток изменится", "Stock to be set"),
}


def action_label(action: str) -> str:
    if (order_label := orders.action_label(action)) is not None:
        return order_label
    if action in ACTION_LABELS:
        return tr(*ACTION_LABELS[action])
    op = OPERATIONS.get(action)
    return op.label(language()) if op else action


@dataclass
class Upload:
    content: bytes
    file_name: str
    kind: str
    operation_type: str | None
    order_options: OrderOptions | None = None
    report: ImportReport | None = None


class ImportPreview:
    """Draws the preview into `self.preview`; the subclass supplies the handlers
    (`_confirm`, `_errors_file`, `_another`) and the context."""

    ctx: AppContext
    preview: ui.element

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
                orders.format_note(report)
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
            target, label = {
                "products": ("/products", ("Открыть товары", "Open products")),
                "orders": ("/orders", ("Открыть заказы", "Open orders")),
            }.get(report.kind, ("/journal", ("Открыть журнал", "Open the journal")))
            with ui.row().classes("gap-2"):
                ui.button(tr(*label), on_click=lambda: ui.navigate.to(target)).props(
                    "outline no-caps size=lg"
                ).mark("import-open-target")
                ui.button(
                    tr("Загрузить другой файл", "Import another file"),
                    icon="upload_file",
                    on_click=guarded(self.ctx, ROLES, self._another),
                ).props("flat no-caps size=lg").mark("import-another")
