"""What still waits for putaway (/putaway/waiting), for managers: the products lying at
MAIN's own place, not yet in a bin — how many units and since when, the longest waiting
first. Paged on the server; follows the ledger live; a row opens the product's card."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from nicegui import run, ui

from core.users.auth import Identity
from core.users.policy import Action
from data.floor.putaway import WaitingPage, waiting_for_putaway
from ui.components.tables import (
    PAGE_SIZES,
    clamp_names,
    load_page,
    server_table,
    take_pagination,
    take_search,
)
from ui.context import AppContext
from ui.formatting import format_time, quantity
from ui.i18n import tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.session import guarded, protected_page

PATH = "/putaway/waiting"
ACTION = Action.MANAGE_LOCATIONS


@dataclass
class WaitingState:
    q: str = ""
    page: int = 1
    rows_per_page: int = PAGE_SIZES[1]
    request_no: int = 0


def waited(since: datetime, now: datetime) -> str:
    """How long, in the largest whole unit a manager reads at a glance."""
    since = since if since.tzinfo else since.replace(tzinfo=UTC)  # stored as UTC
    minutes = max(0, int((now - since).total_seconds() // 60))
    if minutes < 60:
        return tr(f"{minutes} мин", f"{minutes} min")
    if minutes < 48 * 60:
        return tr(f"{minutes // 60} ч", f"{minutes // 60} h")
    return tr(f"{minutes // 1440} дн", f"{minutes // 1440} d")


def _columns() -> list[dict[str, Any]]:
    def column(name: str, label: str, align: str = "left") -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": align}

    return [
        column("sku", tr("Артикул", "SKU")),
        column("name", tr("Товар", "Product")),
        column("barcode", tr("Штрихкод", "Barcode")),
        column("units", tr("Ждёт, шт.", "Waiting, units"), "right"),
        column("since", tr("С какого времени", "Since")),
        column("waited", tr("Ждёт уже", "Waiting for")),
    ]


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ACTION)
    def waiting_page(user: Identity) -> None:
        state = WaitingState()
        with frame(user, tr("Ждёт размещения", "Awaiting putaway"), PATH):
            ui.label(
                tr("Товар на складе MAIN, ещё не разложенный по ячейкам (размещение — на "
                   "планшете, «Размещение»). Сверху — то, что ждёт дольше всего.",
                   "Goods in MAIN not yet put into bins (workers put them away on the tablet, "
                   "«Putaway»). The longest waiting come first.")
            ).classes("text-body1 text-grey-8")  # fmt: skip
            with ui.row().classes("w-full items-center gap-3"):
                search = (
                    ui.input(tr("Штрихкод, артикул или название", "Barcode, SKU or name"))
                    .props("outlined clearable debounce=300")
                    .classes("grow min-w-48")
                    .mark("waiting-search")
                )
                totals = ui.label().classes("text-h6").mark("waiting-totals")
            table = server_table(
                _columns(), row_key="product_id", name="waiting-table",
                rows_per_page=state.rows_per_page,
                empty_text=tr("Всё размещено", "Everything is put away"),
            )  # fmt: skip
            clamp_names(table)

        def show(page: WaitingPage) -> None:
            zone, now = ctx.settings.time_zone, datetime.now(UTC)
            table.rows = [
                {
                    "product_id": w.product_id, "sku": w.sku, "name": w.name,
                    "barcode": w.barcode, "units": quantity(w.units),
                    "since": format_time(w.since, zone), "waited": waited(w.since, now),
                }
                for w in page.items
            ]  # fmt: skip
            table.pagination = {
                "page": state.page,
                "rowsPerPage": state.rows_per_page,
                "rowsNumber": page.total,
            }
            totals.set_text(
                tr(f"Товаров: {quantity(page.total)} · {quantity(page.units)} шт.",
                   f"Products: {quantity(page.total)} · {quantity(page.units)} units")
            )  # fmt: skip

        def fetch() -> WaitingPage:
            offset = (state.page - 1) * state.rows_per_page
            return waiting_for_putaway(
                ctx.db.engine, state.q, limit=state.rows_per_page, offset=offset
            )

        async def reload() -> None:
            async def answer() -> WaitingPage | None:
                return await run.io_bound(fetch)

            page = await load_page(state, answer, lambda page: page.total)
            if page is not None:
                show(page)

        async def on_request(_user: Identity, event: Any) -> None:
            take_pagination(state, event.args)
            await reload()

        async def on_search(_user: Identity, event: Any) -> None:
            if take_search(state, event):
                await reload()

        search.on_value_change(guarded(ctx, ACTION, on_search))
        table.on(
            "request", guarded(ctx, ACTION, on_request), js_handler="(p) => emit(p.pagination)"
        )

        # A row opens the product's card: where it lies, its history.
        def open_card(_user: Identity, event: Any) -> None:
            ui.navigate.to(f"/products/{int(event.args)}")

        table.on("row-click", guarded(ctx, ACTION, open_card),
                 js_handler="(evt, row) => emit(row.product_id)")  # fmt: skip
        refresh_on_ledger_change(ctx, reload, action=ACTION)
        show(fetch())
