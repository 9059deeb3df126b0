"""Fixtures: a fresh, migrated and seeded database per test, on SQLite always and on
PostgreSQL too when WMS_TEST_POSTGRES_URL is set (.ci/run sets it)."""

import asyncio
import os
import shutil
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from nicegui import ElementFilter, events, storage, ui
from nicegui.testing import User
from sqlmodel import SQLModel

from core.settings import get_settings
from core.users import create_user
from data.database import Database
from data.db import create_engine, write_session
from data.migrate import upgrade
from data.models import Product
from data.seed import seed_reference_data
from data.users import SqlUserAdminStore
from ui.fresh_session import DONE_PATH, LOGOUT_PATH

pytest_plugins = ["nicegui.testing.user_plugin"]

POSTGRES_URL = os.environ.get("WMS_TEST_POSTGRES_URL", "")
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "wms.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    seed_reference_data(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[sa.Engine]:
    """The test database, emptied and migrated once per session."""
    if not POSTGRES_URL:
        pytest.skip("WMS_TEST_POSTGRES_URL is not set")
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    yield engine
    engine.dispose()


class DatabaseFactory:
    """Makes fresh databases of one backend; `fresh()` may be called many times a test
    (hypothesis examples need a clean database each)."""

    def __init__(
        self, backend: str, tmp_path: Path, template: Path, pg: Callable[[], sa.Engine]
    ) -> None:
        self.backend = backend
        self._tmp_path = tmp_path
        self._template = template
        self._pg = pg
        self._counter = count()
        self._open: list[Database] = []

    def fresh(self) -> Database:
        if self.backend == "sqlite":
            path = self._tmp_path / f"wms-{next(self._counter)}.sqlite3"
            shutil.copy(self._template, path)
            db = Database.from_url(f"sqlite:///{path}", sqlite_synchronous="OFF")
        else:
            engine = self._pg()
            tables = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
            with engine.begin() as conn:
                # TRUNCATE fires no row triggers, so the append-only ledger can be emptied.
                conn.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
            seed_reference_data(engine)
            db = Database(engine)
        self._open.append(db)
        return db

    def close(self) -> None:
        for db in self._open:
            if self.backend == "sqlite":
                db.dispose()


@pytest.fixture(params=BACKENDS)
def databases(
    request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path
) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(
        request.param,
        tmp_path,
        sqlite_template,
        lambda: request.getfixturevalue("postgres_engine"),
    )
    yield factory
    factory.close()


@pytest.fixture
def db(databases: DatabaseFactory) -> Database:
    return databases.fresh()


_barcodes = count(1)


def make_product(db: Database, **fields: object) -> int:
    number = next(_barcodes)
    values: dict[str, object] = {
        "sku": f"SKU-{number}",
        "name": f"Товар {number}",
        "barcode": f"46000000{number:05d}",
    }
    values.update(fields)
    with write_session(db.engine) as session:
        product = Product(**values)  # type: ignore[arg-type]
        session.add(product)
        session.commit()
        assert product.id is not None
        return product.id


# --- The app as a person uses it (NiceGUI user simulation running main.py) ---

ADMIN_PASSWORD = "correct horse"


@pytest.fixture
def app_database(
    tmp_path: Path, sqlite_template: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Database]:
    """main.py runs against a fresh SQLite copy with a known admin password."""
    path = tmp_path / "app.sqlite3"
    shutil.copy(sqlite_template, path)
    monkeypatch.setenv("WMS_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("WMS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("WMS_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("WMS_SQLITE_SYNCHRONOUS", "OFF")
    get_settings.cache_clear()
    db = Database.from_url(f"sqlite:///{path}")
    yield db
    db.dispose()
    get_settings.cache_clear()


@pytest.fixture(autouse=True)
def events_run_with_their_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a browser, an event handler runs with the request of the page it came from
    (NiceGUI's Element._handle_event), so `app.storage.user` is that page's session. The
    simulation's clicks run with whatever request the test itself made last: once sign-in
    has given the browser a new session, that would be the old one."""
    handle_event = events.handle_event

    def with_page_request(handler: Any, arguments: Any, **kwargs: Any) -> None:
        client = getattr(arguments, "client", None)
        if client is not None and client._request is not None:
            storage.request_contextvar.set(client.request)
        handle_event(handler, arguments, **kwargs)

    monkeypatch.setattr(events, "handle_event", with_page_request)


@pytest.fixture
def visitor(app_database: Database, user: User) -> User:
    """A browser that has not signed in (the app runs on `app_database`)."""
    return user


async def sign_in(user: User, username: str, password: str) -> None:
    await user.open("/login")
    user.find("Имя пользователя").type(username)
    user.find("Пароль").type(password)
    user.find("Войти").click()


async def another_browser(
    create_user: Callable[[], User], username: str, password: str = "password-123"
) -> User:
    """A second browser (a tablet on the floor, another office computer) signed in as
    `username` and on the dashboard."""
    browser = create_user()
    await sign_in(browser, username, password)
    await arrived(browser, "/")
    return browser


async def assert_signed_out(user: User) -> None:
    """The next page this browser opens is the sign-in form, not the page. (Not `open_page`:
    a live page of a signed-out browser may itself move on to /login meanwhile.)"""
    await user.open("/password")
    await user.should_see("Войти")
    await user.should_not_see("Текущий пароль")


async def arrived(user: User, path: str) -> None:
    """Wait until a navigation (run as a background task in the simulation) has finished
    connecting to `path` and the page's drawer has had its JavaScript answer. Opening
    another page before that, or blocking the event loop (password hashing in a test) for
    a second, leaves the drawer's request unanswered: an ERROR log that fails the test."""
    for _ in range(200):
        if user.back_history and _shown(user) == path and user.client is not None:
            with user.client:
                drawers = list(ElementFilter(kind=ui.left_drawer, local_scope=False))
            if all(drawer.value is not None for drawer in drawers):
                return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never arrived at {path}")


def _shown(user: User) -> str:
    """The address the browser was last sent to, or where the server redirected it from
    an address that only redirects (sign-in completion, sign-out)."""
    opened = user.back_history[-1]
    if opened.split("?")[0] in {DONE_PATH, LOGOUT_PATH} and user.client is not None:
        url = user.client.request.url
        return url.path + (f"?{url.query}" if url.query else "")
    return opened


async def open_page(user: User, path: str) -> None:
    """`user.open(path)` and wait until the page is settled (see `arrived`)."""
    await user.open(path)
    await arrived(user, path)


def add_user(db: Database, username: str, role: str, password: str = "password-123") -> int:
    return create_user(SqlUserAdminStore(db.engine), username, "", role, password).id


@pytest.fixture
async def admin(visitor: User) -> User:
    await sign_in(visitor, "admin", ADMIN_PASSWORD)
    await arrived(visitor, "/")  # sign-in passes through /login/done: wait for it
    await visitor.should_see("Дашборд")
    return visitor


@pytest.fixture
async def manager(visitor: User, app_database: Database) -> User:
    add_user(app_database, "manager", "manager")
    await sign_in(visitor, "manager", "password-123")
    await arrived(visitor, "/")  # sign-in passes through /login/done: wait for it
    await visitor.should_see("Дашборд")
    return visitor


@pytest.fixture
async def worker(visitor: User, app_database: Database) -> User:
    add_user(app_database, "worker", "worker")
    await sign_in(visitor, "worker", "password-123")
    await arrived(visitor, "/")  # sign-in passes through /login/done: wait for it
    await visitor.should_see("Вы вошли как")
    return visitor
