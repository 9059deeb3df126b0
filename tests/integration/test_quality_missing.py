"""A unit not at the station at the check («Нет в наличии», issue 15) on SQLite and
PostgreSQL: it is counted so the check can finish; finishing books it as a loss from the
station (ADJUSTMENT to INVENTORY_LOSS, «Недостача на контроле»), never into DEFECT, and its
line is re-picked from another bin or shorted, as for a defect — invariants 1, 2 and 6
after every test."""

import pytest
import sqlalchemy as sa

from data.database import Database
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import make_bin
from tests.helpers import stock
from tests.order_checks import check_reservations
from tests.orders import fresh, held_at
from tests.packing import at_station, movements_of
from tests.picking import stock_bin
from tests.quality import finish, history, picked_into_check, qc_for_customers, started, unit

__all__ = ["qc_for_customers"]
pytestmark = pytest.mark.usefixtures("qc_for_customers")
LOSS = sa.text(
    "SELECT m.operation_type, m.quantity, f.code, t.code, m.notes FROM movement m "
    "JOIN location f ON f.id = m.from_location_id JOIN location t ON t.id = m.to_location_id "
    "WHERE m.document = :d AND t.code = 'INVENTORY_LOSS'"
)


@pytest.fixture(autouse=True)
def invariants_hold_after_each_test(db: Database):  # type: ignore[no-untyped-def]
    yield
    check_reservations(db)
    assert ledger_discrepancies(db.engine) == []


def test_a_missing_unit_is_a_loss_at_the_station_and_is_repicked(db: Database) -> None:
    product = make_product(db, sku="QC-GONE")
    stock_bin(db, product, 2, make_bin(db, "QC-M-1", route=1))
    stock_bin(db, product, 1, make_bin(db, "QC-M-2", route=2))
    order, qc = picked_into_check(db, [(product, 2)])
    before = stock(db, product)
    started(db, qc.id)
    unit(db, qc.id, product)
    counted = unit(db, qc.id, product, "missing").task
    assert (counted.checked_units, counted.defect_units) == (2, 1)
    done = finish(db, qc.id)
    assert done.status == "failed"
    [missing] = done.defects
    assert (missing.reason, missing.outcome) == ("Нет в наличии", "repicked")
    assert missing.repick_location_code == "QC-M-2"
    after = stock(db, product)
    # Gone from the good stock (the station's balance), nothing added to DEFECT.
    assert (after["good"], after["defect"]) == (before["good"] - 1, before["defect"])
    assert at_station(db, product) == (1, 0, 1)
    with db.engine.connect() as conn:
        [loss] = conn.execute(LOSS, {"d": f"order:{order.id}"}).all()
    assert tuple(loss[:4]) == ("ADJUSTMENT", 1, "PACK-1", "INVENTORY_LOSS")
    assert "Недостача на контроле" in loss[4]
    assert ("WRITE_OFF", 1, "DEFECT") not in movements_of(db, order.id)
    card = fresh(db, order.id)
    assert held_at(card) == {"QC-M-2": 1, "PACK-1": 1}
    assert card.picking_task_id is not None and card.lines[0].picked == 1
    action, details = history(db, order.id)[-1]
    assert action == "qc_failed" and "недостача на контроле, пересборка из QC-M-2" in details


def test_a_missing_unit_is_shorted_when_no_stock_is_left(db: Database) -> None:
    product, other = make_product(db, sku="QC-GONE-1"), make_product(db)
    bin_id = make_bin(db, "QC-M-3")
    stock_bin(db, product, 1, bin_id)
    stock_bin(db, other, 1, bin_id)
    order, qc = picked_into_check(db, [(product, 1), (other, 1)])
    started(db, qc.id)
    unit(db, qc.id, product, "missing")
    unit(db, qc.id, other)
    [missing] = finish(db, qc.id).defects
    assert missing.outcome == "shorted"
    left = stock(db, product)
    assert (left["good"], left["defect"]) == (0, 0)
    card = fresh(db, order.id)
    assert [ln.picked for ln in card.lines] == [0, 1] and card.packing_task_id is not None
    assert "Нет в наличии" in history(db, order.id)[-1][1]


def test_a_defect_whose_reason_reads_missing_is_still_defect_stock(db: Database) -> None:
    """What the unit is (missing or defective) is the condition scanned, not its words."""
    product = make_product(db, sku="QC-WORDS")
    stock_bin(db, product, 1, make_bin(db, "QC-M-4"))
    order, qc = picked_into_check(db, [(product, 1)])
    before = stock(db, product)
    started(db, qc.id)
    unit(db, qc.id, product, "defect", reason="Нет в наличии")
    [defect] = finish(db, qc.id).defects
    assert not defect.missing and defect.outcome == "shorted"
    after = stock(db, product)
    assert (after["good"], after["defect"]) == (before["good"] - 1, before["defect"] + 1)
    assert ("WRITE_OFF", 1, "DEFECT") in movements_of(db, order.id)
    with db.engine.connect() as conn:
        assert conn.execute(LOSS, {"d": f"order:{order.id}"}).all() == []
