"""The dashboard's plotly figures, built on the server as plain dicts (plotly.js reads them
as they are): Russian labels (operations named by the operations table), numbers with thin
spaces, a light or a dark look, and for every bar the journal filters a click opens.

Each builder takes the rows of one data.dashboard.queries series, the period and the look, and
returns a `Drawn`: the figure and its links (a bar's customdata[0] indexes them, so the
browser only says which bar was clicked and the server decides what that opens).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from core.dashboard.kpis import SHIPPED, SHIPPED_TO_DC, Period
from core.stock.operations import OPERATIONS
from ui.i18n import language, tr

DAY_MS = 86_400_000
# The top-SKU chart counts every outbound shipment, the per-DC chart those to DCs
# (core.dashboard.kpis names them). A bar opens the journal of that operation when it is
# one (the journal filters on one); of every operation of the product otherwise.
SHIPMENT = SHIPPED[0] if len(SHIPPED) == 1 else None
DC_SHIPMENT = SHIPPED_TO_DC[0] if len(SHIPPED_TO_DC) == 1 else None

# Colours by the operation's place in the operations table (so no code is named here),
# chosen to stay distinct on a white and on a dark card.
PALETTE = (
    "#59a14f", "#e15759", "#76b7b2", "#ff9da7", "#b07aa1", "#4e79a7", "#f28e2b",
    "#edc948", "#9c755f", "#bab0ac", "#17becf",
)  # fmt: skip
GOOD_COLOUR, DEFECT_COLOUR = "#4e9a4f", "#e15759"
OPERATION_COLOURS = {code: PALETTE[i % len(PALETTE)] for i, code in enumerate(OPERATIONS)}


def operation_label(code: str) -> str:
    op = OPERATIONS.get(code)
    return op.label(language()) if op else code


@dataclass(frozen=True)
class Look:
    """What a figure needs to know about the page: dark or light, and the language."""

    dark: bool

    @property
    def units(self) -> str:
        return tr("шт.", "pcs")

    @property
    def click_hint(self) -> str:
        """The end of a clickable bar's hover text: says what a click does."""
        hint = tr("нажмите — откроется журнал", "click to open the journal")
        return f"<br><span style='font-size:11px;opacity:0.8'>{hint}</span><extra></extra>"

    def layout(self, height: int) -> dict[str, Any]:
        ink = "#e0e0e0" if self.dark else "#1f2933"
        grid = "#3b3f45" if self.dark else "#e6e8eb"
        axis = {"gridcolor": grid, "zerolinecolor": grid, "linecolor": grid, "automargin": True}
        # A template object (plotly.js does not resolve template names as plotly.py does).
        template = {
            "layout": {
                "font": {"color": ink, "family": "Roboto, -apple-system, Arial, sans-serif"},
                "paper_bgcolor": "rgba(0,0,0,0)",
                "plot_bgcolor": "rgba(0,0,0,0)",
                "xaxis": axis,
                "yaxis": axis,
                "hoverlabel": {"font": {"family": "Roboto, Arial, sans-serif"}},
                "colorway": list(PALETTE),
            }
        }
        return {
            "template": template,
            "height": height,
            "margin": {"l": 8, "r": 12, "t": 8, "b": 8},
            # Decimal comma and spaced thousands in Russian. A no-break space, not the
            # cards' thin one: SVG text draws U+202F too narrow to see.
            "separators": ".," if language() == "en" else ",\u00a0",
            "legend": {"orientation": "h", "y": -0.12, "yanchor": "top", "x": 0},
            "hovermode": "closest",
            "dragmode": False,  # nothing to zoom or select: a drag does nothing
            "bargap": 0.15,
        }


CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False}


@dataclass
class Drawn:
    """A figure and, per clickable point (its customdata[0]), the journal filters it opens
    (names of the journal's address parameters: operation_type, product_id, source_id,
    distribution_center_id, date_from, date_to)."""

    figure: dict[str, Any]
    links: list[dict[str, Any]] = field(default_factory=list)

    def link(self, **filters: Any) -> int:
        self.links.append(filters)
        return len(self.links) - 1


def _empty(look: Look, height: int) -> Drawn:
    layout = look.layout(height)
    layout["xaxis"] = {"visible": False}
    layout["yaxis"] = {"visible": False}
    layout["annotations"] = [
        {
            "text": tr("Нет данных за этот период", "No data for this period"),
            "showarrow": False,
            "xref": "paper",
            "yref": "paper",
            "x": 0.5,
            "y": 0.5,
            "font": {"size": 15, "color": "#9aa0a6"},
        }
    ]
    return Drawn({"data": [], "layout": layout, "config": CONFIG})


def _day_axis(period: Period) -> dict[str, Any]:
    """The whole period on the x axis, empty days included, labelled 22.11."""
    first = (period.start - timedelta(days=1)).isoformat()
    axis: dict[str, Any] = {
        "type": "date",
        "range": [f"{first} 12:00", f"{period.end.isoformat()} 12:00"],
        "tickformat": "%d.%m",
        "hoverformat": "%d.%m.%Y",
        "fixedrange": True,
    }
    if period.days <= 14:  # one tick a day, never two labels for one day
        axis.update(tick0=period.start.isoformat(), dtick=DAY_MS)
    return axis


def per_day_figure(rows: list[dict[str, Any]], period: Period, look: Look) -> Drawn:
    """Bars per day, one colour per operation, stacked; a bar opens that day's journal."""
    height = 340
    if not any(row["units"] for row in rows):
        return _empty(look, height)
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
        xaxis=_day_axis(period),
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
        return _empty(look, height)
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
        xaxis={**_day_axis(period), "anchor": "y2"},
        yaxis={**value_axis, "domain": [0.42, 1],
               "title": {"text": tr("Годный, шт.", "Good, pcs"), "font": {"size": 12}}},
        yaxis2={**value_axis, "domain": [0, 0.3],
                "title": {"text": tr("Брак, шт.", "Defect, pcs"), "font": {"size": 12}}},
        hovermode="x",
    )  # fmt: skip
    return Drawn({"data": traces, "layout": layout, "config": CONFIG})


def _shorten(text: str, limit: int, tail: int = 0) -> str:
    """At most `limit` characters; the last `tail` of them kept (a size or colour at the end
    of a name tells variants apart)."""
    if len(text) <= limit:
        return text
    head = limit - 1 - tail
    return text[:head].rstrip() + "…" + (text[-tail:].lstrip() if tail else "")


def _ranked_layout(look: Look, labels: list[str], height: int) -> dict[str, Any]:
    """Horizontal bars, the largest on top; categories by position, so two equal labels
    (same name, different products) never merge into one bar."""
    layout = look.layout(height)
    layout.update(
        barmode="relative",
        xaxis={"title": {"text": look.units}, "fixedrange": True, "tickformat": ",d"},
        yaxis={
            "tickmode": "array",
            "tickvals": list(range(len(labels))),
            "ticktext": labels,
            "autorange": "reversed",
            "fixedrange": True,
        },
    )
    return layout


def top_shipped_figure(rows: list[dict[str, Any]], period: Period, look: Look) -> Drawn:
    """The best-shipped SKUs; a bar opens that product's shipments in the period."""
    rows = [row for row in rows if row["units"]]
    if not rows:
        return _empty(look, 340)
    drawn = Drawn({})
    labels = [_shorten(row["name"] or row["sku"], 60, tail=16) for row in rows]
    custom = [
        [
            drawn.link(
                operation_type=SHIPMENT,
                product_id=row["product_id"],
                date_from=period.start,
                date_to=period.end,
            ),
            row["name"],
            row["sku"],
            row["barcode"],
        ]
        for row in rows
    ]
    trace = {
        "type": "bar",
        "orientation": "h",
        "x": [int(row["units"]) for row in rows],
        "y": list(range(len(rows))),
        "customdata": custom,
        "marker": {"color": OPERATION_COLOURS.get(SHIPMENT or "", PALETTE[5])},
        "hovertemplate": "%{customdata[1]}<br>"
        + tr("Артикул", "SKU")
        + " %{customdata[2]} · %{customdata[3]}<br>%{x:,} "
        + look.units
        + look.click_hint,
        "showlegend": False,
    }
    height = max(300, 40 + 26 * len(rows))
    drawn.figure = {
        "data": [trace],
        "layout": _ranked_layout(look, labels, height),
        "config": CONFIG,
    }
    return drawn


def shipments_by_dc_figure(rows: list[dict[str, Any]], period: Period, look: Look) -> Drawn:
    """Units per DC, one colour per marketplace; a bar opens that DC's shipments."""
    rows = sorted((row for row in rows if row["units"]), key=lambda r: -int(r["units"]))
    if not rows:
        return _empty(look, 300)
    drawn = Drawn({})
    marketplaces = sorted({row["marketplace"] for row in rows})
    traces = []
    for index, marketplace in enumerate(marketplaces):
        mine = [(i, row) for i, row in enumerate(rows) if row["marketplace"] == marketplace]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": marketplace,
                "x": [int(row["units"]) for _, row in mine],
                "y": [i for i, _ in mine],
                "customdata": [
                    [
                        drawn.link(
                            operation_type=DC_SHIPMENT,
                            distribution_center_id=row["distribution_center_id"],
                            date_from=period.start,
                            date_to=period.end,
                        ),
                        row["distribution_center"],
                    ]
                    for _, row in mine
                ],
                "marker": {"color": PALETTE[(index * 3 + 5) % len(PALETTE)]},
                "hovertemplate": "%{fullData.name} · %{customdata[1]}<br>%{x:,} "
                + look.units
                + look.click_hint,
            }
        )
    labels = [_shorten(row["distribution_center"], 28) for row in rows]
    height = max(300, 80 + 28 * len(rows))
    drawn.figure = {
        "data": traces,
        "layout": _ranked_layout(look, labels, height),
        "config": CONFIG,
    }
    return drawn


def returns_figure(rows: list[dict[str, Any]], period: Period, look: Look) -> Drawn:
    """Returns and self-purchases per marketplace, stacked by operation; a bar opens the
    journal of that operation from that source."""
    rows = [row for row in rows if row["units"]]
    if not rows:
        return _empty(look, 340)
    drawn = Drawn({})
    totals: dict[int, int] = {}
    names: dict[int, str] = {}
    for row in rows:
        totals[row["source_id"]] = totals.get(row["source_id"], 0) + int(row["units"])
        names[row["source_id"]] = row["source"]
    order = sorted(totals, key=lambda sid: (-totals[sid], names[sid]))
    position = {sid: i for i, sid in enumerate(order)}
    codes = [code for code in OPERATIONS if any(r["operation_type"] == code for r in rows)]
    traces = []
    for code in codes:
        mine = sorted(
            (row for row in rows if row["operation_type"] == code),
            key=lambda r: position[r["source_id"]],
        )
        traces.append(
            {
                "type": "bar",
                "name": operation_label(code),
                "x": [position[row["source_id"]] for row in mine],
                "y": [int(row["units"]) for row in mine],
                "customdata": [
                    [
                        drawn.link(
                            operation_type=code,
                            source_id=row["source_id"],
                            date_from=period.start,
                            date_to=period.end,
                        ),
                        row["source"],
                    ]
                    for row in mine
                ],
                "marker": {"color": OPERATION_COLOURS.get(code)},
                "hovertemplate": "%{customdata[1]} · %{fullData.name}<br>%{y:,} "
                + look.units
                + look.click_hint,
            }
        )
    layout = look.layout(340)
    layout.update(
        barmode="relative",
        xaxis={
            "tickmode": "array",
            "tickvals": list(range(len(order))),
            "ticktext": [_shorten(names[sid], 20) for sid in order],
            "fixedrange": True,
        },
        yaxis={"title": {"text": look.units}, "fixedrange": True, "tickformat": ",d"},
    )
    drawn.figure = {"data": traces, "layout": layout, "config": CONFIG}
    return drawn


# The order charts (ui.pages.dashboard.order_charts) draw with the same pieces.
empty_figure, day_axis = _empty, _day_axis
