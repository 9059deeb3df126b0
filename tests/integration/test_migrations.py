"""The models and the migrations describe the same schema, on SQLite and PostgreSQL."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import data.models  # noqa: F401  (registers the tables)
from data.catalog.queries import product_search
from data.database import Database
from data.migrate import include_object
from data.reads import product_t


def test_no_pending_autogenerate_diff(db: Database) -> None:
    with db.engine.connect() as conn:
        options = {"compare_type": True, "include_object": include_object}
        context = MigrationContext.configure(conn, opts=options)
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == []


def test_text_search_has_its_trigram_index_on_postgresql(db: Database) -> None:
    """The index must be on exactly the expression the search uses, or it is never read."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL index")
    search = sa.select(product_t.c.id).where(product_search("кружк"))
    sql = search.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the test table is tiny
        plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {sql}")).scalars())
    assert "ix_product_search_trgm" in plan


def test_database_is_at_head(db: Database) -> None:
    from alembic.script import ScriptDirectory

    from data.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
