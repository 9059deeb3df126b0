"""Read queries return typed rows (data.reads.Row): named fields with types, frozen, and
still readable as a mapping by code that builds JSON or table rows from them."""

import dataclasses

import pytest
import sqlalchemy as sa

from data.catalog.queries import ProductRow, SourceRow, product_by_code, sources
from data.database import Database
from data.imports.queries import import_history
from data.stock.balances import BalanceRow, balances
from data.stock.journal import JournalRow, journal
from data.stock.locations import LocationRow, internal_locations
from data.users.queries import UserRow, users
from tests.conftest import make_product
from tests.helpers import post


def test_reads_return_their_typed_rows(db: Database) -> None:
    product = make_product(db, barcode="4600000000017", sku="MUG-1", name="Кружка")
    post(db, "RECEIPT", product, 3)
    found = product_by_code(db.engine, "4600000000017")
    assert isinstance(found, ProductRow) and (found.id, found.sku) == (product, "MUG-1")
    (entry,) = journal(db.engine).items
    assert isinstance(entry, JournalRow)
    assert (entry.product_id, entry.quantity, entry.is_reversed) == (product, 3, False)
    (balance,) = balances(db.engine).items
    assert isinstance(balance, BalanceRow) and (balance.good, balance.available) == (3, 3)
    assert all(isinstance(s, SourceRow) for s in sources(db.engine))
    assert all(isinstance(loc, LocationRow) for loc in internal_locations(db.engine))
    assert all(isinstance(u, UserRow) for u in users(db.engine))
    assert import_history(db.engine).items == []


def test_a_typed_row_still_reads_as_a_mapping_and_cannot_be_changed(db: Database) -> None:
    product = make_product(db, barcode="4600000000024")
    post(db, "RECEIPT", product, 2)
    (row,) = balances(db.engine).items
    assert row["good"] == row.good == 2
    assert dict(row) == row._asdict() == {**row}
    assert row == dict(row)  # equal to the dict of its fields, as the old rows were
    assert row.get("places") is None and "good" in row and "places" not in row
    with pytest.raises(KeyError):
        row["places"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.good = 5  # type: ignore[misc]


def test_a_query_whose_columns_do_not_match_its_row_is_an_error(db: Database) -> None:
    from data.reads import typed

    with db.engine.connect() as conn:
        one = conn.execute(sa.text("SELECT 1 AS id, 'x' AS name")).one()
        extra = conn.execute(sa.text("SELECT 1 AS id, 'x' AS name, 1 AS is_active, 2 AS n")).one()
    with pytest.raises(TypeError):
        typed(SourceRow, one)  # is_active missing
    with pytest.raises(TypeError):
        typed(SourceRow, extra)  # a column the row does not have
