"""Inventory positions: every change of a quant raises its version by one, and a count
that names a version the quant has left is refused by the statement that would change it."""

from typing import Any

import pytest
import sqlalchemy as sa

from core.errors import Conflict, DomainError
from core.stock.inventory import Counted, CountRequest, post_count
from data.database import Database
from data.reads import quant_t
from data.stock.ledger_checks import ledger_discrepancies
from data.stock.positions import Position, PositionFilter, positions
from tests.conftest import make_product
from tests.helpers import dc_id, post, stock
from tests.import_files import ean, run, xlsx
from tests.integration.test_concurrency import run_in_threads


def location_id(db: Database, code: str) -> int:
    with db.unit_of_work() as uow:
        return uow.stock.location(code).id


def at(db: Database, product: int, code: str) -> Position:
    flt = PositionFilter(product_id=product, location_id=location_id(db, code))
    (found,) = positions(db.engine, flt).items
    return found


def count(db: Database, product: int, code: str, counted: int, version: int, **kw: Any) -> Counted:
    request = CountRequest(
        product, None, counted, notes="Пересчёт", location_id=location_id(db, code),
        expected_version=version, **kw,
    )  # fmt: skip
    return post_count(db.unit_of_work, request, user_id=None)


def test_every_movement_raises_the_version_of_each_quant_it_changes(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    assert at(db, product, "MAIN").version == 0  # created: the first state
    post(db, "RECEIPT", product, 5)
    assert at(db, product, "MAIN").version == 1
    post(db, "SHIPMENT_RC", product, 2, distribution_center_id=dc_id(db))
    assert at(db, product, "MAIN").version == 2
    main, defect = location_id(db, "MAIN"), location_id(db, "DEFECT")
    post(db, "TRANSFER", product, 3, from_location_id=main, to_location_id=defect)
    post(db, "TRANSFER", product, 1, from_location_id=main, to_location_id=defect)
    assert (at(db, product, "MAIN").version, at(db, product, "DEFECT").version) == (4, 1)
    # A refused shipment changes nothing, the version neither.
    with pytest.raises(DomainError):
        post(db, "SHIPMENT_RC", product, 100, distribution_center_id=dc_id(db))
    assert at(db, product, "MAIN").version == 4


def test_an_import_raises_the_version_once_per_quant(db: Database) -> None:
    code = ean()
    product = make_product(db, barcode=code)
    post(db, "RECEIPT", product, 1)
    content = xlsx([["Баркод", "Количество"], [code, 4]])
    report = run(db, content, operation_type="RECEIPT", dry_run=False, user_id=None)
    assert report.applied
    assert (at(db, product, "MAIN").quantity, at(db, product, "MAIN").version) == (5, 1)


def test_positions_are_filtered_and_paged_with_their_total(db: Database) -> None:
    first, second = make_product(db), make_product(db)
    post(db, "RECEIPT", first, 3)
    post(db, "RECEIPT_DEFECT", first, 2)
    post(db, "RECEIPT", second, 1)
    page = positions(db.engine, PositionFilter(product_id=first), limit=1)
    assert page.total == 2 and len(page.items) == 1
    rest = positions(db.engine, PositionFilter(product_id=first), limit=1, offset=1)
    assert {page.items[0].id, rest.items[0].id} == {
        at(db, first, "MAIN").id, at(db, first, "DEFECT").id
    }  # fmt: skip
    assert at(db, first, "MAIN").available == 3


def test_positions_of_a_product_are_read_through_the_quant_indexes(db: Database) -> None:
    """quant has no plain index on product_id: a filter spelled `product_id = …` alone
    scans every quant (tens of ms at 200,000 positions, bench/positions.py)."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL plan")
    conditions = PositionFilter(product_id=1).conditions()
    query = sa.select(sa.func.count()).select_from(quant_t).where(*conditions)
    sql = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    with db.engine.connect() as conn:
        conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # the test table is tiny
        plan = "\n".join(conn.execute(sa.text(f"EXPLAIN {sql}")).scalars())
    assert "Seq Scan" not in plan and "uq_quant_loose" in plan


def test_a_count_at_the_version_seen_books_the_difference(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    counted = count(db, product, "MAIN", 7, version=0)
    assert counted.posted is not None and counted.posted.movement.quantity == 3
    assert (at(db, product, "MAIN").quantity, at(db, product, "MAIN").version) == (7, 1)
    gained = count(db, product, "MAIN", 9, version=1)
    assert gained.posted is not None and gained.posted.movement.operation_type == "ADJUSTMENT"
    assert (at(db, product, "MAIN").quantity, at(db, product, "MAIN").version) == (9, 2)


@pytest.mark.parametrize("counted", [4, 15])  # a loss and a gain
def test_a_count_of_a_version_the_position_has_left_is_refused(db: Database, counted: int) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    post(db, "RECEIPT", product, 1)  # version 1 now
    with pytest.raises(Conflict) as refused:
        count(db, product, "MAIN", counted, version=0)
    assert refused.value.code == "version_conflict"
    assert (at(db, product, "MAIN").quantity, at(db, product, "MAIN").version) == (11, 1)


@pytest.mark.parametrize("quantity", [2, -2])  # a put and a take
def test_the_statement_itself_refuses_a_stale_version(db: Database, quantity: int) -> None:
    """The read in post_count is only a fast path: the change checks the version itself."""
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    main, arrived = location_id(db, "MAIN"), at(db, product, "MAIN").received_at
    with db.unit_of_work() as uow:
        if quantity > 0:
            changed = uow.stock.put(product, main, quantity, arrived, version=5)
        else:
            changed = uow.stock.take(product, main, -quantity, version=5)
        assert not changed
        assert uow.stock.on_hand(product, main) == (10, 0)
        assert uow.stock.take(product, main, 1, version=0)
        uow.commit()
    assert (at(db, product, "MAIN").quantity, at(db, product, "MAIN").version) == (9, 1)


def test_a_count_equal_to_the_stock_posts_nothing_and_keeps_the_version(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 6)
    assert count(db, product, "MAIN", 6, version=0).posted is None
    assert at(db, product, "MAIN").version == 0


def test_a_count_only_in_a_warehouse(db: Database) -> None:
    product = make_product(db)
    with pytest.raises(DomainError) as refused:
        count(db, product, "VENDOR", 1, version=0)
    assert refused.value.code == "invalid_location"


def test_counts_of_one_version_at_once_one_wins_the_rest_conflict(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    seen = at(db, product, "MAIN").version
    results: dict[int, str] = {}

    def count_as(index: int) -> None:
        try:  # each counts something else: 0, 3, … 21 (losses and gains)
            count(db, product, "MAIN", index * 3, version=seen)
            results[index] = "posted"
        except Conflict as error:
            results[index] = error.code

    run_in_threads(count_as)
    winners = [i for i, outcome in results.items() if outcome == "posted"]
    assert len(winners) == 1, results
    assert sorted(set(results.values())) == ["posted", "version_conflict"]
    assert stock(db, product)["good"] == winners[0] * 3  # the winner's count, not lost
    assert at(db, product, "MAIN").version == seen + 1
    assert ledger_discrepancies(db.engine) == []
