"""HTTP-level protection around NiceGUI's own routes, and security headers.

NiceGUI registers internal routes that act without going through our pages, e.g.
`POST /_nicegui/client/{client_id}/upload/{upload_id}` for every `ui.upload`. Pages are
protected by `protected_page` and handlers by `guarded`, but such a route is called
directly, so a browser that is not signed in (or whose user was deactivated) is refused
here with 401 before NiceGUI sees the request.

What stays open for everyone: the sign-in page, NiceGUI's assets (`GET /_nicegui/<version>/…`)
and its socket.io traffic (`/_nicegui_ws/…`, which the sign-in page itself needs).
"""

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ui.context import AppContext
from ui.session import current_user

INTERNAL_PREFIX = "/_nicegui/"
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

        if is_internal_action(scope["method"], scope["path"]) and not self._signed_in():
            refusal = JSONResponse(NOT_SIGNED_IN, status_code=401)
            await refusal(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _signed_in(self) -> bool:
        try:
            return current_user(self.ctx) is not None
        except (RuntimeError, AssertionError, KeyError):
            return False  # no session to read: refuse rather than guess


def install(app: FastAPI, ctx: AppContext) -> None:
    """Register the guard on NiceGUI's FastAPI app (call before `ui.run`)."""
    app.add_middleware(NiceGuiGuard, ctx=ctx)
