"""User administration page: the admin creates accounts, changes roles, resets passwords
and deactivates people; the rules about oneself are core's and their messages are shown."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from nicegui import ElementFilter, ui
from nicegui.testing import User

from core.users.auth import ACCOUNT_LIMIT, AuthError, authenticate
from data.database import Database
from data.db import write_connection
from data.users.queries import users
from data.users.store import SqlUserStore, throttle_t
from tests.conftest import (
    add_user,
    another_browser,
    arrived,
    assert_signed_out,
    open_page,
    sign_in,
)
from tests.helpers import eventually


def account(db: Database, username: str) -> dict[str, Any]:
    return next(u for u in users(db.engine) if u["username"] == username)


def can_sign_in(db: Database, username: str, password: str) -> bool:
    try:
        authenticate(SqlUserStore(db.engine), username, password, datetime.now(UTC))
    except AuthError:
        return False
    return True


def lock_out(db: Database, username: str, until: datetime) -> None:
    """As if strangers had used up the name's attempts from all addresses together."""
    row = {"username": username, "address": "", "failures": ACCOUNT_LIMIT, "until": until}
    with write_connection(db.engine) as conn, conn.begin():
        conn.execute(sa.insert(throttle_t).values(row))


def texts_in(user: User, marker: str) -> list[str]:
    with user.client:  # type: ignore[union-attr]
        found = list(ElementFilter(marker=marker, local_scope=False))
    return [getattr(e, "text", "") for f in found for e in f.descendants(include_self=True)]


def click_in_row(user: User, row: str, button: str) -> None:
    with user.scope(marker=row):
        user.find(marker=button).click()


async def open_dialog(user: User, row: str, button: str) -> None:
    click_in_row(user, row, button)
    await eventually(lambda: any(d.value for d in user.find(kind=ui.dialog).elements))


def choose(user: User, marker: str, value: str) -> None:
    select = user.find(marker=marker).elements.pop()
    assert isinstance(select, ui.select)
    select.set_value(value)


# --- who may open it -----------------------------------------------------------------


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await open_page(visitor, "/users")
    await visitor.should_see("Войти")
    await visitor.should_not_see("Новый пользователь")


async def test_manager_is_refused_and_sees_no_accounts(
    manager: User, app_database: Database
) -> None:
    add_user(app_database, "kladovshchik", "worker")
    await open_page(manager, "/users")
    await manager.should_see("Нет доступа")
    await manager.should_not_see("kladovshchik")
    await manager.should_not_see("Новый пользователь")


async def test_worker_is_refused_and_sees_no_accounts(worker: User, app_database: Database) -> None:
    add_user(app_database, "kladovshchik", "worker")
    await open_page(worker, "/users")
    await worker.should_see("Нет доступа")
    await worker.should_not_see("kladovshchik")


# --- the list ----------------------------------------------------------------------------


async def test_list_shows_role_state_and_lockout(admin: User, app_database: Database) -> None:
    packer = add_user(app_database, "upakovshchik", "worker")
    boss = add_user(app_database, "nachalnik", "manager")
    gone = add_user(app_database, "uvolen", "worker")
    lock_out(app_database, "upakovshchik", datetime(2099, 1, 1, 9, 30, tzinfo=UTC))  # 12:30 MSK
    await open_page(admin, "/users")
    click_in_row(admin, f"user-{gone}", "deactivate")
    await eventually(lambda: "Отключён" in texts_in(admin, f"user-{gone}"))

    packer_row = texts_in(admin, f"user-{packer}")
    assert {"upakovshchik", "Работник склада", "Активен", "Заблокирован до 12:30"} <= set(
        packer_row
    )
    assert {"nachalnik", "Менеджер", "Активен"} <= set(texts_in(admin, f"user-{boss}"))
    assert not any("Заблокирован" in text for text in texts_in(admin, f"user-{boss}"))
    assert "Администратор" in texts_in(admin, "user-1")
    assert "(это вы)" in texts_in(admin, "user-1")


async def test_a_lockout_that_has_passed_is_not_shown(admin: User, app_database: Database) -> None:
    packer = add_user(app_database, "upakovshchik", "worker")
    lock_out(app_database, "upakovshchik", datetime.now(UTC) - timedelta(minutes=1))
    await open_page(admin, "/users")
    assert not any("Заблокирован" in text for text in texts_in(admin, f"user-{packer}"))


# --- creating ---------------------------------------------------------------------------


async def test_admin_creates_a_user_who_can_then_sign_in(
    admin: User, app_database: Database
) -> None:
    await open_page(admin, "/users")
    admin.find(marker="new-username").type("ivanov")
    admin.find(marker="new-full-name").type("Иванов Иван")
    choose(admin, "new-role", "manager")
    admin.find(marker="new-password").type("sklad-2024!")
    admin.find(marker="user-add").click()
    await admin.should_see("Пользователь «ivanov» создан")
    created = account(app_database, "ivanov")
    assert created["full_name"] == "Иванов Иван"
    assert created["role"] == "manager" and created["is_active"]
    assert can_sign_in(app_database, "ivanov", "sklad-2024!")
    await eventually(lambda: "Иванов Иван" in texts_in(admin, f"user-{created['id']}"))


async def test_taken_username_is_refused_next_to_the_form(
    admin: User, app_database: Database
) -> None:
    await open_page(admin, "/users")
    admin.find(marker="new-username").type("admin")
    admin.find(marker="new-password").type("long-enough-1")
    admin.find(marker="user-add").click()
    await admin.should_see("Пользователь «admin» уже есть")
    assert "Пользователь «admin» уже есть" in texts_in(admin, "user-error")
    assert len(users(app_database.engine)) == 1


async def test_short_password_is_refused(admin: User, app_database: Database) -> None:
    await open_page(admin, "/users")
    admin.find(marker="new-username").type("petrov")
    admin.find(marker="new-password").type("short")
    admin.find(marker="user-add").click()
    await admin.should_see("Пароль: не короче 8 символов")
    assert "Пароль: не короче 8 символов" in texts_in(admin, "user-error")
    assert all(u["username"] != "petrov" for u in users(app_database.engine))


async def test_generated_password_is_shown_and_works(admin: User, app_database: Database) -> None:
    await open_page(admin, "/users")
    admin.find(marker="new-username").type("sidorov")
    admin.find(marker="new-generate").click()
    field = admin.find(marker="new-password").elements.pop()
    await eventually(lambda: bool(field.value))  # type: ignore[attr-defined]
    assert field.props["type"] == "text"  # readable, so it can be passed on
    password = field.value  # type: ignore[attr-defined]
    admin.find(marker="user-add").click()
    await admin.should_see("Пользователь «sidorov» создан")
    assert can_sign_in(app_database, "sidorov", password)


# --- changing ---------------------------------------------------------------------------


async def test_admin_changes_a_role_and_full_name(admin: User, app_database: Database) -> None:
    packer = add_user(app_database, "upakovshchik", "worker")
    await open_page(admin, "/users")
    await open_dialog(admin, f"user-{packer}", "edit")
    admin.find(marker="edit-full-name").clear().type("Петров Пётр")
    choose(admin, "edit-role", "manager")
    admin.find(marker="edit-save").click()
    await admin.should_see("Сохранено")
    changed = account(app_database, "upakovshchik")
    assert changed["role"] == "manager" and changed["full_name"] == "Петров Пётр"
    await eventually(lambda: "Менеджер" in texts_in(admin, f"user-{packer}"))


async def test_admin_cannot_take_the_admin_role_from_themselves(
    admin: User, app_database: Database
) -> None:
    add_user(app_database, "admin2", "admin")  # not the last admin: the self rule alone
    await open_page(admin, "/users")
    await open_dialog(admin, "user-1", "edit")
    choose(admin, "edit-role", "manager")
    admin.find(marker="edit-save").click()
    await admin.should_see("Нельзя отключить себя или снять с себя роль админа")
    assert "Нельзя отключить себя или снять с себя роль админа" in texts_in(admin, "edit-error")
    assert account(app_database, "admin")["role"] == "admin"


async def test_admin_cannot_deactivate_themselves(admin: User, app_database: Database) -> None:
    await open_page(admin, "/users")
    click_in_row(admin, "user-1", "deactivate")
    await admin.should_see("Нельзя отключить себя или снять с себя роль админа")
    assert account(app_database, "admin")["is_active"]


async def test_admin_resets_a_password_and_lifts_the_lockout(
    admin: User, app_database: Database
) -> None:
    packer = add_user(app_database, "upakovshchik", "worker")
    lock_out(app_database, "upakovshchik", datetime.now(UTC) + timedelta(minutes=5))
    await open_page(admin, "/users")
    await open_dialog(admin, f"user-{packer}", "reset-password")
    admin.find(marker="reset-new-password").type("short")
    admin.find(marker="reset-save").click()
    await admin.should_see("Пароль: не короче 8 символов")
    assert "Пароль: не короче 8 символов" in texts_in(admin, "reset-error")

    admin.find(marker="reset-new-password").clear().type("novyi-parol-1")
    admin.find(marker="reset-save").click()
    await admin.should_see("Пароль изменён")
    assert can_sign_in(app_database, "upakovshchik", "novyi-parol-1")
    assert not can_sign_in(app_database, "upakovshchik", "password-123")
    await eventually(
        lambda: not any("Заблокирован" in t for t in texts_in(admin, f"user-{packer}"))
    )


async def test_deactivated_user_cannot_sign_in_until_activated(
    admin: User, app_database: Database
) -> None:
    packer = add_user(app_database, "upakovshchik", "worker")
    await open_page(admin, "/users")
    click_in_row(admin, f"user-{packer}", "deactivate")
    await eventually(lambda: "Отключён" in texts_in(admin, f"user-{packer}"))
    assert not account(app_database, "upakovshchik")["is_active"]
    assert not can_sign_in(app_database, "upakovshchik", "password-123")

    click_in_row(admin, f"user-{packer}", "activate")
    await eventually(lambda: "Активен" in texts_in(admin, f"user-{packer}"))
    assert can_sign_in(app_database, "upakovshchik", "password-123")


async def test_user_deactivated_by_the_admin_is_signed_out_on_the_next_page(
    admin: User, create_user: Callable[[], User], app_database: Database
) -> None:
    packer = add_user(app_database, "upakovshchik", "worker")
    tablet = await another_browser(create_user, "upakovshchik")

    await open_page(admin, "/users")
    click_in_row(admin, f"user-{packer}", "deactivate")
    await eventually(lambda: not account(app_database, "upakovshchik")["is_active"])

    await assert_signed_out(tablet)


async def test_a_password_reset_signs_the_user_out_everywhere(
    admin: User, create_user: Callable[[], User], app_database: Database
) -> None:
    """The reason to reset a password is often a password someone else learnt: the
    sessions opened with it must not go on."""
    packer = add_user(app_database, "upakovshchik", "worker")
    tablet = await another_browser(create_user, "upakovshchik")

    await open_page(admin, "/users")
    await open_dialog(admin, f"user-{packer}", "reset-password")
    admin.find(marker="reset-new-password").type("novyi-parol-1")
    admin.find(marker="reset-save").click()
    await admin.should_see("Пароль изменён")

    await assert_signed_out(tablet)
    await sign_in(tablet, "upakovshchik", "novyi-parol-1")  # the new password lets them in
    await arrived(tablet, "/")  # the move on is a background task: slow on a loaded machine
    await tablet.should_see("Вы вошли как")
