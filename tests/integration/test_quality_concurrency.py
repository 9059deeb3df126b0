"""Two hands on one check at once (issue 15): two «Завершить» of a failed check, and a
unit scanned while another finishes it. Each locks the order's row, then the check's, so
the second sees the first: the defect is written off once and re-picked once; an order's
cancel racing the finish leaves stock and reservations whole. PostgreSQL (row locks,
many connections) and SQLite (one writer at a time); invariants 1, 2 and 6 after."""

import random
import time

import sqlalchemy as sa

from core.errors import Conflict
from data.database import Database
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import make_bin
from tests.integration.test_concurrency import run_in_threads
from tests.order_checks import check_reservations
from tests.orders import cancel
from tests.picking import stock_bin
from tests.quality import finish, picked_into_check, qc_for_customers, started, unit

__all__ = ["qc_for_customers"]
CHECKS = 3


def write_offs(db: Database) -> int:
    with db.engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM movement WHERE operation_type = 'WRITE_OFF'")
        return int(conn.execute(query).scalar_one())


def test_a_failed_check_finished_twice_at_once_writes_off_once(
    db: Database, qc_for_customers: None
) -> None:
    product = make_product(db)
    stock_bin(db, product, 4 * CHECKS, make_bin(db, "QC-X-1"))
    checks = []
    for _ in range(CHECKS):
        _order, qc = picked_into_check(db, [(product, 2)])
        started(db, qc.id)
        unit(db, qc.id, product)
        unit(db, qc.id, product, "defect", "Повреждён товар")
        checks.append(qc.id)
    outcome: dict[int, list[str]] = {c: [] for c in checks}

    def work(index: int) -> None:
        qc_id = checks[index // 2]
        time.sleep(random.Random(index).random() / 50)
        try:
            finish(db, qc_id)
            outcome[qc_id].append("finished")
        except Conflict as error:
            outcome[qc_id].append(error.code)

    run_in_threads(work, threads=2 * CHECKS)  # a deadlock would raise here
    for qc_id in checks:
        assert sorted(outcome[qc_id]) == ["finished", "invalid_transition"], outcome
    assert write_offs(db) == CHECKS
    check_reservations(db)
    assert ledger_discrepancies(db.engine) == []


def test_a_cancel_racing_the_finish_leaves_the_stock_whole(
    db: Database, qc_for_customers: None
) -> None:
    product = make_product(db)
    stock_bin(db, product, 3 * CHECKS, make_bin(db, "QC-Y-1"))
    pairs = []
    for _ in range(CHECKS):
        order, qc = picked_into_check(db, [(product, 2)])
        started(db, qc.id)
        unit(db, qc.id, product)
        unit(db, qc.id, product, "defect", "Не тот товар")
        pairs.append((order.id, qc.id))

    def work(index: int) -> None:
        order_id, qc_id = pairs[index // 2]
        time.sleep(random.Random(index).random() / 50)
        try:
            if index % 2:
                cancel(db, order_id)
            else:
                finish(db, qc_id)
        except Conflict:
            pass  # the finish found the check cancelled

    run_in_threads(work, threads=2 * CHECKS)
    check_reservations(db)
    assert ledger_discrepancies(db.engine) == []
