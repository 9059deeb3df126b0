"""The app as a signed-in person sees it (NiceGUI user simulation, no browser)."""

import shutil
from pathlib import Path

import pytest
from nicegui.testing import User

from core.settings import get_settings
from data.database import Database
from data.migrate import upgrade
from data.seed import ensure_admin
from tests.conftest import make_product
from tests.helpers import post

ADMIN_PASSWORD = "correct horse"


@pytest.fixture(autouse=True)
def app_database(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Database:
    """main.py runs against a fresh SQLite copy with a known admin password."""
    path = tmp_path / "app.sqlite3"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("WMS_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("WMS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WMS_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("WMS_SQLITE_SYNCHRONOUS", "OFF")
    get_settings.cache_clear()
    yield Database.from_url(f"sqlite:///{path}")
    get_settings.cache_clear()


async def sign_in(user: User, password: str = ADMIN_PASSWORD) -> None:
    await user.open("/login")
    user.find("Имя пользователя").type("admin")
    user.find("Пароль").type(password)
    user.find("Войти").click()


async def test_signed_out_visitor_is_sent_to_sign_in(user: User) -> None:
    await user.open("/")
    await user.should_see("Войти")
    await user.should_not_see("Остатки сейчас")


async def test_sign_in_shows_the_current_totals(user: User, app_database: Database) -> None:
    product = make_product(app_database)
    post(app_database, "RECEIPT", product, 1234)
    post(app_database, "RECEIPT_DEFECT", product, 5)
    await sign_in(user)
    await user.should_see("Остатки сейчас")
    await user.should_see("Администратор")
    assert user.find(marker="good_units").elements.pop().text == "1 234"
    assert user.find(marker="defect_units").elements.pop().text == "5"


async def test_wrong_password_is_refused_with_a_message(user: User) -> None:
    await sign_in(user, password="wrong")
    await user.should_see("Неверное имя пользователя или пароль")
    await user.open("/")
    await user.should_not_see("Остатки сейчас")


async def test_five_failures_lock_the_account(user: User) -> None:
    for _ in range(5):
        await sign_in(user, password="wrong")
    await sign_in(user)  # the right password no longer helps for 5 minutes
    await user.should_see("Попробуйте через 5 минут")


async def test_sign_out(user: User) -> None:
    await sign_in(user)
    await user.should_see("Остатки сейчас")
    await user.open("/logout")
    await user.open("/")
    await user.should_not_see("Остатки сейчас")


async def test_healthz(user: User) -> None:
    response = await user.http_client.get("/healthz")
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
