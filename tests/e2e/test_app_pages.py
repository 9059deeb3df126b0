"""The app as a signed-in person sees it (NiceGUI user simulation, no browser)."""

import importlib
import threading

import pytest
from nicegui.testing import User

from data.database import Database
from data.migrate import upgrade
from data.seed import ensure_admin
from tests.conftest import ADMIN_PASSWORD, make_product, sign_in
from tests.helpers import post


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await visitor.open("/")
    await visitor.should_see("Войти")
    await visitor.should_not_see("Остатки сейчас")


async def test_sign_in_shows_the_current_totals(visitor: User, app_database: Database) -> None:
    product = make_product(app_database)
    post(app_database, "RECEIPT", product, 1234)
    post(app_database, "RECEIPT_DEFECT", product, 5)
    await sign_in(visitor, "admin", ADMIN_PASSWORD)
    await visitor.should_see("Остатки сейчас")
    await visitor.should_see("Администратор")
    assert visitor.find(marker="good_units").elements.pop().text == "1\u202f234"
    assert visitor.find(marker="defect_units").elements.pop().text == "5"


async def test_the_password_is_checked_off_the_event_loop(
    visitor: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash takes ~90 ms of CPU: on the event loop it stalled every open page."""
    # The module as the running app loaded it (the simulation reloads the app per test).
    auth = importlib.import_module("core.users.auth")
    real_verify = auth.verify_password
    threads: list[threading.Thread] = []

    def verify(password_hash: str, password: str) -> bool:
        threads.append(threading.current_thread())
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", verify)
    await sign_in(visitor, "admin", ADMIN_PASSWORD)
    await visitor.should_see("Остатки сейчас")
    assert threads
    assert threading.main_thread() not in threads


async def test_wrong_password_is_refused_with_a_message(visitor: User) -> None:
    await sign_in(visitor, "admin", "wrong")
    await visitor.should_see("Неверное имя пользователя или пароль")
    await visitor.open("/")
    await visitor.should_not_see("Остатки сейчас")


async def test_worker_sees_no_manager_navigation(worker: User) -> None:
    await worker.should_not_see("Остатки сейчас")
    await worker.should_not_see("Операции")


async def test_language_switch(admin: User) -> None:
    # The switch reloads the dashboard, whose figures are read in a worker thread first:
    # on a loaded machine that takes longer than should_see's default 0.3 s.
    admin.find(marker="language-switch").click()
    await admin.should_see("Stock right now", retries=30)
    admin.find(marker="language-switch").click()
    await admin.should_see("Остатки сейчас", retries=30)


async def test_five_failures_lock_the_account(visitor: User) -> None:
    for _ in range(5):
        await sign_in(visitor, "admin", "wrong")
    await sign_in(
        visitor, "admin", ADMIN_PASSWORD
    )  # the right password no longer helps for 5 minutes
    await visitor.should_see("Попробуйте через 5 минут")


async def test_sign_out(visitor: User) -> None:
    await sign_in(visitor, "admin", ADMIN_PASSWORD)
    await visitor.should_see("Остатки сейчас")
    visitor.find(marker="sign-out").click()
    await visitor.should_see("Войти")
    await visitor.open("/")
    await visitor.should_see("Войти")
    await visitor.should_not_see("Остатки сейчас")


async def test_healthz(visitor: User) -> None:
    response = await visitor.http_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_first_start_generates_a_password_only_once(app_database: Database) -> None:
    fresh = Database.from_url(str(app_database.engine.url).replace("app.sqlite3", "x.sqlite3"))
    upgrade(fresh.engine)
    generated = ensure_admin(fresh.engine, None)
    assert generated and len(generated) >= 12
    assert ensure_admin(fresh.engine, None) is None
    with fresh.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM app_user").scalar_one()
    assert generated not in stored and stored.startswith("$argon2")
