"""/: the managers' dashboard — what came in, what went out, what broke, what runs short.

Everything below the period picker comes from data.dashboard, which reads the daily
aggregates kept in each movement's own transaction (never a scan of the ledger). The
period lives in the address (?days=30, or ?start=2026-11-01&end=2026-11-30), so a reload
or a shared link shows the same thing. A bar opens the journal filtered to what it counts;
each chart's figures download as .xlsx. A worker gets their own home here (ui.floor).
"""

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from nicegui import app, run, ui
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from core.auth import Identity
from core.kpis import KPI_KEYS, Kpi, Period
from core.operations import OPERATIONS
from core.periods import today
from core.policy import Action, can
from data import dashboard, exports
from data.exports import Column
from ui.context import AppContext
from ui.dashboard_charts import (
    Drawn,
    Look,
    per_day_figure,
    returns_figure,
    shipments_by_dc_figure,
    stock_figure,
    top_shipped_figure,
)
from ui.downloads import offer_bytes
from ui.floor import worker_home
from ui.formatting import MINUS, THIN_SPACE, quantity, zone
from ui.i18n import language, tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.pages.journal import PATH as JOURNAL_PATH
from ui.pages.journal import Filters as JournalFilters
from ui.session import guarded, protected_page

PATH = "/"
ACTION = Action.SEE_DASHBOARD
DAY_CHOICES = (1, 7, 30, 90, 365)
DEFAULT_DAYS = 30
# A custom range longer than this is cut to its last MAX_DAYS days (10 years of bars).
MAX_DAYS = 3660
log = logging.getLogger(__name__)

# --- The period: from the address and back ----------------------------------------------


@dataclass(frozen=True)
class Choice:
    """The period as the address carries it: the last `days` days, or a custom range."""

    period: Period
    days: int | None = None  # None: a custom range

    def query(self) -> str:
        if self.days is not None:
            return urlencode({"days": self.days})
        return urlencode({"start": self.period.start.isoformat(), "end": self.period.end})


def _iso_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def choose_period(
    days: str | None, start: str | None, end: str | None, local_today: date
) -> Choice:
    """Lenient: a range that does not parse falls back to `days`, then to the default."""
    first, last = _iso_day(start), _iso_day(end)
    if first is not None and last is not None:
        first, last = min(first, last), max(first, last)
        first = max(first, last - timedelta(days=MAX_DAYS - 1))
        return Choice(Period(first, last))
    wanted = int(days) if days and days.strip().isdigit() else DEFAULT_DAYS
    if wanted not in DAY_CHOICES:
        wanted = DEFAULT_DAYS
    return Choice(Period.last_days(wanted, local_today), wanted)


def show_day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def show_period(period: Period) -> str:
    if period.start == period.end:
        return show_day(period.start)
    return f"{show_day(period.start)} – {show_day(period.end)}"


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
    "shipped": Measure("Отгружено на РЦ, шт.", "Shipped to DCs, units", True),
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


# --- What each chart shows, where its data comes from, what its .xlsx holds --------------


def _day(header: str = "День") -> Column:
    return Column(header, "datetime", 12, "day")


def _operation_column() -> Column:
    return Column(
        "Операция", "text", 22, value=lambda r: OPERATIONS[r["operation_type"]].label_ru
        if r["operation_type"] in OPERATIONS else r["operation_type"],
    )  # fmt: skip


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
        "top_shipped", "Топ-20 товаров по отгрузкам на РЦ", "Top 20 SKUs shipped to DCs",
        dashboard.top_shipped, top_shipped_figure,
        (Column("Артикул", "text", 18, "sku"), Column("Наименование", "text", 48, "name"),
         Column("Штрихкод", "code", 16, "barcode"),
         Column("Отгружено, шт.", "quantity", 15, "units")),
        wide=True,
    ),
)  # fmt: skip
CHARTS_BY_KEY = {chart.key: chart for chart in CHARTS}


@dataclass(frozen=True)
class Snapshot:
    kpis: dict[str, Kpi]
    series: dict[str, list[dict[str, Any]]]


def load(engine: Engine, period: Period) -> Snapshot:
    """Everything the page shows for `period` (a worker thread may run it)."""
    kpis = {kpi.key: kpi for kpi in dashboard.kpis(engine, period)}
    return Snapshot(kpis, {chart.key: chart.load(engine, period) for chart in CHARTS})


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


# --- The page -------------------------------------------------------------------------


class DashboardView:
    def __init__(self, ctx: AppContext, choice: Choice) -> None:
        self.ctx = ctx
        self.choice = choice
        self.look = Look(dark=bool(app.storage.user.get("dark", False)))
        self.cards: dict[str, KpiCard] = {}
        self.plots: dict[str, ui.plotly] = {}
        self.drawn: dict[str, Drawn] = {}
        self.request_no = 0
        self._build_picker()
        self._build_problem()
        self._build_cards()
        self._build_charts()
        # Before the first read, so that a movement committed meanwhile is not missed.
        refresh_on_ledger_change(ctx, self.refresh, action=ACTION)
        try:
            snapshot = load(ctx.db.engine, choice.period)
        except SQLAlchemyError as error:
            self._failed(error)
        else:
            self.show(snapshot)

    @property
    def period(self) -> Period:
        return self.choice.period

    def today(self) -> date:
        return today(zone(self.ctx.settings.time_zone))

    # --- the period picker ---

    def _build_picker(self) -> None:
        with ui.row().classes("w-full items-center gap-x-3 gap-y-2"):
            self.toggle = (
                ui.toggle(
                    {
                        days: tr("Сегодня", "Today")
                        if days == 1
                        else tr(f"{days} дней", f"{days} days")
                        for days in DAY_CHOICES
                    },
                    value=self.choice.days,
                    on_change=guarded(self.ctx, ACTION, self._days_chosen),
                )
                .props("no-caps unelevated toggle-color=primary padding='10px 14px'")
                .classes("rounded-borders")
                .style("border: 1px solid rgba(128, 128, 128, 0.5)")
                .mark("period-days")
            )
            self.range_button = (
                ui.button(icon="date_range")
                .props("outline no-caps")
                .classes("min-h-11")
                .mark("period-range")
            )
            with (
                self.range_button,
                ui.menu() as self.range_menu,
                ui.column().classes("q-pa-sm gap-2"),
            ):
                ui.label(
                    tr("Выберите первый и последний день", "Pick the first and the last day")
                ).classes("text-body2 text-grey-7 q-px-sm")
                self.range_picker = (
                    ui.date(mask="YYYY-MM-DD").props("range minimal").mark("period-picker")
                )
                with ui.row().classes("w-full justify-end gap-2"):
                    ui.button(tr("Отмена", "Cancel"), on_click=self.range_menu.close).props(
                        "flat no-caps"
                    )
                    ui.button(
                        tr("Показать", "Show"),
                        on_click=guarded(self.ctx, ACTION, self._range_chosen),
                    ).props("unelevated no-caps").mark("period-apply")
            self.compared = ui.label().classes("text-body2 text-grey-7").mark("period-compared")
        self._show_choice()

    def _show_choice(self) -> None:
        period = self.period
        self.range_button.set_text(show_period(period))
        self.range_picker.set_value(
            {"from": period.start.isoformat(), "to": period.end.isoformat()}
        )
        self.compared.set_text(
            tr("сравнение с ", "compared with ") + show_period(period.previous())
        )

    async def _days_chosen(self, _user: Identity, event: Any) -> None:
        days = getattr(event, "value", None)
        if days is None or days == self.choice.days:
            return  # a custom range was chosen (the toggle clears itself) or no change
        await self.choose(Choice(Period.last_days(int(days), self.today()), int(days)))

    async def _range_chosen(self, _user: Identity, *_: Any) -> None:
        value = self.range_picker.value
        if isinstance(value, dict):
            first, last = _iso_day(value.get("from")), _iso_day(value.get("to"))
        else:  # one day picked: Quasar gives a plain date
            first = last = _iso_day(value)
        self.range_menu.close()
        if first is None or last is None:
            return
        await self.choose(choose_period(None, first.isoformat(), last.isoformat(), self.today()))

    async def choose(self, choice: Choice) -> None:
        self.choice = choice
        self.toggle.set_value(choice.days)
        self._show_choice()
        ui.navigate.history.replace(f"{PATH}?{choice.query()}")
        await self.refresh()

    # --- cards and charts ---

    def _build_problem(self) -> None:
        """Said on the page when the figures could not be read (the database is down)."""
        with (
            ui.row()
            .classes("w-full items-center gap-3 bg-red-1 text-negative rounded-borders q-pa-md")
            .mark("dashboard-problem") as self.problem
        ):
            ui.icon("error_outline", size="md")
            ui.label(
                tr(
                    "Не удалось получить данные: база данных недоступна. "
                    "Цифры ниже могут быть устаревшими.",
                    "Could not read the figures: the database is unavailable. "
                    "The figures below may be out of date.",
                )
            ).classes("text-body1 col")
            ui.button(
                tr("Повторить", "Try again"),
                icon="refresh",
                on_click=guarded(self.ctx, ACTION, lambda _user, *_: self.refresh()),
            ).props("outline no-caps color=negative").classes("min-h-11").mark("dashboard-retry")
        self.problem.set_visibility(False)

    def _failed(self, error: SQLAlchemyError) -> None:
        log.warning("dashboard figures could not be read: %s", error)
        self.problem.set_visibility(True)

    def _build_cards(self) -> None:
        self.stock_title = ui.label().classes("text-h6 -mb-2")
        with ui.element("div").classes("w-full grid grid-cols-2 lg:grid-cols-4 gap-3"):
            for key in STOCK_KEYS:
                self.cards[key] = KpiCard(key, self.look.dark)
        ui.label(tr("За период", "In the period")).classes("text-h6 -mb-2")
        with ui.element("div").classes(
            "w-full grid grid-cols-2 md:grid-cols-3 xl:grid-cols-5 gap-3"
        ):
            for key in FLOW_KEYS:
                self.cards[key] = KpiCard(key, self.look.dark)

    def _build_charts(self) -> None:
        # Two columns on an office screen, one on a tablet held upright.
        with ui.element("div").classes("w-full grid grid-cols-1 lg:grid-cols-2 gap-3"):
            for chart in CHARTS:
                span = "lg:col-span-2" if chart.wide else ""
                with (
                    ui.card().props("flat bordered").classes(f"w-full min-w-0 q-pa-sm {span}"),
                    ui.column().classes("w-full gap-0"),
                ):
                    with ui.row().classes("w-full items-center no-wrap gap-1 q-pl-sm"):
                        ui.label(chart.title).classes("text-subtitle1 text-weight-medium")
                        ui.space()
                        ui.button(
                            icon="download",
                            on_click=guarded(self.ctx, ACTION, self._download_handler(chart)),
                        ).props("flat round").classes("min-h-11 min-w-11").tooltip(
                            tr(
                                "Скачать данные графика (.xlsx)",
                                "Download the chart's data (.xlsx)",
                            )
                        ).mark(f"download-{chart.key}")
                    plot = (
                        ui.plotly({"data": [], "layout": {}})
                        .classes("w-full")
                        .mark(f"chart-{chart.key}")
                    )
                    plot.on(
                        "plotly_click",
                        guarded(self.ctx, ACTION, self._click_handler(chart.key)),
                        ["points"],
                    )
                    self.plots[chart.key] = plot

    def show(self, snapshot: Snapshot) -> None:
        self.problem.set_visibility(False)
        period = self.period
        self.stock_title.set_text(
            tr("Остатки сейчас", "Stock right now")
            if period.end >= self.today()
            else tr(f"Остатки на конец {show_day(period.end)}", f"Stock at {show_day(period.end)}")
        )
        for key, card in self.cards.items():
            kpi = snapshot.kpis.get(key)
            if kpi is not None:
                card.show(kpi)
        for chart in CHARTS:
            drawn = chart.draw(snapshot.series[chart.key], period, self.look)
            self.drawn[chart.key] = drawn
            plot = self.plots[chart.key]
            if plot.figure != drawn.figure:  # unchanged charts are not sent again
                plot.update_figure(drawn.figure)

    async def refresh(self) -> None:
        """Load the current period off the event loop and show it; a slower answer for an
        older period is dropped. «The last N days» move on at local midnight: a page left
        open overnight shows the new day's movements, not yesterday's period forever."""
        days, local_today = self.choice.days, self.today()
        if days is not None and self.period.end != local_today:
            self.choice = Choice(Period.last_days(days, local_today), days)
            self._show_choice()
        self.request_no += 1
        mine = self.request_no
        try:
            snapshot = await run.io_bound(load, self.ctx.db.engine, self.period)
        except SQLAlchemyError as error:
            if mine == self.request_no:
                self._failed(error)
            return
        if snapshot is None or mine != self.request_no:
            return  # the app is stopping, or a newer period was chosen meanwhile
        self.show(snapshot)

    # --- clicks and downloads ---

    def _click_handler(self, key: str) -> Callable[..., Any]:
        def clicked(_user: Identity, event: Any) -> None:
            filters = self.journal_filters(key, event.args)
            if filters is not None:
                query = filters.query()
                ui.navigate.to(f"{JOURNAL_PATH}?{query}" if query else JOURNAL_PATH)

        return clicked

    def journal_filters(self, key: str, args: Any) -> JournalFilters | None:
        """The journal filters of the clicked bar (its customdata[0] indexes this chart's
        links, made on the server: the browser only says which bar)."""
        points = args.get("points") if isinstance(args, dict) else None
        if not points or not isinstance(points[0], dict):
            return None
        custom = points[0].get("customdata")
        index = custom[0] if isinstance(custom, list) and custom else None
        links = self.drawn[key].links if key in self.drawn else []
        if type(index) is not int or not 0 <= index < len(links):
            return None
        return JournalFilters(**links[index])

    def _download_handler(self, chart: Chart) -> Callable[..., Any]:
        async def download(user: Identity, *_: Any) -> None:
            period = self.period
            tz_name = self.ctx.settings.time_zone

            def build() -> bytes:
                return chart_file(chart, chart.load(self.ctx.db.engine, period), tz_name)

            try:
                content = await run.io_bound(build)
            except SQLAlchemyError as error:
                log.warning("dashboard download failed: %s", error)
                ui.notify(
                    tr(
                        "Не удалось выгрузить: база данных недоступна. Повторите.",
                        "Export failed: the database is unavailable. Try again.",
                    ),
                    type="negative",
                    position="top",
                )
                return
            if content is None:  # the app is stopping
                return
            offer_bytes(user, content, chart_file_name(chart, period))

        return download


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH)
    def dashboard_page(
        user: Identity,
        days: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> None:
        if not can(user.role, ACTION):
            worker_home(ctx, user)  # workers start from their own page: the product lookup
            return
        with frame(user, tr("Дашборд", "Dashboard"), PATH):
            choice = choose_period(days, start, end, today(zone(ctx.settings.time_zone)))
            DashboardView(ctx, choice)
