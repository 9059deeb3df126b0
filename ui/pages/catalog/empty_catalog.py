"""An empty warehouse: whether there is any product yet, and where to start if not."""

from collections.abc import Callable
from typing import Any

from nicegui import ui
from sqlalchemy.engine import Engine

from data.catalog.queries import product_options
from ui.i18n import tr


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
