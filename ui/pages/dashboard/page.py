"""/: the managers' dashboard — what came in, what went out, what broke, what runs short.

Everything below the period picker comes from data.dashboard.queries, which reads the daily
aggregates kept in each movement's own transaction (never a scan of the ledger). The
period lives in the address (?days=30, or ?start=2026-11-01&end=2026-11-30), so a reload
or a shared link shows the same thing. A bar opens the journal filtered to what it counts;
each chart's figures download as .xlsx. A worker gets their own home here (ui.pages.floor.home).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from nicegui import app, run, ui

from core.dashboard.kpis import Period
from core.periods import today
from core.users.auth import Identity
from core.users.policy import Action, can
from ui.components.downloads import EXPORT_FAILED, offer_bytes
from ui.context import AppContext
from ui.failures import INTERNAL, failure_of, log_failure
from ui.formatting import zone
from ui.i18n import tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.pages.dashboard.chart_data import (
    CHARTS,
    Chart,
    Snapshot,
    chart_file,
    chart_file_name,
    shared_load,
)
from ui.pages.dashboard.chart_look import Drawn, Look
from ui.pages.dashboard.kpi_cards import FLOW_KEYS, STOCK_KEYS, Change, KpiCard, describe_change
from ui.pages.dashboard.order_charts import OrderCards
from ui.pages.dashboard.period import (
    DAY_CHOICES,
    Choice,
    choose_period,
    iso_day,
    show_day,
    show_period,
)
from ui.pages.floor.home import worker_home
from ui.pages.stock.journal import PATH as JOURNAL_PATH
from ui.pages.stock.journal_filters import Filters as JournalFilters
from ui.session import guarded, protected_page

PATH = "/"
ACTION = Action.SEE_DASHBOARD
# Named here by the page's tests (they live in the modules beside it).
__all__ = ["Change", "Choice", "choose_period", "describe_change", "show_day"]


@dataclass(frozen=True)
class FirstRead:
    """What the page shows when it opens, read before it is built (off the event loop)."""

    since: int  # the watch's version before the read: later changes refresh the page
    snapshot: Snapshot | None  # None: the read failed (or the app is stopping)
    error: Exception | None = None  # a database failure (ui.failures)

    @staticmethod
    async def of(ctx: AppContext, period: Period) -> "FirstRead":
        since = ctx.watch.version
        try:
            return FirstRead(since, await shared_load(ctx.db.engine, period, ctx.watch))
        except Exception as error:
            if failure_of(error) is None:
                raise
            return FirstRead(since, None, error)


class DashboardView:
    def __init__(self, ctx: AppContext, choice: Choice, first: FirstRead) -> None:
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
        # A movement committed since the first read began makes the first refresh.
        refresh_on_ledger_change(ctx, self.refresh, action=ACTION, since=first.since)
        if first.error is not None:
            self._failed(first.error)
        elif first.snapshot is not None:
            self.show(first.snapshot)

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
            first, last = iso_day(value.get("from")), iso_day(value.get("to"))
        else:  # one day picked: Quasar gives a plain date
            first = last = iso_day(value)
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

    def _failed(self, error: Exception) -> None:
        log_failure(failure_of(error) or INTERNAL, error, "the dashboard's figures")
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
        ui.label(tr("Заказы за период", "Orders in the period")).classes("text-h6 -mb-2")
        self.order_cards = OrderCards()

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
                            on_click=guarded(
                                self.ctx,
                                ACTION,
                                self._download_handler(chart),
                                doing=EXPORT_FAILED,
                            ),
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
        self.order_cards.show(snapshot.orders)
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
            snapshot = await shared_load(self.ctx.db.engine, self.period, self.ctx.watch)
        except Exception as error:  # the database's failure: the panel with «Повторить»
            if failure_of(error) is None:
                raise
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

            content = await run.io_bound(build)  # a database failure: `guarded` says it
            if content is None:  # the app is stopping
                return
            offer_bytes(user, content, chart_file_name(chart, period))

        return download


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH)
    async def dashboard_page(
        user: Identity,
        days: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> None:
        if not can(user.role, ACTION):
            worker_home(ctx, user)  # workers start from their own page: the product lookup
            return
        choice = choose_period(days, start, end, today(zone(ctx.settings.time_zone)))
        # Read before building (in a worker thread, shared with the other open pages):
        # the page is sent with its figures, and nothing on it waits for its socket yet.
        first = await FirstRead.of(ctx, choice.period)
        with frame(user, tr("Дашборд", "Dashboard"), PATH):
            DashboardView(ctx, choice, first)
