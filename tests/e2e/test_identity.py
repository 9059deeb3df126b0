"""The signed-in identity from memory (data.identity): read once, read again only after a
user changed, whether this process, another engine or another process changed them; and
an open live page checks its user on every refresh without asking the database."""

import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from nicegui.testing import User
from sqlalchemy import event

from core.settings import PROJECT_ROOT
from core.users.accounts import reset_password, update_user
from core.users.auth import identity
from data.database import Database
from data.identity import CachedUsers
from data.ledger_watch import LedgerWatch
from data.users.store import SqlUserAdminStore, SqlUserStore
from tests.conftest import add_user, make_product, open_page
from tests.e2e.test_page_live import cells, within
from tests.helpers import post
from tests.integration.test_ledger_watch import other_process_engine, wait_until
from ui import live

# Bounds in seconds: alone under pytest-xdist (conftest).
pytestmark = pytest.mark.serial

SEEN_WITHIN_SECONDS = 1.5  # the watch's ≤ 0.4 s poll or a NOTIFY, with room for a busy CI


@pytest.fixture
def watch(db: Database) -> Iterator[LedgerWatch]:
    watch = LedgerWatch(db.engine)
    watch.start()
    wait_until(lambda: watch.watching, "the watch never started watching")
    yield watch
    watch.stop()


@pytest.fixture
def cache(db: Database, watch: LedgerWatch) -> CachedUsers:
    return CachedUsers(SqlUserStore(db.engine), watch)


def seen_within(check: Any, limit: float = SEEN_WITHIN_SECONDS) -> float:
    started = time.monotonic()
    wait_until(check, f"not seen within {limit} s", timeout=limit)
    return time.monotonic() - started


def test_a_user_is_read_once_then_answered_from_memory(db: Database, cache: CachedUsers) -> None:
    packer = add_user(db, "packer", "worker")
    first = identity(cache, packer, 0)
    assert first is not None and first.role == "worker"
    reads = cache.reads
    for _ in range(100):
        assert identity(cache, packer, 0) == first
    assert cache.reads == reads
    assert identity(cache, 999_999, 0) is None  # no such user: read once, remembered too
    assert identity(cache, 999_999, 0) is None
    assert cache.reads == reads + 1


def test_the_cache_keeps_no_password_hash(db: Database, cache: CachedUsers) -> None:
    packer = add_user(db, "packer", "worker")
    stored = cache.get(packer)
    assert stored is not None and stored.password_hash == ""


def test_a_change_by_this_process_is_seen_at_once(db: Database, cache: CachedUsers) -> None:
    chief = identity(SqlUserStore(db.engine), add_user(db, "chief", "admin"), 0)
    packer = add_user(db, "packer", "worker")
    assert chief is not None and identity(cache, packer, 0) is not None
    admin_store = SqlUserAdminStore(db.engine)

    update_user(admin_store, chief, packer, role="manager")
    assert identity(cache, packer, 0).role == "manager"  # type: ignore[union-attr]
    reset_password(admin_store, packer, "novyi-parol-1")
    assert identity(cache, packer, 0) is None  # the session's credentials are old
    assert identity(cache, packer, 1) is not None
    update_user(admin_store, chief, packer, is_active=False)
    assert identity(cache, packer, 1) is None


@pytest.mark.parametrize(
    ("change", "still_signed_in"),
    [
        ("is_active = false", False),
        ("credentials_version = credentials_version + 1", False),
        ("role = 'manager'", True),
        ("full_name = 'Петров Пётр'", True),
    ],
)
def test_a_change_by_another_program_is_seen_within_a_moment(
    db: Database, cache: CachedUsers, change: str, still_signed_in: bool
) -> None:
    """Plain SQL on another connection, as another app process or an operator would: on
    PostgreSQL the trigger's NOTIFY tells the watch; on SQLite the watch compares rows."""
    packer = add_user(db, "packer", "worker")
    time.sleep(0.6)  # the user's creation has been seen by the watch
    before = identity(cache, packer, 0)
    assert before is not None
    reads = cache.reads
    assert identity(cache, packer, 0) == before and cache.reads == reads  # from memory
    other = other_process_engine(db)
    try:
        with other.begin() as conn:
            conn.execute(sa.text(f"UPDATE app_user SET {change} WHERE id = :id"), {"id": packer})
        seconds = seen_within(lambda: identity(cache, packer, 0) != before)
        print(f"{db.engine.dialect.name}: {change!r} seen {seconds * 1000:.0f} ms after commit")
    finally:
        other.dispose()
    assert (identity(cache, packer, 0) is not None) == still_signed_in


def test_movements_do_not_make_the_cache_read_again(
    db: Database, watch: LedgerWatch, cache: CachedUsers
) -> None:
    packer = add_user(db, "packer", "worker")
    mug = make_product(db)
    time.sleep(0.6)  # the user's creation has been seen by the watch
    identity(cache, packer, 0)
    reads = cache.reads
    for _ in range(5):
        before = watch.version
        post(Database(db.engine), "RECEIPT", mug, 1)
        watch.wait_for_change(before, 2.0)
        identity(cache, packer, 0)
    assert cache.reads == reads


def test_nothing_is_trusted_while_the_watch_is_not_watching(db: Database) -> None:
    """A context without a running watch (a script, or the listener reconnecting) could
    miss another process's change: every check reads, as before the cache."""
    cache = CachedUsers(SqlUserStore(db.engine), LedgerWatch(db.engine))
    packer = add_user(db, "packer", "worker")
    for _ in range(3):
        identity(cache, packer, 0)
    assert cache.reads == 3


CHANGE_IN_ANOTHER_PROCESS = """
import sys
from core.users.auth import Identity
from core.users.accounts import update_user
from data.db import create_engine
from data.users.store import SqlUserAdminStore

engine = create_engine(sys.argv[1])
chief = Identity(int(sys.argv[2]), "chief", "", "admin")
update_user(SqlUserAdminStore(engine), chief, int(sys.argv[3]), is_active=False)
"""


def test_a_deactivation_in_another_app_process_reaches_this_ones_cache(
    db: Database, cache: CachedUsers
) -> None:
    """Two processes on one PostgreSQL database: the admin page of one deactivates a user
    whose pages are open in the other."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("several app processes share a PostgreSQL database")
    chief = add_user(db, "chief", "admin")
    packer = add_user(db, "packer", "worker")
    time.sleep(0.6)  # the users' creation has been seen by the watch
    assert identity(cache, packer, 0) is not None
    reads = cache.reads
    assert identity(cache, packer, 0) is not None and cache.reads == reads
    url = db.engine.url.render_as_string(hide_password=False)
    subprocess.run(
        [sys.executable, "-c", CHANGE_IN_ANOTHER_PROCESS, url, str(chief), str(packer)],
        cwd=PROJECT_ROOT,
        check=True,
        timeout=60,
    )
    seconds = seen_within(lambda: identity(cache, packer, 0) is None)
    print(f"deactivation in another process seen {seconds * 1000:.0f} ms after it ended")


# --- an open live page (NiceGUI user simulation) -----------------------------------------


async def test_a_live_page_checks_its_user_without_reading_the_database(
    manager: User, app_database: Database
) -> None:
    """Before every refresh the page checks the session and role again; with movements
    posted all the time that happened twice a second per open page, each a read of
    app_user on the event loop."""
    mug = make_product(app_database, sku="MUG", name="Кружка")
    await open_page(manager, "/balances")
    await manager.should_see(marker="balances-table")
    ctx = live.app_context()
    assert ctx is not None
    # Steady state: the watch is watching (until then nothing is trusted from memory, as
    # on a busy machine right after the app starts) and the page's user has been read.
    wait_until(lambda: ctx.watch.watching, "the watch never started watching")
    manager_id = SqlUserStore(app_database.engine).find("manager").id  # type: ignore[union-attr]
    ctx.identities.get(manager_id)
    user_reads: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "app_user" in statement:
            user_reads.append(statement)

    event.listen(ctx.db.engine, "before_cursor_execute", count)
    try:
        for quantity in range(1, 6):  # five refreshes of the table and the header's bell
            post(app_database, "RECEIPT", mug, 1)
            await within(
                lambda q=quantity: (
                    cells(manager, "balances-table", "sku", "good")  # type: ignore[misc]
                    == {"MUG": (str(q),)}
                )
            )
    finally:
        event.remove(ctx.db.engine, "before_cursor_execute", count)
    assert user_reads == []
