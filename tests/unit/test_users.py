"""Users (core.users): administration and sign-in with its throttling, in memory."""

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import Conflict, Forbidden, ValidationError
from core.users.accounts import change_own_password, create_user, reset_password, update_user
from core.users.auth import (
    LOCAL,
    LOCKOUT,
    MAX_FAILED_LOGINS,
    AuthError,
    Identity,
    authenticate,
    signed_in,
)
from tests.unit.fakes import FakeDatabase, FakeUserAdminStore, FakeUserStore

pytestmark = pytest.mark.usefixtures("cheap_passwords")
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
PASSWORD = "password-123"


def sign_in(fake: FakeDatabase, name: str, password: str, at: datetime = NOW) -> str:
    try:
        authenticate(FakeUserStore(fake), name, password, at, address="198.51.100.20")
    except AuthError as error:
        return error.code
    return "ok"


def admin(fake: FakeDatabase) -> Identity:
    record = create_user(FakeUserAdminStore(fake), "admin", "", "admin", PASSWORD)
    return Identity(record.id, record.username, "", "admin")


def test_a_new_user_needs_a_free_name_a_known_role_and_a_long_password(
    fake: FakeDatabase,
) -> None:
    store = FakeUserAdminStore(fake)
    ivan = create_user(store, " ivan ", " Иван Петров ", "worker", PASSWORD)
    assert (ivan.username, ivan.full_name, ivan.role, ivan.is_active) == (
        "ivan", "Иван Петров", "worker", True,
    )  # fmt: skip
    for username, role, password, code in [
        ("ivan", "worker", PASSWORD, "username_taken"),
        ("petr", "worker", "short", "weak_password"),
        ("petr", "boss", PASSWORD, "invalid_role"),
        ("pe tr", "worker", PASSWORD, "invalid_username"),
    ]:
        with pytest.raises((Conflict, ValidationError)) as error:
            create_user(store, username, "", role, password)
        assert error.value.code == code
    assert sign_in(fake, "ivan", PASSWORD) == "ok"


def test_an_admin_cannot_demote_themself_and_one_active_admin_remains(
    fake: FakeDatabase,
) -> None:
    store = FakeUserAdminStore(fake)
    first = admin(fake)
    with pytest.raises(Conflict) as error:
        update_user(store, first, first.id, is_active=False)
    assert error.value.code == "cannot_demote_self"
    olga = create_user(store, "olga", "", "admin", PASSWORD)
    as_olga = Identity(olga.id, "olga", "", "admin")
    assert update_user(store, as_olga, first.id, role="manager").role == "manager"
    with pytest.raises(Conflict) as error:
        update_user(store, first, olga.id, is_active=False)
    assert error.value.code == "last_admin"


def test_a_deactivated_user_cannot_sign_in_and_their_sessions_end(fake: FakeDatabase) -> None:
    store = FakeUserAdminStore(fake)
    boss = admin(fake)
    ivan = create_user(store, "ivan", "", "worker", PASSWORD)
    session = authenticate(FakeUserStore(fake), "ivan", PASSWORD, NOW)
    update_user(store, boss, ivan.id, is_active=False)
    assert sign_in(fake, "ivan", PASSWORD) == "invalid_credentials"
    with pytest.raises(AuthError) as error:
        signed_in(FakeUserStore(fake), ivan.id, session.credentials_version)
    assert error.value.code == "user_inactive"


def test_a_new_password_ends_old_sessions_but_keeps_the_one_that_changed_it(
    fake: FakeDatabase,
) -> None:
    store, users = FakeUserAdminStore(fake), FakeUserStore(fake)
    record = create_user(store, "ivan", "", "manager", PASSWORD)
    ivan = authenticate(users, "ivan", PASSWORD, NOW, address=LOCAL)
    with pytest.raises(Forbidden):
        change_own_password(store, ivan, "wrong", "another-password")
    kept = change_own_password(store, ivan, PASSWORD, "another-password")
    assert signed_in(users, record.id, kept.credentials_version).id == record.id
    with pytest.raises(AuthError) as error:
        signed_in(users, record.id, ivan.credentials_version)
    assert error.value.code == "credentials_changed"
    reset_password(store, record.id, "third-password")
    assert sign_in(fake, "ivan", "third-password") == "ok"


def test_wrong_passwords_lock_the_name_at_that_address_for_the_lockout(fake: FakeDatabase) -> None:
    create_user(FakeUserAdminStore(fake), "ivan", "", "worker", PASSWORD)
    answers = [sign_in(fake, "ivan", "wrong") for _ in range(MAX_FAILED_LOGINS)]
    assert answers == ["invalid_credentials"] * MAX_FAILED_LOGINS
    assert sign_in(fake, "ivan", PASSWORD) == "account_locked"
    assert sign_in(fake, "ivan", PASSWORD, NOW + LOCKOUT + timedelta(seconds=1)) == "ok"


def test_a_correct_password_forgives_the_owners_typos(fake: FakeDatabase) -> None:
    create_user(FakeUserAdminStore(fake), "ivan", "", "worker", PASSWORD)
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert sign_in(fake, "ivan", "wrong") == "invalid_credentials"
    assert sign_in(fake, "ivan", PASSWORD) == "ok"
    for _ in range(MAX_FAILED_LOGINS - 1):
        assert sign_in(fake, "ivan", "wrong") == "invalid_credentials"
    assert sign_in(fake, "ivan", PASSWORD) == "ok"


def test_an_admins_reset_lifts_the_lock(fake: FakeDatabase) -> None:
    store = FakeUserAdminStore(fake)
    ivan = create_user(store, "ivan", "", "worker", PASSWORD)
    for _ in range(MAX_FAILED_LOGINS):
        sign_in(fake, "ivan", "wrong")
    reset_password(store, ivan.id, "new-password")
    assert sign_in(fake, "ivan", "new-password") == "ok"


def test_an_unknown_name_gets_the_answer_of_a_wrong_password(fake: FakeDatabase) -> None:
    create_user(FakeUserAdminStore(fake), "ivan", "", "worker", PASSWORD)
    assert sign_in(fake, "nobody", PASSWORD) == sign_in(fake, "ivan", "wrong")
    assert sign_in(fake, " ", PASSWORD) == "invalid_credentials"
