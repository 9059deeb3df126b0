"""/api requests (and /metrics) skip the middleware that only the pages need.

NiceGUI wraps every request in its page middleware: a signed session cookie, gzip, request
tracking for `app.storage.user`, cache headers and prefix redirects; three of them are
Starlette's BaseHTTPMiddleware, which runs each request through extra tasks and streams.
Measured on POST /movements (bench/api.py) that cost more CPU than the use case itself.
A bearer-token API reads none of it, so /api paths get a stack built from the same parts
without those: the error handlers, the app's own middleware (security headers, upload
limits) and every middleware this list does not name, so one added later still applies.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

API_PREFIX = "/api/"
BARE_PATHS = frozenset({"/metrics"})  # outside /api, for programs too (ui.metrics)
# Page-only middleware: NiceGUI's own (nicegui.*) and these.
PAGE_ONLY: tuple[type, ...] = (SessionMiddleware, GZipMiddleware)
_ORIGINAL = "_wms_build_middleware_stack"


def _page_only(middleware_class: Any) -> bool:
    module = getattr(middleware_class, "__module__", "") or ""
    if module.split(".")[0] == "nicegui":
        return True  # its middleware and the gzip factory it registers
    return isinstance(middleware_class, type) and issubclass(middleware_class, PAGE_ONLY)


def install(app: FastAPI) -> None:
    """Build /api's stack beside the pages' one whenever the app builds its stack.
    Idempotent: the app object outlives a test's build of the app."""
    if hasattr(app, _ORIGINAL):
        return
    build: Callable[[], ASGIApp] = app.build_middleware_stack
    setattr(app, _ORIGINAL, build)

    def build_both() -> ASGIApp:
        pages = build()
        everything = app.user_middleware
        app.user_middleware = [m for m in everything if not _page_only(m.cls)]
        try:
            api = build()
        finally:
            app.user_middleware = everything

        async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
            path = scope.get("path", "")
            is_api = scope["type"] == "http" and (path.startswith(API_PREFIX) or path in BARE_PATHS)
            await (api if is_api else pages)(scope, receive, send)

        return dispatch

    app.build_middleware_stack = build_both  # type: ignore[method-assign]
