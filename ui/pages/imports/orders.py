"""The import page's orders kind (core.imports.orders): the choices a supply file needs
— its number and its DC, else both come from the file's name — and, on the preview, the
format the file's headers were recognised as and what becomes of each order."""

from typing import Any

from nicegui import ui

from core.imports import ImportReport
from core.imports.order_formats import FORMATS
from core.imports.orders import OrderOptions
from data.catalog.queries import distribution_centers
from ui.context import AppContext
from ui.i18n import language, tr

KIND = "orders"
ACTION_LABELS: dict[str, tuple[str, str]] = {
    "order_create": ("Новые заказы", "New orders"),
    "order_exists": ("Уже есть, не проводятся", "Already there, skipped"),
}


class SupplyChoices:
    """«Номер поставки» and «РЦ поставки», shown while the kind is orders. Empty: the
    importer takes both from the file's name (a supply file names neither)."""

    def __init__(self, ctx: AppContext, kind: ui.toggle) -> None:
        with ui.row().classes("w-full items-end gap-3") as self.box:
            self.number = (
                ui.input(
                    tr("Номер поставки (FBO)", "Supply number (FBO)"),
                    placeholder=tr("из имени файла", "from the file name"),
                )
                .props("outlined clearable")
                .classes("min-w-60")
                .mark("import-supply-number")
            )
            options: dict[Any, str] = {None: tr("Из имени файла", "From the file name")}
            for dc in distribution_centers(ctx.db.engine, active_only=True):
                options[dc.id] = dc.name
            self.dc = (
                ui.select(options, value=None, label=tr("РЦ поставки (FBO)", "Supply DC (FBO)"))
                .props("outlined")
                .classes("min-w-72")
                .mark("import-supply-dc")
            )
            ui.label(
                tr(
                    "Нужны только для файлов поставки WB и Ozon: в них нет ни номера, ни РЦ",
                    "Only for WB and Ozon supply files: they name neither",
                )
            ).classes("text-body2 text-grey-7")
        self.box.bind_visibility_from(kind, "value", lambda k: k == KIND)

    def options(self, kind: str) -> OrderOptions | None:
        if kind != KIND:
            return None
        number = (self.number.value or "").strip() or None
        return OrderOptions(number, self.dc.value)

    def on_change(self, handler: Any) -> None:
        self.number.on("blur", handler)
        self.number.on("keydown.enter", handler)
        self.number.on("clear", handler)
        self.dc.on_value_change(handler)


def again_note(kind: str) -> str:
    """What a second import of the same file does (Russian, as the dialog's text)."""
    if kind == KIND:  # the use case answers a known order with the existing one
        return "Заказы, которые уже есть, повторно не создаются — добавятся только новые."
    return "Всё, что в нём есть, будет проведено повторно."


def action_label(action: str) -> str | None:
    label = ACTION_LABELS.get(action)
    return tr(*label) if label else None


def format_note(report: ImportReport) -> None:
    """The format the headers were recognised as, and the marketplace it sets."""
    fmt = FORMATS.get(report.file_format or "")
    if report.kind != KIND or fmt is None:
        return
    label = fmt.label_ru if language() == "ru" else fmt.label_en
    source = fmt.source or tr("из столбца «Маркетплейс»", "from the «Маркетплейс» column")
    ui.label(
        tr(f"Формат файла: {label} · маркетплейс: {source}",
           f"File format: {label} · marketplace: {source}")
    ).classes("text-body1 text-primary").mark("import-format")  # fmt: skip
