"""Which movements count as stock arrived — the products whose waiting orders are tried
again after the commit (data.uow): good stock put where an order may be given it, not
units carried to a packing station (a pick, a package), on SQLite and PostgreSQL."""

from datetime import UTC, datetime

import sqlalchemy as sa

from core.model import MovementDraft
from data.database import Database
from tests.conftest import make_product
from tests.floor import location_id, make_bin


def transfer(product: int, src: int, dst: int) -> MovementDraft:
    return MovementDraft("TRANSFER", product, 1, src, dst, None, None, None, None, None, None,
                         None, datetime.now(UTC))  # fmt: skip


def test_stock_arrives_in_a_bin_not_at_a_packing_station(db: Database) -> None:
    product = make_product(db)
    main, bin_id = location_id(db, "MAIN"), make_bin(db, "B-ARRIVALS")
    with db.engine.connect() as conn:
        station = conn.execute(
            sa.text("SELECT min(id) FROM location WHERE kind = 'packing' AND is_active")
        ).scalar_one()
    assert station is not None
    with db.unit_of_work() as uow:  # never committed: only what it remembers is looked at
        assert uow.ledger.add(transfer(product, bin_id, station)) is not None
        assert product not in uow.ledger.arrived
        assert uow.ledger.add(transfer(product, main, bin_id)) is not None
        assert product in uow.ledger.arrived
