"""Executors for managers and admins (/executors): who carries out floor work — people and
devices — their codes, activity and the user each is linked to; workers without an
executor get one in a click. Operators (admins and managers: who creates work) are listed
below; they are users, made on /users.

The rules (unique code, one executor per user, only active users linked) live in
core.floor.executors; this page shows their messages."""

from typing import Any

from nicegui import ui

from core.errors import DomainError
from core.floor.executors import MAX_CODE, MAX_NAME, create_executor, update_executor
from core.floor.ports import ExecutorData
from core.users.auth import Identity
from core.users.policy import Action, can
from data.floor.executors import SqlExecutorStore, executors, linkable_users, operators
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.i18n import tr
from ui.layout import frame, role_label
from ui.session import guarded, protected_page

PATH = "/executors"
NO_USER = 0  # the select's value for «not linked»


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.MANAGE_MISSIONS)
    def executors_page(user: Identity) -> None:
        with frame(user, tr("Исполнители", "Executors"), PATH):
            ExecutorsPage(ctx, user).build()


def _user_options(users: list[dict[str, Any]], current: dict[str, Any] | None = None) -> dict:
    options = {NO_USER: tr("— не привязан —", "— not linked —")}
    if current and current.get("user_id"):
        options[current["user_id"]] = f"{current['user_name']} ({current['username']})"
    for user in users:
        role = role_label(user["role"])
        options[user["id"]] = f"{user['display_name']} ({user['username']}, {role})"
    return options


class ExecutorsPage:
    def __init__(self, ctx: AppContext, viewer: Identity) -> None:
        self.ctx = ctx
        self.viewer = viewer
        self.store = SqlExecutorStore(ctx.db.engine)
        self.editing: dict[str, Any] = {}

    def build(self) -> None:
        self._create_form()
        self.unlinked_workers()
        self.executor_list()
        self._edit_dialog()
        self.operator_list()

    # --- create -------------------------------------------------------------------------

    def _create_form(self) -> None:
        with ui.card().classes("w-full max-w-4xl").mark("executor-form"):
            ui.label(tr("Новый исполнитель", "New executor")).classes("text-subtitle1")
            with ui.row().classes("w-full items-start gap-3 flex-wrap"):
                self.new_code = (
                    ui.input(tr("Код", "Code"), placeholder="TAB-01")
                    .props(f"outlined maxlength={MAX_CODE} autocomplete=off")
                    .classes("min-w-48")
                    .mark("new-code")
                )
                self.new_name = (
                    ui.input(tr("Имя или устройство", "Name or device"))
                    .props(f"outlined maxlength={MAX_NAME}")
                    .classes("grow min-w-56")
                    .mark("new-name")
                )
                self.new_user = (
                    ui.select(_user_options([]), value=NO_USER, label=tr("Пользователь", "User"))
                    .props("outlined")
                    .classes("min-w-64")
                    .mark("new-user")
                )
            self.form_error = ui.label().classes("text-negative").mark("executor-error")
            self.form_error.set_visibility(False)
            ui.button(
                tr("Добавить исполнителя", "Add executor"),
                icon="person_add",
                on_click=guarded(self.ctx, Action.MANAGE_MISSIONS, self._create),
            ).props("unelevated size=lg").mark("executor-add")
        self._reload_users()

    def _reload_users(self) -> None:
        self.new_user.set_options(_user_options(linkable_users(self.ctx.db.engine)), value=NO_USER)

    def _create(self, _user: Identity, *_: Any) -> None:
        data = ExecutorData(
            code=self.new_code.value or "",
            name=self.new_name.value or "",
            user_id=self.new_user.value or None,
        )
        try:
            created = create_executor(self.store, data)
        except DomainError as failure:
            self.form_error.set_text(failure.message)
            self.form_error.set_visibility(True)
            return
        self.form_error.set_visibility(False)
        self.new_code.set_value("")
        self.new_name.set_value("")
        show_done(tr(f"Исполнитель «{created.name}» добавлен", f"Executor {created.name} added"))
        self._changed()

    def _changed(self) -> None:
        self._reload_users()
        self.unlinked_workers.refresh()
        self.executor_list.refresh()

    # --- workers without an executor ----------------------------------------------------

    @ui.refreshable_method
    def unlinked_workers(self) -> None:
        workers = [u for u in linkable_users(self.ctx.db.engine) if u["role"] == "worker"]
        if not workers:
            return
        with ui.card().classes("w-full max-w-4xl gap-2 bg-amber-1").mark("unlinked-workers"):
            ui.label(
                tr(
                    "Работники без исполнителя: им не назначить задания",
                    "Workers without an executor: no missions can be given to them",
                )
            ).classes("text-subtitle1")
            for worker in workers:
                with ui.row().classes("w-full items-center gap-2"):
                    ui.label(f"{worker['display_name']} ({worker['username']})").classes(
                        "grow text-body1"
                    )
                    ui.button(
                        tr("Создать исполнителя", "Create an executor"),
                        on_click=guarded(
                            self.ctx,
                            Action.MANAGE_MISSIONS,
                            lambda _u, _e=None, w=worker: self._link_worker(w),
                        ),
                    ).props("outline size=lg").mark("link-worker")

    def _link_worker(self, worker: dict[str, Any]) -> None:
        name = worker["display_name"]
        try:
            create_executor(self.store, ExecutorData(worker["username"], name, True, worker["id"]))
        except DomainError as failure:
            show_error(failure)
            return
        show_done(tr(f"Исполнитель «{name}» добавлен", f"Executor {name} added"))
        self._changed()

    # --- list ---------------------------------------------------------------------------

    @ui.refreshable_method
    def executor_list(self) -> None:
        page = executors(self.ctx.db.engine, limit=500)
        with ui.card().classes("w-full max-w-4xl p-0 gap-0").mark("executor-list"):
            if not page.items:
                ui.label(tr("Исполнителей пока нет", "No executors yet")).classes(
                    "p-4 text-body1 text-grey-7"
                )
            for index, item in enumerate(page.items):
                if index:
                    ui.separator()
                self._row(item)

    def _row(self, item: dict[str, Any]) -> None:
        active = item["is_active"]
        with ui.row().classes("w-full items-center gap-2 px-4 py-2").mark("executor-row"):
            with ui.column().classes("grow gap-0 min-w-48"):
                ui.label(f"{item['name']}").classes(
                    "text-body1 text-weight-medium" + ("" if active else " text-grey-6")
                )
                linked = (
                    tr("Пользователь: ", "User: ") + f"{item['user_name']} ({item['username']})"
                    if item["user_id"]
                    else tr("Без пользователя (устройство)", "No user (a device)")
                )
                ui.label(f"{item['code']} · {linked}").classes("text-body2 text-grey-8")
            ui.badge(
                tr("Активен", "Active") if active else tr("Отключён", "Inactive"),
                color="positive" if active else "grey",
            ).classes("text-body2 px-2 py-1")
            ui.button(
                icon="edit",
                on_click=guarded(
                    self.ctx, Action.MANAGE_MISSIONS, lambda _u, _e=None, i=item: self._open_edit(i)
                ),
            ).props(f'flat round size=lg aria-label="{tr("Изменить", "Edit")}"').mark("edit")
            ui.button(
                tr("Отключить", "Deactivate") if active else tr("Включить", "Activate"),
                on_click=guarded(
                    self.ctx, Action.MANAGE_MISSIONS, lambda _u, _e=None, i=item: self._toggle(i)
                ),
            ).props("outline" if active else "unelevated").classes("min-w-32 h-12").mark(
                "deactivate" if active else "activate"
            )

    def _toggle(self, item: dict[str, Any]) -> None:
        try:
            update_executor(self.store, item["id"], {"is_active": not item["is_active"]})
        except DomainError as failure:
            show_error(failure)
            return
        self.executor_list.refresh()

    # --- edit ---------------------------------------------------------------------------

    def _edit_dialog(self) -> None:
        with ui.dialog() as self.dialog, ui.card().classes("w-[30rem] max-w-full gap-3"):
            # (options are set when the dialog opens)
            ui.label(tr("Исполнитель", "Executor")).classes("text-h6")
            self.edit_code = (
                ui.input(tr("Код", "Code"))
                .props(f"outlined maxlength={MAX_CODE}")
                .classes("w-full")
                .mark("edit-code")
            )
            self.edit_name = (
                ui.input(tr("Имя или устройство", "Name or device"))
                .props(f"outlined maxlength={MAX_NAME}")
                .classes("w-full")
                .mark("edit-name")
            )
            self.edit_user = (
                ui.select({}, label=tr("Пользователь", "User"))
                .props("outlined")
                .classes("w-full")
                .mark("edit-user")
            )
            self.edit_error = ui.label().classes("text-negative").mark("edit-error")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Отмена", "Cancel"), on_click=self.dialog.close).props("flat size=lg")
                ui.button(
                    tr("Сохранить", "Save"),
                    on_click=guarded(self.ctx, Action.MANAGE_MISSIONS, self._save),
                ).props("unelevated size=lg").mark("edit-save")

    def _open_edit(self, item: dict[str, Any]) -> None:
        self.editing = item
        self.edit_code.set_value(item["code"])
        self.edit_name.set_value(item["name"])
        options = _user_options(linkable_users(self.ctx.db.engine), item)
        self.edit_user.set_options(options, value=item["user_id"] or NO_USER)
        self.edit_error.set_text("")
        self.dialog.open()

    def _save(self, _user: Identity, *_: Any) -> None:
        changes = {
            "code": self.edit_code.value or "",
            "name": self.edit_name.value or "",
            "user_id": self.edit_user.value or None,
        }
        try:
            update_executor(self.store, self.editing["id"], changes)
        except DomainError as failure:
            self.edit_error.set_text(failure.message)
            return
        self.dialog.close()
        show_done(tr("Сохранено", "Saved"))
        self._changed()

    # --- operators ----------------------------------------------------------------------

    @ui.refreshable_method
    def operator_list(self) -> None:
        with ui.card().classes("w-full max-w-4xl gap-1").mark("operator-list"):
            ui.label(tr("Операторы — кто создаёт задания", "Operators — who creates work")).classes(
                "text-subtitle1"
            )
            for item in operators(self.ctx.db.engine, limit=500).items:
                shown = item["username"]
                if item["full_name"]:
                    shown = f"{item['full_name']} ({shown})"
                state = "" if item["is_active"] else " · " + tr("отключён", "inactive")
                ui.label(f"{shown} · {role_label(item['role'])}{state}").mark("operator")
            if can(self.viewer.role, Action.MANAGE_USERS):
                ui.link(
                    tr(
                        "Добавить оператора — на странице «Пользователи»",
                        "Add an operator on the Users page",
                    ),
                    "/users",
                )
