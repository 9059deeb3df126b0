"""Notices, soon after it happens, that someone committed a change to the database, so open
pages can refresh: a `version` number that moves forward after every such commit.

- PostgreSQL: a daemon thread holds its own connection with `LISTEN wms_ledger`; a trigger
  on `movement` (migration 0003) notifies that channel when a transaction that inserted
  movements commits, whichever process or program wrote them. A lost connection is
  reopened with a growing pause; notifications missed meanwhile count as one change.
- SQLite: a daemon thread asks `PRAGMA data_version` on its own connection a few times a
  second; it changes when any other connection, in any process, commits.
- PostgreSQL also counts a commit by this process to any table (e.g. a product's new
  minimum stock: no ledger row, so no notification), shortly after it. SQLite needs no
  such help: data_version sees this process's other connections too.

A second number, `users_version`, moves when a user's identity may have changed (their
name, role, active flag or credentials version) in another process, so a per-process cache
of signed-in identities (data.identity) can be dropped: PostgreSQL notifies channel
`wms_users` from a trigger on app_user (migration 0010); on SQLite the polling thread reads
those columns again whenever data_version moved and compares. Changes by this process are
signalled directly by data.users.store.

Also the number of products below their minimum stock (`low_stock`): while pages read
it, the watching thread counts it after each change, before it moves the version (commits
coming faster than LOW_STOCK_MIN_GAP_SECONDS share a count), and again at least once a
minute (changes by other processes that do not touch the ledger, and alerts that come
with time). The app counts the header bell's number with it (ui.context: low stock and the
operational alerts, data.dashboard.alerts.bell_count). Every open page's header
reads that number: hundreds of open pages cost one count per change, not one each, and no
page waits for the database.
"""

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from data.dashboard import queries as dashboard

log = logging.getLogger(__name__)

CHANNEL = "wms_ledger"
USERS_CHANNEL = "wms_users"  # app_user's identity columns changed (trigger, migration 0010)
APPLICATION_NAME = "wms-ledger-watch"  # how the listener shows in pg_stat_activity
POLL_SECONDS = 0.4  # SQLite: how often data_version is asked
TICK_SECONDS = 0.25  # PostgreSQL: the longest wait for a notification between other checks
# A commit by this process is seen when the transaction is about to commit: wait this
# long after it, so a page that refreshes then already reads the committed data.
LOCAL_SETTLE_SECONDS = 0.1
KEEPALIVE_SECONDS = 30.0  # an idle listener checks its connection this often
RECONNECT_PAUSES = (0.5, 1.0, 2.0, 5.0, 10.0)  # then 10 s between attempts
CONNECT_TIMEOUT_SECONDS = 5
LOW_STOCK_MAX_AGE_SECONDS = 60.0
LOW_STOCK_RETRY_SECONDS = 2.0  # after a failed count, the next try (the old number stays)
LOW_STOCK_MIN_GAP_SECONDS = 0.2  # counts at most this often (pages look twice a second)


@dataclass(frozen=True)
class _Count:
    version: int
    at: float
    value: Any  # what the count function returns (the app: a BellCount)


class LedgerWatch:
    """`version` moves forward soon (≤ 1 s) after any movement committed by anyone; also
    after any other commit on SQLite, and after this process's other commits on PostgreSQL.

    `start()` starts the watching thread; `stop()` ends it (and waits for it).
    """

    def __init__(
        self,
        engine: Engine,
        *,
        low_stock_count: Callable[[Engine], Any] = dashboard.low_stock_count,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._engine = engine
        self._count_low_stock = low_stock_count
        self._poll_seconds = poll_seconds
        self._version = 0
        self._users_version = 0
        self._changed = threading.Condition()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._local_commit_at: float | None = None
        self._low_stock: _Count | None = None
        self._low_stock_lock = threading.Lock()
        self._count_failed_at: float | None = None  # the last count failed (retried)
        self._low_stock_dirty = False  # a change since the last count
        self._low_stock_read_at: float | None = None  # the last time a page read it
        # Whether the thread is connected and watching now (for tests and diagnostics).
        self.watching = False

    # --- what readers use ---------------------------------------------------------------

    @property
    def version(self) -> int:
        return self._version

    @property
    def users_version(self) -> int:
        """Moves when a user's identity may have changed in another process (and whenever
        the watch could not see for a while); meaningful while `watching`."""
        return self._users_version

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_for_change(self, since: int, timeout: float) -> int:
        """Block until the version differs from `since` or `timeout` passes; the version."""
        with self._changed:
            self._changed.wait_for(lambda: self._version != since, timeout)
            return self._version

    @property
    def low_stock(self) -> Any:
        """Products below their minimum stock, as last counted by the watching thread (no
        database, no waiting); None before its first count. A reading asks for counting:
        while nobody has read it for a minute, the thread does not count."""
        self._low_stock_read_at = time.monotonic()
        counted = self._low_stock
        return None if counted is None else counted.value

    def low_stock_count(self) -> Any:
        """`low_stock`, or counted now (blocking: call it off the event loop) when the
        watch has no fresh count (not started, or it could not count)."""
        self._low_stock_read_at = time.monotonic()
        version, now = self._version, time.monotonic()
        if self._is_fresh(self._low_stock, version, now):
            return self._low_stock.value  # type: ignore[union-attr]
        with self._low_stock_lock:
            cached = self._low_stock
            if self._is_fresh(cached, version, now):
                return cached.value  # type: ignore[union-attr]
            # The version is read before counting: a change during the count counts again.
            value = self._count_low_stock(self._engine)
            self._low_stock = _Count(version, time.monotonic(), value)
            return value

    def _count_if_due(self, version: int) -> None:
        """On the watching thread, after a change and on every tick: count low stock and
        publish it as of `version` when someone reads it and it is out of date (a change
        since the last count, or a minute old). Counts at most every
        LOW_STOCK_MIN_GAP_SECONDS: commits that come faster share a count (the next tick
        counts the rest). A failure keeps the previous number and is tried again later."""
        now = time.monotonic()
        read_at = self._low_stock_read_at
        if read_at is None or now - read_at > LOW_STOCK_MAX_AGE_SECONDS:
            return  # nobody shows it
        counted, failed_at = self._low_stock, self._count_failed_at
        if failed_at is not None and now - failed_at < LOW_STOCK_RETRY_SECONDS:
            return
        if counted is not None:
            if not self._low_stock_dirty and now - counted.at < LOW_STOCK_MAX_AGE_SECONDS:
                return
            if now - counted.at < LOW_STOCK_MIN_GAP_SECONDS:
                return
        self._low_stock_dirty = False
        try:
            with self._low_stock_lock:
                value = self._count_low_stock(self._engine)
                self._low_stock = _Count(version, time.monotonic(), value)
            self._count_failed_at = None
        except Exception as error:  # the watch goes on; the pages keep the last number
            if failed_at is None:
                log.warning("ledger watch: cannot count low stock, retrying: %s", error)
            self._count_failed_at = time.monotonic()
            self._low_stock_dirty = True

    def _change_seen(self) -> None:
        """Something was committed: count low stock for it (if due), then move the version."""
        self._low_stock_dirty = True
        self._count_if_due(self._version + 1)
        self.bump()

    def _tick(self) -> None:
        """Nothing changed this time round: a count that is due is made now."""
        self._count_if_due(self._version)

    @staticmethod
    def _is_fresh(cached: _Count | None, version: int, now: float) -> bool:
        return (
            cached is not None
            and cached.version == version
            and now - cached.at < LOW_STOCK_MAX_AGE_SECONDS
        )

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self._stopping = threading.Event()
        dialect = self._engine.dialect.name
        polled = dialect == "sqlite" and self._sqlite_file() is not None
        if dialect == "postgresql":
            target = self._listen
        else:
            target = self._poll if polled else self._local_only
        # data_version sees this process's commits too; LISTEN sees ledger inserts only.
        if not polled and not event.contains(self._engine, "commit", self._on_local_commit):
            event.listen(self._engine, "commit", self._on_local_commit)
        self._thread = threading.Thread(
            target=target, args=(self._stopping,), name="ledger-watch", daemon=True
        )
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the ledger watch did not stop within %s s", timeout)
            self._thread = None
        if event.contains(self._engine, "commit", self._on_local_commit):
            event.remove(self._engine, "commit", self._on_local_commit)

    # --- what moves the version ---------------------------------------------------------

    def bump(self) -> None:
        """Something changed: move the version on and wake anyone waiting for it."""
        with self._changed:
            self._version += 1
            self._changed.notify_all()

    def bump_users(self) -> None:
        """A user's identity may have changed: caches of identities start again."""
        self._users_version += 1  # one writer: the watching thread (or a test)

    def _on_local_commit(self, _conn: Connection) -> None:
        # Called just before a transaction of this process commits (SQLAlchemy has no
        # after-commit event on connections); the watching thread bumps a moment later.
        self._local_commit_at = time.monotonic()

    def _local_commit_settled(self) -> bool:
        """A commit by this process happened (and has had time to finish) since last asked."""
        at = self._local_commit_at
        if at is None or time.monotonic() - at < LOCAL_SETTLE_SECONDS:
            return False
        self._local_commit_at = None
        return True

    def _local_only(self, stopping: threading.Event) -> None:
        """A database this watch cannot observe: only this process's commits are seen."""
        self._tick()
        while not stopping.wait(self._poll_seconds):
            if self._local_commit_settled():
                self._change_seen()
            else:
                self._tick()

    # --- PostgreSQL: LISTEN ---------------------------------------------------------------

    def _connect_postgres(self) -> psycopg.Connection[Any]:
        args, kwargs = self._engine.dialect.create_connect_args(self._engine.url)
        kwargs.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
        kwargs.setdefault("application_name", APPLICATION_NAME)
        return psycopg.connect(*args, **kwargs, autocommit=True)

    def _listen(self, stopping: threading.Event) -> None:
        failures = 0
        while not stopping.is_set():
            try:
                with self._connect_postgres() as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    conn.execute(f"LISTEN {USERS_CHANNEL}")
                    # Identities cached before now may have changed unheard.
                    self.bump_users()
                    self.watching = True
                    if failures:
                        log.info("ledger watch: listening again")
                        self._change_seen()  # whatever was committed while we were away
                    else:
                        self._tick()
                    failures = 0
                    self._listen_on(conn, stopping)
            except Exception as error:  # whatever it was, keep watching: pages rely on it
                if stopping.is_set():
                    break
                if not failures:
                    log.warning("ledger watch: connection lost, reconnecting: %s", error)
                pause = RECONNECT_PAUSES[min(failures, len(RECONNECT_PAUSES) - 1)]
                failures += 1
            finally:
                self.watching = False
            # Pages may have missed a change while the connection was down: they refresh
            # once more when it comes back (the bump above); meanwhile local commits count.
            if self._local_commit_settled():
                self._change_seen()
            if failures and stopping.wait(pause):
                break

    def _heard(self, notification: psycopg.Notify) -> bool:
        """Whether `notification` says the ledger changed (a user's change is noted here)."""
        if notification.channel == USERS_CHANNEL:
            self.bump_users()
            return False
        return True

    def _listen_on(self, conn: psycopg.Connection[Any], stopping: threading.Event) -> None:
        quiet_since = time.monotonic()
        while not stopping.is_set():
            heard = False
            for notification in conn.notifies(timeout=TICK_SECONDS, stop_after=1):
                heard = self._heard(notification) or heard
            if heard:
                # Commits arriving together (10 a second is usual) make one change: the
                # ones already received are taken too, then counted once.
                for notification in conn.notifies(timeout=0):
                    self._heard(notification)
            now = time.monotonic()
            if heard:
                # The notification covers this process's own commit of the same moment.
                self._local_commit_at = None
                self._change_seen()
                quiet_since = now
            elif self._local_commit_settled():
                self._change_seen()
            else:
                self._tick()
            if now - quiet_since > KEEPALIVE_SECONDS:
                conn.execute("SELECT 1")  # a dead peer shows up as an error here
                quiet_since = now

    # --- SQLite: PRAGMA data_version ------------------------------------------------------

    def _sqlite_file(self) -> str | None:
        database = self._engine.url.database
        return database if database and database != ":memory:" else None

    def _poll(self, stopping: threading.Event) -> None:
        database = self._sqlite_file()
        assert database is not None  # start() chose this loop for a file database only
        failures = 0
        while not stopping.is_set():
            try:
                with closing(
                    sqlite3.connect(database, timeout=CONNECT_TIMEOUT_SECONDS, isolation_level=None)
                ) as conn:
                    seen = _data_version(conn)
                    users = _users_fingerprint(conn)
                    self.bump_users()  # identities cached before now may have changed unseen
                    self.watching = True
                    if failures:
                        log.info("ledger watch: reading the database again")
                        self._change_seen()  # whatever was committed while it could not be read
                    else:
                        self._tick()
                    failures = 0
                    while not stopping.wait(self._poll_seconds):
                        current = _data_version(conn)
                        if current != seen:
                            seen = current
                            # Any commit moves data_version: compare the identities
                            # themselves (a few rows, on this thread, not a page's).
                            now_users = _users_fingerprint(conn)
                            if now_users != users:
                                users = now_users
                                self.bump_users()
                            self._change_seen()
                        else:
                            self._tick()
            except Exception as error:  # whatever it was, keep watching: pages rely on it
                if not failures:
                    log.warning("ledger watch: cannot read the database, retrying: %s", error)
                pause = RECONNECT_PAUSES[min(failures, len(RECONNECT_PAUSES) - 1)]
                failures += 1
            finally:
                self.watching = False
            if failures and stopping.wait(pause):
                break


def _data_version(conn: sqlite3.Connection) -> int:
    """Changes whenever another connection (of any process) has committed since last asked."""
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def _users_fingerprint(conn: sqlite3.Connection) -> list[Any] | None:
    """What the identity cache keeps of every user (a few hundred rows at most); None for
    a database without users (not migrated yet): nothing to keep there."""
    try:
        return conn.execute(
            "SELECT id, username, full_name, role, is_active, credentials_version "
            "FROM app_user ORDER BY id"
        ).fetchall()
    except sqlite3.OperationalError:
        return None
