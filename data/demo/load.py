"""Demo data into a real database: `data.demo.plan`'s plan booked through the use cases,
one unit of work per movement, exactly as the app does: quants, ledger and everything
derived stay consistent.

`uv run main.py --demo` calls `check_empty` before the schema is even touched, then
`fill` once the database is migrated and seeded.
"""

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.catalog.products import ProductStore, create_product
from core.errors import Conflict
from core.stock.movements import post_movement, reverse_movement
from core.stock.ports import StockUnitOfWork
from core.stock.requests import MovementRequest
from core.users.accounts import create_user
from core.users.passwords import generate_password
from data.catalog.queries import distribution_centers, sources
from data.catalog.store import SqlProductStore
from data.database import Database
from data.db import create_engine
from data.demo.orders import book_orders, ensure_executors, plan_orders
from data.demo.plan import (
    DEMO_SEED,
    MANAGER,
    PACKER,
    PICKER,
    WORKER,
    DemoPlan,
    PlannedReversal,
    build_plan,
)
from data.demo.storage import lay_out_bins
from data.floor.executors import SqlExecutorStore
from data.models import Movement, Product
from data.users.store import SqlUserAdminStore, SqlUserStore


def refuse_unless_empty(products: int, movements: int) -> None:
    """Demo data goes into an empty database only: it must never mix with real data."""
    if products or movements:
        raise Conflict(
            "database_not_empty",
            f"В базе уже есть данные (товаров: {products}, операций: {movements}). "
            "Демо-данные загружаются только в пустую базу: укажите другую "
            "(WMS_DATA_DIR или WMS_DATABASE_URL) или запустите приложение без --demo.",
        )


@dataclass(frozen=True)
class DemoLoaded:
    products: int
    movements: int
    by_operation: dict[str, int]
    reversals: int
    product_ids: tuple[int, ...] = ()  # by the plan's product index


def load_plan(
    plan: DemoPlan,
    *,
    products: ProductStore,
    unit_of_work: Callable[[], StockUnitOfWork],
    source_ids: Mapping[str, int],
    distribution_center_ids: Mapping[str, int],
    user_ids: Mapping[str, int | None],
    progress: Callable[[int, int], None] | None = None,
) -> DemoLoaded:
    """Book the plan through the use cases, one unit of work per movement."""
    product_ids = [create_product(products, data).id for data in plan.products]
    movement_ids: list[int] = []
    by_operation: dict[str, int] = {}
    reversals = 0
    total = len(plan.steps)
    for done, step in enumerate(plan.steps, start=1):
        if isinstance(step, PlannedReversal):
            posted = reverse_movement(
                unit_of_work(), movement_ids[step.target], user_id=user_ids.get(step.user),
                notes=step.notes, at=step.at,
            )  # fmt: skip
            reversals += 1
        else:
            request = MovementRequest(
                step.operation_type,
                step.quantity,
                product_id=product_ids[step.product],
                source_id=source_ids[step.source] if step.source else None,
                distribution_center_id=(
                    distribution_center_ids[step.distribution_center]
                    if step.distribution_center
                    else None
                ),
                notes=step.notes,
                warehouse=step.warehouse,
                direction=step.direction,
                document=step.document,
            )
            posted = post_movement(
                unit_of_work(), request, user_id=user_ids.get(step.user), at=step.at
            )
            by_operation[step.operation_type] = by_operation.get(step.operation_type, 0) + 1
        movement_ids.append(posted.movement.id)
        if progress is not None and (done % 2000 == 0 or done == total):
            progress(done, total)
    return DemoLoaded(len(product_ids), total, by_operation, reversals, tuple(product_ids))


# The demo's people: (username, full name, role). Their movements carry their names.
DEMO_USERS = (
    (MANAGER, "Ирина Соколова", "manager"),
    (WORKER, "Алексей Кузнецов", "worker"),
    (PICKER, "Марина Егорова", "worker"),
    (PACKER, "Дмитрий Волков", "worker"),
)


@dataclass(frozen=True)
class DemoReport:
    loaded: DemoLoaded
    passwords: dict[str, str]  # username → password, for the accounts created just now
    seconds: float
    orders: dict[str, int]  # the demo orders by status
    putaways: int = 0  # products put away into the demo's bins (data.demo.storage)


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
        loaded, passwords, orders, putaways = _fill(
            loader, time_zone, now or datetime.now(UTC), seed, progress
        )
    finally:
        if loader is not db:
            loader.dispose()
    return DemoReport(loaded, passwords, time.perf_counter() - started, orders, putaways)


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
) -> tuple[DemoLoaded, dict[str, str], dict[str, int], int]:
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
    ids = loaded.product_ids
    people = {username: (user_ids[username], name) for username, name, _ in DEMO_USERS}
    # The storage map, most stock put away into its bins, then the orders on it.
    putaways = lay_out_bins(db, ids, plan.good, user_ids[WORKER], now)
    # Then the orders, at every stage of their life, on the stock the ledger left.
    orders = book_orders(
        plan_orders(plan.good, dcs, seed=seed),
        db=db,
        product_ids=loaded.product_ids,
        grams={i: p.weight_g or 300 for i, p in zip(ids, plan.products, strict=True)},
        source_ids=source_ids,
        distribution_center_ids=dc_ids,
        workers=ensure_executors(SqlExecutorStore(engine), people),
        manager=user_ids.get(MANAGER),
    )
    return loaded, passwords, orders, putaways
