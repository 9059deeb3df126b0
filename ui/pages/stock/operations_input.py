"""The operations page's words and input rules: warehouse names, the stock tiles, a
quantity typed as a whole number («1 000» yes, «2,5» no), a DC's label."""

import re
from collections.abc import Mapping
from typing import Any

from core.stock.operations import (
    VIRTUAL_LOCATIONS,
    WAREHOUSES,
    Loc,
)
from core.stock.rules import DEFECT_WAREHOUSE, GOOD_WAREHOUSE
from ui.i18n import tr

WAREHOUSE_EN = {GOOD_WAREHOUSE: "Good stock", DEFECT_WAREHOUSE: "Defect"}
# The warehouse's figure on the card.
STOCK_KEY = {GOOD_WAREHOUSE: "good", DEFECT_WAREHOUSE: "defect"}
STOCK_TILES = (
    ("good", "Годный", "Good"),
    ("defect", "Брак", "Defect"),
    ("reserved", "В резерве", "Reserved"),
    ("available", "Доступно", "Available"),
)
KEEP_FOCUS = "(e) => e.preventDefault()"  # a click on this button leaves the focus where it is


def location_name(code: Loc | None) -> str:
    if code is None:
        return ""
    return WAREHOUSES.get(code) or VIRTUAL_LOCATIONS.get(code, str(code))


# Digits, optionally grouped by spaces as Russian writes thousands («1 000»). Nothing else:
# «2,5» must be refused, not read as 25 (or 2.5).
WHOLE_NUMBER = re.compile(r"[0-9]+|[0-9]{1,3}(?:[ \u00a0\u202f][0-9]{3})+")
NOT_WHOLE = (
    "Количество — целое число штук, без запятой и точки: «{text}» не подходит",
    "The quantity is a whole number of pieces: “{text}” will not do",
)


def whole_quantity(text: Any) -> int | None:
    """The whole number typed, or None for anything else («2,5», «2.5», «1e3», «»)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    if not isinstance(text, str):
        return None
    text = text.strip()
    if not WHOLE_NUMBER.fullmatch(text):
        return None
    return int(re.sub(r"[^0-9]", "", text))


def quantity_problem(text: Any) -> str | None:
    """The message for a quantity field that does not hold a whole number."""
    text = str(text or "").strip()
    if not text:
        return tr("Введите количество, шт.", "Enter the quantity, pcs")
    return tr(*NOT_WHOLE).format(text=text) if whole_quantity(text) is None else None


def dc_label(dc: Mapping[str, Any]) -> str:
    """The DC's name; prefixed by its marketplace only when the name does not say it."""
    name, marketplace = dc["name"], dc["source_name"]
    return name if marketplace.casefold() in name.casefold() else f"{marketplace} · {name}"
