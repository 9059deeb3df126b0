"""What each dashboard chart shows: where its rows come from (data.dashboard.queries), how it
is drawn, what its .xlsx holds; the snapshot of everything the page shows for a period,
read once for every open page showing it."""

import io
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.engine import Engine

from core.dashboard.kpis import Kpi, Period
from core.dashboard.orders import OrderKpis
from core.orders.rules import STATUS_LABELS
from core.stock.operations import OPERATIONS
from data.dashboard import orders as order_reads
from data.dashboard import queries as dashboard
from data.files import exports
from data.files.exports import Column
from ui.i18n import tr
from ui.live import SharedReads, Versioned
from ui.pages.dashboard.chart_look import Drawn, Look
from ui.pages.dashboard.charts import per_day_figure, stock_figure
from ui.pages.dashboard.order_charts import backlog_figure, orders_per_day_figure
from ui.pages.dashboard.ranked_charts import (
    returns_figure,
    shipments_by_dc_figure,
    top_shipped_figure,
)

# --- What each chart shows, where its data comes from, what its .xlsx holds --------------


def _day(header: str = "День") -> Column:
    return Column(header, "datetime", 12, "day")


def _operation_column() -> Column:
    return Column(
        "Операция", "text", 22, value=lambda r: OPERATIONS[r["operation_type"]].label_ru
        if r["operation_type"] in OPERATIONS else r["operation_type"],
    )  # fmt: skip


def _status(row: Any) -> str:
    return STATUS_LABELS.get(row["status"], row["status"])


@dataclass(frozen=True)
class Chart:
    key: str
    ru: str
    en: str
    load: Callable[[Engine, Period], list[dict[str, Any]]]
    draw: Callable[[list[dict[str, Any]], Period, Look], Drawn]
    columns: tuple[Column, ...]
    wide: bool = False  # spans both columns of the grid on a wide screen

    @property
    def title(self) -> str:
        return tr(self.ru, self.en)


CHARTS: tuple[Chart, ...] = (
    Chart(
        "movements", "Движение товара по дням", "Movements per day",
        dashboard.movements_per_day, per_day_figure,
        (_day(), _operation_column(), Column("Количество, шт.", "quantity", 15, "units"),
         Column("Операций", "int", 11, "movements")),
        wide=True,
    ),
    Chart(
        "stock", "Годный и брак на конец дня", "Good and defect stock at day end",
        dashboard.stock_per_day, stock_figure,
        (_day(), Column("Годный, шт.", "quantity", 13, "good"),
         Column("Брак, шт.", "quantity", 13, "defect")),
    ),
    Chart(
        "writeoffs", "Списания в брак и утилизация", "Write-offs and utilization",
        dashboard.writeoffs_per_day, per_day_figure,
        (_day(), _operation_column(), Column("Количество, шт.", "quantity", 15, "units")),
    ),
    Chart(
        "shipments_by_dc", "Отгрузки по маркетплейсам и РЦ", "Shipments by marketplace and DC",
        dashboard.shipments_by_dc, shipments_by_dc_figure,
        (Column("Маркетплейс", "text", 16, "marketplace"),
         Column("РЦ", "text", 24, "distribution_center"),
         Column("Отгружено, шт.", "quantity", 15, "units")),
    ),
    Chart(
        "returns", "Возвраты и самовыкупы по источникам", "Returns by source",
        dashboard.returns_by_source, returns_figure,
        (Column("Источник", "text", 16, "source"), _operation_column(),
         Column("Количество, шт.", "quantity", 15, "units")),
    ),
    Chart(
        "top_shipped", "Топ-20 товаров по отгрузкам", "Top 20 SKUs shipped",
        dashboard.top_shipped, top_shipped_figure,
        (Column("Артикул", "text", 18, "sku"), Column("Наименование", "text", 48, "name"),
         Column("Штрихкод", "code", 16, "barcode"),
         Column("Отгружено, шт.", "quantity", 15, "units")),
        wide=True,
    ),
    Chart(
        "orders_per_day", "Заказы по дням создания и их статус",
        "Orders per day created, by status", order_reads.orders_per_day,
        orders_per_day_figure,
        (_day("День создания"), Column("Статус", "text", 18, value=_status),
         Column("Заказов", "int", 11, "orders")),
    ),
    Chart(
        "order_backlog", "Заказы в работе сейчас", "Open orders now",
        order_reads.order_backlog, backlog_figure,
        (Column("Статус", "text", 18, value=_status), Column("Заказов", "int", 11, "orders")),
    ),
)  # fmt: skip
CHARTS_BY_KEY = {chart.key: chart for chart in CHARTS}


@dataclass(frozen=True)
class Snapshot:
    kpis: dict[str, Kpi]
    series: dict[str, list[dict[str, Any]]]
    orders: OrderKpis


def load(engine: Engine, period: Period) -> Snapshot:
    """Everything the page shows for `period` (a worker thread may run it)."""
    kpis = {kpi.key: kpi for kpi in dashboard.kpis(engine, period)}
    series = {chart.key: chart.load(engine, period) for chart in CHARTS}
    return Snapshot(kpis, series, order_reads.order_kpis(engine, period))


# Every open dashboard refreshes after every change; those showing the same period share
# one read of it (a dozen queries) instead of one each.
SNAPSHOTS: SharedReads[Snapshot] = SharedReads()


async def shared_load(engine: Engine, period: Period, watch: Versioned) -> Snapshot | None:
    """`load` in a worker thread, shared with the other open pages that show `period` on
    this database (None: the app is stopping)."""
    return await SNAPSHOTS.read((engine, period), partial(load, engine, period), watch)


def chart_file(chart: Chart, rows: list[dict[str, Any]], time_zone: str) -> bytes:
    """The chart's rows as an .xlsx (the project's streaming writer)."""
    buffer = io.BytesIO()
    exports.write_table(buffer, chart.ru, chart.columns, rows, time_zone=time_zone)
    return buffer.getvalue()


def chart_file_name(chart: Chart, period: Period) -> str:
    """E.g. «Отгрузки по маркетплейсам и РЦ 2026-11-01 — 2026-11-30.xlsx»."""
    if period.start == period.end:
        return f"{chart.ru} {period.start.isoformat()}.xlsx"
    return f"{chart.ru} {period.start.isoformat()} — {period.end.isoformat()}.xlsx"
