"""Where a product lies, as pages show it: per location and handling unit
(data.floor.locations.product_positions / places_of), good stock first in route order."""

from typing import Any

from nicegui import ui

from ui.formatting import quantity
from ui.i18n import tr

SUMMARY_PLACES = 3  # a balances row names this many places, then "and N more"


def place_name(position: dict[str, Any]) -> str:
    """`A-01-1-1`, or `A-01-1-1 / BOX-7` for stock inside a pallet or box."""
    unit = position.get("handling_unit")
    return f"{position['code']} / {unit}" if unit else str(position["code"])


def places_summary(positions: list[dict[str, Any]]) -> str:
    """One line for a list row: «A-01-1-1: 5 · MAIN: 3 · ещё 2»."""
    shown = [f"{place_name(p)}: {quantity(p['quantity'])}" for p in positions[:SUMMARY_PLACES]]
    rest = len(positions) - SUMMARY_PLACES
    if rest > 0:
        shown.append(tr(f"ещё {rest}", f"{rest} more"))
    return " · ".join(shown)


def places_table(positions: list[dict[str, Any]], marker: str) -> ui.table:
    """Every place holding the product: location, its name, stock, unit, quantity, reserved."""
    stock_names = {"MAIN": tr("Годный", "Good"), "DEFECT": tr("Брак", "Defect")}
    rows = [
        {
            "n": i,
            "code": p["code"],
            "name": p["name"],
            "warehouse": stock_names.get(p["warehouse"], p["warehouse"]),
            "unit": p.get("handling_unit") or "—",
            "quantity": quantity(p["quantity"]),
            "reserved": quantity(p["reserved"]) if p["reserved"] else "",
        }
        for i, p in enumerate(positions)
    ]

    def column(name: str, label: str, align: str = "left") -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": align}

    columns = [
        column("code", tr("Место", "Location")),
        column("name", tr("Название", "Name")),
        column("warehouse", tr("Склад", "Stock")),
        column("unit", tr("Паллета / коробка", "Pallet / box")),
        column("quantity", tr("Кол-во", "Qty"), "right"),
        column("reserved", tr("Резерв", "Reserved"), "right"),
    ]
    return (
        ui.table(columns=columns, rows=rows, row_key="n")
        .props('flat bordered hide-bottom :dense="window.innerWidth < 1024"')
        .classes("w-full")
        .mark(marker)
    )
