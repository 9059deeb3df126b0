"""Two returns of the last unit of a shipped order at once (issue 15): both lock the
order's row first, so the second sees the first — exactly one is booked, the other is
refused `return_exceeds_shipped`. PostgreSQL (row locks, many connections) and SQLite
(one writer at a time)."""

import random
import time

import sqlalchemy as sa

from core.errors import Conflict
from data.database import Database
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.helpers import source_id, stock
from tests.integration.test_concurrency import run_in_threads
from tests.returns import give_back, shipped_order

ORDERS = 4


def test_two_returns_of_the_last_unit_at_once_book_it_once(db: Database) -> None:
    product = make_product(db)
    wb = source_id(db)
    orders = [shipped_order(db, [(product, 1)], source_id=wb) for _ in range(ORDERS)]
    before = stock(db, product)
    outcome: dict[int, list[str]] = {o.id: [] for o in orders}

    def work(index: int) -> None:
        order = orders[index // 2]
        time.sleep(random.Random(index).random() / 50)  # either may come first
        try:
            if index % 2:
                give_back(db, order.id, product, "good")
            else:
                give_back(db, order.id, product, "defect", reason="Повреждён товар")
            outcome[order.id].append("booked")
        except Conflict as error:
            outcome[order.id].append(error.code)

    run_in_threads(work, threads=2 * ORDERS)  # a deadlock would raise here
    for order in orders:
        assert sorted(outcome[order.id]) == ["booked", "return_exceeds_shipped"], outcome
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT order_id, count(*) FROM order_return "
                                    "GROUP BY order_id")).all()  # fmt: skip
    assert sorted(n for _, n in rows) == [1] * ORDERS
    after = stock(db, product)
    assert (after["good"] + after["defect"]) - (before["good"] + before["defect"]) == ORDERS
    assert ledger_discrepancies(db.engine) == []
