"""Changing one's own password: every signed-in role may, and only with the current one."""

from collections.abc import Callable
from datetime import UTC, datetime

from nicegui import ElementFilter
from nicegui.testing import User

from core.users.accounts import update_user
from core.users.auth import AuthError, authenticate, identity
from core.users.passwords import verify_password
from data.database import Database
from data.users.store import SqlUserAdminStore, SqlUserStore
from tests.api_client import Api, assert_error, token
from tests.conftest import ADMIN_PASSWORD, add_user, another_browser, assert_signed_out, open_page


def can_sign_in(db: Database, username: str, password: str) -> bool:
    try:
        authenticate(SqlUserStore(db.engine), username, password, datetime.now(UTC))
    except AuthError:
        return False
    return True


def texts_in(user: User, marker: str) -> list[str]:
    with user.client:  # type: ignore[union-attr]
        found = list(ElementFilter(marker=marker, local_scope=False))
    return [getattr(e, "text", "") for f in found for e in f.descendants(include_self=True)]


def fill(user: User, current: str, new: str, repeat: str) -> None:
    user.find(marker="current-password").type(current)
    user.find(marker="new-password").type(new)
    user.find(marker="repeat-password").type(repeat)
    user.find(marker="password-save").click()


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await open_page(visitor, "/password")
    await visitor.should_see("Войти")
    await visitor.should_not_see("Текущий пароль")


async def test_worker_changes_their_password(worker: User, app_database: Database) -> None:
    await open_page(worker, "/password")
    fill(worker, "password-123", "novyi-parol-1", "novyi-parol-1")
    await worker.should_see("Пароль изменён")
    assert can_sign_in(app_database, "worker", "novyi-parol-1")
    assert not can_sign_in(app_database, "worker", "password-123")
    # the form is emptied: the passwords do not stay on the screen
    assert all(
        not e.value  # type: ignore[attr-defined]
        for marker in ("current-password", "new-password", "repeat-password")
        for e in worker.find(marker=marker).elements
    )


async def test_manager_and_admin_may_change_theirs_too(
    manager: User, app_database: Database
) -> None:
    await open_page(manager, "/password")
    fill(manager, "password-123", "menedzher-1", "menedzher-1")
    await manager.should_see("Пароль изменён")
    assert can_sign_in(app_database, "manager", "menedzher-1")


async def test_admin_changes_their_password(admin: User, app_database: Database) -> None:
    await open_page(admin, "/password")
    fill(admin, ADMIN_PASSWORD, "admin-parol-2", "admin-parol-2")
    await admin.should_see("Пароль изменён")
    assert can_sign_in(app_database, "admin", "admin-parol-2")


async def test_wrong_current_password_is_refused(worker: User, app_database: Database) -> None:
    await open_page(worker, "/password")
    fill(worker, "ne-tot-parol", "novyi-parol-1", "novyi-parol-1")
    await worker.should_see("Текущий пароль указан неверно")
    assert "Текущий пароль указан неверно" in texts_in(worker, "password-error")
    assert can_sign_in(app_database, "worker", "password-123")
    assert not can_sign_in(app_database, "worker", "novyi-parol-1")


async def test_mistyped_repeat_is_refused(worker: User, app_database: Database) -> None:
    await open_page(worker, "/password")
    fill(worker, "password-123", "novyi-parol-1", "novyi-parol-2")
    await worker.should_see("Новый пароль и повтор не совпадают")
    assert can_sign_in(app_database, "worker", "password-123")


async def test_short_new_password_is_refused(worker: User, app_database: Database) -> None:
    await open_page(worker, "/password")
    fill(worker, "password-123", "short", "short")
    await worker.should_see("Пароль: не короче 8 символов")
    assert can_sign_in(app_database, "worker", "password-123")


async def test_user_deactivated_while_signed_in_is_treated_as_signed_out(
    worker: User, app_database: Database
) -> None:
    await open_page(worker, "/password")
    users = SqlUserStore(app_database.engine)
    chief = identity(users, add_user(app_database, "chief", "admin"), 0)
    me = users.find("worker")
    assert chief is not None and me is not None
    update_user(SqlUserAdminStore(app_database.engine), chief, me.id, is_active=False)

    # the page still open can no longer act ...
    fill(worker, "password-123", "novyi-parol-1", "novyi-parol-1")
    await worker.should_see("Сессия истекла или нет прав на это действие")
    stored = SqlUserAdminStore(app_database.engine).password_hash(me.id)
    assert verify_password(stored, "password-123")  # unchanged
    # ... and the next page load is a signed-out one
    await open_page(worker, "/password")
    await worker.should_see("Войти")
    await worker.should_not_see("Текущий пароль")


async def test_ones_own_change_keeps_this_session_and_ends_the_others(
    manager: User, create_user: Callable[[], User], app_database: Database
) -> None:
    office = await another_browser(create_user, "manager")  # the same manager, elsewhere
    old_token = await token(manager.http_client, "manager", "password-123")  # type: ignore[arg-type]

    await open_page(manager, "/password")
    fill(manager, "password-123", "novyi-parol-1", "novyi-parol-1")
    await manager.should_see("Пароль изменён")

    # The other browser is signed out. (Checked first: its live page moves itself to
    # /login, and the simulation records a navigation on whichever browser acted last.)
    await assert_signed_out(office)
    try:
        await open_page(manager, "/password")  # this browser stays signed in
    except AssertionError:
        # The other browser's live page moving itself to /login late, under load, can be
        # recorded on this one: open it again (signed out, it would land on /login again).
        await open_page(manager, "/password")
    await manager.should_see("Текущий пароль")
    answer = await Api(manager.http_client, old_token).get("/stock/summary")  # type: ignore[arg-type]
    assert_error(answer, 401, "credentials_changed")
