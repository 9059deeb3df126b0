"""Returns of shipped orders (issue 15) on SQLite and PostgreSQL: a good unit comes back
as RETURN_PICKUP into MAIN («not put away»), a defective one as RETURN_DEFECT into DEFECT,
both naming the order and its source; never more than the order shipped; the order stays
`shipped` and its history shows the return — invariants 1, 2 and 6 after every test."""

import json

import pytest
import sqlalchemy as sa

from core.errors import Conflict, ValidationError
from core.floor.putaway import PutawayRequest, put_away
from core.orders.returns import ReturnRequest, book_return, find_shipped, order_returns
from data.database import Database
from data.floor.putaway import SqlPutawayStore
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import make_bin
from tests.helpers import source_id, stock
from tests.order_checks import check_reservations
from tests.orders import fresh
from tests.packing import movements_of, ready_to_ship
from tests.returns import give_back, shipped_order


@pytest.fixture(autouse=True)
def invariants_hold_after_each_test(db: Database):  # type: ignore[no-untyped-def]
    yield
    check_reservations(db)
    assert ledger_discrepancies(db.engine) == []


def movement_sources(db: Database, order_id: int) -> list[tuple[str, int | None]]:
    with db.engine.connect() as conn:
        sql = sa.text(
            "SELECT operation_type, source_id FROM movement WHERE document = :d "
            "AND operation_type LIKE 'RETURN%' ORDER BY id"
        )
        rows = conn.execute(sql, {"d": f"order:{order_id}"})
        return [(r[0], r[1]) for r in rows]


def test_a_good_unit_comes_back_into_main_and_a_defective_one_into_defect(db: Database) -> None:
    product = make_product(db)
    wb = source_id(db)
    order = shipped_order(db, [(product, 3)], source_id=wb)
    before = stock(db, product)
    done = give_back(db, order.id, product, "good")
    assert not done.replayed and [r.condition for r in done.returns] == ["good"]
    give_back(db, order.id, product, "defect", reason="Повреждён товар")
    after = stock(db, product)
    assert (after["good"] - before["good"], after["defect"] - before["defect"]) == (1, 1)
    assert movements_of(db, order.id)[-2:] == [("RETURN_PICKUP", 1, "MAIN"),
                                                ("RETURN_DEFECT", 1, "DEFECT")]  # fmt: skip
    assert movement_sources(db, order.id) == [("RETURN_PICKUP", wb), ("RETURN_DEFECT", wb)]
    card = fresh(db, order.id)
    assert card.status == "shipped"  # no `returned` state in DESIGN's machine
    back = order_returns(db.unit_of_work(), order.id)
    assert [(r.quantity, r.condition, r.reason) for r in back] == [
        (1, "good", None), (1, "defect", "Повреждён товар")]  # fmt: skip
    with db.engine.connect() as conn:
        steps = conn.execute(sa.text("SELECT action, status, details FROM order_history "
                                     "WHERE order_id = :o AND action = 'returned' ORDER BY id"),
                             {"o": order.id}).all()  # fmt: skip
    assert [s[1] for s in steps] == ["shipped", "shipped"] and "брак" in steps[1][2]


def test_never_more_units_come_back_than_the_order_shipped(db: Database) -> None:
    product = make_product(db)
    order = shipped_order(db, [(product, 2)], source_id=source_id(db))
    give_back(db, order.id, product, quantity=2)
    with pytest.raises(Conflict) as refused:
        give_back(db, order.id, product, "defect", reason="Не работает")
    assert refused.value.code == "return_exceeds_shipped"
    assert "ещё 0" in refused.value.message
    assert len(order_returns(db.unit_of_work(), order.id)) == 1


def test_a_product_not_on_the_order_is_refused(db: Database) -> None:
    product, other = make_product(db), make_product(db)
    order = shipped_order(db, [(product, 1)], source_id=source_id(db))
    with pytest.raises(ValidationError) as refused:
        give_back(db, order.id, other)
    assert refused.value.code == "wrong_product"
    with pytest.raises(ValidationError) as unknown:
        request = ReturnRequest("good", 1, barcode="0000000000")
        book_return(db.unit_of_work(), order.id, request, None)
    assert unknown.value.code == "product_not_found"


def test_an_order_not_yet_shipped_takes_no_return(db: Database) -> None:
    product = make_product(db)
    order, _ = ready_to_ship(db, [(product, 1)], source_id=source_id(db))
    with pytest.raises(Conflict) as refused:
        give_back(db, order.id, product)
    assert refused.value.code == "order_not_shipped"


def test_a_defect_needs_its_reason_and_an_order_without_a_source_needs_one(db: Database) -> None:
    product = make_product(db)
    order = shipped_order(db, [(product, 2)])  # placed without a source
    with pytest.raises(ValidationError) as no_reason:
        give_back(db, order.id, product, "defect")
    assert no_reason.value.code == "reason_required"
    with pytest.raises(ValidationError) as no_source:
        give_back(db, order.id, product)
    assert no_source.value.code == "source_required"
    give_back(db, order.id, product, source_id=source_id(db, "Ozon"))
    assert movement_sources(db, order.id) == [("RETURN_PICKUP", source_id(db, "Ozon"))]


def test_a_unit_is_scanned_by_its_barcode_or_gtin_and_a_retry_books_once(db: Database) -> None:
    product = make_product(db, gtin="04600000000017")
    order = shipped_order(db, [(product, 2)], source_id=source_id(db))
    scan = ReturnRequest("good", 1, barcode="04600000000017")
    first = book_return(db.unit_of_work(), order.id, scan, None, idempotency_key="r-1")
    again = book_return(db.unit_of_work(), order.id, scan, None, idempotency_key="r-1")
    assert (first.replayed, again.replayed, len(again.returns)) == (False, True, 1)
    with pytest.raises(Conflict) as reused:
        book_return(db.unit_of_work(), order.id + 1, scan, None, idempotency_key="r-1")
    assert reused.value.code == "idempotency_key_reused"


def test_the_parcel_is_found_by_its_tracking_or_order_number(db: Database) -> None:
    product = make_product(db)
    order = shipped_order(db, [(product, 1)], source_id=source_id(db), external_id="WB-RET-7")
    assert order.tracking_number
    by_tracking = find_shipped(db.unit_of_work(), f" {order.tracking_number.lower()} ")
    assert [o.id for o in by_tracking] == [order.id]
    assert [o.id for o in find_shipped(db.unit_of_work(), "wb-ret-7")] == [order.id]
    assert find_shipped(db.unit_of_work(), "nothing-like-it") == []


def test_a_returned_good_unit_put_away_publishes_inventory_placed(db: Database) -> None:
    product = make_product(db)
    order = shipped_order(db, [(product, 1)], source_id=source_id(db))
    make_bin(db, "R-01")
    give_back(db, order.id, product)
    store = SqlPutawayStore(db.engine)
    put_away(db.unit_of_work, store, PutawayRequest(product, "R-01", 1), user_id=None)
    with db.engine.connect() as conn:
        sql = "SELECT payload FROM outbox_event WHERE event_type = 'inventory.placed'"
        payloads = conn.execute(sa.text(sql)).scalars().all()
    placed = [json.loads(p) for p in payloads]
    assert any(p["location"] == "R-01" and int(p["quantity"]) == 1 for p in placed), placed
