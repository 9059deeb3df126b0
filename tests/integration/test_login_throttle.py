"""Failed sign-ins are throttled per name at an address, per address and per name, and
parallel attempts cannot get more password checks than the limit (PostgreSQL and SQLite)."""

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

import core.users.auth
from core.users.accounts import update_user
from core.users.auth import (
    ACCOUNT_LIMIT,
    ADDRESS_LIMIT,
    LOCKOUT,
    MAX_FAILED_LOGINS,
    AuthError,
    Identity,
    authenticate,
    client_address,
)
from data.database import Database
from data.users.store import SqlUserAdminStore, SqlUserStore
from tests.conftest import add_user

PASSWORD = "password-123"
STRANGER = "203.0.113.7"
OFFICE = "198.51.100.20"


def outcome(db: Database, username: str, password: str, address: str, now: datetime) -> str:
    try:
        authenticate(SqlUserStore(db.engine), username, password, now, address=address)
    except AuthError as error:
        return error.code
    return "ok"


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check made (the real argon2 check, only counted)."""
    made: list[str] = []
    verify = core.users.auth.verify_password

    def counted(password_hash: str, password: str) -> bool:
        made.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(core.users.auth, "verify_password", counted)
    return made


def test_parallel_wrong_guesses_get_at_most_the_limit_of_checks(
    db: Database, checks: list[str]
) -> None:
    """16 threads guessing for 3 s: the count and the lock are one conditional update, taken
    before the ~90 ms hash, so no thread can slip a check in between; a correct guess sent
    among them is refused like the rest once the limit is used up."""
    add_user(db, "manager", "manager")
    now = datetime.now(UTC)
    deadline = time.monotonic() + 3
    answers: list[str] = []
    barrier = threading.Barrier(16)

    def guess(index: int) -> None:
        barrier.wait()
        tries = 0
        while time.monotonic() < deadline:
            # one thread has the right password from its second try on
            password = PASSWORD if index == 0 and tries > 0 else f"guess-{index}"
            answers.append(outcome(db, "manager", password, STRANGER, now))
            tries += 1

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(guess, range(16)))

    assert len(checks) == MAX_FAILED_LOGINS, len(checks)
    assert answers.count("invalid_credentials") == MAX_FAILED_LOGINS
    assert "ok" not in answers
    assert len(answers) > 16  # every thread was refused at least once more
    assert outcome(db, "manager", PASSWORD, STRANGER, now) == "account_locked"
    # the lock ends after its time, and a correct password then signs in
    assert outcome(db, "manager", PASSWORD, STRANGER, now + LOCKOUT) == "ok"


def test_a_stranger_cannot_lock_the_owner_out_from_elsewhere(db: Database) -> None:
    add_user(db, "manager", "manager")
    now = datetime.now(UTC)
    for _ in range(MAX_FAILED_LOGINS):
        assert outcome(db, "manager", "wrong", STRANGER, now) == "invalid_credentials"
    assert outcome(db, "manager", PASSWORD, STRANGER, now) == "account_locked"
    assert outcome(db, "manager", PASSWORD, OFFICE, now) == "ok"


def test_many_strangers_together_lock_the_name_everywhere(db: Database) -> None:
    add_user(db, "manager", "manager")
    now = datetime.now(UTC)
    for attempt in range(ACCOUNT_LIMIT):
        address = f"203.0.113.{attempt // MAX_FAILED_LOGINS}"
        assert outcome(db, "manager", "wrong", address, now) == "invalid_credentials"
    assert outcome(db, "manager", PASSWORD, OFFICE, now) == "account_locked"
    assert outcome(db, "manager", PASSWORD, OFFICE, now + LOCKOUT) == "ok"


def test_one_address_trying_many_names_is_throttled(db: Database) -> None:
    now = datetime.now(UTC)
    for number in range(ADDRESS_LIMIT):
        assert outcome(db, f"name-{number}", "wrong", STRANGER, now) == "invalid_credentials"
    add_user(db, "manager", "manager")
    assert outcome(db, "manager", PASSWORD, STRANGER, now) == "account_locked"
    assert outcome(db, "manager", PASSWORD, OFFICE, now) == "ok"


def test_a_correct_password_forgives_the_owners_typos(db: Database) -> None:
    add_user(db, "manager", "manager")
    now = datetime.now(UTC)
    for _ in range(3):
        for _ in range(MAX_FAILED_LOGINS - 1):
            assert outcome(db, "manager", "typo", OFFICE, now) == "invalid_credentials"
        assert outcome(db, "manager", PASSWORD, OFFICE, now) == "ok"


def test_the_last_allowed_attempt_may_still_be_right(db: Database) -> None:
    add_user(db, "manager", "manager")
    now = datetime.now(UTC)
    for _ in range(MAX_FAILED_LOGINS - 1):
        outcome(db, "manager", "typo", OFFICE, now)
    assert outcome(db, "manager", PASSWORD, OFFICE, now) == "ok"
    assert outcome(db, "manager", PASSWORD, OFFICE, now) == "ok"  # and it did not lock


def test_unknown_names_and_wrong_passwords_get_one_answer(db: Database) -> None:
    """Also the lock: an unknown name is locked like a real one, so neither answer tells."""
    gone = add_user(db, "uvolen", "worker")
    chief = Identity(add_user(db, "chief", "admin"), "chief", "", "admin")
    update_user(SqlUserAdminStore(db.engine), chief, gone, is_active=False)
    add_user(db, "manager", "manager")
    now = datetime.now(UTC)
    answers: dict[str, list[tuple[str, str]]] = {}
    for name, password in (("manager", "wrong"), ("nobody", "wrong"), ("uvolen", PASSWORD)):
        answers[name] = []
        for _ in range(MAX_FAILED_LOGINS + 1):
            try:
                authenticate(SqlUserStore(db.engine), name, password, now, address=OFFICE)
            except AuthError as error:
                answers[name].append((error.code, error.message))
    assert answers["manager"] == answers["nobody"] == answers["uvolen"]
    assert answers["nobody"][0] == (
        "invalid_credentials",
        "Неверное имя пользователя или пароль",
    )
    assert answers["nobody"][-1][0] == "account_locked"


@pytest.mark.serial  # a bound in seconds: alone under pytest-xdist
def test_an_unknown_name_takes_as_long_as_a_wrong_password(db: Database) -> None:
    """Without a hash for unknown names, they answered ~30 times faster (3 ms vs 92 ms)."""
    add_user(db, "manager", "manager")
    now = datetime.now(UTC)
    known: list[float] = []
    unknown: list[float] = []
    for attempt in range(12):  # interleaved, so a busy moment slows both alike
        for name, times in (("manager", known), (f"nobody-{attempt}", unknown)):
            address = f"192.0.2.{attempt}"  # no lock in the way
            started = time.perf_counter()
            assert outcome(db, name, "wrong", address, now) == "invalid_credentials"
            times.append(time.perf_counter() - started)
    ratio = statistics.median(unknown) / statistics.median(known)
    print(f"median known {statistics.median(known) * 1000:.1f} ms, "
          f"unknown {statistics.median(unknown) * 1000:.1f} ms, ratio {ratio:.2f}")  # fmt: skip
    assert 0.6 < ratio < 1.6


def test_an_admins_new_password_lifts_the_locks(db: Database) -> None:
    user_id = add_user(db, "manager", "manager")
    now = datetime.now(UTC)
    for _ in range(MAX_FAILED_LOGINS):
        outcome(db, "manager", "wrong", OFFICE, now)
    assert outcome(db, "manager", PASSWORD, OFFICE, now) == "account_locked"
    SqlUserAdminStore(db.engine).set_password(
        user_id, SqlUserAdminStore(db.engine).password_hash(user_id)
    )
    assert outcome(db, "manager", PASSWORD, OFFICE, now) == "ok"


def test_a_count_starts_over_after_the_window(db: Database) -> None:
    add_user(db, "manager", "manager")
    now = datetime.now(UTC)
    for _ in range(MAX_FAILED_LOGINS - 1):
        outcome(db, "manager", "typo", OFFICE, now)
    later = now + LOCKOUT + timedelta(seconds=1)
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert outcome(db, "manager", "typo", OFFICE, later) == "invalid_credentials"
    assert outcome(db, "manager", PASSWORD, OFFICE, later) == "ok"


def test_client_addresses_are_counted_by_network_for_ipv6() -> None:
    assert client_address("2001:db8:1:2:aaaa::1") == client_address("2001:db8:1:2:bbbb::9")
    assert client_address("2001:db8:1:2::1") == "2001:db8:1:2::/64"
    assert client_address("::ffff:192.0.2.5") == "192.0.2.5"
    assert client_address("192.0.2.5") == "192.0.2.5"
    assert client_address(None) == "unknown"
