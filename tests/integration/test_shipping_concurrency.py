"""A ship racing a cancel of the same order (DESIGN.md §2b.4–5, invariant 6): both lock
the order's row first, so exactly one wins — a shipped order refuses the cancel, a
cancelled one refuses the ship — and no unit is lost, doubled or left reserved.
PostgreSQL (row locks, many connections) and SQLite (one writer at a time)."""

import random
import time

import sqlalchemy as sa

from core.errors import Conflict
from core.orders.orders import cancel_order
from core.orders.shipping import ship_task
from data.database import Database
from tests.conftest import make_product
from tests.helpers import stock
from tests.integration.test_concurrency import run_in_threads
from tests.order_checks import check_reservations
from tests.orders import fresh
from tests.packing import at_station, ready_to_ship, task

ORDERS = 6
UNITS = 3


def test_a_ship_racing_a_cancel_ends_with_exactly_one_winner(db: Database) -> None:
    products = [make_product(db) for _ in range(2)]
    ready = [ready_to_ship(db, [(products[0], UNITS), (products[1], 1)], external_id=f"SHIP-{i}")
             for i in range(ORDERS)]  # fmt: skip
    refused: dict[tuple[int, str], str] = {}

    def work(index: int) -> None:
        n, shipper = divmod(index, 2)
        order, task_id = ready[n]
        time.sleep(random.Random(index).random() / 50)  # either may come first
        try:
            if shipper:
                ship_task(db.unit_of_work(), task_id, "manual", f"T-{n}", None)
            else:
                cancel_order(db.unit_of_work(), order.id, "гонка", None)
        except Conflict as error:
            refused[(n, "ship" if shipper else "cancel")] = error.code

    run_in_threads(work, threads=2 * ORDERS)  # a deadlock would raise here
    shipped = 0
    for n, (order, task_id) in enumerate(ready):
        status = fresh(db, order.id).status
        assert status in ("shipped", "cancelled")
        loser = "cancel" if status == "shipped" else "ship"
        assert refused.pop((n, loser)) == "invalid_transition", (n, status)
        assert task(db, task_id).status == status
        shipped += status == "shipped"
    assert refused == {}  # every winner went through
    for product, per_order in zip(products, (UNITS, 1), strict=True):
        assert at_station(db, product) == (0, 0, 0)
        left = per_order * (ORDERS - shipped)
        assert stock(db, product) == {"good": left, "defect": 0, "reserved": 0, "available": left}
    with db.engine.connect() as conn:
        out = conn.execute(sa.text(
            "SELECT coalesce(sum(quantity), 0) FROM movement WHERE operation_type = "
            "'SHIPMENT_ORDER'")).scalar()  # fmt: skip
    assert out == shipped * (UNITS + 1)
    check_reservations(db)
