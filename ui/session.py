"""The signed-in user, checked on the server for every page and every event handler."""

import inspect
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any
from urllib.parse import quote

from fastapi.responses import RedirectResponse
from nicegui import app, ui
from structlog.contextvars import bound_contextvars

from core.users.auth import Identity, identity
from core.users.policy import ROLES, Action, can
from data.identity import OneUser
from ui.context import AppContext
from ui.failures import SOMETHING, Doing, notify_failure
from ui.i18n import tr

USER_KEY = "user_id"
CREDENTIALS_KEY = "credentials_version"  # a password change ends sessions given before it
WORK_IDS = ("order_id", "task_id")  # a page object's, bound to its handlers' log lines


def _session() -> tuple[int, int] | None:
    user_id = app.storage.user.get(USER_KEY)
    version = app.storage.user.get(CREDENTIALS_KEY, 0)
    if not isinstance(user_id, int) or not isinstance(version, int):
        return None
    return user_id, version


def current_user(ctx: AppContext) -> Identity | None:
    """Who is signed in, as the database knows them now: deactivation takes effect at once
    (data.identity: from memory until a user changes; a miss reads here, blocking)."""
    session = _session()
    return None if session is None else identity(ctx.identities, *session)


async def current_user_async(ctx: AppContext) -> Identity | None:
    """`current_user` for the event loop: a cache miss reads in a worker thread."""
    session = _session()
    if session is None:
        return None
    user = await ctx.identities.get_async(session[0])
    return identity(OneUser(user), *session)


def sign_in(user: Identity) -> None:
    app.storage.user[USER_KEY] = user.id
    app.storage.user[CREDENTIALS_KEY] = user.credentials_version


def sign_out() -> None:
    app.storage.user.pop(USER_KEY, None)
    app.storage.user.pop(CREDENTIALS_KEY, None)


def allowed(user: Identity | None, action: Action | None) -> bool:
    """Signed in with a known role that may `action` (None: any known role may)."""
    if user is None:
        return False
    return user.role in ROLES if action is None else can(user.role, action)


def require_user(ctx: AppContext, action: Action | None = None) -> Identity:
    """For event handlers: the signed-in user whose role may `action`, or PermissionError."""
    user = current_user(ctx)
    if user is None or not allowed(user, action):
        raise PermissionError("not signed in or not allowed")
    return user


def guarded(
    ctx: AppContext,
    action: Action | None,
    handler: Callable[..., Any],
    *,
    doing: Doing = SOMETHING,
    ids: Callable[[], dict[str, int]] | None = None,
) -> Callable[..., Any]:
    """Wrap an event handler: the session and the role are checked again on every call
    (a page left open after sign-out or a role change must not keep acting), and a database
    failure becomes a notification (`ui.failures`: «`doing`: база данных недоступна…»),
    not a traceback. The lines it logs carry the order or task its page works on: `ids()`,
    or its page object's `order_id`/`task_id` (ui.logs)."""
    owner = getattr(handler, "__self__", None)

    def work_ids() -> dict[str, int]:
        if ids is not None:
            return ids()
        found = {key: getattr(owner, key, None) for key in WORK_IDS}
        return {key: value for key, value in found.items() if isinstance(value, int)}

    @wraps(handler)
    async def run(*args: Any) -> Any:
        with bound_contextvars(**work_ids()):
            return await _checked(*args)

    async def _checked(*args: Any) -> Any:
        try:
            user = await current_user_async(ctx)  # may read the database too
            if user is None or not allowed(user, action):
                ui.notify("Сессия истекла или нет прав на это действие", type="negative")
                ui.navigate.to("/login")
                return None
            result = handler(user, *args)
            return await result if inspect.isawaitable(result) else result
        except Exception as error:
            where = getattr(handler, "__qualname__", repr(handler))  # a partial has none
            if notify_failure(error, where, doing):
                return None
            raise

    return run


def _requested(path: str) -> str:
    """The address asked for, with its real ids and query (`path` may be a template such as
    /products/{product_id}), so that sign-in brings the visitor back to it."""
    try:
        url = ui.context.client.request.url
    except RuntimeError:  # no request behind this client
        return path
    return url.path + (f"?{url.query}" if url.query else "")


def _page_failed(error: Exception, path: str) -> None:
    """A page whose build met a database failure says so (and offers a reload) instead of
    a traceback; anything else is a bug and propagates."""
    if not notify_failure(error, path, ("Не удалось открыть страницу", "Could not open the page")):
        raise error
    ui.label(tr("База данных недоступна", "The database is unavailable")).classes("text-h6")
    ui.link(tr("Обновить страницу", "Reload the page"), _requested(path)).mark("page-reload")


async def _awaited(result: Awaitable[Any], path: str) -> Any:
    try:
        return await result
    except Exception as error:
        return _page_failed(error, path)


def protected_page(
    ctx: AppContext, path: str, action: Action | None = None, **page_kwargs: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a page that only signed-in users whose role may `action` may open (None:
    every signed-in user).

    A signed-out visitor is sent to sign-in and brought back afterwards; a signed-in user
    without the role sees a refusal, not the page.
    """

    def decorate(build: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(build)
        def page(*args: Any, **kwargs: Any) -> Any:
            user = current_user(ctx)
            if user is None:
                return RedirectResponse(f"/login?next={quote(_requested(path))}")
            if not allowed(user, action):
                ui.page_title("Нет доступа")
                with ui.column().classes("absolute-center items-center"):
                    ui.label("Нет доступа").classes("text-h5")
                    ui.label("У вашей роли нет прав на эту страницу.")
                    ui.link("На главную", "/")
                return None
            try:
                result = build(user, *args, **kwargs)
            except Exception as error:
                return _page_failed(error, path)
            return _awaited(result, path) if inspect.isawaitable(result) else result

        # FastAPI reads query and path parameters from the signature: hide `user`.
        signature = inspect.signature(build)
        page.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=list(signature.parameters.values())[1:]
        )
        return ui.page(path, **page_kwargs)(page)

    return decorate
