"""The dashboard's plotly figures, built on the server as plain dicts (plotly.js reads them
as they are): Russian labels (operations named by the operations table), numbers with thin
spaces, a light or a dark look, and for every bar the journal filters a click opens.

Here: the movements per day and the stock over the period; the ranked bars are in
ranked_charts, the order charts in order_charts, what they share in chart_look.

Each builder takes the rows of one data.dashboard.queries series, the period and the look, and
returns a `Drawn`: the figure and its links (a bar's customdata[0] indexes them, so the
browser only says which bar was clicked and the server decides what that opens).
"""

from datetime import date
from typing import Any

from core.dashboard.kpis import Period
from core.stock.operations import OPERATIONS
from ui.i18n import tr
from ui.pages.dashboard.chart_look import (
    CONFIG,
    DAY_MS,
    DEFECT_COLOUR,
    GOOD_COLOUR,
    OPERATION_COLOURS,
    Drawn,
    Look,
    day_axis,
    empty_figure,
    operation_label,
)


def per_day_figure(rows: list[dict[str, Any]], period: Period, look: Look) -> Drawn:
    """Bars per day, one colour per operation, stacked; a bar opens that day's journal."""
    height = 340
    if not any(row["units"] for row in rows):
        return empty_figure(look, height)
    drawn = Drawn({})
    by_operation: dict[str, dict[date, dict[str, int]]] = {}
    for row in rows:
        day_rows = by_operation.setdefault(row["operation_type"], {})
        total = day_rows.setdefault(row["day"], {"units": 0, "movements": 0})
        total["units"] += int(row["units"])
        total["movements"] += int(row.get("movements") or 0)
    traces = []
    for code in (*OPERATIONS, *sorted(set(by_operation) - set(OPERATIONS))):
        days = sorted(day for day, t in by_operation.get(code, {}).items() if t["units"])
        if not days:
            continue
        totals = by_operation[code]
        custom = [
            [
                drawn.link(operation_type=code, date_from=day, date_to=day),
                totals[day]["movements"],
            ]
            for day in days
        ]
        with_count = any(c[1] for c in custom)
        traces.append(
            {
                "type": "bar",
                "name": operation_label(code),
                "x": [day.isoformat() for day in days],
                "y": [totals[day]["units"] for day in days],
                "customdata": custom,
                "width": DAY_MS * 0.8,
                "marker": {"color": OPERATION_COLOURS.get(code)},
                "hovertemplate": "%{x|%d.%m.%Y}<br>%{fullData.name}: %{y:,} "
                + look.units
                + (tr(" · операций: %{customdata[1]:,}", " · movements: %{customdata[1]:,}")
                   if with_count else "")
                + look.click_hint,
            }
        )  # fmt: skip
    layout = look.layout(height)
    layout.update(
        barmode="relative",
        xaxis=day_axis(period),
        yaxis={"title": {"text": look.units}, "fixedrange": True, "tickformat": ",d"},
    )
    drawn.figure = {"data": traces, "layout": layout, "config": CONFIG}
    return drawn


def stock_figure(rows: list[dict[str, Any]], period: Period, look: Look) -> Drawn:
    """Good and defect stock at the end of each day (lines; nothing to click). Two panels
    over one time axis: defect stock is a small fraction of good stock and would lie flat
    on zero under the same scale."""
    height = 360
    if not rows:
        return empty_figure(look, height)
    days = [row["day"].isoformat() for row in rows]
    mode = "lines+markers" if len(rows) <= 31 else "lines"
    traces = [
        {
            "type": "scatter",
            "mode": mode,
            "name": name,
            "x": days,
            "y": [int(row[key]) for row in rows],
            "yaxis": axis,
            "line": {"color": colour, "width": 2.5},
            "hovertemplate": "%{x|%d.%m.%Y}<br>%{fullData.name}: %{y:,} " + look.units
            + "<extra></extra>",
        }
        for key, name, colour, axis in (
            ("good", tr("Годный", "Good"), GOOD_COLOUR, "y"),
            ("defect", tr("Брак", "Defect"), DEFECT_COLOUR, "y2"),
        )
    ]  # fmt: skip
    layout = look.layout(height)
    value_axis = {"fixedrange": True, "rangemode": "tozero", "tickformat": ",d"}
    layout.update(
        xaxis={**day_axis(period), "anchor": "y2"},
        yaxis={**value_axis, "domain": [0.42, 1],
               "title": {"text": tr("Годный, шт.", "Good, pcs"), "font": {"size": 12}}},
        yaxis2={**value_axis, "domain": [0, 0.3],
                "title": {"text": tr("Брак, шт.", "Defect, pcs"), "font": {"size": 12}}},
        hovermode="x",
    )  # fmt: skip
    return Drawn({"data": traces, "layout": layout, "config": CONFIG})
