"""The product dialogs: create or edit a product (core.catalog.products checks it; its
messages are shown next to the field they name) and confirm a soft delete."""

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import ui

from core.catalog.products import (
    ProductData,
    ProductRecord,
    create_product,
    delete_product,
    update_product,
)
from core.errors import DomainError
from core.users.auth import Identity
from core.users.policy import Action
from data.stock.balances import balances
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.session import guarded

Saved = Callable[[ProductRecord], Awaitable[None] | None]


def in_stock_reason(good: int, defect: int) -> str:
    """Why a product in stock cannot be deleted (core.catalog.products.delete_product
    refuses it)."""
    return tr(
        f"Удалить нельзя: на складе есть этот товар — годный {quantity(good)}, брак "
        f"{quantity(defect)}. Сначала отгрузите, спишите или утилизируйте остаток.",
        f"Cannot delete: this product is in stock — good {quantity(good)}, defect "
        f"{quantity(defect)}. Ship, write off or scrap it first.",
    )


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
        values["requires_marking"] = bool(marking.value)
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
        marking = ui.switch(
            tr("Маркировка «Честный ЗНАК»: при упаковке сканировать код каждой единицы",
               "Marked (Chestny ZNAK): scan each unit's code at packing"),
            value=bool(product and product.requires_marking),
        ).mark("product-requires_marking")  # fmt: skip
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
