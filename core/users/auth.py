"""Sign-in: credentials, throttling of failed attempts, the signed-in identity.

Failed sign-ins are counted per name at a client address (the lock a user meets), per
address whatever the names (a stranger trying many names) and per name from all addresses
together (many strangers trying one name). An attempt is counted *before* its password is
checked, in one statement with the check of the limit, so parallel requests cannot get more
checks than the limit; a correct password gives its attempt back. Unknown names are
counted and hashed like real ones: neither the answer nor its timing tells who exists.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import DomainError
from core.users.passwords import unmatched_hash, verify_password
from core.users.ports import Counter, StoredUser, UserStore

MAX_FAILED_LOGINS = 5  # per name at one address: then that name is locked there
ADDRESS_LIMIT = 20  # per address, all names together
ACCOUNT_LIMIT = 20  # per name, all addresses together: a stranger needs 4 addresses
LOCKOUT = timedelta(minutes=5)  # a count starts over this long after its first failure
MAX_USERNAME = 64
LOCAL = "local"  # the address of callers inside this process (scripts, tests)


class AuthError(DomainError):
    kind = "invalid"


@dataclass(frozen=True)
class Identity:
    id: int
    username: str
    full_name: str
    role: str
    credentials_version: int = 0  # what a session or token given to this user carries

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


INVALID = AuthError("invalid_credentials", "Неверное имя пользователя или пароль")
LOCKED = AuthError(
    "account_locked", "Слишком много неудачных попыток входа. Попробуйте через 5 минут"
)


def client_address(host: str | None) -> str:
    """The address failed sign-ins are counted by: an IPv6 client by its /64 network (one
    subscriber gets a whole /64), anything unparsable as it is."""
    if not host:
        return "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:MAX_USERNAME]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def counters(username: str, address: str) -> tuple[Counter, ...]:
    return (
        Counter(username, address, MAX_FAILED_LOGINS, forgive=True),
        Counter("", address, ADDRESS_LIMIT, forgive=False),
        Counter(username, "", ACCOUNT_LIMIT, forgive=False),
    )


def authenticate(
    store: UserStore, username: str, password: str, now: datetime, *, address: str = LOCAL
) -> Identity:
    """The user with these credentials. Unknown name, wrong password and a deactivated user
    get the same answer; a lock gets the same answer whether or not the name exists."""
    name = username.strip()
    if not name or len(name) > MAX_USERNAME:
        raise INVALID  # no user has such a name: nothing to guess, nothing to count
    attempts = store.reserve(counters(name, address), now, LOCKOUT)
    if attempts is None:
        raise LOCKED
    user = store.find(name)
    # An unknown name is checked against a hash no password matches: the same ~90 ms.
    matches = verify_password(user.password_hash if user else unmatched_hash(), password)
    if user is None or not user.is_active or not matches:
        raise INVALID  # the attempt stays counted
    store.release(attempts, now)
    return _identity(user)


def signed_in(store: UserStore, user_id: int, credentials_version: int) -> Identity:
    """The user a session or token names, as the database knows them now; AuthError if
    gone or deactivated, or if the password changed since the session or token (given
    with `credentials_version`) was."""
    user = store.get(user_id)
    if user is None or not user.is_active:
        raise AuthError("user_inactive", "Пользователь отключён или удалён")
    if user.credentials_version != credentials_version:
        raise AuthError("credentials_changed", "Пароль пользователя изменён: войдите снова")
    return _identity(user)


def identity(store: UserStore, user_id: int, credentials_version: int) -> Identity | None:
    """`signed_in`, or None."""
    try:
        return signed_in(store, user_id, credentials_version)
    except AuthError:
        return None


def _identity(user: StoredUser) -> Identity:
    return Identity(user.id, user.username, user.full_name, user.role, user.credentials_version)
