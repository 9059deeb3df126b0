"""A worker's missions on the tablet (/my-missions): the open missions of the executor
linked to them, the most urgent first, as big cards; one opens the mission, which leads
them line by line (/my-missions/{id}, ui.pages.floor.mission_run). New assignments appear
without a reload."""

from nicegui import run, ui

from core.floor.executors import executor_for_user
from core.floor.mission_rules import OPEN_STATUSES
from core.floor.ports import Mission
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.executors import SqlExecutorStore
from data.floor.mission_queries import missions
from ui.context import AppContext
from ui.formatting import address_id, plural, quantity
from ui.i18n import tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.pages.floor.mission_labels import kind_label, line_what, priority_badge, status_badge
from ui.pages.floor.mission_run import MissionRun
from ui.session import guarded, protected_page

PATH = "/my-missions"
POLL_SECONDS = 3.0  # an assignment moves no stock: the ledger watch does not see it


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.WORK_MISSIONS)
    def my_missions_page(user: Identity) -> None:
        with frame(user, tr("Мои задания", "My missions"), PATH):
            MyMissions(ctx, user).build()

    @protected_page(ctx, PATH + "/{mission_id}", Action.WORK_MISSIONS)
    def mission_run_page(user: Identity, mission_id: str) -> None:
        number = address_id(mission_id)
        title = tr(f"Задание №{number}", f"Mission {number}")
        with frame(user, title, PATH):
            MissionRun(ctx, user, number).build()


class MyMissions:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user

    def build(self) -> None:
        executor = executor_for_user(SqlExecutorStore(self.ctx.db.engine), self.user.id)
        if executor is None:
            with ui.card().classes("w-full max-w-3xl bg-amber-1").mark("no-executor"):
                ui.label(
                    tr(
                        "Вы не привязаны к исполнителю: задания вам не назначить. "
                        "Попросите менеджера привязать вас на странице «Исполнители».",
                        "You are not linked to an executor, so no missions can be given to "
                        "you. Ask a manager to link you on the Executors page.",
                    )
                ).classes("text-h6")
            return
        if not executor.is_active:
            ui.label(
                tr(
                    "Ваш исполнитель отключён — обратитесь к менеджеру.",
                    "Your executor is inactive — ask a manager.",
                )
            ).classes("text-h6 text-negative").mark("executor-inactive")
        self.cards()
        refresh_on_ledger_change(self.ctx, self.reload, action=Action.WORK_MISSIONS)
        ui.timer(POLL_SECONDS, guarded(self.ctx, Action.WORK_MISSIONS, self._poll))

    async def _poll(self, _user: Identity) -> None:
        await self.reload()

    def _read(self) -> list[Mission]:
        page = missions(
            self.ctx.db.engine,
            statuses=OPEN_STATUSES,
            executor_user_id=self.user.id,
            queue=True,
            limit=100,
        )
        return page.items

    async def reload(self) -> None:
        found = await run.io_bound(self._read)
        if found is not None and [(m.id, m.status, _done(m)) for m in found] != self.shown:
            self.cards.refresh(found)

    @ui.refreshable_method
    def cards(self, found: list[Mission] | None = None) -> None:
        found = self._read() if found is None else found
        self.shown = [(m.id, m.status, _done(m)) for m in found]
        with ui.column().classes("w-full max-w-3xl gap-3").mark("my-missions"):
            if not found:
                ui.label(
                    tr(
                        "Заданий нет. Новые появятся здесь сами.",
                        "No missions. New ones appear here by themselves.",
                    )
                ).classes("text-h6 text-grey-7").mark("no-missions")
            for m in found:
                self._card(m)

    def _card(self, m: Mission) -> None:
        done, total = _done(m), sum(line.quantity for line in m.lines)
        lines = len(m.lines)
        with (
            ui.card()
            .classes("w-full cursor-pointer q-pa-md gap-2")
            .props("bordered")
            .on("click", lambda _e=None, mid=m.id: ui.navigate.to(f"{PATH}/{mid}"))
            .mark("my-mission", f"my-mission-{m.id}")
        ):
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(f"{kind_label(m.kind)} №{m.id}").classes("text-h5 grow")
                priority_badge(m.priority)
                status_badge(m.status)
            first = m.lines[0] if m.lines else None
            if first is not None:
                where = f"{first.from_code} → {first.to_code}"
                word = plural(lines - 1, "строка", "строки", "строк")
                more = (
                    tr(f" и ещё {lines - 1} {word}", f" and {lines - 1} more") if lines > 1 else ""
                )
                ui.label(f"{line_what(first)} · {where}{more}").classes("text-body1")
            ui.label(
                tr(
                    f"Сделано {quantity(done)} из {quantity(total)} шт.",
                    f"Done {quantity(done)} of {quantity(total)} units",
                )
            ).classes("text-body1 text-grey-8")
            ui.button(
                tr("Продолжить", "Continue")
                if m.status == "in_progress"
                else tr("Открыть", "Open"),
                on_click=lambda _e=None, mid=m.id: ui.navigate.to(f"{PATH}/{mid}"),
            ).props("unelevated size=xl").classes("w-full min-h-16").mark("my-mission-open")


def _done(m: Mission) -> int:
    return sum(line.done_quantity for line in m.lines)
