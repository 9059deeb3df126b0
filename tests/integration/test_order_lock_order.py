"""One lock order for an order's floor work (docs/architecture.md, "Picking"): the order's
row, then its picking task, then its packing task, then the quants. A worker starting the
picking of an order racing a person cancelling it: both take the order first, so they take
turns — a start before the cancel is cancelled with the order, a start after it is refused
— and PostgreSQL never reports a deadlock (it did when a start locked the task, then the
order). PostgreSQL (row locks) and SQLite (one writer at a time)."""

from core.errors import Conflict
from core.orders.orders import cancel_order
from core.orders.picking import assign_task, start_task
from core.orders.ports import Order
from data.database import Database
from tests.conftest import make_product
from tests.floor import make_bin, worker_with_executor
from tests.helpers import stock
from tests.integration.test_concurrency import run_in_threads
from tests.order_checks import check_reservations
from tests.orders import fresh, place
from tests.picking import stock_bin, task

ORDERS = 12
ROUNDS = 3


def _race(db: Database, orders: list[Order], workers: list[int]) -> list[str]:
    """Each order's start and cancel at once (a barrier); the codes of refused starts."""
    refused: list[str] = []

    def work(index: int) -> None:
        n, starter = divmod(index, 2)
        if not starter:
            cancel_order(db.unit_of_work(), orders[n].id, "гонка", None)
            return
        try:
            start_task(db.unit_of_work(), orders[n].picking_task_id or 0, workers[n])
        except Conflict as error:  # the cancel came first: the task is cancelled
            refused.append(error.code)

    run_in_threads(work, threads=2 * len(orders))  # DeadlockDetected would raise here
    return refused


def test_starts_racing_cancels_of_the_same_order_never_deadlock(db: Database) -> None:
    product = make_product(db)
    stock_bin(db, product, ORDERS * ROUNDS, make_bin(db, "L-1"))
    for r in range(ROUNDS):
        orders = [place(db, [(product, 1)], external_id=f"LOCK-{r}-{i}") for i in range(ORDERS)]
        workers = []
        for i, o in enumerate(orders):
            actor, executor_id = worker_with_executor(db, f"w{r}x{i}")
            assign_task(db.unit_of_work(), o.picking_task_id or 0, executor_id, None)
            workers.append(actor.user_id or 0)
        assert set(_race(db, orders, workers)) <= {"invalid_transition"}
        for o in orders:
            assert fresh(db, o.id).status == "cancelled"
            assert task(db, o.picking_task_id or 0).status == "cancelled"
    total = ORDERS * ROUNDS
    assert stock(db, product) == {"good": total, "defect": 0, "reserved": 0, "available": total}
    check_reservations(db)
