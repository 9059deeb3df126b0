"""Change one's own password (every signed-in role)."""

from typing import Any

from nicegui import ui

from core.errors import DomainError
from core.users.accounts import MIN_PASSWORD, change_own_password
from core.users.auth import Identity
from core.users.policy import Action
from ui.components.feedback import show_done
from ui.context import AppContext
from ui.i18n import tr
from ui.layout import frame
from ui.session import guarded, protected_page, sign_in


def register(ctx: AppContext) -> None:
    @protected_page(ctx, "/password", Action.CHANGE_OWN_PASSWORD)
    def password_page(user: Identity) -> None:
        with frame(user, tr("Смена пароля", "Change password"), "/password"):
            password_form(ctx, user)


def password_form(ctx: AppContext, user: Identity) -> None:
    with ui.card().classes("w-full max-w-md gap-3").mark("password-form"):
        who = user.username
        if user.display_name != user.username:
            who = f"{user.display_name} ({user.username})"
        ui.label(who).classes("text-subtitle1")
        current = _field(tr("Текущий пароль", "Current password"), "current-password")
        current.mark("current-password")
        new = _field(tr("Новый пароль", "New password"), "new-password").mark("new-password")
        hint = tr(f"Не короче {MIN_PASSWORD} символов", f"At least {MIN_PASSWORD} characters")
        new.props(f"hint='{hint}'")
        repeat = _field(tr("Новый пароль ещё раз", "Repeat the new password"), "new-password")
        repeat.mark("repeat-password")
        error = ui.label().classes("text-negative").mark("password-error")
        error.set_visibility(False)
        save = ui.button(tr("Сменить пароль", "Change password"), icon="lock_reset")
        save.props("unelevated size=lg").classes("w-full").mark("password-save")

    def change(signed_in: Identity, *_: Any) -> None:
        if (new.value or "") != (repeat.value or ""):
            error.set_text(tr("Новый пароль и повтор не совпадают", "The new passwords differ"))
            error.set_visibility(True)
            return
        try:
            renewed = change_own_password(
                ctx.user_admin, signed_in, current.value or "", new.value or ""
            )
        except DomainError as failure:
            error.set_text(failure.message)
            error.set_visibility(True)
            if failure.code == "wrong_password":
                current.set_value("")
            return
        sign_in(renewed)  # this session goes on; the user's other sessions and tokens end
        error.set_visibility(False)
        for field in (current, new, repeat):
            field.set_value("")
        show_done(tr("Пароль изменён", "Password changed"))

    handler = guarded(ctx, Action.CHANGE_OWN_PASSWORD, change)
    save.on_click(handler)
    repeat.on("keydown.enter", handler)


def _field(label: str, autocomplete: str) -> ui.input:
    return (
        ui.input(label, password=True, password_toggle_button=True)
        .props(f"outlined autocomplete={autocomplete}")
        .classes("w-full")
    )
