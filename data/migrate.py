"""Bring a database to the newest schema (Alembic head)."""

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from core.settings import PROJECT_ROOT

# Indexes the models cannot describe (PostgreSQL-only expression indexes), created by
# their migration alone: autogenerate must neither drop them nor ask the models for them.
MIGRATION_ONLY_INDEXES = frozenset({"ix_product_search_trgm"})


def include_object(_obj: Any, name: str | None, type_: str, _reflected: bool, _to: Any) -> bool:
    """Alembic's filter of what autogenerate compares."""
    return not (type_ == "index" and name in MIGRATION_ONLY_INDEXES)


def alembic_config() -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    return config


def upgrade(engine: Engine) -> None:
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
