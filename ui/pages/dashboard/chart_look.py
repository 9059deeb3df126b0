"""What every dashboard chart shares: the look (light or dark), the colours by operation,
the plotly config, `Drawn` (a figure and the journal links of its bars), the empty chart
and the day axis."""

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from core.dashboard.kpis import Period
from core.stock.operations import OPERATIONS
from ui.i18n import language, tr

DAY_MS = 86_400_000
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


def empty_figure(look: Look, height: int) -> Drawn:
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


def day_axis(period: Period) -> dict[str, Any]:
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


def shorten(text: str, limit: int, tail: int = 0) -> str:
    """At most `limit` characters; the last `tail` of them kept (a size or colour at the end
    of a name tells variants apart)."""
    if len(text) <= limit:
        return text
    head = limit - 1 - tail
    return text[:head].rstrip() + "…" + (text[-tail:].lstrip() if tail else "")
