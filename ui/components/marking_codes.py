"""An order's Честный ЗНАК codes on its card (data.marking.queries): a table by package and
the files the marketplace and «вывод из оборота» want (.xlsx, .csv). Nothing when the
order has no codes."""

from collections.abc import Sequence
from typing import Any

from nicegui import ui

from core.users.auth import Identity
from core.users.policy import Action
from data.marking.queries import STATUS_LABELS, CodeRow, codes_csv, codes_xlsx, order_codes
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
