"""User administration for admins: accounts, roles, passwords, deactivation.

The rules (no demoting or deactivating yourself, at least one active admin) live in
core.users.accounts; this page only shows their messages."""

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from nicegui import ui

from core.errors import DomainError
from core.users.accounts import MIN_PASSWORD, create_user, reset_password, update_user
from core.users.auth import Identity
from core.users.passwords import generate_password
from core.users.policy import ROLES, Action
from data.users.queries import UserRow, users
from ui.components.feedback import show_done, show_error
from ui.context import AppContext
from ui.i18n import tr
from ui.layout import frame, role_label
from ui.session import guarded, protected_page


def register(ctx: AppContext) -> None:
    @protected_page(ctx, "/users", Action.MANAGE_USERS)
    def users_page(user: Identity) -> None:
        with frame(user, tr("Пользователи", "Users"), "/users"):
            UsersPage(ctx, user).build()


def role_options() -> dict[str, str]:
    return {role: role_label(role) for role in ROLES}


class UsersPage:
    """One visitor's page: the create form, the list, and dialogs to edit a user and to
    set a new password. Every handler goes through `guarded`."""

    def __init__(self, ctx: AppContext, viewer: Identity) -> None:
        self.ctx = ctx
        self.viewer_id = viewer.id
        self.zone = ZoneInfo(ctx.settings.time_zone)
        self.editing: dict[str, Any] = {}
        self.open_edit = guarded(ctx, Action.MANAGE_USERS, self._open_edit)
        self.open_password = guarded(ctx, Action.MANAGE_USERS, self._open_password)
        self.toggle = guarded(ctx, Action.MANAGE_USERS, self._toggle)

    def build(self) -> None:
        self._create_form()
        self.user_list()
        self._edit_dialog()
        self._password_dialog()

    # --- create -------------------------------------------------------------------------

    def _create_form(self) -> None:
        with ui.card().classes("w-full max-w-4xl").mark("user-form"):
            ui.label(tr("Новый пользователь", "New user")).classes("text-subtitle1")
            with ui.row().classes("w-full items-start gap-3 flex-wrap"):
                username = (
                    ui.input(tr("Имя пользователя (логин)", "Username"))
                    .props("outlined maxlength=64 autocomplete=off")
                    .classes("grow min-w-56")
                    .mark("new-username")
                )
                full_name = (
                    ui.input(tr("ФИО", "Full name"))
                    .props("outlined maxlength=200")
                    .classes("grow min-w-56")
                    .mark("new-full-name")
                )
            with ui.row().classes("w-full items-start gap-3 flex-wrap"):
                role = (
                    ui.select(role_options(), value="worker", label=tr("Роль", "Role"))
                    .props("outlined")
                    .classes("min-w-56")
                    .mark("new-role")
                )
                password = _password_input(tr("Пароль", "Password")).mark("new-password")
                _generate_button(password).mark("new-generate")
            error = ui.label().classes("text-negative").mark("user-error")
            error.set_visibility(False)
            add = ui.button(tr("Создать пользователя", "Create user"), icon="person_add")
            add.props("unelevated size=lg").mark("user-add")

        def create(user: Identity, *_: Any) -> None:
            try:
                created = create_user(
                    self.ctx.user_admin,
                    username.value or "",
                    full_name.value or "",
                    role.value or "",
                    password.value or "",
                )
            except DomainError as failure:
                _show_form_error(error, failure)
                return
            _hide(error)
            for field in (username, full_name, password):
                field.set_value("")
            name = created.username
            show_done(tr(f"Пользователь «{name}» создан", f"User {name} created"))
            self.user_list.refresh()

        add.on_click(guarded(self.ctx, Action.MANAGE_USERS, create))

    # --- list ---------------------------------------------------------------------------

    @ui.refreshable_method
    def user_list(self) -> None:
        now = datetime.now(UTC)
        with ui.card().classes("w-full max-w-4xl p-0 gap-0").mark("user-list"):
            for index, item in enumerate(users(self.ctx.db.engine)):
                if index:
                    ui.separator()
                self._row(item, now)

    def _row(self, item: UserRow, now: datetime) -> None:
        active = bool(item.is_active)
        locked = item.locked_until is not None and item.locked_until > now
        with (
            ui.row()
            .classes("w-full items-center gap-2 px-4 py-2")
            .mark("user-row", f"user-{item.id}")
        ):
            with ui.column().classes("grow gap-0 min-w-48"):
                with ui.row().classes("items-center gap-2"):
                    ui.label(item.username).classes(
                        "text-body1 text-weight-medium" + ("" if active else " text-grey-6")
                    )
                    if item.id == self.viewer_id:
                        ui.label(tr("(это вы)", "(you)")).classes("text-caption text-grey-7")
                if item.full_name:
                    ui.label(item.full_name).classes("text-body2 text-grey-8")
            with ui.row().classes("items-center gap-2"):
                ui.badge(role_label(item.role), color="primary", outline=True).classes(
                    "text-body2 px-2 py-1"
                )
                ui.badge(
                    tr("Активен", "Active") if active else tr("Отключён", "Inactive"),
                    color="positive" if active else "grey",
                ).classes("text-body2 px-2 py-1")
                if locked:
                    until = item.locked_until.astimezone(self.zone).strftime("%H:%M")
                    ui.badge(
                        tr(f"Заблокирован до {until}", f"Locked until {until}"), color="negative"
                    ).classes("text-body2 px-2 py-1").mark("locked")
            with ui.row().classes("items-center gap-1 no-wrap"):
                ui.button(icon="edit", on_click=lambda _=None, i=item: self.open_edit(i)).props(
                    f'flat round size=lg aria-label="{tr("Изменить", "Edit")}"'
                ).tooltip(tr("Изменить ФИО и роль", "Edit name and role")).mark("edit")
                ui.button(icon="key", on_click=lambda _=None, i=item: self.open_password(i)).props(
                    f'flat round size=lg aria-label="{tr("Сбросить пароль", "Reset password")}"'
                ).tooltip(tr("Сбросить пароль", "Reset password")).mark("reset-password")
                ui.button(
                    tr("Отключить", "Deactivate") if active else tr("Включить", "Activate"),
                    on_click=lambda _=None, i=item: self.toggle(i),
                ).props("outline" if active else "unelevated").classes("min-w-32 h-12").mark(
                    "deactivate" if active else "activate"
                )

    def _toggle(self, user: Identity, item: UserRow) -> None:
        try:
            update_user(self.ctx.user_admin, user, item.id, is_active=not item.is_active)
        except DomainError as failure:
            show_error(failure)
            return
        self.user_list.refresh()

    # --- edit name and role -------------------------------------------------------------

    def _edit_dialog(self) -> None:
        with ui.dialog() as self.edit_dialog, ui.card().classes("w-[28rem] max-w-full gap-3"):
            self.edit_title = ui.label().classes("text-h6")
            self.edit_name = (
                ui.input(tr("ФИО", "Full name"))
                .props("outlined maxlength=200")
                .classes("w-full")
                .mark("edit-full-name")
            )
            self.edit_role = (
                ui.select(role_options(), label=tr("Роль", "Role"))
                .props("outlined")
                .classes("w-full")
                .mark("edit-role")
            )
            self.edit_error = ui.label().classes("text-negative").mark("edit-error")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Отмена", "Cancel"), on_click=self.edit_dialog.close).props(
                    "flat size=lg"
                )
                save = ui.button(tr("Сохранить", "Save")).props("unelevated size=lg")
                save.mark("edit-save")
        save.on_click(guarded(self.ctx, Action.MANAGE_USERS, self._save_edit))

    def _open_edit(self, user: Identity, item: UserRow) -> None:
        self.editing = item
        self.edit_title.set_text(item.username)
        self.edit_name.set_value(item.full_name)
        self.edit_role.set_value(item.role)
        _hide(self.edit_error)
        self.edit_dialog.open()

    def _save_edit(self, user: Identity, *_: Any) -> None:
        try:
            update_user(
                self.ctx.user_admin,
                user,
                self.editing["id"],
                full_name=self.edit_name.value or "",
                role=self.edit_role.value or "",
            )
        except DomainError as failure:
            _show_form_error(self.edit_error, failure)
            return
        self.edit_dialog.close()
        show_done(tr("Сохранено", "Saved"))
        self.user_list.refresh()

    # --- reset password -----------------------------------------------------------------

    def _password_dialog(self) -> None:
        with (
            ui.dialog() as self.password_dialog,
            ui.card().classes("w-[28rem] max-w-full gap-3"),
        ):
            self.password_title = ui.label().classes("text-h6")
            ui.label(
                tr(
                    "Сообщите новый пароль пользователю; он сможет сменить его сам.",
                    "Tell the user the new password; they can change it themselves.",
                )
            ).classes("text-body2 text-grey-8")
            with ui.row().classes("w-full items-start gap-2 no-wrap"):
                self.new_password = (
                    _password_input(tr("Новый пароль", "New password"))
                    .classes("grow")
                    .mark("reset-new-password")
                )
                _generate_button(self.new_password).mark("reset-generate")
            self.password_error = ui.label().classes("text-negative").mark("reset-error")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Отмена", "Cancel"), on_click=self.password_dialog.close).props(
                    "flat size=lg"
                )
                save = ui.button(tr("Сохранить пароль", "Save password"))
                save.props("unelevated size=lg").mark("reset-save")
        save.on_click(guarded(self.ctx, Action.MANAGE_USERS, self._save_password))

    def _open_password(self, user: Identity, item: UserRow) -> None:
        self.editing = item
        self.password_title.set_text(
            tr(f"Новый пароль для «{item.username}»", f"New password for {item.username}")
        )
        self.new_password.set_value("")
        _hide(self.password_error)
        self.password_dialog.open()

    def _save_password(self, user: Identity, *_: Any) -> None:
        try:
            reset_password(self.ctx.user_admin, self.editing["id"], self.new_password.value or "")
        except DomainError as failure:
            _show_form_error(self.password_error, failure)
            return
        self.password_dialog.close()
        show_done(tr("Пароль изменён", "Password changed"))
        self.user_list.refresh()  # a reset also lifts a lockout


def _password_input(label: str) -> ui.input:
    return (
        ui.input(
            label,
            password=True,
            password_toggle_button=True,
        )
        .props(f"outlined autocomplete=new-password hint='{_min_hint()}'")
        .classes("grow min-w-56")
    )


def _min_hint() -> str:
    return tr(f"Не короче {MIN_PASSWORD} символов", f"At least {MIN_PASSWORD} characters")


def _generate_button(field: ui.input) -> ui.button:
    return (
        ui.button(tr("Придумать", "Generate"), icon="password")
        .on_click(lambda: _fill_generated(field))
        .props("flat")
        .classes("h-14")
        .tooltip(tr("Придумать надёжный пароль", "Generate a strong password"))
    )


def _fill_generated(field: ui.input) -> None:
    # Shown in clear text so the admin can pass it on.
    field.set_value(generate_password())
    field.props("type=text")
    append = field.slots.get("append")  # keep the show/hide icon in step
    for icon in append.children if append else []:
        icon.props("name=visibility")


def _show_form_error(label: ui.label, error: DomainError) -> None:
    label.set_text(error.message)
    label.set_visibility(True)


def _hide(label: ui.label) -> None:
    label.set_text("")
    label.set_visibility(False)
