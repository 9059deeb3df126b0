"""Which movements count as stock arrived — the products whose waiting orders are tried
again after the commit (data.uow): good stock put where an order may be given it from a
place where it could not be; not units carried to a packing station (a pick, a package),
nor a putaway or a move between bins (a waiting order gains nothing), on SQLite and
PostgreSQL."""

from datetime import UTC, datetime

import sqlalchemy as sa

from core.model import MovementDraft
from data.database import Database
from tests.conftest import make_product
from tests.floor import location_id, make_bin


def transfer(product: int, src: int, dst: int) -> MovementDraft:
    return MovementDraft("TRANSFER", product, 1, src, dst, None, None, None, None, None, None,
                         None, datetime.now(UTC))  # fmt: skip


def test_stock_arrives_where_orders_are_given_it_from_where_they_are_not(db: Database) -> None:
    product = make_product(db)
    main, bin_id = location_id(db, "MAIN"), make_bin(db, "B-ARRIVALS")
    with db.engine.connect() as conn:
        station = conn.execute(
            sa.text("SELECT min(id) FROM location WHERE kind = 'packing' AND is_active")
        ).scalar_one()
    assert station is not None
    other_bin, vendor = make_bin(db, "B-ARRIVALS-2"), location_id(db, "VENDOR")
    steps = [  # (from, to, arrived?)
        (bin_id, station, False),  # a pick
        (main, bin_id, False),  # a putaway: it could be given from MAIN already
        (bin_id, other_bin, False),  # between bins
        (station, bin_id, True),  # back from the station (a cancel)
        (vendor, main, True),  # a receipt
    ]
    for src, dst, arrived in steps:
        with db.unit_of_work() as uow:  # never committed: only what it remembers is read
            assert uow.ledger.add(transfer(product, src, dst)) is not None
            assert (product in uow.ledger.arrived) is arrived, (src, dst)
