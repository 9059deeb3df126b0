"""Putaway on SQLite and PostgreSQL: where the tablet sends received stock, the TRANSFER
MAIN → bin it books, and what the managers see waiting."""

import pytest

from core.errors import DomainError, InsufficientStock
from core.floor.locations import update_location
from core.floor.putaway import PutawayRequest, Why, put_away, suggest
from data.database import Database
from data.floor.putaway import SqlPutawayStore, waiting_for_putaway
from data.floor.store import SqlLocationStore
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import make_bin
from tests.helpers import post, stock
from tests.integration.test_positions import location_id


def on_hand(db: Database, product: int, code: str) -> int:
    place = location_id(db, code)
    with db.unit_of_work() as uow:
        return uow.stock.on_hand(product, place)[0]


def test_a_product_already_in_a_bin_is_sent_to_that_bin(db: Database) -> None:
    mug = make_product(db)
    make_bin(db, "A-01", route=10)
    make_bin(db, "A-02", route=20)
    post(db, "RECEIPT", mug, 30)
    post(db, "TRANSFER", mug, 5, from_location_id=location_id(db, "MAIN"),
         to_location_id=location_id(db, "A-02"))  # fmt: skip
    found = suggest(SqlPutawayStore(db.engine), mug)
    assert (found.waiting, found.bin and found.bin.code, found.why) == (25, "A-02", Why.HOLDS)


def test_a_new_product_goes_to_the_first_empty_active_bin_on_the_route(db: Database) -> None:
    mug, plate = make_product(db), make_product(db)
    make_bin(db, "B-03", route=30)
    make_bin(db, "B-01", route=10)  # taken by the plate
    make_bin(db, "B-02", route=20)
    off = make_bin(db, "B-00", route=5)
    store = SqlPutawayStore(db.engine)
    update_location(SqlLocationStore(db.engine, db.locations), off, {"is_active": False})
    post(db, "RECEIPT", plate, 1)
    put_away(db.unit_of_work, store, PutawayRequest(plate, "B-01", 1), user_id=None)
    post(db, "RECEIPT", mug, 4)
    found = suggest(store, mug)
    assert (found.bin and found.bin.code, found.why, found.waiting) == ("B-02", Why.EMPTY, 4)


def test_no_free_bin_means_no_suggestion(db: Database) -> None:
    mug = make_product(db)
    post(db, "RECEIPT", mug, 2)
    found = suggest(SqlPutawayStore(db.engine), mug)
    assert (found.bin, found.why, found.waiting) == (None, Why.NONE, 2)


def test_put_away_moves_stock_from_main_into_the_bin_and_keeps_the_good_balance(
    db: Database,
) -> None:
    mug = make_product(db)
    make_bin(db, "C-01")
    post(db, "RECEIPT", mug, 12)
    posted = put_away(db.unit_of_work, SqlPutawayStore(db.engine),
                      PutawayRequest(mug, "c-01", 7, "k-1"), user_id=None)  # fmt: skip
    assert posted.movement.operation_type == "TRANSFER"
    assert (on_hand(db, mug, "MAIN"), on_hand(db, mug, "C-01")) == (5, 7)
    assert stock(db, mug)["good"] == 12  # a bin is part of MAIN: the managers' number stays
    again = put_away(db.unit_of_work, SqlPutawayStore(db.engine),
                     PutawayRequest(mug, "C-01", 7, "k-1"), user_id=None)  # fmt: skip
    assert again.replayed and on_hand(db, mug, "C-01") == 7
    assert ledger_discrepancies(db.engine) == []


def test_putting_away_more_than_waits_is_refused_and_moves_nothing(db: Database) -> None:
    mug = make_product(db)
    make_bin(db, "C-01")
    post(db, "RECEIPT", mug, 3)
    with pytest.raises(InsufficientStock):
        put_away(db.unit_of_work, SqlPutawayStore(db.engine), PutawayRequest(mug, "C-01", 4),
                 user_id=None)  # fmt: skip
    assert (on_hand(db, mug, "MAIN"), on_hand(db, mug, "C-01")) == (3, 0)


@pytest.mark.parametrize(
    ("code", "refusal"),
    [("NOPE-1", "location_not_found"), ("PACK-1", "not_a_bin"), ("D-01", "not_a_bin"),
     ("OFF-1", "location_inactive")],
)  # fmt: skip
def test_only_an_active_bin_of_the_good_warehouse_takes_a_putaway(
    db: Database, code: str, refusal: str
) -> None:
    mug = make_product(db)
    make_bin(db, "D-01", warehouse="DEFECT")
    off = make_bin(db, "OFF-1")
    update_location(SqlLocationStore(db.engine, db.locations), off, {"is_active": False})
    post(db, "RECEIPT", mug, 3)
    with pytest.raises(DomainError) as refused:
        put_away(db.unit_of_work, SqlPutawayStore(db.engine), PutawayRequest(mug, code, 1),
                 user_id=None)  # fmt: skip
    assert refused.value.code == refusal
    assert on_hand(db, mug, "MAIN") == 3


def test_managers_see_what_waits_the_longest_first_paged(db: Database) -> None:
    first, second, gone = (make_product(db, name=n) for n in ("Кружка", "Тарелка", "Ложка"))
    make_bin(db, "E-01")
    for product, units in ((first, 5), (second, 8), (gone, 2)):
        post(db, "RECEIPT", product, units)
    put_away(db.unit_of_work, SqlPutawayStore(db.engine), PutawayRequest(gone, "E-01", 2),
             user_id=None)  # fmt: skip
    page = waiting_for_putaway(db.engine, limit=1)
    assert (page.total, page.units) == (2, 13)
    assert [(w.product_id, w.units) for w in page.items] == [(first, 5)]
    rest = waiting_for_putaway(db.engine, limit=1, offset=1)
    assert [(w.name, w.units) for w in rest.items] == [("Тарелка", 8)]
    assert [w.name for w in waiting_for_putaway(db.engine, "тарел").items] == ["Тарелка"]
