"""/alerts: operational alerts first (ui.pages.stock.operational_alerts: floor work stuck,
reservations not released, events not relayed), then products whose available stock is
below their minimum, the ones that run out soonest first — days of cover = available ÷
average daily shipments to marketplace DCs over the last 30 days. One page at a time
from the server; live; a row opens the card.
The header's bell (ui.layout) shows how many there are of both and links here.
"""

from dataclasses import dataclass
from typing import Any

from nicegui import run, ui

from core.dashboard.kpis import COVER_DAYS
from core.users.auth import Identity
from core.users.policy import Action
from data.dashboard.queries import LowStockRow, low_stock
from data.reads import Page
from ui import live
from ui.components.downloads import export_button
from ui.components.tables import PAGE_SIZES, clamp_names, load_page, server_table, take_pagination
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import language, tr
from ui.layout import frame
from ui.pages.stock.operational_alerts import operational_section
from ui.session import guarded, protected_page

PATH = "/alerts"
URGENT_DAYS = 7  # less than a week of stock left: shown in red
# Alerts also come with time (a task running past its limit): read again this often.
TIME_REFRESH_SECONDS = 30.0


@dataclass
class AlertState:
    page: int = 1
    rows_per_page: int = PAGE_SIZES[0]
    request_no: int = 0  # only the newest answer is shown when requests overlap


def decimal(value: float) -> str:
    """A rate or a number of days as a person reads it: 0, 0,04, 2,5, 160, 1 250 (a
    tenth matters only below ten, and a small rate keeps its first significant digit)."""
    if value == 0 or value >= 10:
        return quantity(round(value))
    text = f"{value:.{1 if value >= 0.1 else 2}f}"
    return text if language() == "en" else text.replace(".", ",")


def _row(item: LowStockRow) -> dict[str, Any]:
    cover = item.days_of_cover
    return {
        "product_id": item.product_id,
        "sku": item.sku,
        "name": item.name,
        "barcode": item.barcode,
        "available": quantity(item.available),
        "min_stock": quantity(item.min_stock),
        "avg_daily": decimal(item.avg_daily_shipped),
        "cover": tr("нет отгрузок", "no shipments") if cover is None else decimal(cover),
        "urgent": cover is not None and cover < URGENT_DAYS,
    }


def _columns() -> list[dict[str, Any]]:
    def column(name: str, label: str, align: str = "right", **extra: Any) -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": align, **extra}

    return [
        column("sku", tr("Артикул", "SKU"), "left"),
        column("name", tr("Наименование", "Name"), "left", classes="alert-name"),
        column("barcode", tr("Штрихкод", "Barcode"), "left", classes="gt-sm",
               headerClasses="gt-sm"),
        column("available", tr("Доступно", "Available"), classes="text-weight-bold"),
        column("min_stock", tr("Мин.", "Min.")),
        column("avg_daily", tr(f"Отгрузки в день ({COVER_DAYS} дн.)",
                               f"Shipped a day ({COVER_DAYS} d)")),
        column("cover", tr("Хватит на, дн.", "Days of cover"), classes="alert-cover"),
    ]  # fmt: skip


CSS = """
.alerts-table td.alert-name { white-space: normal; min-width: 12rem; }
.alerts-table th { white-space: normal; }
.alerts-table tr.urgent td.alert-cover { color: var(--q-negative); font-weight: 700; }
.body--dark .alerts-table tr.urgent td.alert-cover { color: #ff8a80; }
"""


def register(ctx: AppContext) -> None:

    @protected_page(ctx, PATH, Action.SEE_ALERTS)
    def alerts_page(user: Identity) -> None:
        state = AlertState()
        with frame(user, tr("Предупреждения", "Alerts"), PATH):
            ui.add_css(CSS)
            loader = operational_section(ctx)
            ui.label(tr("Дефицит", "Low stock")).classes("text-h6")
            ui.label(
                tr(
                    "Товары, у которых доступный остаток ниже минимального. «Хватит на» — "
                    f"доступно ÷ средние отгрузки на РЦ в день за {COVER_DAYS} дней; "
                    "сначала те, что закончатся раньше.",
                    "Products whose available stock is below their minimum. Days of cover = "
                    f"available ÷ average daily shipments to DCs over {COVER_DAYS} days; "
                    "the ones that run out soonest first.",
                )
            ).classes("text-body2 text-grey-7")
            with ui.row().classes("w-full items-center justify-between gap-2"):
                found = ui.label().classes("text-body1").mark("alerts-found")
                export_button(ctx, "low_stock", dict)  # with how much to order of each
            table = server_table(
                _columns(),
                row_key="product_id",
                name="alerts-table",
                rows_per_page=state.rows_per_page,
                empty_text=tr(
                    "Все товары выше минимального остатка", "No product is below its minimum"
                ),
            )
            clamp_names(table)  # long names: two lines, whole on hover
            table.props[":table-row-class-fn"] = "row => row.urgent ? 'urgent' : ''"

        def show(page: Page) -> None:
            table.rows = [_row(item) for item in page.items]
            table.pagination = {
                "page": state.page,
                "rowsPerPage": state.rows_per_page,
                "rowsNumber": page.total,
            }
            found.text = tr("Товаров ниже минимума: ", "Products below minimum: ") + quantity(
                page.total
            )

        def fetch() -> Page:
            size = state.rows_per_page
            return low_stock(ctx.db.engine, limit=size, offset=(state.page - 1) * size)

        async def fetch_async() -> Page | None:
            return await run.io_bound(fetch)

        async def reload() -> None:
            page = await load_page(state, fetch_async, lambda page: page.total)
            if page is not None:
                show(page)

        async def on_request(_user: Identity, event: Any) -> None:
            take_pagination(state, event.args)
            await reload()

        table.on(
            "request",
            guarded(ctx, Action.SEE_ALERTS, on_request),
            js_handler="(p) => emit(p.pagination)",
        )
        table.on(
            "row-click",
            lambda e: ui.navigate.to(f"/products/{int(e.args)}"),
            js_handler="(evt, row) => emit(row.product_id)",
        )

        async def reload_all() -> None:
            await loader.reload()
            await reload()

        async def on_time(_user: Identity) -> None:
            await loader.reload()

        live.refresh_on_ledger_change(ctx, reload_all, action=Action.SEE_ALERTS)
        ui.timer(TIME_REFRESH_SECONDS, guarded(ctx, Action.SEE_ALERTS, on_time))
        loader.show(*loader.read())
        show(fetch())
