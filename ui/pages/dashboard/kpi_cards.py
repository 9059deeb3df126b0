"""The KPI cards: what each measures, its value and its change against the previous
period (green when good news, red when bad)."""

from dataclasses import dataclass

from nicegui import ui

from core.dashboard.kpis import KPI_KEYS, Kpi
from ui.formatting import MINUS, THIN_SPACE, quantity
from ui.i18n import language, tr

# --- KPI cards --------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    ru: str
    en: str
    # Whether a rise is good news (green) or bad news (red); None: neither.
    up_is_good: bool | None
    fraction: bool = False  # a share 0..1, shown in percent; changes in percentage points


MEASURES: dict[str, Measure] = {
    "good_units": Measure("Годный товар, шт.", "Good stock, units", True),
    "defect_units": Measure("Брак на складе, шт.", "Defect stock, units", False),
    # Good stock only; the balances page counts products with any stock, defect included.
    "skus_in_stock": Measure("Товаров с годным остатком", "SKUs with good stock", True),
    "low_stock_skus": Measure("Ниже мин. остатка", "Below minimum stock", False),
    "received": Measure("Принято, шт.", "Received, units", True),
    "shipped": Measure("Отгружено, шт.", "Shipped, units", True),
    "returned": Measure("Возвраты, шт.", "Returns, units", False),
    "written_off": Measure("Списано и утилизировано, шт.", "Written off, units", False),
    "defect_rate": Measure("Доля брака в поступлениях", "Defect rate of inflow", False, True),
}
assert set(MEASURES) == set(KPI_KEYS), "every KPI needs a label"
STOCK_KEYS = ("good_units", "defect_units", "skus_in_stock", "low_stock_skus")
FLOW_KEYS = tuple(key for key in KPI_KEYS if key not in STOCK_KEYS)


def _decimal(value: float, digits: int) -> str:
    text = f"{abs(value):,.{digits}f}"
    if language() != "en":
        text = text.replace(",", THIN_SPACE).replace(".", ",")
    return (MINUS if value < 0 and text.strip("0,.") else "") + text


decimal = _decimal  # for the order cards (ui.pages.dashboard.order_charts)


def percent(fraction: float) -> str:
    """0.034 → '3,4 %'; 0.5 → '50 %' (one decimal below ten percent)."""
    value = fraction * 100
    digits = 1 if 0 < abs(value) < 10 else 0
    return _decimal(value, digits) + (f"{THIN_SPACE}%" if language() != "en" else "%")


def kpi_value(key: str, value: float) -> str:
    if MEASURES[key].fraction:
        return percent(value)
    return quantity(round(value))


@dataclass(frozen=True)
class Change:
    text: str
    tone: str  # "good", "bad" or "neutral"


def describe_change(kpi: Kpi) -> Change:
    """The change against the previous period: ▲/▼, percent (or percentage points for a
    share), the difference; green when it moved the way that is good for this measure."""
    measure = MEASURES[kpi.key]
    diff = kpi.value - kpi.previous
    if measure.fraction:
        points = diff * 100
        if round(points, 1) == 0:
            return Change(tr("= без изменений", "= no change"), "neutral")
        text = _decimal(abs(points), 1) + tr(" п.п.", " pp")
    else:
        if round(diff) == 0:
            return Change(tr("= без изменений", "= no change"), "neutral")
        amount = quantity(abs(round(diff)))
        if kpi.previous:
            text = (
                f"{percent(abs(diff) / abs(kpi.previous))} ({'+' if diff > 0 else MINUS}{amount})"
            )
        else:
            text = ("+" if diff > 0 else MINUS) + amount
    arrow = "▲" if diff > 0 else "▼"
    if measure.up_is_good is None:
        tone = "neutral"
    else:
        tone = "good" if (diff > 0) == measure.up_is_good else "bad"
    return Change(f"{arrow} {text}", tone)


TONE_CLASSES = {
    (False, "good"): "text-green-8",
    (False, "bad"): "text-red-8",
    (False, "neutral"): "text-grey-7",
    (True, "good"): "text-green-4",
    (True, "bad"): "text-red-4",
    (True, "neutral"): "text-grey-5",
}


class KpiCard:
    def __init__(self, key: str, dark: bool) -> None:
        self.key = key
        self.dark = dark
        measure = MEASURES[key]
        # The figures sit at the bottom: cards of one row line up when a label wraps.
        with ui.card().classes("w-full q-pa-md gap-1").props("flat bordered").mark(f"kpi-{key}"):
            ui.label(tr(measure.ru, measure.en)).classes("text-body2 text-grey-7 leading-tight")
            with ui.column().classes("w-full mt-auto gap-1"):
                self.value = ui.label().classes("text-h5 text-weight-medium text-no-wrap").mark(key)
                with ui.row().classes("items-baseline gap-x-2 gap-y-0 wrap"):
                    self.change = (
                        ui.label().classes("text-body2 text-no-wrap").mark(f"{key}-change")
                    )
                    self.before = ui.label().classes("text-caption text-grey-7 text-no-wrap")

    def show(self, kpi: Kpi) -> None:
        change = describe_change(kpi)
        self.value.set_text(kpi_value(kpi.key, kpi.value))
        self.change.set_text(change.text)
        self.change.classes(
            replace="text-body2 text-no-wrap " + TONE_CLASSES[self.dark, change.tone]
        )
        self.before.set_text(tr("было ", "was ") + kpi_value(kpi.key, kpi.previous))
