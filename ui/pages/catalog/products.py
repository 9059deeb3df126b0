"""Products: the catalogue, one page at a time from the server, with search, create, edit,
soft delete and restore. The rules (unique codes, check digits) live in core.catalog.products;
this page only shows its messages next to the field they name."""

from dataclasses import dataclass
from typing import Any

from nicegui import run, ui
from sqlalchemy.engine import Engine

from core.catalog.products import GTIN_LENGTHS, ProductRecord, get_product, restore_product
from core.errors import DomainError
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import product_by_code, products
from data.reads import Page
from data.stock.queries import stock_of
from ui.components.downloads import export_button
from ui.components.feedback import show_done, show_error
from ui.components.tables import (
    PAGE_SIZES,
    clamp_names,
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
from ui.pages.catalog.empty_catalog import has_products, where_to_start
from ui.pages.catalog.product_dialogs import confirm_delete, in_stock_reason, product_dialog
from ui.session import guarded, protected_page

SORTABLE = {"sku", "name", "barcode", "min_stock"}  # table column → data.catalog.queries sort key
SEARCH_DEBOUNCE_MS = 300


def fetch_products(
    engine: Engine,
    *,
    q: str,
    deleted: bool,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> Page:
    """One page of products with their stock. A scanned barcode or GTIN is looked up by
    its index first: a scan names exactly one product, and that answer needs no table scan."""
    code = q.strip()
    page: Page | None = None
    if not deleted and code.isdigit() and len(code) in GTIN_LENGTHS:
        hit = product_by_code(engine, code)
        if hit is not None:
            page = Page([hit] if offset == 0 else [], 1)
    if page is None:
        page = products(
            engine,
            q=q,
            deleted=deleted,
            sort=sort,
            descending=descending,
            limit=limit,
            offset=offset,
        )
    stock = stock_of(engine, [item["id"] for item in page.items])
    no_stock = {"good": 0, "defect": 0, "reserved": 0}
    items = [{**item, **stock.get(item["id"], no_stock)} for item in page.items]
    return Page(items, page.total, page.searched_for)


@dataclass
class ListState:
    q: str = ""
    deleted: bool = False
    page: int = 1
    rows_per_page: int = PAGE_SIZES[0]
    sort_by: str | None = "name"
    descending: bool = False
    request_no: int = 0  # only the newest answer is shown when requests overlap
    searched_for: str | None = None  # the text in the other keyboard layout, when used


def _columns() -> list[dict[str, Any]]:
    def column(name: str, label: str, *, sortable: bool = True, **extra: Any) -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": "left",
                "sortable": sortable, **extra}  # fmt: skip

    return [
        column("sku", tr("Артикул", "SKU")),
        column("name", tr("Наименование", "Name"), classes="product-name"),
        # A tablet shows the barcode on the card (as balances do): the stock fits instead.
        column("barcode", tr("Штрихкод", "Barcode"), classes="gt-sm", headerClasses="gt-sm"),
        column("gtin", "GTIN", sortable=False, classes="gt-sm", headerClasses="gt-sm"),
        column("good", tr("Годный", "Good"), sortable=False, align="right"),
        column("defect", tr("Брак", "Defect"), sortable=False, align="right"),
        column("min_stock", tr("Мин. остаток", "Min. stock"), align="right"),
        column("actions", "", sortable=False, align="right"),
    ]


def _row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "sku": item["sku"],
        "name": item["name"],
        "barcode": item["barcode"],
        "gtin": item["gtin"] or "",
        "min_stock": quantity(item["min_stock"]),
        "good": quantity(item["good"]),
        "defect": quantity(item["defect"]),
        "is_deleted": bool(item["is_deleted"]),
        # A product in stock cannot be deleted: its button is off and says why.
        "delete_refused": in_stock_reason(item["good"], item["defect"])
        if item["good"] or item["defect"]
        else "",
    }


ACTIONS_SLOT = """
<q-td :props="props" auto-width>
  <template v-if="!props.row.is_deleted">
    <q-btn flat round icon="edit" title="{edit}" aria-label="{edit}"
      @click.stop="() => $parent.$emit('edit', props.row.id)" />
    <span :title="props.row.delete_refused || '{delete}'" @click.stop>
      <q-btn flat round icon="delete" color="negative" aria-label="{delete}"
        :disable="!!props.row.delete_refused"
        @click.stop="() => $parent.$emit('delete', props.row.id)" />
    </span>
  </template>
  <q-btn v-else flat no-caps icon="restore" label="{restore}" color="primary"
    @click.stop="() => $parent.$emit('restore', props.row.id)" />
</q-td>
"""


def register(ctx: AppContext) -> None:
    @protected_page(ctx, "/products", Action.MANAGE_PRODUCTS)
    def products_page(user: Identity) -> None:
        state = ListState()
        with frame(user, tr("Товары", "Products"), "/products"):
            if not has_products(ctx.db.engine):
                where_to_start(
                    guarded(ctx, Action.MANAGE_PRODUCTS, lambda _u, _e=None: new_product())
                )
            with ui.row().classes("w-full items-center gap-3"):
                search = (
                    ui.input(
                        tr("Поиск: штрихкод, артикул или название", "Search: barcode, SKU or name")
                    )
                    .props(f"outlined clearable autofocus debounce={SEARCH_DEBOUNCE_MS}")
                    .classes("grow min-w-64")
                    .mark("product-search")
                )
                with search.add_slot("prepend"):
                    ui.icon("search")
                view = (
                    ui.toggle(
                        {False: tr("Действующие", "Live"), True: tr("Удалённые", "Deleted")},
                        value=False,
                    )
                    .props("no-caps padding='12px 16px'")
                    .mark("deleted-filter")
                )
                ui.button(
                    tr("Добавить товар", "Add product"),
                    icon="add",
                    on_click=guarded(
                        ctx, Action.MANAGE_PRODUCTS, lambda _u, _e=None: new_product()
                    ),
                ).props("size=lg no-caps").mark("add-product")
                export_button(
                    ctx,
                    "products",
                    lambda: {
                        "q": state.searched_for or state.q,
                        "deleted": state.deleted,
                        "sort": state.sort_by if state.sort_by in SORTABLE else "name",
                        "descending": state.descending if state.sort_by in SORTABLE else False,
                    },
                )
            with ui.row().classes("items-baseline gap-3"):
                found = ui.label().classes("text-body2 text-grey-7").mark("products-found")
                searched_for = ui.label().classes("text-body2 text-weight-medium")
                searched_for.mark("products-searched-for")
            table = server_table(
                _columns(),
                row_key="id",
                name="products-table",
                rows_per_page=state.rows_per_page,
                empty_text=tr("Товаров не найдено", "No products found"),
                sort_by=state.sort_by,
                descending=state.descending,
            )
            clamp_names(table)  # long names: two lines, whole on hover
            table.add_slot(
                "body-cell-actions",
                ACTIONS_SLOT.replace("{edit}", tr("Изменить", "Edit"))
                .replace("{delete}", tr("Удалить", "Delete"))
                .replace("{restore}", tr("Восстановить", "Restore")),
            )
            ui.add_css(".products-table td.product-name { white-space: normal; min-width: 12rem }")

        def show(page: Page) -> None:
            table.rows = [_row(item) for item in page.items]
            table.pagination = {
                "page": state.page,
                "rowsPerPage": state.rows_per_page,
                "sortBy": state.sort_by,
                "descending": state.descending,
                "rowsNumber": page.total,
            }
            found.text = tr("Найдено товаров: ", "Products found: ") + quantity(page.total)
            state.searched_for = page.searched_for
            searched_for.set_text(searched_for_note(page.searched_for))
            searched_for.set_visibility(page.searched_for is not None)

        def query_args() -> dict[str, Any]:
            sort = state.sort_by if state.sort_by in SORTABLE else "name"
            return {
                "q": state.q,
                "deleted": state.deleted,
                "sort": sort,
                "descending": state.descending if state.sort_by in SORTABLE else False,
                "limit": state.rows_per_page,
                "offset": (state.page - 1) * state.rows_per_page,
            }

        async def fetch() -> Page | None:
            return await run.io_bound(fetch_products, ctx.db.engine, **query_args())

        async def reload() -> None:
            page = await load_page(state, fetch, lambda page: page.total)
            if page is not None:
                show(page)

        async def on_request(_user: Identity, event: Any) -> None:
            pagination = take_pagination(state, event.args)
            state.sort_by = pagination.get("sortBy")
            state.descending = bool(pagination.get("descending"))
            await reload()

        async def on_search(_user: Identity, event: Any) -> None:
            if take_search(state, event):
                await reload()

        async def on_view(_user: Identity, event: Any) -> None:
            state.deleted = bool(event.value)
            state.page = 1
            await reload()

        def new_product() -> None:
            product_dialog(ctx, None, lambda saved: ui.navigate.to(f"/products/{saved.id}"))

        async def after_change(_saved: ProductRecord) -> None:
            await reload()

        def edit(_user: Identity, event: Any) -> None:
            try:
                product = get_product(ctx.products, int(event.args))
            except DomainError as error:
                show_error(error)
                return
            product_dialog(ctx, product, after_change)

        def delete(_user: Identity, event: Any) -> None:
            try:
                product = get_product(ctx.products, int(event.args))
            except DomainError as error:
                show_error(error)
                return
            confirm_delete(ctx, product, after_change)

        async def restore(_user: Identity, event: Any) -> None:
            try:
                restored = restore_product(ctx.products, int(event.args))
            except DomainError as error:
                show_error(error)
                return
            show_done(tr(f"Товар «{restored.name}» восстановлен", "Product restored"))
            await reload()

        search.on_value_change(guarded(ctx, Action.MANAGE_PRODUCTS, on_search))
        # A scanner ends with Enter: search at once with what is in the box, no debounce wait.
        search.on(
            "keydown.enter",
            guarded(ctx, Action.MANAGE_PRODUCTS, on_search),
            js_handler="(e) => emit(e.target.value)",
        )
        view.on_value_change(guarded(ctx, Action.MANAGE_PRODUCTS, on_view))
        table.on(
            "request",
            guarded(ctx, Action.MANAGE_PRODUCTS, on_request),
            js_handler="(p) => emit(p.pagination)",
        )
        table.on("edit", guarded(ctx, Action.MANAGE_PRODUCTS, edit))
        table.on("delete", guarded(ctx, Action.MANAGE_PRODUCTS, delete))
        table.on("restore", guarded(ctx, Action.MANAGE_PRODUCTS, restore))
        table.on(
            "row-click",
            lambda e: ui.navigate.to(f"/products/{int(e.args)}"),
            js_handler="(evt, row) => emit(row.id)",
        )
        show(fetch_products(ctx.db.engine, **query_args()))
