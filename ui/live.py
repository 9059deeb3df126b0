"""Live pages: an open page refreshes itself soon after anyone commits a change.

`ctx.watch` (data.ledger_watch.LedgerWatch) moves its version on within a second of a
commit by this process, another app process or any other program (PostgreSQL
LISTEN/NOTIFY, SQLite data_version); a page asks it twice a second whether it moved.

    refresh_on_ledger_change(ctx, reload, action=Action.SEE_BALANCES)

Call it while building the page, before the page's first read of the data, so that a
change committed between that read and the first check is not missed.

Pages that show the same thing (the dashboard for one period) read it through one
`SharedReads`: after a change, N open pages cost one read, not N.
"""

import asyncio
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from nicegui import app, background_tasks, run, ui

from core.users.auth import Identity
from core.users.policy import Action
from ui.context import AppContext
from ui.session import guarded

LIVE_INTERVAL_SECONDS = 0.5  # + the watch's ≤ 0.4 s + the reload itself: well under 2 s
T = TypeVar("T")

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
    since: int | None = None,
) -> ui.timer:
    """Call `callback()` (sync or async, no arguments) on this page whenever
    `ctx.watch.version` has moved since the last call; returns the timer.

    Checks every `interval` seconds; several commits in between make one call. Before
    each call the session and role are checked again, as for an event handler: a page
    left open after sign-out goes to sign-in instead of showing fresh figures. Calls
    never overlap (the timer waits for the callback). The timer belongs to the current
    page (client) and ends with it. `since`: the version read before the page's first
    read, when that read came before this call (default: the version now).
    """
    seen = ctx.watch.version if since is None else since

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


class Versioned(Protocol):
    """What moves forward after every change (data.ledger_watch.LedgerWatch)."""

    @property
    def version(self) -> int: ...

    @property
    def watching(self) -> bool: ...


@dataclass
class _Read(Generic[T]):
    result: "asyncio.Future[T | None]"
    watch: Versioned  # whose version numbers these are
    version: int | None = None  # the watch's version when the read started
    started_at: float | None = None  # the loop's time then
    done_at: float | None = None  # the loop's time when it finished


class SharedReads(Generic[T]):
    """Reads shared by the open pages that show the same thing.

    `await reads.read(key, load, watch)` answers what `load()` (run in a worker thread)
    returned in a read that started when `watch.version` was at least what it is at the
    call: a page that asks after a change gets data read after that change. Every open
    page refreshes after each change, each when its own timer ticks; they all take the
    one read made for that change (in flight or just done) instead of one read each.
    While changes keep coming, a key's reads start at least `gap` seconds apart, and the
    pages that need a newer read wait together for the next one.

    The key must say everything `load` depends on (one caller's `load` serves all). A
    failed read fails for those who joined it; the next call reads again. A finished
    read is reused only while the watch is watching, and for at most KEEP_SECONDS (a
    change it cannot see, e.g. a product renamed by another process, shows within that).
    None: the app is stopping.
    """

    KEEP_SECONDS = 30.0
    MAX_KEYS = 64

    def __init__(self, gap: float = LIVE_INTERVAL_SECONDS) -> None:
        self._gap = gap
        self._latest: dict[Hashable, _Read[T]] = {}  # the newest read started, per key
        self._waiting: dict[Hashable, _Read[T]] = {}  # the next one, waiting for its gap
        self.reads = 0  # reads started so far (for tests and diagnostics)

    def _usable(self, read: _Read[T] | None, needed: int, watch: Versioned, now: float) -> bool:
        if read is None or read.watch is not watch:
            return False  # another app's (tests run many, one after another)
        if read.version is None or read.version < needed:
            return False
        if read.result.get_loop() is not asyncio.get_running_loop():
            return False  # a past app's (tests run one app per loop)
        if not read.result.done():
            return True  # in flight, started after the change the caller saw
        if read.result.cancelled() or read.result.exception() is not None:
            return False
        return watch.watching and now - (read.done_at or 0.0) < self.KEEP_SECONDS

    async def read(self, key: Hashable, load: Callable[[], T], watch: Versioned) -> T | None:
        loop = asyncio.get_running_loop()
        needed, now = watch.version, loop.time()
        latest = self._latest.get(key)
        if self._usable(latest, needed, watch, now):
            return await asyncio.shield(latest.result)  # type: ignore[union-attr]
        waiting = self._waiting.get(key)
        if waiting is None or waiting.watch is not watch or waiting.result.get_loop() is not loop:
            waiting = _Read(loop.create_future(), watch)
            # Nobody may be left to take a failure (their pages closed): not an error then.
            waiting.result.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._waiting[key] = waiting
            last = latest.started_at if latest is not None else None
            delay = 0.0 if last is None else max(0.0, last + self._gap - now)
            background_tasks.create(
                self._start(key, waiting, load, watch, delay), name="shared read"
            )
        # A caller that goes away (its page closed) leaves the read to the others.
        return await asyncio.shield(waiting.result)

    async def _start(
        self, key: Hashable, read: _Read[T], load: Callable[[], T], watch: Versioned, delay: float
    ) -> None:
        if delay:
            await asyncio.sleep(delay)
        loop = asyncio.get_running_loop()
        if self._waiting.get(key) is read:
            del self._waiting[key]
        read.version = watch.version  # read before the data: a change during it reads again
        read.started_at = loop.time()
        self._latest[key] = read
        self._forget_old(loop.time())
        self.reads += 1
        try:
            value = await run.io_bound(load)
        except Exception as error:  # theirs to handle (e.g. the database is down)
            read.result.set_exception(error)
        else:
            read.result.set_result(value)
        finally:
            read.done_at = loop.time()

    def _forget_old(self, now: float) -> None:
        """At most MAX_KEYS keys are kept: those read longest ago go first."""
        if len(self._latest) <= self.MAX_KEYS:
            return
        finished = [(r.done_at, k) for k, r in self._latest.items() if r.done_at is not None]
        for _at, key in sorted(finished)[: len(self._latest) - self.MAX_KEYS]:
            del self._latest[key]
