"""The order card's returns (issue 15): what came back after shipping, when, in what
condition and who took it. The order stays `shipped` (DESIGN.md §2b has no `returned`
state), so this table and the history's «Возврат» steps are where a return shows."""

from collections.abc import Sequence

from nicegui import ui

from core.orders.return_ports import ReturnedUnits
from core.orders.returns import CONDITION_LABELS, Condition
from ui.components.tables import clamp_names
from ui.formatting import format_time, quantity
from ui.i18n import tr

CONDITION_EN = {Condition.GOOD: "Good", Condition.DEFECT: "Defect"}


def condition_label(condition: str) -> str:
    c = Condition(condition)
    return tr(CONDITION_LABELS[c], CONDITION_EN[c])


def returns_table(returns: Sequence[ReturnedUnits], zone: str) -> None:
    """Nothing when nothing came back."""
    if not returns:
        return
    good = sum(r.quantity for r in returns if r.condition == Condition.GOOD)
    defect = sum(r.quantity for r in returns if r.condition == Condition.DEFECT)
    ui.label(
        tr(f"Возвраты: {quantity(good + defect)} шт. (годных {quantity(good)}, брака "
           f"{quantity(defect)})",
           f"Returns: {quantity(good + defect)} units ({quantity(good)} good, "
           f"{quantity(defect)} defect)")
    ).classes("text-subtitle1").mark("order-returns-title")  # fmt: skip
    columns = [
        {"name": "at", "label": tr("Когда", "When"), "field": "at", "align": "left"},
        {"name": "product", "label": tr("Товар", "Product"), "field": "product", "align": "left"},
        {"name": "quantity", "label": tr("Шт.", "Units"), "field": "quantity"},
        {"name": "condition", "label": tr("Состояние", "Condition"), "field": "condition",
         "align": "left"},
        {"name": "who", "label": tr("Принял", "Taken by"), "field": "who", "align": "left",
         "classes": "gt-sm", "headerClasses": "gt-sm"},
    ]  # fmt: skip
    rows = [
        {
            "id": r.id,
            "at": format_time(r.created_at, zone),
            "product": f"{r.product_name} · {r.sku}",
            "quantity": quantity(r.quantity),
            "condition": condition_label(r.condition) + (f": {r.reason}" if r.reason else ""),
            "who": r.username or "",
        }
        for r in returns
    ]
    table = ui.table(columns=columns, rows=rows, row_key="id").props("flat bordered")
    table.classes("w-full").mark("order-returns")
    table.props[":dense"] = "window.innerWidth < 1024"
    clamp_names(table, "product")  # long names: two lines, whole on hover
