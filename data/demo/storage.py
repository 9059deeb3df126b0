"""The demo's storage map: two zones of racks made from a pattern, as a manager makes them
on /locations (core.floor.racks), and most products' good stock put away into a bin of
its own, one TRANSFER each by the floor worker, as a putaway on the tablet posts it. The
rest stays in MAIN, waiting for putaway. Orders booked after this reserve and pick from
the bins, so a wave over them splits per zone as on a real floor."""

from collections.abc import Sequence
from datetime import datetime

from core.floor.racks import RackPattern, create_rack
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from data.database import Database
from data.floor.store import SqlLocationStore

ZONES = (
    RackPattern("A", racks=(1, 10), levels=(1, 4), places=(1, 2)),
    RackPattern("B", racks=(1, 10), levels=(1, 4), places=(1, 2)),
)


def lay_out_bins(db: Database, product_ids: Sequence[int], good: Sequence[int], user_id: int,
                 at: datetime) -> int:  # fmt: skip
    """The racks, and a product's whole good stock into each bin while there are bins;
    the putaways made."""
    store = SqlLocationStore(db.engine, db.locations)
    bins = [b.code for pattern in ZONES for b in create_rack(store, pattern)]
    with db.engine.connect() as conn:  # the directory reloads on a miss: the new bins
        main = db.locations.by_code(conn, "MAIN").id
        ids = [db.locations.by_code(conn, code).id for code in bins]
    stocked = [(p, units) for p, units in zip(product_ids, good, strict=True) if units > 0]
    made = 0
    for (product_id, units), place in zip(stocked, ids, strict=False):
        move = MovementRequest("TRANSFER", units, product_id=product_id, from_location_id=main,
                               to_location_id=place, notes="Размещение в ячейку")  # fmt: skip
        post_movement(db.unit_of_work(), move, user_id=user_id, at=at)
        made += 1
    return made
