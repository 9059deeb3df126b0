"""Many threads at once: no lost update, no negative stock, no deadlock, one apply per key.

Runs on PostgreSQL (real row locks, 8+ connections) and on SQLite (writers serialised
by BEGIN IMMEDIATE); the assertions are the same.
"""

import random
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType
from typing import Any, Self

import sqlalchemy as sa
from sqlalchemy import event

from core.catalog.products import delete_product
from core.errors import DomainError, InsufficientStock
from core.model import Movement
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest, Posted
from data.catalog.store import SqlProductStore
from data.database import Database
from data.imports.queries import import_history
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.helpers import dc_id, post, stock
from tests.import_files import ean, errors_of, run, xlsx

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


# --- A product deleted while stock is being put on it ---


class Race:
    """Transactions in threads, the first commit made on the thread named `held` waiting
    until `release()`: that transaction has done all its work and keeps its locks while
    the others run. Leaving the block releases it and waits for every thread."""

    def __init__(self, engine: sa.Engine, held: str) -> None:
        self._engine, self._held = engine, held
        self.reached, self._go = threading.Event(), threading.Event()
        self._threads: dict[str, threading.Thread] = {}

    def _hold(self, _conn: sa.Connection) -> None:
        if threading.current_thread().name == self._held and not self.reached.is_set():
            self.reached.set()
            self._go.wait(30)

    def start(self, name: str, work: Callable[[], Any]) -> dict[str, Any]:
        """Run `work` in a thread named `name`; its outcome: {"result": …} or {"error": code}."""
        outcome: dict[str, Any] = {}

        def target() -> None:
            try:
                outcome["result"] = work()
            except DomainError as error:
                outcome["error"] = error.code

        self._threads[name] = threading.Thread(target=target, name=name, daemon=True)
        self._threads[name].start()
        return outcome

    def waits(self, name: str) -> bool:
        """The thread `name` is still blocked half a second later (on a row lock, or on
        SQLite's write lock)."""
        self._threads[name].join(0.5)
        return self._threads[name].is_alive()

    def release(self) -> None:
        self._go.set()

    def __enter__(self) -> Self:
        event.listen(self._engine, "commit", self._hold)
        return self

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.release()
        for thread in self._threads.values():
            thread.join(30)
        event.remove(self._engine, "commit", self._hold)


def movements_of(db: Database, product: int) -> int:
    with db.engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM movement WHERE product_id = :p")
        return conn.execute(query, {"p": product}).scalar_one()


def units_of(db: Database, product: int) -> int:
    """Every unit on the product's quants (a deleted product is not in the balances)."""
    with db.engine.connect() as conn:
        query = sa.text("SELECT coalesce(sum(quantity), 0) FROM quant WHERE product_id = :p")
        return conn.execute(query, {"p": product}).scalar_one()


def is_deleted(db: Database, product: int) -> bool:
    found = SqlProductStore(db.engine).get(product)
    assert found is not None
    return found.is_deleted


def test_a_delete_waits_for_a_receipt_in_flight_and_is_refused_for_its_stock(
    db: Database,
) -> None:
    product = make_product(db)
    store = SqlProductStore(db.engine)
    with Race(db.engine, "receipt") as race:
        received = race.start("receipt", lambda: post(db, "RECEIPT", product, 5))
        assert race.reached.wait(10)
        deleted = race.start("delete", lambda: delete_product(store, product))
        assert race.waits("delete"), "the delete went ahead while the receipt was being booked"
    assert "result" in received
    assert deleted == {"error": "product_in_stock"}
    assert not is_deleted(db, product) and stock(db, product)["good"] == 5


def test_a_receipt_waits_for_a_delete_in_flight_and_is_refused(db: Database) -> None:
    product = make_product(db)
    store = SqlProductStore(db.engine)
    with Race(db.engine, "delete") as race:
        deleted = race.start("delete", lambda: delete_product(store, product))
        assert race.reached.wait(10)
        received = race.start("receipt", lambda: post(db, "RECEIPT", product, 5))
        assert race.waits("receipt"), "the receipt went ahead while the product was being deleted"
    assert deleted["result"].is_deleted
    assert received == {"error": "product_deleted"}
    assert movements_of(db, product) == 0 and units_of(db, product) == 0


def test_a_delete_waits_for_an_import_in_flight_and_is_refused_for_its_stock(
    db: Database,
) -> None:
    code = ean()
    product = make_product(db, barcode=code)
    store = SqlProductStore(db.engine)
    content = xlsx([["Штрихкод", "Количество"], [code, 7]])
    with Race(db.engine, "import") as race:
        imported = race.start(
            "import", lambda: run(db, content, operation_type="RECEIPT", dry_run=False)
        )
        assert race.reached.wait(10)
        deleted = race.start("delete", lambda: delete_product(store, product))
        assert race.waits("delete"), "the delete went ahead while the import was being booked"
    assert imported["result"].applied
    assert deleted == {"error": "product_in_stock"}
    assert not is_deleted(db, product) and stock(db, product)["good"] == 7


def test_an_import_confirmed_while_its_product_is_deleted_books_nothing_and_says_why(
    db: Database,
) -> None:
    code = ean()
    product = make_product(db, barcode=code, name="Плед")
    other_code = ean()
    other = make_product(db, barcode=other_code)
    store = SqlProductStore(db.engine)
    content = xlsx([["Штрихкод", "Количество"], [other_code, 2], [code, 7]])
    with Race(db.engine, "delete") as race:
        deleted = race.start("delete", lambda: delete_product(store, product))
        assert race.reached.wait(10)
        imported = race.start(
            "import", lambda: run(db, content, operation_type="RECEIPT", dry_run=False)
        )
        assert race.waits("import"), "the import went ahead while the product was being deleted"
    assert deleted["result"].is_deleted
    # nothing of the file is booked, the other product's row neither
    assert movements_of(db, product) == movements_of(db, other) == 0
    assert units_of(db, product) == units_of(db, other) == 0
    (attempt,) = import_history(db.engine).items
    if db.engine.dialect.name == "sqlite":
        # writers take turns whole: the import read the product after the delete, and
        # its row is refused as any row of a deleted product
        assert errors_of(imported["result"]) == [(3, "Штрихкод", "product_deleted")]
        assert (attempt["status"], attempt["applied"]) == ("refused", False)
    else:
        # PostgreSQL: it read the product before the delete committed; the lock it takes
        # before the stock changes waits for the delete, and then refuses the whole file
        assert imported == {"error": "product_deleted"}
        assert (attempt["status"], attempt["applied"]) == ("failed", False)
        assert "«Плед»" in attempt["reason"] and "удалён" in attempt["reason"]
