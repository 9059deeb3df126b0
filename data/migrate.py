"""Bring a database to the newest schema (Alembic head)."""

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from core.settings import PROJECT_ROOT

# Indexes the models cannot describe (PostgreSQL-only expression indexes), created by
# their migration alone: autogenerate must neither drop them nor ask the models for them.
MIGRATION_ONLY_INDEXES = frozenset({"ix_product_search_trgm", "ix_sale_order_external_id_prefix"})


def include_object(_obj: Any, name: str | None, type_: str, _reflected: bool, _to: Any) -> bool:
    """Alembic's filter of what autogenerate compares."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.connect() as connection:
        # On the driver's connection: SQLAlchemy would open a transaction around a statement.
        driver = connection.connection.driver_connection
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration rebuilds a table: it copies the rows, drops the old table and
            # renames the copy. SQLite counts the rows that referred to the dropped table (a
            # reversal to its original, a movement to its user) as broken even once the copy
            # stands under the same name, and refuses the drop. So the checks are off while
            # the schema changes (the pragma works only outside a transaction), and the
            # whole database is checked before the commit instead.
            driver.execute("PRAGMA foreign_keys=OFF")  # type: ignore[union-attr]
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migration left broken references: {broken[:5]}")
        finally:
            if sqlite:
                driver.execute("PRAGMA foreign_keys=ON")  # type: ignore[union-attr]
