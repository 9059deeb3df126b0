"""A mission's card for managers (/missions/{id}): what it is, its lines with what is done,
its history (every step, who and when), and the steps its state allows — edit a draft,
assign, start, complete, cancel with a reason. core.floor.missions decides; an illegal step
is refused with its message. Follows recordings made on the floor as they happen."""

from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.floor.mission_rules import MISSION, Actor, Status
from core.floor.missions import assign, cancel, complete, start
from core.floor.ports import Mission
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.executors import executors
from data.floor.mission_queries import history, mission
from data.floor.missions import mission_work
from data.reads import MAX_PAGE
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.formatting import format_time, quantity
from ui.i18n import tr
from ui.live import refresh_on_ledger_change
from ui.pages.floor.mission_labels import (
    kind_label,
    line_what,
    priority_badge,
    status_badge,
    step_label,
)
from ui.session import guarded

POLL_SECONDS = 5.0  # steps that move no stock (assign, start, complete) made elsewhere


class MissionCard:
    def __init__(self, ctx: AppContext, mission_id: int) -> None:
        self.ctx = ctx
        self.mission_id = mission_id
        self.zone = ctx.settings.time_zone

    def build(self) -> None:
        self.body()
        self._cancel_dialog()
        refresh_on_ledger_change(self.ctx, self.reload, action=Action.MANAGE_MISSIONS)
        ui.timer(POLL_SECONDS, guarded(self.ctx, Action.MANAGE_MISSIONS, self._poll))

    async def _poll(self, _user: Identity) -> None:
        await self.reload()

    async def reload(self) -> None:
        self.body.refresh()

    @ui.refreshable_method
    def body(self) -> None:
        found = mission(self.ctx.db.engine, self.mission_id)
        if found is None:
            ui.label(tr("Задание не найдено", "Mission not found")).classes("text-h6")
            return
        self._header(found)
        self._actions(found)
        self._lines(found)
        self._history()

    def _header(self, m: Mission) -> None:
        with ui.row().classes("w-full items-center gap-3 flex-wrap").mark("mission-header"):
            ui.label(f"{kind_label(m.kind)} №{m.id}").classes("text-h5")
            status_badge(m.status).mark("mission-status")
            priority_badge(m.priority)
        facts = [
            (tr("Исполнитель", "Executor"), m.executor_name or tr("не назначен", "not assigned")),
            (tr("Создано", "Created"), format_time(m.created_at, self.zone)),
            (tr("Начато", "Started"), format_time(m.started_at, self.zone)),
            (tr("Завершено", "Completed"), format_time(m.completed_at, self.zone)),
            (tr("Отменено", "Cancelled"), format_time(m.cancelled_at, self.zone)),
            (tr("Причина отмены", "Cancel reason"), m.cancel_reason or ""),
        ]
        with (
            ui.element("div")
            .classes("w-full grid gap-x-6 gap-y-1")
            .style("grid-template-columns: repeat(auto-fill, minmax(220px, 1fr))")
        ):
            for label, value in facts:
                if value:
                    with ui.column().classes("gap-0"):
                        ui.label(label).classes("text-caption text-grey-7")
                        ui.label(value).classes("text-body1")

    def _actions(self, m: Mission) -> None:
        allowed = MISSION.allowed(m.status)
        with ui.row().classes("w-full items-center gap-2 flex-wrap").mark("mission-actions"):
            if m.status == Status.DRAFT:
                ui.button(
                    tr("Изменить", "Edit"),
                    icon="edit",
                    on_click=lambda: ui.navigate.to(f"/missions/{m.id}/edit"),
                ).props("outline size=lg").mark("mission-edit")
            if m.status in (Status.DRAFT, Status.ASSIGNED):
                people = executors(self.ctx.db.engine, active=True, limit=MAX_PAGE).items
                options = {row["id"]: f"{row['name']} ({row['code']})" for row in people}
                chosen = m.executor_id if m.executor_id in options else None
                self.executor = (
                    ui.select(options, value=chosen, label=tr("Исполнитель", "Executor"))
                    .props("outlined")
                    .classes("min-w-64")
                    .mark("assign-executor")
                )
                ui.button(
                    tr("Назначить", "Assign"), icon="person", on_click=self._step(self._assign)
                ).props("unelevated size=lg").mark("mission-assign")
            if Status.IN_PROGRESS in allowed:
                ui.button(
                    tr("Начать", "Start"), icon="play_arrow", on_click=self._step(self._start)
                ).props("outline size=lg").mark("mission-start")
            if Status.COMPLETED in allowed:
                ui.button(
                    tr("Завершить", "Complete"),
                    icon="done_all",
                    on_click=self._step(self._complete),
                ).props("unelevated size=lg").mark("mission-complete")
            if Status.CANCELLED in allowed:
                ui.button(
                    tr("Отменить", "Cancel"),
                    icon="block",
                    on_click=lambda: self.cancel_dialog.open(),
                ).props("flat color=negative size=lg").mark("mission-cancel")

    def _step(self, action: Any, after: Any = None) -> Any:
        """A button's handler: `action(actor)` off the event loop, its refusal shown, the
        card read again; `after()` when it was done."""

        async def run_step(user: Identity, *_: Any) -> None:
            actor = Actor.of(user.id, user.role)
            try:
                await run.io_bound(action, actor)
            except DomainError as failure:
                show_error(failure)
            else:
                show_done(tr("Готово", "Done"))
                if after is not None:
                    after()
            self.body.refresh()

        return guarded(self.ctx, Action.MANAGE_MISSIONS, run_step)

    def _assign(self, actor: Actor) -> None:
        assign(mission_work(self.ctx.db), self.mission_id, self.executor.value, actor)

    def _start(self, actor: Actor) -> None:
        start(mission_work(self.ctx.db), self.mission_id, actor)

    def _complete(self, actor: Actor) -> None:
        complete(mission_work(self.ctx.db), self.mission_id, actor)

    def _cancel_dialog(self) -> None:
        with ui.dialog() as self.cancel_dialog, ui.card().classes("w-[30rem] max-w-full gap-3"):
            ui.label(tr("Отменить задание?", "Cancel the mission?")).classes("text-h6")
            ui.label(
                tr(
                    "Уже перемещённое останется на местах; невыполненное выполнено не будет.",
                    "What was moved stays where it is; what was not done will not be.",
                )
            ).classes("text-body2 text-grey-8")
            reason = (
                ui.input(tr("Причина", "Reason"))
                .props("outlined maxlength=500")
                .classes("w-full")
                .mark("cancel-reason")
            )

            def cancel_it(actor: Actor) -> None:
                cancel(mission_work(self.ctx.db), self.mission_id, reason.value, actor)

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Не отменять", "Keep it"), on_click=self.cancel_dialog.close).props(
                    "flat size=lg"
                )
                ui.button(
                    tr("Отменить задание", "Cancel the mission"),
                    on_click=self._step(cancel_it, self.cancel_dialog.close),
                ).props("unelevated color=negative size=lg").mark("cancel-confirm")

    def _lines(self, m: Mission) -> None:
        columns = [
            {"name": "sequence", "label": "№", "field": "sequence", "align": "left"},
            {
                "name": "product",
                "label": tr("Товар", "Product"),
                "field": "product",
                "align": "left",
            },
            {
                "name": "route",
                "label": tr("Откуда → куда", "From → to"),
                "field": "route",
                "align": "left",
            },
            {"name": "quantity", "label": tr("Нужно", "Quantity"), "field": "quantity"},
            {"name": "done", "label": tr("Сделано", "Done"), "field": "done"},
            {"name": "rest", "label": tr("Осталось", "Left"), "field": "rest"},
        ]
        rows = [
            {
                "id": line.id,
                "sequence": line.sequence,
                "product": line_what(line),
                "route": f"{line.from_code} → {line.to_code}"
                + (
                    tr(f" · упаковка {line.unit_code}", f" · unit {line.unit_code}")
                    if line.unit_code and not line.whole_unit
                    else ""
                ),
                "quantity": quantity(line.quantity),
                "done": quantity(line.done_quantity),
                "rest": quantity(line.rest),
            }
            for line in m.lines
        ]
        ui.label(tr("Строки", "Lines")).classes("text-subtitle1")
        table = ui.table(columns=columns, rows=rows, row_key="id").props("flat bordered")
        table.classes("w-full").mark("mission-lines")
        table.props[":dense"] = "window.innerWidth < 1024"

    def _history(self) -> None:
        ui.label(tr("История", "History")).classes("text-subtitle1")
        with ui.column().classes("w-full gap-1").mark("mission-history"):
            for step in history(self.ctx.db.engine, self.mission_id):
                with ui.row().classes("w-full items-baseline gap-x-3 gap-y-0").mark("history-step"):
                    ui.label(format_time(step["at"], self.zone)).classes(
                        "text-body2 text-grey-7 w-36 shrink-0"
                    )
                    ui.label(step_label(step["action"])).classes(
                        "text-body1 text-weight-medium w-28 shrink-0"
                    )
                    ui.label(step["details"] or "").classes("text-body1 grow min-w-0")
                    ui.label(step["user_name"] or "").classes("text-body2 text-grey-8")
