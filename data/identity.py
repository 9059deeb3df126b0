"""Who a session or an API token names, without a database round trip each time.

Every open page checks its user again before each live refresh (twice a second while
movements are posted), and every API request does; reading app_user for each of them
blocked the event loop. `CachedUsers.get` answers from memory after the first read and
reads again only after a signal that a user may have changed:

- at once, after a change committed by this process (data.users.store.USER_CHANGES);
- within a moment, after a change by another process or program, seen by the ledger
  watch (`users_version`: PostgreSQL NOTIFY from a trigger on app_user, SQLite compares
  the rows when data_version moves).

While the watch is not watching (not started, reconnecting, or a database it cannot
observe) nothing is trusted from memory: every call reads, as before.

`CachedUsers` has `core.users.ports.UserStore.get`'s shape, so
`core.users.auth.signed_in(cache, ...)`
keeps its rules (inactive, credentials version) in core; the REST API can pass the same
object. The cached rows carry no password hash: use the store itself to check passwords.
"""

import asyncio
import threading
from dataclasses import dataclass, replace

from core.users.auth import StoredUser
from data.ledger_watch import LedgerWatch
from data.users.store import USER_CHANGES, SqlUserStore


@dataclass(frozen=True)
class _Entry:
    generation: tuple[int, int]
    user: StoredUser | None  # None: no such user (cached too: a stale cookie costs no read)


class CachedUsers:
    def __init__(self, store: SqlUserStore, watch: LedgerWatch) -> None:
        self._store = store
        self._watch = watch
        self._entries: dict[int, _Entry] = {}
        self._lock = threading.Lock()
        self.reads = 0  # database reads so far (for tests and diagnostics)

    def _generation(self) -> tuple[int, int] | None:
        """What the cached entries must have been read under; None: trust nothing."""
        if not self._watch.watching:
            return None
        return (self._watch.users_version, USER_CHANGES.count)

    def _fresh(self, user_id: int) -> _Entry | None:
        """The cached entry, if it may still be trusted."""
        generation = self._generation()
        entry = self._entries.get(user_id)
        if generation is None or entry is None or entry.generation != generation:
            return None
        return entry

    def get(self, user_id: int) -> StoredUser | None:
        """The user as the database knows them now (within the signals above); reads the
        database on a miss, so call it off the event loop there (`get_async`)."""
        entry = self._fresh(user_id)
        if entry is not None:
            return entry.user
        # The generation is taken before reading: a change during the read reads again.
        generation = self._generation()
        user = self._store.get(user_id)
        self.reads += 1
        if user is not None:
            user = replace(user, password_hash="")  # not needed here; not kept in memory
        if generation is not None:
            with self._lock:
                if len(self._entries) > 10_000:  # ids nobody has: keep memory bounded
                    self._entries.clear()
                self._entries[user_id] = _Entry(generation, user)
        return user

    async def get_async(self, user_id: int) -> StoredUser | None:
        """`get` for the event loop: a miss reads in a worker thread."""
        entry = self._fresh(user_id)
        if entry is not None:
            return entry.user
        return await asyncio.to_thread(self.get, user_id)


class OneUser:
    """A `core.users.ports.UserStore.get` that knows one user, already read (by `get_async`), so
    core's rules apply without reading again."""

    def __init__(self, user: StoredUser | None) -> None:
        self._user = user

    def get(self, user_id: int) -> StoredUser | None:
        return self._user if self._user is not None and self._user.id == user_id else None
