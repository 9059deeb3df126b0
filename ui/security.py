"""HTTP-level protection around NiceGUI's own routes, and security headers.

NiceGUI registers internal routes that act without going through our pages, e.g.
`POST /_nicegui/client/{client_id}/upload/{upload_id}` for every `ui.upload`. Pages are
protected by `protected_page` and handlers by `guarded`, but such a route is called
directly, so a browser that is not signed in (or whose user was deactivated) is refused
here with 401 before NiceGUI sees the request. A request to a route of another browser's
page (its client id is in the URL) is refused with 403 here too: letting it through would
run that page's handlers, whose refusal (a notice, a move to sign-in) lands on the other
person's screen.

The same holds for a page's events over socket.io: NiceGUI takes the page (client) id from
the message itself and runs the handler with the session of the browser that opened the
page. `install` lets only the socket that completed that page's handshake send its events
and JavaScript answers; anything else is dropped (and logged).

What stays open for everyone: the sign-in page, NiceGUI's assets (`GET /_nicegui/<version>/…`)
and its socket.io traffic (`/_nicegui_ws/…`, which the sign-in page itself needs).
"""

import inspect
import logging
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from nicegui import Client, core
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.context import AppContext
from ui.session import current_user_async

log = logging.getLogger(__name__)

INTERNAL_PREFIX = "/_nicegui/"
PAGE_MESSAGES = ("event", "javascript_response")  # act on one page: only its own socket
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Only what cannot break NiceGUI (it needs inline scripts and eval for Vue templates):
    # no framing, no <base> or plugin tricks.
    "Content-Security-Policy": "frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
}

# Over HTTPS only (WMS_HTTPS): browsers then refuse plain HTTP to this host for a year.
HSTS = {"Strict-Transport-Security": "max-age=31536000"}

NOT_SIGNED_IN = {"error": {"code": "not_authenticated", "message": "Войдите в систему"}}
NOT_YOUR_PAGE = {"error": {"code": "forbidden", "message": "Это действие другой страницы"}}
CLIENT_ROUTE = re.compile(r"/_nicegui/client/([^/]+)/")


def is_internal_action(method: str, path: str) -> bool:
    """A state-changing request to one of NiceGUI's internal routes (uploads and the like)."""
    return path.startswith(INTERNAL_PREFIX) and method.upper() not in SAFE_METHODS


class NiceGuiGuard:
    """Pure ASGI middleware (websockets and streamed responses pass through untouched).

    It must run inside NiceGUI's session middleware so `app.storage.user` is available;
    registered before `ui.run`, it is the innermost one."""

    def __init__(self, app: ASGIApp, ctx: AppContext) -> None:
        self.app = app
        self.ctx = ctx
        self.headers = SECURITY_HEADERS | (HSTS if ctx.settings.https else {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        if is_internal_action(scope["method"], scope["path"]):
            refusal = None
            if not await self._signed_in():
                refusal = JSONResponse(NOT_SIGNED_IN, status_code=401)
            elif not _own_page(scope):
                refusal = JSONResponse(NOT_YOUR_PAGE, status_code=403)
            if refusal is not None:
                await refusal(scope, receive, send_with_headers)
                return
        await self.app(scope, receive, send_with_headers)

    async def _signed_in(self) -> bool:
        try:
            return await current_user_async(self.ctx) is not None
        except (RuntimeError, AssertionError, KeyError):
            return False  # no session to read: refuse rather than guess


def _own_page(scope: Scope) -> bool:
    """A route of no page, or of a page (client) this same browser session opened."""
    match = CLIENT_ROUTE.match(scope["path"])
    if match is None:
        return True
    client = Client.instances.get(match.group(1))
    if client is None:
        return False  # no such page (any more): nothing of it may act
    try:
        owner = client.request.session.get("id")
    except (RuntimeError, AssertionError):  # a page built without a request
        return False
    return owner is not None and owner == scope.get("session", {}).get("id")


def sent_by_the_page(sid: str, message: Any) -> bool:
    """The socket `sid` is the one that completed the handshake of the page the message
    names (NiceGUI puts that socket in a room named after the page's client id)."""
    client_id = message.get("client_id") if isinstance(message, dict) else None
    if not isinstance(client_id, str):
        return False
    # The one room looked up (its members by socket id): `sio.rooms(sid)` walks every
    # room of every open page for each message, and every keystroke in a field is one.
    room = core.sio.manager.rooms.get("/", {}).get(client_id)
    return room is not None and sid in room


def _own_socket_only(name: str, handler: Callable[..., Any]) -> Callable[..., Any]:
    async def checked(sid: str, message: Any, *rest: Any) -> Any:
        if not sent_by_the_page(sid, message):
            log.warning("dropped a %r message for another socket's page", name)
            return None
        result = handler(sid, message, *rest)
        return await result if inspect.isawaitable(result) else result

    return checked


def install(app: FastAPI, ctx: AppContext) -> None:
    """Register the guard on NiceGUI's FastAPI app (call before `ui.run`), and wrap
    NiceGUI's socket.io handlers of page messages (registered when nicegui is imported)."""
    app.add_middleware(NiceGuiGuard, ctx=ctx)
    handlers = core.sio.handlers.get("/", {})
    for name in PAGE_MESSAGES:
        handler = handlers.get(name)
        if handler is not None and not getattr(handler, "own_socket_only", False):
            checked = _own_socket_only(name, handler)
            checked.own_socket_only = True  # type: ignore[attr-defined]
            core.sio.on(name, checked)
