"""The dashboard's ranked bar charts: the top shipped products, shipments per DC, returns
per marketplace; each bar opens the journal it stands for."""

from typing import Any

from core.dashboard.kpis import SHIPPED, SHIPPED_TO_DC, Period
from core.stock.operations import OPERATIONS
from ui.i18n import tr
from ui.pages.dashboard.chart_look import (
    CONFIG,
    OPERATION_COLOURS,
    PALETTE,
    Drawn,
    Look,
    empty_figure,
    operation_label,
    shorten,
)

# The top-SKU chart counts every outbound shipment, the per-DC chart those to DCs
# (core.dashboard.kpis names them). A bar opens the journal of that operation when it is
# one (the journal filters on one); of every operation of the product otherwise.
SHIPMENT = SHIPPED[0] if len(SHIPPED) == 1 else None
DC_SHIPMENT = SHIPPED_TO_DC[0] if len(SHIPPED_TO_DC) == 1 else None


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
        return empty_figure(look, 340)
    drawn = Drawn({})
    labels = [shorten(row["name"] or row["sku"], 60, tail=16) for row in rows]
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
        return empty_figure(look, 300)
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
    labels = [shorten(row["distribution_center"], 28) for row in rows]
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
        return empty_figure(look, 340)
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
            "ticktext": [shorten(names[sid], 20) for sid in order],
            "fixedrange": True,
        },
        yaxis={"title": {"text": look.units}, "fixedrange": True, "tickformat": ",d"},
    )
    drawn.figure = {"data": traces, "layout": layout, "config": CONFIG}
    return drawn
