"""A cancel of an order racing the picks of its task (DESIGN.md §2b.5, invariant 6):
whichever commits first, the other sees it — a pick after the cancel is refused, a pick
before it is brought back to its bin — and no unit is lost, doubled or left reserved.
PostgreSQL (row locks, many connections) and SQLite (one writer at a time)."""

import random
import time
from contextlib import suppress

import sqlalchemy as sa

from core.errors import Conflict
from core.orders.orders import cancel_order
from core.orders.picks import pick_item
from data.database import Database
from tests.conftest import make_product
from tests.floor import make_bin
from tests.helpers import stock
from tests.integration.test_concurrency import run_in_threads
from tests.order_checks import check_reservations
from tests.orders import fresh, place
from tests.picking import started_task, stock_bin, task

ORDERS = 6


def test_cancels_racing_picks_end_consistent(db: Database) -> None:
    products = [make_product(db) for _ in range(2)]
    for n, product in enumerate(products):
        for b in range(2):
            stock_bin(db, product, 30, make_bin(db, f"R-{n}-{b}", route=b))
    orders = [place(db, [(products[0], 5), (products[1], 4)], external_id=f"RACE-{i}")
              for i in range(ORDERS)]  # fmt: skip
    tasks = [started_task(db, o.picking_task_id or 0, f"w{i}") for i, o in enumerate(orders)]

    def work(index: int) -> None:
        n, picker = divmod(index, 2)
        if picker:
            for item in tasks[n].items:
                with suppress(Conflict):  # the cancel came first: refused, nothing moved
                    pick_item(db.unit_of_work(), tasks[n].id, item.id, item.quantity_required,
                              None)  # fmt: skip
        else:
            time.sleep(random.Random(index).random() / 50)  # land anywhere among the picks
            cancel_order(db.unit_of_work(), orders[n].id, "гонка", None)

    run_in_threads(work, threads=2 * ORDERS)  # a deadlock would raise here
    for o, t in zip(orders, tasks, strict=True):
        assert fresh(db, o.id).status == "cancelled"
        assert task(db, t.id).status == "cancelled"
    with db.engine.connect() as conn:
        at_station = conn.execute(sa.text(
            "SELECT coalesce(sum(q.quantity), 0), coalesce(sum(q.reserved), 0) FROM quant q "
            "JOIN location l ON l.id = q.location_id WHERE l.code = 'PACK-1'")).one()  # fmt: skip
    assert tuple(at_station) == (0, 0)  # every picked unit came back to a bin
    for product in products:
        assert stock(db, product) == {"good": 60, "defect": 0, "reserved": 0, "available": 60}
    check_reservations(db)
