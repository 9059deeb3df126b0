"""The dashboard's orders (core.dashboard.orders says what each figure measures): two
plotly charts — orders per day by status, the backlog by status — and two cards, the
shortage rate of picking and the median time from confirmation to shipping. A card with
nothing to measure says «нет данных», never a zero that was not measured."""

from datetime import date
from typing import Any

from nicegui import ui

from core.dashboard.kpis import Period
from core.dashboard.orders import STATUS_ORDER, OrderKpis
from ui.i18n import tr
from ui.pages.dashboard.chart_look import CONFIG, Drawn, Look, day_axis, empty_figure
from ui.pages.dashboard.kpi_cards import decimal, percent
from ui.pages.orders.labels import status_label

# One colour per status, along its way: waiting warm, in work blue, done green, grey out.
STATUS_COLOURS = {
    "new": "#9aa0a6", "awaiting_stock": "#f28e2b", "reserved": "#4e79a7",
    "picking": "#5b6fd6", "packing": "#76b7b2", "packed": "#17becf", "shipped": "#59a14f",
    "cancelled": "#bab0ac",
}  # fmt: skip


def _statuses(rows: list[dict[str, Any]]) -> list[str]:
    seen = {str(row["status"]) for row in rows}
    return [s for s in STATUS_ORDER if s in seen] + sorted(seen - set(STATUS_ORDER))


def orders_per_day_figure(rows: list[dict[str, Any]], period: Period, look: Look) -> Drawn:
    """The orders made each day, stacked by the status they are in now."""
    height = 320
    if not any(row["orders"] for row in rows):
        return empty_figure(look, height)
    traces = []
    for status in _statuses(rows):
        days: dict[date, int] = {}
        for row in rows:
            if row["status"] == status:
                days[row["day"]] = days.get(row["day"], 0) + int(row["orders"])
        traces.append(
            {
                "type": "bar",
                "name": status_label(status),
                "x": [day.isoformat() for day in sorted(days)],
                "y": [days[day] for day in sorted(days)],
                "marker": {"color": STATUS_COLOURS.get(status)},
                "hovertemplate": "%{x|%d.%m.%Y}<br>%{fullData.name}: %{y:,} "
                + tr("заказ(ов)", "orders")
                + "<extra></extra>",
            }
        )
    layout = look.layout(height)
    layout.update(
        barmode="stack",
        xaxis=day_axis(period),
        yaxis={"title": {"text": tr("заказов", "orders")}, "fixedrange": True, "tickformat": ",d"},
    )
    return Drawn({"data": traces, "layout": layout, "config": CONFIG})


def backlog_figure(rows: list[dict[str, Any]], _period: Period, look: Look) -> Drawn:
    """The open orders now, one bar per status along the way (the period does not matter)."""
    height = 320
    rows = [row for row in rows if row["orders"]]
    if not rows:
        return empty_figure(look, height)
    statuses = _statuses(rows)
    count = {str(row["status"]): int(row["orders"]) for row in rows}
    trace = {
        "type": "bar",
        "x": [status_label(s) for s in statuses],
        "y": [count[s] for s in statuses],
        "marker": {"color": [STATUS_COLOURS.get(s) for s in statuses]},
        "hovertemplate": "%{x}: %{y:,} " + tr("заказ(ов)", "orders") + "<extra></extra>",
    }
    layout = look.layout(height)
    layout.update(
        showlegend=False,
        xaxis={"fixedrange": True},
        yaxis={"title": {"text": tr("заказов", "orders")}, "fixedrange": True, "tickformat": ",d"},
    )
    return Drawn({"data": [trace], "layout": layout, "config": CONFIG})


NO_DATA = ("нет данных", "no data")


def shortage_text(rate: float | None) -> str:
    return tr(*NO_DATA) if rate is None else percent(rate)


def hours_text(hours: float | None) -> str:
    """1,5 ч under two days, 3,2 дн. from then on, minutes under an hour."""
    if hours is None:
        return tr(*NO_DATA)
    if hours < 1:
        return f"{round(hours * 60)} " + tr("мин", "min")
    if hours < 48:
        return decimal(hours, 1) + " " + tr("ч", "h")
    return decimal(hours / 24, 1) + " " + tr("дн.", "days")


class OrderCards:
    """The two order cards: the period's figure and the previous period's."""

    def __init__(self) -> None:
        with ui.element("div").classes("w-full grid grid-cols-2 gap-3"):
            self.shortage = self._card(
                "order_shortage_rate",
                tr("Доля недостач при сборке", "Pick shortage rate"),
                tr("позиций «не хватает» и пропущенных из собранных",
                   "short or skipped of the items picked"),
            )  # fmt: skip
            self.lead_time = self._card(
                "order_lead_time",
                tr("Медиана: от подтверждения до отгрузки",
                   "Median: confirmation to shipping"),
                tr("по заказам, отгруженным за период", "over the orders shipped in the period"),
            )  # fmt: skip

    @staticmethod
    def _card(key: str, title: str, hint: str) -> tuple[ui.label, ui.label]:
        with ui.card().classes("w-full q-pa-md gap-1").props("flat bordered").mark(f"kpi-{key}"):
            ui.label(title).classes("text-body2 text-grey-7 leading-tight").tooltip(hint)
            with ui.column().classes("w-full mt-auto gap-1"):
                value = ui.label().classes("text-h5 text-weight-medium text-no-wrap").mark(key)
                before = ui.label().classes("text-caption text-grey-7").mark(f"{key}-before")
        return value, before

    def show(self, kpis: OrderKpis) -> None:
        was = tr("было ", "was ")
        value, before = self.shortage
        value.set_text(shortage_text(kpis.shortage_rate))
        before.set_text(was + shortage_text(kpis.shortage_rate_before))
        value, before = self.lead_time
        value.set_text(hours_text(kpis.lead_time_hours))
        before.set_text(was + hours_text(kpis.lead_time_hours_before))
