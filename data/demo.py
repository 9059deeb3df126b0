"""Demo data into a real database: `core.demo`'s plan booked through the use cases.

`uv run main.py --demo` calls `check_empty` before the schema is even touched, then
`fill` once the database is migrated and seeded.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.demo import (
    DEMO_SEED,
    MANAGER,
    WORKER,
    DemoLoaded,
    build_plan,
    load_plan,
    refuse_unless_empty,
)
from core.security import generate_password
from core.users import create_user
from data.catalog import SqlProductStore
from data.database import Database
from data.db import create_engine
from data.models import Movement, Product
from data.queries import distribution_centers, sources
from data.users import SqlUserAdminStore, SqlUserStore

# The demo's people: (username, full name, role). Their movements carry their names.
DEMO_USERS = (
    (MANAGER, "Ирина Соколова", "manager"),
    (WORKER, "Алексей Кузнецов", "worker"),
)


@dataclass(frozen=True)
class DemoReport:
    loaded: DemoLoaded
    passwords: dict[str, str]  # username → password, for the accounts created just now
    seconds: float


def existing_data(engine: Engine) -> tuple[int, int]:
    """(products, movements) already in the database; (0, 0) before the first migration.
    Deleted products count too: their history is data."""
    if not sa.inspect(engine).has_table("movement"):
        return 0, 0
    with engine.connect() as conn:
        products = conn.execute(sa.select(sa.func.count()).select_from(Product)).scalar_one()
        movements = conn.execute(sa.select(sa.func.count()).select_from(Movement)).scalar_one()
    return products, movements


def check_empty(engine: Engine) -> None:
    """Raise `Conflict("database_not_empty")` unless there are no products or movements."""
    refuse_unless_empty(*existing_data(engine))


def ensure_demo_users(engine: Engine) -> tuple[dict[str, int], dict[str, str]]:
    """The demo accounts' ids, creating the missing ones with generated passwords
    (returned once, like the admin's; only their hashes are stored)."""
    finder, admin_store = SqlUserStore(engine), SqlUserAdminStore(engine)
    ids: dict[str, int] = {}
    passwords: dict[str, str] = {}
    for username, full_name, role in DEMO_USERS:
        found = finder.find(username)
        if found is not None:
            ids[username] = found.id
            continue
        password = generate_password()
        ids[username] = create_user(admin_store, username, full_name, role, password).id
        passwords[username] = password
    return ids, passwords


def fill(
    db: Database,
    *,
    time_zone: str,
    now: datetime | None = None,
    seed: int = DEMO_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> DemoReport:
    """Load the demo into an empty, migrated and seeded database."""
    started = time.perf_counter()
    check_empty(db.engine)
    loader = _loading_database(db)
    try:
        loaded, passwords = _fill(loader, time_zone, now or datetime.now(UTC), seed, progress)
    finally:
        if loader is not db:
            loader.dispose()
    return DemoReport(loaded, passwords, time.perf_counter() - started)


def _loading_database(db: Database) -> Database:
    """The demo's own connections, whose commits do not wait for the disk: PostgreSQL
    with synchronous_commit=off, SQLite with synchronous=NORMAL (WAL). A power cut could
    lose the last moments of a demo that is then unfinished anyway, never consistency;
    meanwhile the load does not queue behind thousands of fsyncs on a busy disk."""
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        options = {"options": "-c synchronous_commit=off"}
        return Database(
            create_engine(
                url.render_as_string(hide_password=False),
                connect_args=options, pool_size=1, max_overflow=1,
            )
        )  # fmt: skip
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Database.from_url(url.render_as_string(), sqlite_synchronous="NORMAL")
    return db


def _fill(
    db: Database,
    time_zone: str,
    now: datetime,
    seed: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[DemoLoaded, dict[str, str]]:
    engine = db.engine
    dcs: dict[str, list[str]] = {s["name"]: [] for s in sources(engine, active_only=True)}
    dc_ids: dict[str, int] = {}
    for dc in distribution_centers(engine, active_only=True):
        if dc["source_name"] in dcs:
            dcs[dc["source_name"]].append(dc["name"])
            dc_ids[dc["name"]] = dc["id"]
    source_ids = {s["name"]: s["id"] for s in sources(engine, active_only=True)}
    plan = build_plan(dcs, now=now, time_zone=time_zone, seed=seed)
    user_ids, passwords = ensure_demo_users(engine)
    loaded = load_plan(
        plan,
        products=SqlProductStore(engine),
        unit_of_work=db.unit_of_work,
        source_ids=source_ids,
        distribution_center_ids=dc_ids,
        user_ids=user_ids,
        progress=progress,
    )
    return loaded, passwords
