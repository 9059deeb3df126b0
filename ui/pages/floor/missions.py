"""Missions for managers (/missions): the list with filters by status, executor and kind
(kept in the address), newest first; a row opens the mission's card. Live: recorded lines
show up as they are made."""

from typing import Any
from urllib.parse import urlencode

from nicegui import run, ui

from core.floor.ports import Mission
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.executors import executors
from data.floor.mission_queries import MissionPage, mission, missions
from data.reads import MAX_PAGE
from ui.context import AppContext
from ui.formatting import format_time, quantity
from ui.i18n import tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.pages.floor.mission_card import MissionCard
from ui.pages.floor.mission_form import MissionForm
from ui.pages.floor.mission_labels import (
    kind_label,
    kind_options,
    priority_label,
    status_label,
    status_options,
)
from ui.session import protected_page

PATH = "/missions"
ALL = ""


def progress(mission: Mission) -> str:
    done = sum(line.done_quantity for line in mission.lines)
    total = sum(line.quantity for line in mission.lines)
    return f"{quantity(done)} / {quantity(total)}"


def register(ctx: AppContext) -> None:
    """The list, the form and the card; /missions/new before /missions/{id}, which would
    take «new» for an id."""

    @protected_page(ctx, PATH, Action.MANAGE_MISSIONS)
    def missions_page(
        user: Identity, status: str = ALL, executor: int | None = None, kind: str = ALL
    ) -> None:
        with frame(user, tr("Задания", "Missions"), PATH):
            MissionList(ctx, status, executor, kind).build()

    @protected_page(ctx, "/missions/new", Action.MANAGE_MISSIONS)
    def new_mission_page(user: Identity) -> None:
        with frame(user, tr("Новое задание", "New mission"), PATH):
            MissionForm(ctx, user, None).build()

    @protected_page(ctx, "/missions/{mission_id}/edit", Action.MANAGE_MISSIONS)
    def edit_mission_page(user: Identity, mission_id: str) -> None:
        found = _mission(ctx, mission_id)
        with frame(user, tr("Изменить задание", "Edit mission"), PATH):
            if found is None:
                not_found()
            else:
                MissionForm(ctx, user, found).build()

    @protected_page(ctx, "/missions/{mission_id}", Action.MANAGE_MISSIONS)
    def mission_card_page(user: Identity, mission_id: str) -> None:
        found = _mission(ctx, mission_id)
        title = (
            tr(f"Задание №{found.id}", f"Mission {found.id}") if found else tr("Задание", "Mission")
        )
        with frame(user, title, PATH):
            if found is None:
                not_found()
            else:
                MissionCard(ctx, found.id).build()


def _mission(ctx: AppContext, mission_id: str) -> Mission | None:
    if not mission_id.isdigit() or len(mission_id) > 9:
        return None
    return mission(ctx.db.engine, int(mission_id))


def not_found() -> None:
    ui.label(tr("Задание не найдено", "Mission not found")).classes("text-h6").mark("not-found")
    ui.link(tr("Все задания", "All missions"), PATH)


class MissionList:
    def __init__(self, ctx: AppContext, status: str, executor: int | None, kind: str) -> None:
        self.ctx = ctx
        self.filters: dict[str, Any] = {
            "status": status if status in status_options() else ALL,
            "executor": executor,
            "kind": kind if kind in kind_options() else ALL,
        }

    def build(self) -> None:
        with ui.row().classes("w-full items-center gap-3 flex-wrap"):
            self._filter(
                "status",
                {ALL: tr("Все статусы", "All statuses"), **status_options()},
                tr("Статус", "Status"),
            )
            people = executors(self.ctx.db.engine, limit=MAX_PAGE).items
            names = {row["id"]: f"{row['name']} ({row['code']})" for row in people}
            self._filter(
                "executor",
                {None: tr("Все исполнители", "All executors"), **names},
                tr("Исполнитель", "Executor"),
            )
            self._filter(
                "kind", {ALL: tr("Все виды", "All kinds"), **kind_options()}, tr("Вид", "Kind")
            )
            ui.space()
            ui.button(
                tr("Новое задание", "New mission"),
                icon="add",
                on_click=lambda: ui.navigate.to("/missions/new"),
            ).props("unelevated size=lg").mark("new-mission")
        columns = [
            {"name": "id", "label": "№", "field": "id", "align": "left"},
            {"name": "kind", "label": tr("Вид", "Kind"), "field": "kind", "align": "left"},
            {"name": "status", "label": tr("Статус", "Status"), "field": "status", "align": "left"},
            {
                "name": "priority",
                "label": tr("Приоритет", "Priority"),
                "field": "priority",
                "align": "left",
            },
            {
                "name": "executor",
                "label": tr("Исполнитель", "Executor"),
                "field": "executor",
                "align": "left",
            },
            {"name": "lines", "label": tr("Строк", "Lines"), "field": "lines"},
            {"name": "progress", "label": tr("Выполнено, шт.", "Done, units"), "field": "progress"},
            {
                "name": "created",
                "label": tr("Создано", "Created"),
                "field": "created",
                "align": "left",
            },
        ]
        self.table = (
            ui.table(columns=columns, rows=[], row_key="id", pagination=50)
            .props("flat bordered")
            .classes("w-full cursor-pointer")
            .mark("mission-table")
        )
        self.table.props["no-data-label"] = tr("Заданий нет", "No missions")
        self.table.props[":dense"] = "window.innerWidth < 1024"
        self.table.on(
            "row-click",
            lambda e: ui.navigate.to(f"/missions/{int(e.args)}"),
            js_handler="(evt, row) => emit(row.id)",
        )
        self.note = ui.label().classes("text-body2 text-grey-7").mark("mission-note")
        refresh_on_ledger_change(self.ctx, self.reload, action=Action.MANAGE_MISSIONS)
        self.show(self._read())

    def _filter(self, name: str, options: dict[Any, str], label: str) -> None:
        select = ui.select(options, value=self.filters[name], label=label).props("outlined")
        select.classes("min-w-56").mark(f"filter-{name}")
        select.on_value_change(lambda e, n=name: self._go(n, e.value))

    def _go(self, name: str, value: Any) -> None:
        query = {**self.filters, name: value}
        shown = {k: v for k, v in query.items() if v not in (ALL, None)}
        ui.navigate.to(PATH + (f"?{urlencode(shown)}" if shown else ""))

    def _read(self) -> MissionPage:
        status, kind = self.filters["status"], self.filters["kind"]
        return missions(
            self.ctx.db.engine,
            statuses=[status] if status else [],
            executor_id=self.filters["executor"],
            kind=kind or None,
            limit=MAX_PAGE,
        )

    async def reload(self) -> None:
        page = await run.io_bound(self._read)
        if page is not None:
            self.show(page)

    def show(self, page: MissionPage) -> None:
        zone = self.ctx.settings.time_zone
        self.table.rows = [
            {
                "id": m.id,
                "kind": kind_label(m.kind),
                "status": status_label(m.status),
                "priority": priority_label(m.priority),
                "executor": m.executor_name or "—",
                "lines": len(m.lines),
                "progress": progress(m),
                "created": format_time(m.created_at, zone),
            }
            for m in page.items
        ]
        self.table.update()
        more = page.total - len(page.items)
        self.note.set_text(
            tr(
                f"Показаны последние {len(page.items)} из {page.total}",
                f"Showing the newest {len(page.items)} of {page.total}",
            )
            if more > 0
            else ""
        )
