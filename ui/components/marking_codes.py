"""An order's Честный ЗНАК codes on its card (data.marking.queries): a table by package and
the files the marketplace and «вывод из оборота» want (.xlsx, .csv). Nothing when the
order has no codes; and the codes shipped over a period (the orders list's button)."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import ui

from core.periods import day_start
from core.users.auth import Identity
from core.users.policy import Action
from data.files.exports import XLSX_MEDIA_TYPE as XLSX
from data.marking.queries import (
    STATUS_LABELS,
    CodeRow,
    codes_csv,
    codes_xlsx,
    order_codes,
    shipped_codes,
)
from ui.components.downloads import offer_bytes
from ui.context import AppContext
from ui.formatting import format_time
from ui.i18n import tr
from ui.session import guarded

STATUS_EN = {"packed": "Packed", "shipped": "Shipped", "returned": "Returned"}
CSV = "text/csv; charset=utf-8"


def codes_table(ctx: AppContext, order_id: int, codes: Sequence[CodeRow], zone: str) -> None:
    if not codes:
        return
    with ui.row().classes("w-full items-center gap-2"):
        ui.label(tr(f"Коды маркировки: {len(codes)}", f"Marking codes: {len(codes)}")).classes(
            "text-subtitle1 grow").mark("order-codes-title")  # fmt: skip
        for fmt in ("xlsx", "csv"):
            ui.button(f".{fmt}", icon="download",
                      on_click=guarded(ctx, Action.SEE_ORDERS, _download(ctx, order_id, fmt)),
                      ).props("outline").mark(f"order-codes-{fmt}")  # fmt: skip
    columns = [
        {"name": "package", "label": tr("Посылка", "Package"), "field": "package"},
        {"name": "product", "label": tr("Товар", "Product"), "field": "product", "align": "left"},
        {"name": "code", "label": tr("Код (КИ)", "Code"), "field": "code", "align": "left"},
        {"name": "status", "label": tr("Статус", "Status"), "field": "status", "align": "left"},
        {"name": "shipped", "label": tr("Отгружен", "Shipped"), "field": "shipped",
         "align": "left", "classes": "gt-sm", "headerClasses": "gt-sm"},
    ]  # fmt: skip
    rows = [
        {
            "id": c.id,
            "package": c.package_number,
            "product": c.sku,
            "code": c.identifier,
            "status": tr(STATUS_LABELS.get(c.status, c.status), STATUS_EN.get(c.status, c.status)),
            "shipped": format_time(c.shipped_at, zone) if c.shipped_at else "",
        }
        for c in codes
    ]
    table = ui.table(columns=columns, rows=rows, row_key="id").props("flat bordered")
    table.classes("w-full").mark("order-codes")
    table.props[":dense"] = "window.innerWidth < 1024"


def _day(text: str) -> date | None:
    """«22.11.2026» as the date field shows it (or ISO); None when it is neither."""
    for form in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    return None


def period_dialog(ctx: AppContext) -> ui.dialog:
    """The codes shipped over some days (the warehouse's days, both ends included): what
    the «вывод из оборота» report and the marketplaces want, as .xlsx or .csv."""
    today = datetime.now(UTC).astimezone(ZoneInfo(ctx.settings.time_zone)).strftime("%d.%m.%Y")
    with ui.dialog().mark("codes-period-dialog") as dialog, ui.card().classes("gap-3"):
        ui.label(tr("Коды маркировки, отгруженные за период",
                    "Marking codes shipped over a period")).classes("text-h6")  # fmt: skip
        with ui.row().classes("gap-3"):
            first = ui.date_input(tr("С", "From"), value=today).props("outlined")
            last = ui.date_input(tr("По", "To"), value=today).props("outlined")
        first.mark("codes-period-from")
        last.mark("codes-period-to")
        problem = ui.label().classes("text-negative").mark("codes-period-problem")

        def download(fmt: str) -> Any:
            def send(user: Identity, *_: Any) -> None:
                start, end = _day(first.value or ""), _day(last.value or "")
                if start is None or end is None or end < start:
                    problem.set_text(tr("Укажите даты: «по» не раньше «с»",
                                        "Enter the dates: “to” not before “from”"))  # fmt: skip
                    return
                problem.set_text("")
                zone = ctx.settings.time_zone
                rows = shipped_codes(ctx.db.engine, day_start(start, zone),
                                     day_start(end + timedelta(days=1), zone))  # fmt: skip
                name = f"marking-{start.isoformat()}-{end.isoformat()}.{fmt}"
                body = codes_csv(rows, zone) if fmt == "csv" else codes_xlsx(rows, zone)
                offer_bytes(user, body, name, CSV if fmt == "csv" else XLSX)

            return guarded(ctx, Action.SEE_ORDERS, send)

        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(tr("Закрыть", "Close"), on_click=dialog.close).props("flat")
            for fmt in ("xlsx", "csv"):
                ui.button(f".{fmt}", icon="download", on_click=download(fmt)).props(
                    "unelevated").mark(f"codes-period-{fmt}")  # fmt: skip
    return dialog


def _download(ctx: AppContext, order_id: int, fmt: str) -> Any:
    def download(user: Identity, *_: Any) -> None:
        rows = order_codes(ctx.db.engine, order_id)
        zone = ctx.settings.time_zone
        name = f"marking-{rows[0].order_external_id if rows else order_id}.{fmt}"
        if fmt == "csv":
            offer_bytes(user, codes_csv(rows, zone), name, CSV)
        else:
            offer_bytes(user, codes_xlsx(rows, zone), name)

    return download
