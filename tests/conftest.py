"""Fixtures: a fresh, migrated and seeded database per test, on SQLite always and on
PostgreSQL too when WMS_TEST_POSTGRES_URL is set (.ci/run sets it)."""

import asyncio
import fcntl
import gc
import importlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from nicegui import Client, ElementFilter, events, storage, ui
from nicegui.testing import User
from nicegui.testing.general_fixtures import get_path_to_main_file
from nicegui.testing.user_navigate import UserNavigate
from sqlmodel import SQLModel

from core.settings import get_settings
from core.users.accounts import create_user
from data.database import Database
from data.db import create_engine, write_session
from data.migrate import upgrade
from data.models import Product
from data.seed import seed_reference_data
from data.users.store import SqlUserAdminStore
from tests.log_capture import logging_kept
from ui.fresh_session import DONE_PATH, LOGOUT_PATH

pytest_plugins = ["nicegui.testing.user_plugin"]

# Under pytest-xdist each worker ("gw0", "gw1", ...) has a database of its own on the
# server of WMS_TEST_POSTGRES_URL: "<name>_gw0", created when missing. Tests read this
# constant (and the environment variable) and so all land in their worker's database.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
POSTGRES_URL = os.environ.get("WMS_TEST_POSTGRES_URL", "")
if POSTGRES_URL and XDIST_WORKER:
    _given = sa.make_url(POSTGRES_URL)
    POSTGRES_URL = _given.set(database=f"{_given.database}_{XDIST_WORKER}").render_as_string(
        hide_password=False
    )
    os.environ["WMS_TEST_POSTGRES_URL"] = POSTGRES_URL
BACKENDS = ["sqlite", "postgres"] if POSTGRES_URL else ["sqlite"]

# --- Each test's app is garbage-collected once, not again by every later test ---
#
# NiceGUI's simulation runs a full `gc.collect()` before and after every test, to finalise
# the past app's clients and elements. A full collection walks every object the worker
# holds, and a worker's heap grows over hundreds of tests (about 1 GB): late in a run these
# collections took most of a page test's time. What survives a test's own collection is
# frozen (`gc.freeze`), so the next collections walk only what later tests make.


@contextmanager
def _reset_globals_then_freeze() -> Iterator[None]:
    with _nicegui_reset_globals():
        yield
    gc.freeze()


# The module, not the function `nicegui.testing` exports under the same name.
_simulation = importlib.import_module("nicegui.testing.user_simulation")
_nicegui_reset_globals = _simulation.nicegui_reset_globals
_simulation.nicegui_reset_globals = _reset_globals_then_freeze

# --- A test's app is stopped even when its test logged an error ---
#
# NiceGUI's `user` fixture fails a test that logged an ERROR from inside the simulation,
# so its app's shutdown (a lifespan without `finally`) never runs: the app stays
# "started", and every later page test on that worker fails at setup («NiceGUI has
# already been started»). The same fixture, with the check after the app has stopped.


@pytest.fixture
async def user(caplog: pytest.LogCaptureFixture, request: pytest.FixtureRequest) -> Any:
    async with _simulation.user_simulation(main_file=get_path_to_main_file(request)) as simulated:
        yield simulated
    if any(record.levelname == "ERROR" for record in caplog.get_records("call")):
        pytest.fail("There were unexpected ERROR logs.", pytrace=False)


# --- What a page shows may take a moment on a loaded machine ---
#
# NiceGUI's `should_see` looks three times, 0.1 s apart: a handler that runs in a worker
# thread (a post, a Redis call) or a navigation on a loaded 2-core machine takes longer,
# and a correct page failed the test. Five seconds by default; a test may still say less.
SHOULD_SEE_RETRIES = 50
_nicegui_should_see = User.should_see


async def _should_see(self: User, *args: Any, retries: int = SHOULD_SEE_RETRIES,
                      **kwargs: Any) -> None:  # fmt: skip
    await _nicegui_should_see(self, *args, retries=retries, **kwargs)


User.should_see = _should_see  # type: ignore[method-assign]


# --- Tests that must run alone (pytest-xdist) ---
#
# `@pytest.mark.serial` tests measure time or wait for something within a bound (login
# timing, the ledger watch, live pages, the memory ceiling): under xdist another worker's
# test must not run meanwhile. Every test holds a shared lock on LOCKS/room; a serial
# test holds it exclusively. A serial test first takes LOCKS/turnstile, which every test
# passes through before its shared lock, so the other workers cannot keep the room
# forever. The controller makes the folder and hands it to the workers it starts.

LOCKS_VARIABLE = "WMS_TEST_LOCKS"
_locks_key = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    if not XDIST_WORKER and getattr(config.option, "numprocesses", None):
        config.stash[_locks_key] = tempfile.mkdtemp(prefix="wms-test-locks-")
        os.environ[LOCKS_VARIABLE] = config.stash[_locks_key]


def pytest_unconfigure(config: pytest.Config) -> None:
    folder = config.stash.get(_locks_key, None)
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(LOCKS_VARIABLE, None)


@contextmanager
def _flock(path: Path, operation: int) -> Iterator[None]:
    # The folder is the controller's; made again if something on the machine cleaned /tmp.
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR)
    try:
        fcntl.flock(fd, operation)  # blocks until granted; released by closing
        yield
    finally:
        os.close(fd)


@contextmanager
def _alone_or_together(serial: bool) -> Iterator[None]:
    folder = os.environ.get(LOCKS_VARIABLE, "")
    if not XDIST_WORKER or not folder:
        yield
        return
    turnstile, room = Path(folder) / "turnstile", Path(folder) / "room"
    if serial:
        with _flock(turnstile, fcntl.LOCK_EX), _flock(room, fcntl.LOCK_EX):
            yield
    else:
        with _flock(turnstile, fcntl.LOCK_EX):
            pass
        with _flock(room, fcntl.LOCK_SH):
            yield


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    with _alone_or_together(item.get_closest_marker("serial") is not None):
        return (yield)


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
    """The test database (this worker's), emptied and migrated once per session; dropped
    at the end if this session created it."""
    if not POSTGRES_URL:
        pytest.skip("WMS_TEST_POSTGRES_URL is not set")
    created = _create_database_if_missing(POSTGRES_URL)
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    seed_reference_data(engine)
    _SEEDED[engine] = SeededState.read(engine)
    yield engine
    engine.dispose()
    if created:
        _drop_database(POSTGRES_URL)


def _server(url: str) -> tuple[sa.Engine, str]:
    """An autocommit engine on the server's maintenance database, and the database's name."""
    parsed = sa.make_url(url)
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    return admin, str(parsed.database)


def _create_database_if_missing(url: str) -> bool:
    admin, name = _server(url)
    try:
        with admin.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if found is None:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        return found is None
    finally:
        admin.dispose()


def _drop_database(url: str) -> None:
    admin, name = _server(url)
    try:
        with admin.connect() as conn:  # FORCE: an app engine a test left open is not a reason
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


class SeededState:
    """The PostgreSQL test database as migrations and `seed_reference_data` left it (every
    row and sequence), put back in one transaction before each test: what the SQLite
    template copy is for SQLite. Seeding again per test took ~20 round trips and TRUNCATE
    a file swap per table: 0.3-1 s a test on a busy machine; this takes a few hundredths."""

    def __init__(self, rows: dict[str, list[dict[str, Any]]], sequences: dict[str, int | None],
                 superuser: bool) -> None:  # fmt: skip
        self.rows, self.sequences, self.superuser = rows, sequences, superuser

    @classmethod
    def read(cls, engine: sa.Engine) -> "SeededState":
        with engine.connect() as conn:
            rows = {
                table.name: [dict(row._mapping) for row in conn.execute(sa.select(table))]
                for table in SQLModel.metadata.sorted_tables
            }
            sequences = dict(
                conn.execute(
                    sa.text(
                        "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), "
                        "last_value FROM pg_sequences WHERE schemaname = current_schema()"
                    )
                ).all()
            )
            superuser = conn.execute(
                sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            ).scalar_one()
        return cls({name: found for name, found in rows.items() if found}, sequences, superuser)

    def restore(self, engine: sa.Engine) -> None:
        tables = SQLModel.metadata.sorted_tables
        with engine.begin() as conn:
            if self.superuser:
                # Replica mode fires no triggers (the ledger's append-only one, the foreign
                # keys' checks): DELETE empties small tables far faster than TRUNCATE.
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
                for table in reversed(tables):
                    conn.execute(table.delete())
            else:  # TRUNCATE fires no row triggers either
                names = ", ".join(table.name for table in tables)
                conn.exec_driver_sql(f"TRUNCATE {names} CASCADE")
            for table in tables:
                if table.name in self.rows:
                    conn.execute(table.insert(), self.rows[table.name])
            for sequence, last_value in self.sequences.items():
                if last_value is None:  # never used: the next value is the first
                    conn.exec_driver_sql(f"ALTER SEQUENCE {sequence} RESTART")
                else:
                    conn.execute(sa.text("SELECT setval(:s, :v)"), {"s": sequence, "v": last_value})


_SEEDED: dict[sa.Engine, SeededState] = {}


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
            _SEEDED[engine].restore(engine)
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


@pytest.fixture(autouse=True)
def only_the_shown_page_navigates(monkeypatch: pytest.MonkeyPatch) -> None:
    """A page the browser has left may still run a moment on the server (its timers, a
    handler finishing), but what it sends goes nowhere: the browser shows another page.
    The simulation would follow its `ui.navigate.to` from any page of this user (e.g. an old
    dashboard sending a signed-out user to /login after they signed in again)."""
    navigate_to = UserNavigate.to

    def from_the_shown_page(self: UserNavigate, target: Any, new_tab: bool = False) -> None:
        try:
            sender = ui.context.client
        except RuntimeError:  # not inside a page's context: as before
            sender = None
        if sender is not None and self.user.client is not None and sender is not self.user.client:
            return
        navigate_to(self, target, new_tab)

    monkeypatch.setattr(UserNavigate, "to", from_the_shown_page)


@pytest.fixture
def visitor(app_database: Database, user: User) -> User:
    """A browser that has not signed in (the app runs on `app_database`)."""
    return user


ARRIVAL_SECONDS = 20  # how long a page may take to settle before a test gives up


SIGN_IN_FORMS: dict[int, tuple[str | None, int]] = {}  # a user's last sign-in: name, length


async def sign_in(user: User, username: str, password: str) -> None:
    await user.open("/login")
    user.find("Имя пользователя").type(username)
    user.find("Пароль").type(password)
    with user.client:  # what the form held at the click (arrived() reports it)
        fields = {str(e.props.get("label")): e.value
                  for e in ElementFilter(kind=ui.input, local_scope=False)}  # fmt: skip
    SIGN_IN_FORMS[id(user)] = (fields.get("Имя пользователя"), len(fields.get("Пароль") or ""))
    user.find("Войти").click()
    await _sign_in_answered(user)


async def _sign_in_answered(user: User) -> None:
    """The password is checked in a worker thread: wait for the answer (the form's
    message, or the move on), so that attempts one after another are counted in order."""
    form = user.client
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while time.monotonic() < deadline:
        if user.client is not form or not user.back_history[-1].startswith("/login"):
            return
        with form:
            messages = ElementFilter(marker="login-message", local_scope=False)
            if any(message.visible for message in messages):
                return
        await asyncio.sleep(0.01)
    raise AssertionError("the sign-in form never answered")


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
    connecting to `path`."""
    # A deadline, not a count of polls: on a loaded machine the sign-in's password hash
    # alone can take a second or two.
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while time.monotonic() < deadline:
        if user.back_history and _shown(user) == path and user.client is not None:
            return
        await asyncio.sleep(0.01)
    shown = _shown(user) if user.back_history else None
    said = ""
    if user.client is not None:  # e.g. the sign-in form's answer
        with user.client:
            said = "; ".join(str(m.text) for m in ElementFilter(marker="login-message",
                             local_scope=False) if m.visible)  # fmt: skip
    sent = SIGN_IN_FORMS.get(id(user))
    raise AssertionError(f"never arrived at {path} (shown: {shown}; history: "
                         f"{user.back_history}; the form said: {said or 'nothing'}; "
                         f"the last sign-in sent (name, password length): {sent})")  # fmt: skip


async def left_page(user: User, page: Client) -> None:
    """Wait until the browser has moved on from the page it showed (`page`, its client),
    e.g. after pressing «Войти» on a sign-in form reached by a redirect."""
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while time.monotonic() < deadline:
        if user.client is not page:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the browser never left the page")


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


@pytest.fixture(autouse=True)
def _logging_as_it_was() -> Iterator[None]:
    """A test that starts the app (main.py configures ui.logs) leaves logging as it was."""
    with logging_kept():
        yield
