"""The signed-in landing page: who you are and the stock totals right now."""

from nicegui import ui

from core.auth import Identity
from data.queries import summary
from ui.context import AppContext
from ui.session import protected_page

ROLE_LABELS = {"admin": "Администратор", "manager": "Менеджер", "worker": "Работник склада"}
TOTALS = (
    ("good_units", "Годный товар, шт."),
    ("defect_units", "Брак, шт."),
    ("reserved_units", "В резерве, шт."),
    ("products_in_stock", "Товаров в наличии"),
    ("low_stock_products", "Ниже минимального остатка"),
)


def register(ctx: AppContext) -> None:
    @protected_page(ctx, "/")
    def home(user: Identity) -> None:
        ui.page_title("Склад")
        with ui.header().classes("items-center justify-between"):
            ui.label("Склад фулфилмента").classes("text-h6")
            with ui.row().classes("items-center gap-4"):
                ui.label(f"{user.display_name} · {ROLE_LABELS.get(user.role, user.role)}")
                ui.button("Выйти", on_click=lambda: ui.navigate.to("/logout")).props(
                    "flat color=white"
                )
        totals = summary(ctx.db.engine)
        with ui.column().classes("p-4 gap-4 w-full"):
            ui.label("Остатки сейчас").classes("text-h6")
            with ui.row().classes("gap-4 flex-wrap"):
                for key, label in TOTALS:
                    with ui.card().classes("min-w-48"):
                        ui.label(label).classes("text-caption text-grey-7")
                        ui.label(f"{totals[key]:,}".replace(",", " ")).classes("text-h4").mark(key)
