"""Alembic environment: batch mode on SQLite, the models' metadata as the target.

`data.migrate.upgrade` passes a live connection in `config.attributes["connection"]`;
the `alembic` command line uses WMS_DATABASE_URL (or the default SQLite file).
"""

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import data.models  # noqa: F401  (registers the tables)
from core.settings import get_settings
from data.db import create_engine
from data.migrate import include_object

config = context.config
target_metadata = SQLModel.metadata


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(get_settings().resolved_database_url)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run against a database")
run_migrations_online()
