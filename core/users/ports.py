"""What the users' use cases need from storage (data.users.store implements both): the
sign-in's users and throttle counters (`UserStore`), and user administration
(`UserAdminStore`); and the records they exchange."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

# --- Sign-in (core.users.auth) ---


@dataclass(frozen=True)
class StoredUser:
    id: int
    username: str
    full_name: str
    role: str
    password_hash: str
    is_active: bool
    credentials_version: int


@dataclass(frozen=True)
class Counter:
    """Failed sign-ins of a name at an address; '' stands for any name or any address."""

    username: str
    address: str
    limit: int
    # A correct password clears the count (the owner's own typos), rather than only
    # giving its own attempt back: only for the counter no stranger shares with the owner.
    forgive: bool


@dataclass(frozen=True)
class Attempt:
    counter: Counter
    failures: int  # the count with this attempt in it


class UserStore(Protocol):
    def find(self, username: str) -> StoredUser | None: ...
    def get(self, user_id: int) -> StoredUser | None: ...
    def reserve(
        self, counters: Sequence[Counter], now: datetime, window: timedelta
    ) -> list[Attempt] | None:
        """Count one attempt on every counter, all or none, each in one conditional update:
        None (nothing counted) if any counter is at its limit. A count starts over `window`
        after its first failure; the attempt that reaches the limit locks for `window`."""

    def release(self, attempts: Sequence[Attempt], now: datetime) -> None:
        """A correct password: give the attempts back (a `forgive` counter starts over),
        except on a counter that other attempts have locked meanwhile."""


# --- Administration (core.users.accounts) ---


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    full_name: str
    role: str
    is_active: bool


class UserAdminStore(Protocol):
    def get(self, user_id: int) -> UserRecord | None: ...
    def password_hash(self, user_id: int) -> str: ...
    def username_taken(self, username: str) -> bool: ...
    def active_admins(self) -> int: ...
    def insert(self, username: str, full_name: str, role: str, password_hash: str) -> UserRecord:
        """Raises Conflict when the username was taken meanwhile."""

    def update(self, user_id: int, full_name: str, role: str, is_active: bool) -> UserRecord: ...
    def set_password(self, user_id: int, password_hash: str) -> int:
        """Returns the user's new credentials version."""
