"""The product card: what the product is, how much of it is here, and what last happened
to it. The numbers come from data.stock.queries; the operation names from core.stock.operations."""

from typing import Any

from nicegui import ui

from core.catalog.products import ProductRecord, get_product, restore_product
from core.errors import DomainError
from core.stock.operations import OPERATIONS
from core.stock.rules import is_low, stock_deltas
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.locations import product_positions
from data.stickers.queries import ReceiptLine
from data.stock.balances import balances
from data.stock.journal import JournalFilter, journal
from data.stock.locations import warehouses_of
from ui.components.feedback import show_done, show_error
from ui.components.places import places_table
from ui.components.stickers import product_stickers_dialog
from ui.components.tables import CLAMP_CSS, clamped
from ui.context import AppContext
from ui.formatting import format_time, quantity, signed
from ui.i18n import language, tr
from ui.layout import frame
from ui.pages.catalog.product_dialogs import confirm_delete, in_stock_reason, product_dialog
from ui.session import guarded, protected_page

LATEST_MOVEMENTS = 20
STOCK_CARDS = (
    ("good", "Годный", "Good"),
    ("defect", "Брак", "Defect"),
    ("reserved", "В резерве", "Reserved"),
    ("available", "Доступно", "Available"),
)


def stock_changes(movement: dict[str, Any], warehouse_of: dict[int, str]) -> tuple[int, int]:
    """How one movement changed this product's good and defect stock (core.stock.rules's rule)."""
    return stock_deltas(
        movement["quantity"],
        warehouse_of.get(movement["from_location_id"]),
        warehouse_of.get(movement["to_location_id"]),
    )


def _operation_label(movement: dict[str, Any]) -> str:
    operation = OPERATIONS.get(movement["operation_type"])
    label = operation.label(language()) if operation else movement["operation_type"]
    if movement["reversal_of"] is not None:
        label = tr(f"Сторно: {label}", f"Reversal: {label}")
    if movement.get("is_reversed"):
        label += tr(" (сторнирована)", " (reversed)")
    return label


def _dimensions(product: ProductRecord) -> str:
    sizes = (product.length_mm, product.width_mm, product.height_mm)
    if all(size is None for size in sizes):
        return ""
    shown = " × ".join("?" if size is None else quantity(size) for size in sizes)
    return f"{shown} {tr('мм', 'mm')}"


def _movement_columns() -> list[dict[str, Any]]:
    def column(name: str, label: str, align: str = "left", **extra: Any) -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": align, **extra}

    return [
        column("time", tr("Дата и время", "Date and time")),
        column("operation", tr("Операция", "Operation"), classes="wrap-cell"),
        column("good", tr("Годный", "Good"), "right"),
        column("defect", tr("Брак", "Defect"), "right"),
        column("party", tr("Источник / РЦ", "Source / DC"), classes="wrap-cell"),
        column("user", tr("Пользователь", "User"), classes="wrap-cell"),
        column("notes", tr("Комментарий", "Notes"), classes="wrap-cell"),
    ]  # fmt: skip


def register(ctx: AppContext) -> None:
    @protected_page(ctx, "/products/{product_id}", Action.MANAGE_PRODUCTS)
    def product_card(user: Identity, product_id: str) -> None:
        @ui.refreshable
        def card_body(pid: int) -> None:
            product = get_product(ctx.products, pid)
            rows = balances(ctx.db.engine, product_id=pid, include_deleted=True).items
            stock = rows[0] if rows else {"good": 0, "defect": 0, "reserved": 0, "available": 0}
            movements = journal(
                ctx.db.engine, JournalFilter(product_id=pid), limit=LATEST_MOVEMENTS
            )
            # Only the places these movements touch: not every bin of the warehouse.
            sides = ("from_location_id", "to_location_id")
            warehouse_of = warehouses_of(
                ctx.db.engine, (item[side] for item in movements.items for side in sides)
            )

            async def refresh(_saved: ProductRecord) -> None:
                card_body.refresh(pid)

            def edit(_user: Identity, _event: Any = None) -> None:
                try:
                    current = get_product(ctx.products, pid)
                except DomainError as error:
                    show_error(error)
                    return
                product_dialog(ctx, current, refresh)

            def delete(_user: Identity, _event: Any = None) -> None:
                try:
                    current = get_product(ctx.products, pid)
                except DomainError as error:
                    show_error(error)
                    return
                confirm_delete(ctx, current, refresh)

            def restore(_user: Identity, _event: Any = None) -> None:
                try:
                    restore_product(ctx.products, pid)
                except DomainError as error:
                    show_error(error)
                    return
                show_done(tr("Товар восстановлен", "Product restored"))
                card_body.refresh(pid)

            def stickers(_user: Identity, _event: Any = None) -> None:
                line = ReceiptLine(product.id, product.sku, product.name, product.barcode, 1)
                title = tr("Стикеры товара 58 × 40 мм", "Product stickers 58 × 40 mm")
                product_stickers_dialog(ctx, Action.MANAGE_PRODUCTS, title, [line],
                                        f"stickers-{product.id}", received=False)  # fmt: skip

            ui.link(tr("← Все товары", "← All products"), "/products").classes("text-body1")
            with ui.row().classes("w-full items-start gap-3"):
                with ui.column().classes("gap-1 grow min-w-0"):
                    with ui.row().classes("items-center gap-2"):
                        ui.label(product.name).classes("text-h5 break-words").mark("card-name")
                        if product.is_deleted:
                            ui.badge(tr("Удалён", "Deleted"), color="negative").classes(
                                "text-body2"
                            ).mark("card-deleted")
                    facts = [
                        (tr("Артикул", "SKU"), product.sku),
                        (tr("Штрихкод", "Barcode"), product.barcode),
                        ("GTIN", product.gtin or "—"),
                        (tr("Мин. остаток", "Min. stock"), quantity(product.min_stock)),
                        (tr("Маркировка", "Marking"),
                         tr("да, код DataMatrix на каждой единице", "yes, a DataMatrix per unit")
                         if product.requires_marking else tr("нет", "no")),
                    ]  # fmt: skip
                    if product.weight_g is not None:
                        facts.append(
                            (tr("Вес", "Weight"), f"{quantity(product.weight_g)} {tr('г', 'g')}")
                        )
                    if dimensions := _dimensions(product):
                        facts.append((tr("Габариты (Д × Ш × В)", "Size (L × W × H)"), dimensions))
                    with ui.row().classes("gap-x-6 gap-y-1 text-body1"):
                        for label, value in facts:
                            with ui.row().classes("gap-1 items-baseline no-wrap"):
                                ui.label(f"{label}:").classes("text-grey-7")
                                ui.label(value)
                with ui.row().classes("gap-2"):
                    if product.is_deleted:
                        ui.button(
                            tr("Восстановить", "Restore"),
                            icon="restore",
                            on_click=guarded(ctx, Action.MANAGE_PRODUCTS, restore),
                        ).props("size=lg").mark("card-restore")
                    else:
                        ui.button(
                            tr("Стикеры", "Stickers"),
                            icon="sell",
                            on_click=guarded(ctx, Action.MANAGE_PRODUCTS, stickers),
                        ).props("size=lg outline").mark("card-stickers")
                        ui.button(
                            tr("Изменить", "Edit"),
                            icon="edit",
                            on_click=guarded(ctx, Action.MANAGE_PRODUCTS, edit),
                        ).props("size=lg outline").mark("card-edit")
                        delete_button = (
                            ui.button(
                                tr("Удалить", "Delete"),
                                icon="delete",
                                color="negative",
                                on_click=guarded(ctx, Action.MANAGE_PRODUCTS, delete),
                            )
                            .props("size=lg outline")
                            .mark("card-delete")
                        )
                        if stock["good"] or stock["defect"]:  # core would refuse: say why now
                            delete_button.disable()
            if not product.is_deleted and (stock["good"] or stock["defect"]):
                ui.label(in_stock_reason(stock["good"], stock["defect"])).classes(
                    "text-body2 text-grey-8"
                ).mark("card-delete-refused")

            with ui.element("div").classes("w-full grid grid-cols-2 md:grid-cols-4 gap-3"):
                for key, ru, en in STOCK_CARDS:
                    with ui.card().classes("gap-1"):
                        ui.label(tr(ru, en)).classes("text-caption text-grey-7")
                        ui.label(quantity(stock[key])).classes("text-h4").mark(f"card-{key}")
            if is_low(stock["available"], product.min_stock):
                with ui.row().classes("items-center gap-2 text-warning text-body1"):
                    ui.icon("warning")
                    ui.label(
                        tr(
                            f"Доступно меньше минимального остатка ({quantity(product.min_stock)})",
                            f"Available stock is below the minimum ({quantity(product.min_stock)})",
                        )
                    ).mark("card-low-stock")

            # Where it lies: per location and pallet or box (the two numbers above are their sums).
            ui.label(tr("Где лежит", "Where it lies")).classes("text-h6")
            positions = product_positions(ctx.db.engine, pid)
            if positions:
                places_table(positions, "card-places")
            else:
                ui.label(tr("Нет на складе.", "Not in stock.")).classes("text-grey-7").mark(
                    "card-no-places"
                )

            with ui.row().classes("w-full items-center justify-between gap-2"):
                ui.label(tr("Последние движения", "Latest movements")).classes("text-h6")
                ui.link(
                    tr("Все движения в журнале →", "All movements in the journal →"),
                    f"/journal?product_id={pid}",
                ).classes("text-body1").mark("card-journal-link")
            if not movements.items:
                ui.label(tr("Движений ещё не было.", "No movements yet.")).classes("text-grey-7")
                return
            movement_rows = []
            for item in movements.items:
                good, defect = stock_changes(item, warehouse_of)
                movement_rows.append(
                    {
                        "id": item["id"],
                        "time": format_time(item["created_at"], ctx.settings.time_zone),
                        "operation": _operation_label(item),
                        "good": signed(good) if good else "",
                        "defect": signed(defect) if defect else "",
                        "party": item["distribution_center_name"] or item["source_name"] or "",
                        "user": item["user_name"] or "—",
                        "notes": item["notes"] or "",
                    }
                )
            movements_table = (
                ui.table(columns=_movement_columns(), rows=movement_rows, row_key="id")
                .props('flat bordered hide-bottom :dense="window.innerWidth < 1024"')
                .classes("w-full movements-table")
                .mark("card-movements")
            )
            ui.add_css(CLAMP_CSS)
            movements_table.add_slot("body-cell-notes", clamped("notes", 3, min_width="8rem"))
            if movements.total > len(movements.items):
                shown, total = len(movements.items), quantity(movements.total)
                ui.label(
                    tr(
                        f"Показаны последние {shown} из {total}.",
                        f"Showing the latest {shown} of {total}.",
                    )
                ).classes("text-body2 text-grey-7")
            ui.add_css(".movements-table td.wrap-cell { white-space: normal; min-width: 6rem }")

        with frame(user, tr("Карточка товара", "Product card"), "/products"):
            product = None
            if product_id.isdigit():
                try:
                    product = get_product(ctx.products, int(product_id))
                except DomainError:
                    product = None
            if product is None:
                ui.status_code(404)
                with ui.column().classes("w-full items-center gap-3 q-mt-xl"):
                    ui.icon("search_off", size="xl").classes("text-grey-6")
                    ui.label(tr("Товар не найден", "Product not found")).classes("text-h5")
                    ui.label(
                        tr(
                            "Возможно, ссылка устарела или номер товара набран с ошибкой.",
                            "The link may be out of date or the product number mistyped.",
                        )
                    )
                    ui.button(
                        tr("К списку товаров", "To the product list"),
                        icon="arrow_back",
                        on_click=lambda: ui.navigate.to("/products"),
                    ).props("size=lg")
                return
            card_body(product.id)
