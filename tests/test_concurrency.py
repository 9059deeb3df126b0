"""Many threads at once: no lost update, no negative stock, no deadlock, one apply per key.

Runs on PostgreSQL (real row locks, 8+ connections) and on SQLite (writers serialised
by BEGIN IMMEDIATE); the assertions are the same.
"""

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from core.errors import InsufficientStock
from core.model import Movement
from core.movements import MovementRequest, Posted, post_movement
from data.database import Database
from data.queries import ledger_discrepancies
from tests.conftest import make_product
from tests.helpers import dc_id, post, stock

THREADS = 8


def run_in_threads(work: Callable[[int], None], threads: int = THREADS) -> None:
    """Start all threads together; re-raise the first unexpected error."""
    barrier = threading.Barrier(threads)

    def start(index: int) -> None:
        barrier.wait()
        work(index)

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(start, i) for i in range(threads)]:
            future.result()


def ledger_rows(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM movement")).scalar_one()


def negative_quants(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM quant WHERE quantity < 0 OR reserved > quantity")
        ).scalar_one()


def test_mixed_increments_and_decrements_hammering_few_products(db: Database) -> None:
    products = [make_product(db) for _ in range(3)]
    for product in products:
        post(db, "RECEIPT", product, 20)
    shipment_dc = dc_id(db)
    successes: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    lock = threading.Lock()
    plans = ["RECEIPT", "SHIPMENT_RC", "WRITE_OFF", "RESTORATION", "UTILIZATION"]

    def work(index: int) -> None:
        rng = random.Random(index)
        for _ in range(40):
            code = rng.choice(plans)
            extra = {"distribution_center_id": shipment_dc} if code == "SHIPMENT_RC" else {}
            try:
                post(db, code, rng.choice(products), rng.randint(1, 6), **extra)
            except InsufficientStock:
                with lock:
                    refusals[code] += 1
                continue
            with lock:
                successes[code] += 1

    run_in_threads(work)

    assert negative_quants(db) == 0
    assert ledger_discrepancies(db.engine) == []
    assert ledger_rows(db) == len(products) + sum(successes.values())
    assert sum(successes.values()) + sum(refusals.values()) == THREADS * 40
    assert refusals, "the workload should run products short sometimes"


def test_write_off_and_restoration_racing_on_one_product_never_deadlock(db: Database) -> None:
    product = make_product(db)
    # Enough on each side for all four threads of one kind to run before any of the
    # other (4 × 30 = 120): a shortage here would be the scheduler's, not a deadlock.
    post(db, "RECEIPT", product, 120)
    post(db, "RECEIPT_DEFECT", product, 120)

    def work(index: int) -> None:
        code = "WRITE_OFF" if index % 2 else "RESTORATION"
        for _ in range(30):
            post(db, code, product, 1)  # any deadlock error would surface here

    run_in_threads(work)

    # Four threads each way, thirty units each: the totals cancel out exactly.
    assert stock(db, product)["good"] == 120
    assert stock(db, product)["defect"] == 120
    assert ledger_rows(db) == 2 + THREADS * 30
    assert ledger_discrepancies(db.engine) == []


def test_concurrent_retries_with_one_idempotency_key_apply_once(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    request = MovementRequest(
        "SHIPMENT_RC", 3, product_id=product, distribution_center_id=dc_id(db),
        idempotency_key="order-845-shipment",
    )  # fmt: skip
    results: list[Posted] = []
    lock = threading.Lock()

    def work(_: int) -> None:
        result = post_movement(db.unit_of_work(), request, user_id=None)
        with lock:
            results.append(result)

    run_in_threads(work)

    movements: set[Movement] = {r.movement for r in results}
    assert len(movements) == 1
    assert sum(not r.replayed for r in results) == 1
    assert stock(db, product)["good"] == 2
    assert ledger_rows(db) == 2


def test_concurrent_decrements_never_oversell(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 50)
    shipment_dc = dc_id(db)
    shipped: list[int] = []
    lock = threading.Lock()

    def work(_: int) -> None:
        for _ in range(10):
            try:
                post(db, "SHIPMENT_RC", product, 1, distribution_center_id=shipment_dc)
            except InsufficientStock:
                continue
            with lock:
                shipped.append(1)

    run_in_threads(work)  # 80 attempts for 50 units

    assert len(shipped) == 50
    assert stock(db, product)["good"] == 0
