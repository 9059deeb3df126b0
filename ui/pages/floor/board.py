"""The floor board (/floor-board; issue 15): a large screen for the shift lead — open
picking, quality-check and packing tasks by worker and by zone, the ones nobody has
taken, and the orders waiting longest to be picked. Managers and admins
(Action.SEE_FLOOR_BOARD). Live: drawn again within a second or two of a pick, a check or
a task taken anywhere (the ledger watch, and a short poll for steps that move no stock)."""

from collections import defaultdict
from datetime import datetime

from nicegui import run, ui

from core.orders.quality import QcStatus
from core.orders.rules import STATUS_LABELS
from core.periods import now_utc
from core.states import PackingStatus, PickingStatus
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.board import Board, BoardTask, board
from ui.context import AppContext
from ui.formatting import format_time, quantity
from ui.i18n import tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.pages.floor.mission_labels import priority_badge
from ui.session import guarded, protected_page

PATH = "/floor-board"
ACTION = Action.SEE_FLOOR_BOARD
POLL_SECONDS = 3.0
KINDS = {
    "picking": (("Сборка", "Picking"), "shopping_cart", "primary"),
    "qc": (("Контроль", "Quality check"), "verified", "deep-purple"),
    "packing": (("Упаковка", "Packing"), "inventory_2", "teal"),
}
STATUS = {"picking": PickingStatus, "qc": QcStatus, "packing": PackingStatus}


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, ACTION)
    def floor_board_page(user: Identity) -> None:
        with frame(user, tr("Табло склада", "Floor board"), PATH):
            FloorBoard(ctx).build()


def age(since: datetime, now: datetime) -> str:
    minutes = max(int((now - since).total_seconds() // 60), 0)
    if minutes < 60:
        return tr(f"{minutes} мин", f"{minutes} min")
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return tr(f"{hours} ч {minutes} мин", f"{hours} h {minutes} min")
    return tr(f"{hours // 24} дн", f"{hours // 24} d")


def _kind(kind: str) -> str:
    (ru, en), _icon, _colour = KINDS[kind]
    return tr(ru, en)


class FloorBoard:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.zone = ctx.settings.time_zone

    def build(self) -> None:
        refresh_on_ledger_change(self.ctx, self.reload, action=ACTION)
        self.data = board(self.ctx.db.engine)
        self.view()
        ui.timer(POLL_SECONDS, guarded(self.ctx, ACTION, self._poll))

    async def _poll(self, _user: Identity) -> None:
        await self.reload()

    async def reload(self) -> None:
        fresh = await run.io_bound(board, self.ctx.db.engine)
        if fresh is not None and fresh != self.data:
            self.data = fresh
            self.view.refresh()

    @ui.refreshable_method
    def view(self) -> None:
        data, now = self.data, now_utc()
        with ui.column().classes("w-full gap-4").mark("floor-board"):
            self._counters(data)
            with ui.row().classes("w-full gap-4 items-start no-wrap"):
                with ui.column().classes("grow min-w-0 gap-3"):
                    self._by_worker(data, now)
                    self._by_zone(data)
                with ui.column().classes("w-[34%] min-w-[300px] gap-2"):
                    self._waiting(data, now)
            ui.label(tr(f"Обновлено {format_time(now, self.zone)}",
                        f"Updated {format_time(now, self.zone)}")
                     ).classes("text-body2 text-grey-7")  # fmt: skip

    def _counters(self, data: Board) -> None:
        with ui.grid().classes("w-full gap-3 grid-cols-2 lg:grid-cols-4"):
            for kind, ((ru, en), icon, colour) in KINDS.items():
                mine = [t for t in data.tasks if t.kind == kind]
                busy = sum(1 for t in mine if t.active)
                with ui.card().classes("w-full q-pa-md").props("flat bordered").mark(
                    f"board-count-{kind}"):  # fmt: skip
                    with ui.row().classes("items-center gap-2"):
                        ui.icon(icon, size="lg", color=colour)
                        ui.label(tr(ru, en)).classes("text-h6")
                    with ui.row().classes("items-baseline gap-2"):
                        ui.label(quantity(busy)).classes("text-h3 text-weight-bold")
                        ui.label(tr("в работе", "active")).classes("text-h6")
                    ui.label(tr(f"ждут: {len(mine) - busy}", f"waiting: {len(mine) - busy}")
                             ).classes("text-h6 text-grey-8")  # fmt: skip
            with ui.card().classes("w-full q-pa-md").props("flat bordered").mark("board-waiting"):
                with ui.row().classes("items-center gap-2"):
                    ui.icon("hourglass_top", size="lg", color="orange-8")
                    ui.label(tr("Заказы ждут сборки", "Orders waiting")).classes("text-h6")
                ui.label(quantity(data.waiting_total)).classes("text-h3 text-weight-bold")

    def _by_worker(self, data: Board, now: datetime) -> None:
        people: dict[str, list[BoardTask]] = defaultdict(list)
        free: list[BoardTask] = []
        for t in data.tasks:
            (people[t.worker] if t.worker else free).append(t)
        ui.label(tr("По работникам", "By worker")).classes("text-h5")
        if not people and not free:
            ui.label(tr("Открытых заданий нет", "No open tasks")).classes(
                "text-h6 text-grey-7").mark("board-empty")  # fmt: skip
        with ui.grid().classes("w-full gap-3 grid-cols-1 lg:grid-cols-2 2xl:grid-cols-3"):
            for name in sorted(people):
                self._worker_card(name, people[name], now)
            if free:
                self._worker_card(None, free, now)

    def _worker_card(self, name: str | None, tasks: list[BoardTask], now: datetime) -> None:
        title = name or tr("Никто не взял", "Not taken")
        with ui.card().classes("w-full q-pa-md gap-2").props("bordered").mark("board-worker"):
            with ui.row().classes("w-full items-center no-wrap gap-2"):
                ui.icon("person" if name else "inbox", size="md",
                        color="primary" if name else "grey-7")  # fmt: skip
                ui.label(title).classes("text-h6 text-weight-bold grow min-w-0 ellipsis")
                ui.badge(str(len(tasks)), color="grey-7").classes("text-body1")
            for t in tasks[:6]:
                self._task_line(t, now)
            if len(tasks) > 6:
                ui.label(tr(f"и ещё {len(tasks) - 6}", f"and {len(tasks) - 6} more")).classes(
                    "text-body2 text-grey-7")  # fmt: skip

    def _task_line(self, t: BoardTask, now: datetime) -> None:
        _label, icon, colour = KINDS[t.kind]
        state = STATUS[t.kind](t.status)
        where = " · ".join(x for x in (t.zone and tr(f"зона {t.zone}", f"zone {t.zone}"),
                                       t.place) if x)  # fmt: skip
        with ui.row().classes("w-full items-center no-wrap gap-2").mark("board-task"):
            ui.icon(icon, size="sm", color=colour)
            with ui.column().classes("grow min-w-0 gap-0 overflow-hidden"):
                ui.label(f"{_kind(t.kind)} · {t.external_id}").classes(
                    "w-full text-body1 text-weight-medium ellipsis")  # fmt: skip
                ui.label(f"{tr(state.label_ru, state.label_en)} · {where or '—'} · "
                         f"{age(t.started_at or t.created_at, now)}").classes(
                    "w-full text-body2 text-grey-8 ellipsis")  # fmt: skip
            if t.total:
                ui.circular_progress(value=t.done / t.total, show_value=False, size="36px",
                                     color=colour).classes("shrink-0")  # fmt: skip
                ui.label(f"{t.done}/{t.total}").classes("text-body1 whitespace-nowrap shrink-0")

    def _by_zone(self, data: Board) -> None:
        zones: dict[str, int] = defaultdict(int)
        for t in data.tasks:
            if t.active:
                zones[t.zone or t.place or "—"] += 1
        if not zones:
            return
        ui.label(tr("В работе по зонам", "Active by zone")).classes("text-h5")
        with ui.row().classes("gap-2").mark("board-zones"):
            for zone, n in sorted(zones.items()):
                ui.chip(f"{zone}: {n}", icon="place").props("outline square").classes(
                    "text-h6")  # fmt: skip

    def _waiting(self, data: Board, now: datetime) -> None:
        ui.label(tr("Дольше всех ждут", "Waiting longest")).classes("text-h5")
        if not data.waiting:
            ui.label(tr("Все заказы в работе", "Every order is in work")).classes(
                "text-h6 text-grey-7")  # fmt: skip
        for o in data.waiting:
            with ui.card().classes("w-full q-pa-sm").props("flat bordered").mark("board-order"):
                with ui.row().classes("w-full items-center no-wrap gap-2"):
                    ui.label(o.external_id).classes("text-h6 text-weight-bold grow ellipsis")
                    priority_badge(o.priority)
                with ui.row().classes("w-full items-center gap-2"):
                    ui.label(age(o.created_at, now)).classes(
                        "text-h6 text-orange-9 text-weight-medium")  # fmt: skip
                    ui.label(f"{STATUS_LABELS.get(o.status, o.status)} · {quantity(o.units)} "
                             + tr("шт.", "units")).classes("text-body1 text-grey-8")  # fmt: skip
