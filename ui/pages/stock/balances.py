"""Balances: good, defect, reserved and available stock per product, one page at a time from
the server, with the warehouse totals on top and the products below their minimum marked.
Live: the page the user is on refreshes after any movement (ui.live), keeping its search,
filter and page."""

from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any
from urllib.parse import urlencode

from nicegui import run, ui
from sqlalchemy.engine import Engine

from core.catalog.products import GTIN_LENGTHS
from core.stock.rules import is_low as stock_is_low
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import product_by_code
from data.floor.locations import places_of
from data.reads import Page
from data.stock.balances import BALANCE_SORTS, BalanceRow, balances
from data.stock.queries import summary
from ui.components.downloads import export_button
from ui.components.places import places_summary
from ui.components.tables import (
    CLAMP_CSS,
    PAGE_SIZES,
    load_page,
    searched_for_note,
    server_table,
    take_pagination,
    take_search,
)
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.layout import frame
from ui.live import SharedReads, refresh_on_ledger_change
from ui.pages.catalog.empty_catalog import has_products, where_to_start
from ui.session import guarded, protected_page

PATH = "/balances"
SEARCH_DEBOUNCE_MS = 300

TOTALS = (
    ("good_units", "Годный, шт.", "Good, units"),
    ("defect_units", "Брак, шт.", "Defect, units"),
    ("reserved_units", "В резерве, шт.", "Reserved, units"),
    ("available_units", "Доступно, шт.", "Available, units"),
    ("products_in_stock", "Товаров в наличии", "Products in stock"),
    ("low_stock_products", "Ниже минимума", "Below minimum"),
)


def fetch_balances(
    engine: Engine,
    *,
    q: str,
    low_only: bool,
    limit: int,
    offset: int,
    sort: str = "name",
    descending: bool = False,
) -> Page:
    """One page of balances with where each product lies; a scanned barcode or GTIN goes
    straight to its product."""
    code = q.strip()
    page: Page | None = None
    if code.isdigit() and len(code) in GTIN_LENGTHS:
        hit = product_by_code(engine, code)
        if hit is not None:
            page = balances(engine, product_id=hit.id, low_only=low_only, limit=limit)
    if page is None:
        page = balances(
            engine, q=q, low_only=low_only, limit=limit, offset=offset, sort=sort,
            descending=descending,
        )  # fmt: skip
    places = places_of(engine, [item.product_id for item in page.items])  # one query
    items = [PlacedBalance(**item, places=places.get(item.product_id, [])) for item in page.items]
    return replace(page, items=items)


@dataclass(frozen=True, eq=False)
class PlacedBalance(BalanceRow):
    """A balances row and where the product lies (data.floor.locations.places_of)."""

    places: list[dict[str, Any]] = field(default_factory=list)


def is_low(item: BalanceRow) -> bool:
    """core.stock.rules.is_low for a balances row (data.stock.queries' low_only filter is
    its SQL)."""
    return stock_is_low(item.available, item.min_stock)


def _row(item: PlacedBalance) -> dict[str, Any]:
    return {
        "product_id": item.product_id,
        "sku": item.sku,
        "name": item.name,
        "barcode": item.barcode,
        "good": quantity(item.good),
        "defect": quantity(item.defect),
        "reserved": quantity(item.reserved),
        "available": quantity(item.available),
        "min_stock": quantity(item.min_stock),
        "places": places_summary(item.places),
        "low": is_low(item),
    }


def _columns() -> list[dict[str, Any]]:
    def column(name: str, label: str, align: str = "right", **extra: Any) -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": align,
                "sortable": name in BALANCE_SORTS, **extra}  # fmt: skip

    return [
        column("sku", tr("Артикул", "SKU"), "left"),
        column("name", tr("Наименование", "Name"), "left", classes="balance-name"),
        column("barcode", tr("Штрихкод", "Barcode"), "left", classes="gt-sm",
               headerClasses="gt-sm"),
        column("good", tr("Годный", "Good")),
        column("defect", tr("Брак", "Defect")),
        column("reserved", tr("Резерв", "Reserved")),
        column("available", tr("Доступно", "Available"), classes="text-weight-bold"),
        column("min_stock", tr("Мин.", "Min.")),
    ]  # fmt: skip


@dataclass
class BalanceState:
    q: str = ""
    low_only: bool = False
    page: int = 1
    rows_per_page: int = PAGE_SIZES[0]
    sort_by: str = "name"
    descending: bool = False
    request_no: int = 0  # only the newest answer is shown when requests overlap
    searched_for: str | None = None  # the text in the other keyboard layout, when used

    def address(self) -> str:
        """The page's address with its filters and order, so that a reload or a shared
        link shows the same list (as the journal does)."""
        params: dict[str, Any] = {}
        if self.q:
            params["q"] = self.q
        if self.low_only:
            params["low"] = "true"
        if self.sort_by != "name" or self.descending:
            params["sort"] = self.sort_by
        if self.descending:
            params["desc"] = "true"
        return f"{PATH}?{urlencode(params)}" if params else PATH

    def query(self) -> dict[str, Any]:
        """The arguments of `fetch_balances` for the page shown."""
        return {
            "q": self.q,
            "low_only": self.low_only,
            "limit": self.rows_per_page,
            "offset": (self.page - 1) * self.rows_per_page,
            "sort": self.sort_by,
            "descending": self.descending,
        }

    def export_filters(self) -> dict[str, Any]:
        return {"q": self.searched_for or self.q, "low_only": self.low_only,
                "sort": self.sort_by, "descending": self.descending}  # fmt: skip


NAME_AND_PLACES = """
<q-td :props="props" style="min-width: 8rem">
  <div class="wms-clamp-2" :title="props.row.name">{{ props.row.name }}</div>
  <div v-if="props.row.places" class="wms-clamp-2 text-caption text-grey-7"
    :title="props.row.places">{{ props.row.places }}</div>
</q-td>
"""
CSS = """
.balances-table tr.low-stock td { background: rgba(255, 152, 0, 0.16); }
.balances-table tr.low-stock td.text-weight-bold { color: var(--q-negative); }
.body--dark .balances-table tr.low-stock td.text-weight-bold { color: #ff8a80; }
.balances-table td.balance-name { white-space: normal; min-width: 12rem; }
"""


def read_list(engine: Engine, query: dict[str, Any]) -> tuple[Page, dict[str, int]]:
    """A page of balances and the totals (a worker thread runs it)."""
    return fetch_balances(engine, **query), summary(engine)


def read_first(engine: Engine, query: dict[str, Any]) -> tuple[bool, tuple[Page, dict[str, int]]]:
    """What the page shows when it opens: whether there are products at all, the list."""
    return has_products(engine), read_list(engine, query)


# Every open balances page refreshes after every change; those showing the same list (the
# same search, filter, order and page) share one read of it instead of one each.
LISTS: SharedReads[tuple[Page, dict[str, int]]] = SharedReads()


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.SEE_BALANCES)
    async def balances_page(
        user: Identity, low: bool = False, q: str = "", sort: str = "name", desc: bool = False
    ) -> None:
        state = BalanceState(
            q=q.strip()[:200],
            low_only=low,
            sort_by=sort if sort in BALANCE_SORTS else "name",
            descending=desc,
        )
        # The first page is read before building, in a worker thread: the page is sent
        # with its rows, and nothing on it waits for its socket yet.
        since = ctx.watch.version  # a change from here on makes the first refresh
        first = await run.io_bound(read_first, ctx.db.engine, state.query())
        if first is None:  # the app is stopping
            return
        any_products, (first_page, first_totals) = first
        with frame(user, tr("Остатки", "Balances"), PATH):
            ui.add_css(CSS)
            if not any_products:
                where_to_start()
            totals_labels: dict[str, ui.label] = {}
            with ui.element("div").classes("w-full grid grid-cols-3 lg:grid-cols-6 gap-3"):
                for key, ru, en in TOTALS:
                    card = ui.card().classes("gap-1 p-3")
                    if key == "low_stock_products":
                        card.classes("cursor-pointer").on(
                            "click", lambda: low_switch.set_value(True)
                        ).tooltip(tr("Показать только их", "Show only these"))
                    with card:
                        ui.label(tr(ru, en)).classes("text-caption text-grey-7")
                        totals_labels[key] = ui.label().classes("text-h5").mark(f"total-{key}")
            with ui.row().classes("w-full items-center gap-3"):
                search = (
                    ui.input(
                        tr("Поиск: штрихкод, артикул или название", "Search: barcode, SKU or name"),
                        value=state.q,
                    )
                    .props(f"outlined clearable autofocus debounce={SEARCH_DEBOUNCE_MS}")
                    .classes("grow min-w-64")
                    .mark("balance-search")
                )
                with search.add_slot("prepend"):
                    ui.icon("search")
                low_switch = (
                    ui.switch(tr("Только ниже минимума", "Below minimum only"), value=low)
                    .props("size=lg")
                    .mark("low-only")
                )
                ui.button(
                    icon="refresh",
                    on_click=guarded(
                        ctx, Action.SEE_BALANCES, lambda _u, _e=None: reload(with_totals=True)
                    ),
                ).props("flat round size=lg").tooltip(tr("Обновить", "Refresh")).mark("refresh")
                export_button(ctx, "balances", state.export_filters)
            with ui.row().classes("items-baseline gap-3"):
                found = ui.label().classes("text-body2 text-grey-7").mark("balances-found")
                searched_for = ui.label().classes("text-body2 text-weight-medium")
                searched_for.mark("balances-searched-for")
            table = server_table(
                _columns(),
                row_key="product_id",
                name="balances-table",
                rows_per_page=state.rows_per_page,
                empty_text=tr("Ничего не найдено", "Nothing found"),
                sort_by=state.sort_by,
                descending=state.descending,
            )
            # Long names: two lines, whole on hover; below, where the product lies.
            ui.add_css(CLAMP_CSS)
            table.add_slot("body-cell-name", NAME_AND_PLACES)
            table.props[":table-row-class-fn"] = "row => row.low ? 'low-stock' : ''"

        def show_totals(totals: dict[str, int]) -> None:
            totals = {**totals, "available_units": totals["good_units"] - totals["reserved_units"]}
            for key, label in totals_labels.items():
                label.text = quantity(totals[key])

        def show(page: Page) -> None:
            rows = [_row(item) for item in page.items]
            pagination = {
                "page": state.page,
                "rowsPerPage": state.rows_per_page,
                "sortBy": state.sort_by,
                "descending": state.descending,
                "rowsNumber": page.total,
            }
            # Many refreshes after a movement change no row of the page shown: then
            # nothing is sent (the table is the biggest thing on it).
            if rows != table.rows:
                table.rows = rows
            if pagination != table.pagination:
                table.pagination = pagination
            found.text = tr("Товаров: ", "Products: ") + quantity(page.total)
            state.searched_for = page.searched_for
            searched_for.set_text(searched_for_note(page.searched_for))
            searched_for.set_visibility(page.searched_for is not None)

        async def reload(
            *, with_totals: bool = False, filters_changed: bool = False, live: bool = False
        ) -> None:
            if filters_changed:
                ui.navigate.history.replace(state.address())

            async def fetch() -> tuple[Page, dict[str, int] | None] | None:
                if live:  # after a change: shared with the other pages showing this list
                    query = state.query()
                    key = (ctx.db.engine, tuple(sorted(query.items())))
                    read = partial(read_list, ctx.db.engine, query)
                    return await LISTS.read(key, read, ctx.watch)
                page = await run.io_bound(fetch_balances, ctx.db.engine, **state.query())
                totals = await run.io_bound(summary, ctx.db.engine) if with_totals else None
                return None if page is None else (page, totals)

            answer = await load_page(state, fetch, lambda answer: answer[0].total)
            if answer is None:
                return
            page, totals = answer
            show(page)
            if totals is not None:
                show_totals(totals)

        async def on_request(_user: Identity, event: Any) -> None:
            pagination = take_pagination(state, event.args)
            sort_by = pagination.get("sortBy")
            state.sort_by = sort_by if sort_by in BALANCE_SORTS else "name"
            state.descending = bool(pagination.get("descending")) and sort_by in BALANCE_SORTS
            await reload(filters_changed=True)

        async def on_search(_user: Identity, event: Any) -> None:
            if take_search(state, event):
                await reload(filters_changed=True)

        async def on_low(_user: Identity, event: Any) -> None:
            state.low_only = bool(event.value)
            state.page = 1
            await reload(filters_changed=True)

        search.on_value_change(guarded(ctx, Action.SEE_BALANCES, on_search))
        search.on(
            "keydown.enter",
            guarded(ctx, Action.SEE_BALANCES, on_search),
            js_handler="(e) => emit(e.target.value)",
        )
        low_switch.on_value_change(guarded(ctx, Action.SEE_BALANCES, on_low))
        table.on(
            "request",
            guarded(ctx, Action.SEE_BALANCES, on_request),
            js_handler="(p) => emit(p.pagination)",
        )
        table.on(
            "row-click",
            lambda e: ui.navigate.to(f"/products/{int(e.args)}"),
            js_handler="(evt, row) => emit(row.product_id)",
        )
        refresh_on_ledger_change(
            ctx,
            lambda: reload(with_totals=True, live=True),
            action=Action.SEE_BALANCES,
            since=since,
        )
        show(first_page)
        show_totals(first_totals)
