"""The API's per-process memory of users, so a request does not load its user every time.

A bearer token names a user and their credentials version; every request must still see a
deactivation, a role change or a password change. Two simple rules keep that true:

- this process: every committed change to a user (data.users.USER_CHANGES) drops every
  entry at once, so the next request loads its user again;
- another process (a second worker, a script): an entry is kept at most MAX_AGE_SECONDS,
  so its change is seen within that long.

A user is thus loaded about once a second per active token holder instead of once per
request (a query and a rollback on a pooled connection, ~0.5 ms of CPU).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from threading import Lock

from core.auth import StoredUser
from data.users import USER_CHANGES, SqlUserStore, UserChanges

MAX_AGE_SECONDS = 1.0
MAX_ENTRIES = 10_000  # more users than a warehouse has: start again rather than grow


@dataclass(frozen=True)
class Entry:
    user: StoredUser | None  # None: no such user
    generation: int  # USER_CHANGES.count before the user was read
    loaded_at: float

    def get(self, _user_id: int) -> StoredUser | None:
        """core.auth's UserStore.get, answered from this entry."""
        return self.user


class IdentityCache:
    def __init__(
        self,
        store: SqlUserStore,
        changes: UserChanges = USER_CHANGES,
        *,
        max_age: float = MAX_AGE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._changes = changes
        self._max_age = max_age
        self._clock = clock
        self._entries: dict[int, Entry] = {}
        self._lock = Lock()

    def fresh(self, user_id: int) -> Entry | None:
        """The user as loaded less than MAX_AGE ago and since this process last changed
        any user; None when they must be loaded again."""
        entry = self._entries.get(user_id)
        if entry is None:
            return None
        if entry.generation != self._changes.count:
            return None
        if self._clock() - entry.loaded_at >= self._max_age:
            return None
        return entry

    def load(self, user_id: int) -> Entry:
        """Read the user from the database and remember them (blocking: call off the loop)."""
        # The generation is read first: a change committed while we read counts as newer
        # than what we read, so the entry is not used again.
        generation, now = self._changes.count, self._clock()
        entry = Entry(self._store.get(user_id), generation, now)
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[user_id] = entry
        return entry
