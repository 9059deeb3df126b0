"""Sign-in and sign-out."""

from datetime import UTC, datetime

from fastapi.responses import RedirectResponse
from nicegui import ui

from core.auth import authenticate
from core.errors import DomainError
from ui.context import AppContext
from ui.session import current_user, sign_in


def _safe_next(target: str | None) -> str:
    # Only paths inside this app: an open redirect would help phishing.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


def register(ctx: AppContext) -> None:
    @ui.page("/login")
    def login(next: str | None = None) -> RedirectResponse | None:
        target = _safe_next(next)
        if current_user(ctx) is not None:
            return RedirectResponse(target)
        ui.page_title("Вход — Склад")

        def attempt() -> None:
            try:
                user = authenticate(
                    ctx.users, username.value or "", password.value or "", datetime.now(UTC)
                )
            except DomainError as error:
                message.set_text(error.message)
                message.set_visibility(True)
                password.set_value("")
                return
            sign_in(user)
            ui.navigate.to(target)

        with ui.card().classes("absolute-center w-96 max-w-full p-6 gap-4"):
            ui.label("Склад фулфилмента").classes("text-h5")
            username = ui.input("Имя пользователя").props("autofocus outlined").classes("w-full")
            password = (
                ui.input("Пароль", password=True, password_toggle_button=True)
                .props("outlined")
                .classes("w-full")
                .on("keydown.enter", attempt)
            )
            message = ui.label("").classes("text-negative")
            message.set_visibility(False)
            ui.button("Войти", on_click=attempt).classes("w-full").props("size=lg")
        return None
