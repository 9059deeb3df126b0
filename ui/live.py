"""Live pages: an open page refreshes itself soon after anyone commits a change.

`ctx.watch` (data.ledger_watch.LedgerWatch) moves its version on within a second of a
commit by this process, another app process or any other program (PostgreSQL
LISTEN/NOTIFY, SQLite data_version); a page asks it twice a second whether it moved.

    refresh_on_ledger_change(ctx, reload, action=Action.SEE_BALANCES)

Call it while building the page, before the page's first read of the data, so that a
change committed between that read and the first check is not missed.
"""

from collections.abc import Callable
from typing import Any

from nicegui import app, ui

from core.auth import Identity
from core.policy import Action
from ui.context import AppContext
from ui.session import guarded

LIVE_INTERVAL_SECONDS = 0.5  # + the watch's ≤ 0.4 s + the reload itself: well under 2 s

_app_context: AppContext | None = None


def install(ctx: AppContext) -> None:
    """The running app's live updates: its watch starts with the app and stops on
    shutdown, and the page frame's header reads the low-stock count from it.

    Called once per app by ui.app.build; a context made elsewhere (a test, a script)
    starts no thread.
    """
    global _app_context
    _app_context = ctx
    app.on_startup(lambda: ctx.watch.start())
    app.on_shutdown(lambda: ctx.watch.stop())


def app_context() -> AppContext | None:
    """The context `install` was given; None when the app was built without it."""
    return _app_context


def refresh_on_ledger_change(
    ctx: AppContext,
    callback: Callable[[], Any],
    *,
    action: Action | None = None,
    interval: float = LIVE_INTERVAL_SECONDS,
) -> ui.timer:
    """Call `callback()` (sync or async, no arguments) on this page whenever
    `ctx.watch.version` has moved since the last call; returns the timer.

    Checks every `interval` seconds; several commits in between make one call. Before
    each call the session and role are checked again, as for an event handler: a page
    left open after sign-out goes to sign-in instead of showing fresh figures. Calls
    never overlap (the timer waits for the callback). The timer belongs to the current
    page (client) and ends with it.
    """
    seen = ctx.watch.version

    def run_callback(_user: Identity) -> Any:
        return callback()

    refresh = guarded(ctx, action, run_callback)

    async def check() -> None:
        nonlocal seen
        current = ctx.watch.version
        if current == seen:
            return
        seen = current
        await refresh()

    return ui.timer(interval, check)
