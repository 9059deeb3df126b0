"""Sign-in and sign-out."""

from datetime import UTC, datetime
from urllib.parse import urlsplit

from fastapi.responses import RedirectResponse
from nicegui import run, ui

from core.errors import DomainError
from core.users.auth import authenticate, client_address
from ui import fresh_session
from ui.context import AppContext
from ui.session import current_user


def safe_next(target: str | None) -> str:
    """`target` if it is a path of this app, else "/": an open redirect would help phishing.
    Browsers read a backslash as a slash and drop tabs and newlines, so `/\\host` or
    `/<tab>/host` would lead to another host: such addresses are refused outright."""
    if not target or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return "/"
    if parts.path.startswith("//"):
        return "/"
    return target


def register(ctx: AppContext) -> None:
    fresh_session.register(ctx)

    @ui.page("/login")
    def login(next: str | None = None) -> RedirectResponse | None:
        target = safe_next(next)
        if current_user(ctx) is not None:
            return RedirectResponse(target)
        ui.page_title("Вход — Склад")
        request = ui.context.client.request
        address = client_address(request.client.host if request.client else None)

        checking = False  # Enter and a click together: one check

        async def attempt() -> None:
            nonlocal checking
            if checking:
                return
            checking = True
            try:
                # The password hash takes ~90 ms of CPU: in a worker thread, so the open
                # pages' timers and sockets go on meanwhile (the database reads go there too).
                user = await run.io_bound(
                    authenticate,
                    ctx.users,
                    username.value or "",
                    password.value or "",
                    datetime.now(UTC),
                    address=address,
                )
            except DomainError as error:
                message.set_text(error.message)
                message.set_visibility(True)
                password.set_value("")
                return
            finally:
                checking = False
            if user is None:  # the app is stopping
                return
            ui.navigate.to(fresh_session.finish_url(user, target))

        with ui.card().classes("absolute-center w-96 max-w-full p-6 gap-4"):
            ui.label("Склад фулфилмента").classes("text-h5")
            username = ui.input("Имя пользователя").props("autofocus outlined").classes("w-full")
            password = (
                ui.input("Пароль", password=True, password_toggle_button=True)
                .props("outlined")
                .classes("w-full")
                .on("keydown.enter", attempt)
            )
            message = ui.label("").classes("text-negative").mark("login-message")
            message.set_visibility(False)
            ui.button("Войти", on_click=attempt).classes("w-full").props("size=lg")
        return None
