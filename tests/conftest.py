"""Fixtures: a fresh, migrated and seeded database per test, on SQLite always and on
PostgreSQL too when WMS_TEST_POSTGRES_URL is set (.ci/run sets it)."""

import os
import shutil
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from data.database import Database
from data.db import create_engine, write_session
from data.migrate import upgrade
from data.models import Product
from data.seed import seed_reference_data

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
