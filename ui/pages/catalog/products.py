"""Products: the catalogue, one page at a time from the server, with search, create, edit,
soft delete and restore. The rules (unique codes, check digits) live in core.catalog.products;
this page only shows its messages next to the field they name."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nicegui import run, ui
from sqlalchemy.engine import Engine

from core.catalog.products import (
    GTIN_LENGTHS,
    ProductData,
    ProductRecord,
    create_product,
    delete_product,
    get_product,
    restore_product,
    update_product,
)
from core.errors import DomainError
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import product_by_code, product_options, products
from data.reads import Page
from data.stock.queries import balances, stock_of
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
from ui.session import guarded, protected_page

SORTABLE = {"sku", "name", "barcode", "min_stock"}  # table column → data.catalog.queries sort key
SEARCH_DEBOUNCE_MS = 300

Saved = Callable[[ProductRecord], Awaitable[None] | None]


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


def in_stock_reason(good: int, defect: int) -> str:
    """Why a product in stock cannot be deleted (core.catalog.products.delete_product
    refuses it)."""
    return tr(
        f"Удалить нельзя: на складе есть этот товар — годный {quantity(good)}, брак "
        f"{quantity(defect)}. Сначала отгрузите, спишите или утилизируйте остаток.",
        f"Cannot delete: this product is in stock — good {quantity(good)}, defect "
        f"{quantity(defect)}. Ship, write off or scrap it first.",
    )


def has_products(engine: Engine) -> bool:
    """Any product at all, deleted ones too (one row read from the name index)."""
    return bool(product_options(engine, deleted=None, limit=1))


def where_to_start(on_add: Callable[[], Any] | None = None) -> None:
    """An empty warehouse says where to begin instead of showing empty tables."""
    with ui.card().classes("w-full gap-2").mark("where-to-start"):
        ui.label(
            tr("Товаров пока нет. С чего начать:", "No products yet. Where to start:")
        ).classes("text-h6")
        with ui.row().classes("gap-3 items-center"):
            ui.button(
                tr("Добавить товар", "Add a product"),
                icon="add",
                on_click=on_add or (lambda: ui.navigate.to("/products")),
            ).props("size=lg no-caps").mark("start-add-product")
            ui.button(
                tr("Загрузить из Excel", "Import from Excel"),
                icon="upload_file",
                on_click=lambda: ui.navigate.to("/import"),
            ).props("size=lg no-caps outline").mark("start-import")
        ui.markdown(
            tr(
                "Или посмотрите, как всё работает, на демо-данных: на пустой базе запустите "
                "`uv run main.py --demo` (90 дней операций, товары, заказы и пользователи).",
                "Or see how it all works on demo data: on an empty database run "
                "`uv run main.py --demo` (90 days of movements, products, orders and users).",
            )
        ).classes("text-body2 text-grey-8")


def _as_whole(value: Any) -> Any:
    """ui.number gives floats; core wants whole numbers and rejects anything else itself."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def product_dialog(
    ctx: AppContext, product: ProductRecord | None, on_saved: Saved, *, barcode: str = ""
) -> None:
    """Create (product=None) or edit a product in a dialog; core's messages appear under
    the field they name. `barcode` prefills a new product's (an unknown scan)."""
    inputs: dict[str, ui.input | ui.number] = {}

    def clear_error(field: str) -> None:
        inputs[field].error = None

    def text_field(field: str, label: str, value: str | None, **props: Any) -> None:
        element = ui.input(label, value=value or "").props("outlined").classes("w-full")
        for key, prop in props.items():
            element.props[key] = prop
        element.on_value_change(lambda _: clear_error(field))
        inputs[field] = element.mark(f"product-{field}")

    def number_field(field: str, label: str, value: int | None) -> None:
        element = (
            ui.number(label, value=value, min=0, step=1, precision=0)
            .props("outlined")
            .classes("w-full")
        )
        element.on_value_change(lambda _: clear_error(field))
        inputs[field] = element.mark(f"product-{field}")

    async def save(_user: Identity, _event: Any = None) -> None:
        for element in inputs.values():
            element.error = None
        values = {field: element.value for field, element in inputs.items()}
        for field in ("min_stock", "weight_g", "length_mm", "width_mm", "height_mm"):
            values[field] = _as_whole(values[field])
        try:
            if product is None:
                saved = create_product(ctx.products, ProductData(**values))
            else:
                saved = update_product(ctx.products, product.id, values)
        except DomainError as error:
            if error.field in inputs:
                inputs[error.field].error = error.message
                inputs[error.field].run_method("focus")
            else:
                show_error(error)
            return
        dialog.close()
        show_done(tr("Товар сохранён", "Product saved"))
        result = on_saved(saved)
        if result is not None:
            await result

    if product is None:
        title = tr("Новый товар", "New product")
    else:
        title = tr("Изменить товар", "Edit product")
    with ui.dialog() as dialog, ui.card().classes("w-full max-w-2xl gap-3"):
        ui.label(title).classes("text-h6")
        with ui.grid().classes("w-full grid-cols-1 sm:grid-cols-2 gap-3"):
            text_field(
                "sku", tr("Артикул продавца", "Seller SKU"), product and product.sku, autofocus=True
            )
            text_field(
                "barcode",
                tr("Штрихкод", "Barcode"),
                product.barcode if product else barcode,
                inputmode="numeric",
            )
        text_field("name", tr("Наименование", "Name"), product and product.name)
        with ui.grid().classes("w-full grid-cols-1 sm:grid-cols-2 gap-3"):
            text_field("gtin", "GTIN", product and product.gtin, inputmode="numeric")
            number_field(
                "min_stock",
                tr("Минимальный остаток, шт.", "Minimum stock, units"),
                product.min_stock if product else 0,
            )
        ui.label(tr("Вес и габариты (необязательно)", "Weight and size (optional)")).classes(
            "text-caption text-grey-7"
        )
        with ui.grid().classes("w-full grid-cols-2 sm:grid-cols-4 gap-3"):
            number_field("weight_g", tr("Вес, г", "Weight, g"), product and product.weight_g)
            number_field("length_mm", tr("Длина, мм", "Length, mm"), product and product.length_mm)
            number_field("width_mm", tr("Ширина, мм", "Width, mm"), product and product.width_mm)
            number_field("height_mm", tr("Высота, мм", "Height, mm"), product and product.height_mm)
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(tr("Отмена", "Cancel"), on_click=dialog.close).props("flat size=lg")
            ui.button(
                tr("Сохранить", "Save"), on_click=guarded(ctx, Action.MANAGE_PRODUCTS, save)
            ).props("size=lg").mark("product-save")
    # Deleted once the browser has hidden it: deleting on close would pull the page out
    # from under the handler that closed it (its notification and navigation would fail).
    dialog.on("hide", lambda: dialog.delete())
    dialog.open()


def confirm_delete(ctx: AppContext, product: ProductRecord, on_done: Saved) -> None:
    """Ask before a soft delete; say what happens to the stock and the history."""
    page = balances(ctx.db.engine, product_id=product.id, include_deleted=True)
    stock = page.items[0] if page.items else {"good": 0, "defect": 0}

    async def delete(_user: Identity, _event: Any = None) -> None:
        try:
            deleted = delete_product(ctx.products, product.id)
        except DomainError as error:
            # E.g. stock arrived while the dialog was open: say why here too, and the
            # button stays off, so a second click is not a silent no-op.
            show_error(error)
            refused.set_text(error.message)
            refused.set_visibility(True)
            delete_button.disable()
            return
        dialog.close()
        show_done(tr("Товар удалён", "Product deleted"))
        result = on_done(deleted)
        if result is not None:
            await result

    with ui.dialog() as dialog, ui.card().classes("max-w-lg gap-3"):
        ui.label(tr("Удалить товар?", "Delete the product?")).classes("text-h6")
        ui.label(f"«{product.name}» ({product.sku}, {product.barcode})")
        ui.label(
            tr(
                "Товар пропадёт из списков и операций. История движений сохранится, "
                "товар можно будет восстановить.",
                "The product leaves lists and operations. Its history stays, "
                "and it can be restored.",
            )
        ).classes("text-body2")
        in_stock = bool(stock["good"] or stock["defect"])
        # core refuses it too; said here before the click
        refused = ui.label(in_stock_reason(stock["good"], stock["defect"]) if in_stock else "")
        refused.classes("text-negative text-body2").mark("delete-in-stock")
        refused.set_visibility(in_stock)
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(tr("Отмена", "Cancel"), on_click=dialog.close).props("flat size=lg")
            delete_button = (
                ui.button(
                    tr("Удалить", "Delete"),
                    color="negative",
                    on_click=guarded(ctx, Action.MANAGE_PRODUCTS, delete),
                )
                .props("size=lg")
                .mark("confirm-delete")
            )
            delete_button.set_enabled(not in_stock)
    # Deleted once the browser has hidden it: deleting on close would pull the page out
    # from under the handler that closed it (its notification and navigation would fail).
    dialog.on("hide", lambda: dialog.delete())
    dialog.open()


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
