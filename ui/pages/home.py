"""The landing page: stock totals right now. (Issue 5 grows it into the KPI dashboard.)"""

from nicegui import ui

from core.auth import Identity
from data.queries import summary
from ui.context import AppContext
from ui.i18n import number, tr
from ui.layout import MANAGERS, frame
from ui.session import protected_page

TOTALS = (
    ("good_units", "Годный товар, шт.", "Good stock, units"),
    ("defect_units", "Брак, шт.", "Defect stock, units"),
    ("reserved_units", "В резерве, шт.", "Reserved, units"),
    ("products_in_stock", "Товаров в наличии", "Products in stock"),
    ("low_stock_products", "Ниже минимального остатка", "Below minimum stock"),
)


def register(ctx: AppContext) -> None:
    @protected_page(ctx, "/")
    def home(user: Identity) -> None:
        with frame(user, tr("Дашборд", "Dashboard"), "/"):
            if user.role not in MANAGERS:
                ui.label(tr("Вы вошли как", "Signed in as") + f" {user.display_name}")
                return
            totals = summary(ctx.db.engine)
            ui.label(tr("Остатки сейчас", "Stock right now")).classes("text-h6")
            with ui.row().classes("gap-4 flex-wrap"):
                for key, ru, en in TOTALS:
                    with ui.card().classes("min-w-48"):
                        ui.label(tr(ru, en)).classes("text-caption text-grey-7")
                        ui.label(number(totals[key])).classes("text-h4").mark(key)
