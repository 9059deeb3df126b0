"""Invariant 6 (DESIGN.md §2b) through waves and batch picking (issue 15), as a hypothesis
state machine: random orders, receipts into bins, cancels, waves and batches built of the
free tasks, single-order steps on the same tasks, batch takes, picks of some or all of an
order's share, skips, batches broken up, and units put to orders at the put wall. After
every step: each quant's `reserved` equals its active reservations, nothing is negative or
over-asked, the station holds exactly what open orders picked, every batch's tasks are in
its wave, and no slot was given more units than its order picked."""

from contextlib import suppress
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict, InsufficientStock, ValidationError
from core.orders import batches, waves
from core.orders.orders import cancel_order
from core.orders.picking import assign_task, start_task
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from tests.conftest import DatabaseFactory, make_product
from tests.floor import location_id, make_bin, worker_with_executor
from tests.integration.test_picking_invariants import STATION
from tests.order_checks import check_reservations
from tests.orders import place
from tests.picking import task

PRODUCTS = 2
quantities = st.integers(min_value=1, max_value=6)
FREE_TASKS = sa.text(
    "SELECT id FROM picking_task WHERE status IN ('pending', 'assigned') AND batch_id IS NULL "
    "ORDER BY id"
)
OPEN_BATCHES = sa.text(
    "SELECT DISTINCT batch_id FROM picking_task WHERE batch_id IS NOT NULL "
    "AND status IN ('pending', 'assigned', 'in_progress') ORDER BY 1"
)
ALL_BATCHES = sa.text("SELECT id FROM pick_batch ORDER BY id")
BATCH_OUTSIDE_WAVE = sa.text(
    "SELECT t.id FROM picking_task t JOIN pick_batch b ON b.id = t.batch_id "
    "WHERE b.wave_id IS NOT NULL AND (t.wave_id IS NULL OR t.wave_id <> b.wave_id)"
)
OVER_PUT = sa.text(
    "SELECT p.task_id, p.product_id FROM pick_batch_put p GROUP BY p.task_id, p.product_id "
    "HAVING count(*) > (SELECT coalesce(sum(i.quantity_picked), 0) FROM picking_item i "
    "WHERE i.task_id = p.task_id AND i.product_id = p.product_id)"
)


def test_batches_keep_reservations_and_quants_together(databases: DatabaseFactory) -> None:
    class BatchMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = databases.fresh()
            self.products = [make_product(self.db) for _ in range(PRODUCTS)]
            self.main = location_id(self.db, "MAIN")
            self.bins = [make_bin(self.db, f"B-{n}", route=n) for n in range(2)]
            _, self.executor = worker_with_executor(self.db, "picker")
            self.orders: list[int] = []
            self.numbers = count()

        def _ids(self, statement: sa.TextClause) -> list[int]:
            with self.db.engine.connect() as conn:
                return [r[0] for r in conn.execute(statement)]

        @rule(product=st.integers(0, PRODUCTS - 1), quantity=quantities, to=st.integers(0, 1))
        def receive_and_put_away(self, product: int, quantity: int, to: int) -> None:
            pid = self.products[product]
            post_movement(self.db.unit_of_work(), MovementRequest("RECEIPT", quantity,
                          product_id=pid), user_id=None)  # fmt: skip
            move = MovementRequest("TRANSFER", quantity, product_id=pid,
                                   from_location_id=self.main,
                                   to_location_id=self.bins[to])  # fmt: skip
            with suppress(InsufficientStock):  # a waiting order took it in MAIN
                post_movement(self.db.unit_of_work(), move, user_id=None)

        @rule(lines=st.lists(st.tuples(st.integers(0, PRODUCTS - 1), quantities), min_size=1,
                             max_size=2))  # fmt: skip
        def order(self, lines: list[tuple[int, int]]) -> None:
            made = place(self.db, [(self.products[p], q) for p, q in lines],
                         external_id=f"BT-{next(self.numbers)}")  # fmt: skip
            self.orders.append(made.id)

        @rule(which=st.integers(0, 10_000))
        def cancel(self, which: int) -> None:
            if self.orders:
                with suppress(Conflict):
                    cancel_order(self.db.unit_of_work(), self.orders[which % len(self.orders)],
                                 "проверка", None)  # fmt: skip

        @rule(size=st.integers(1, 3))
        def release_a_wave(self, size: int) -> None:
            with suppress(Conflict):  # nothing free to release
                waves.release_wave(self.db.unit_of_work(), waves.criteria(limit=6), None,
                                   batch_size=size)  # fmt: skip

        @rule(first=st.integers(0, 10), size=st.integers(2, 3))
        def build_a_batch(self, first: int, size: int) -> None:
            free = self._ids(FREE_TASKS)
            with suppress(Conflict, ValidationError):  # too few, or all taken
                batches.create_batch(self.db.unit_of_work(), free[first : first + size], None)

        @rule(which=st.integers(0, 10_000))
        def a_single_order_step(self, which: int) -> None:
            """The same tasks on the single-order tablet: a started one leaves no batch."""
            free = self._ids(FREE_TASKS)
            if free:
                t = task(self.db, free[which % len(free)])
                with suppress(Conflict):
                    if t.status == "pending":
                        assign_task(self.db.unit_of_work(), t.id, self.executor, None)
                    else:
                        start_task(self.db.unit_of_work(), t.id, None)

        @rule(which=st.integers(0, 10_000), take=st.integers(0, 6), skip=st.booleans())
        def batch_step(self, which: int, take: int, skip: bool) -> None:
            open_ = self._ids(OPEN_BATCHES)
            if not open_:
                return
            bid = open_[which % len(open_)]
            batch = batches.read_batch(self.db.unit_of_work(), bid)
            new = self.db.unit_of_work
            if batch.executor_id is None or any(
                    x.task_status in ("pending", "assigned") for x in batch.lines):  # fmt: skip
                with suppress(Conflict):
                    batches.take_batch(new, bid, self.executor, None)
                return
            portions = [p for s in batches.stops(batch) for pr in s.products for p in pr.pending]
            if not portions:
                return
            p = portions[0]
            if skip:
                batches.skip_in_batch(new, bid, p.item_id, "проверка", None)
            else:
                batches.pick_in_batch(new, bid, p.item_id, min(take, p.quantity), None)

        @rule(which=st.integers(0, 10_000))
        def break_up_a_batch(self, which: int) -> None:
            every = self._ids(ALL_BATCHES)
            if every:
                with suppress(Conflict):  # all its orders are being picked
                    batches.dissolve_batch(self.db.unit_of_work(), every[which % len(every)])

        @rule(which=st.integers(0, 10_000), product=st.integers(0, PRODUCTS - 1))
        def put_a_unit(self, which: int, product: int) -> None:
            every = self._ids(ALL_BATCHES)
            if not every:
                return
            batch = batches.read_batch(self.db.unit_of_work(), every[which % len(every)])
            codes = {x.item.product_id: x.item.barcode for x in batch.lines}
            code = codes.get(self.products[product])
            with suppress(Conflict, ValidationError):  # nothing picked yet, or all put
                batches.put_unit(self.db.unit_of_work(), batch.id, code or "0", None)

        @invariant()
        def reservations_match_quants(self) -> None:
            check_reservations(self.db)

        @invariant()
        def the_station_holds_what_was_picked(self) -> None:
            with self.db.engine.connect() as conn:
                at_station, picked = conn.execute(STATION).one()
            assert at_station == picked

        @invariant()
        def batches_stay_in_their_waves_and_puts_within_picks(self) -> None:
            assert self._ids(BATCH_OUTSIDE_WAVE) == []
            with self.db.engine.connect() as conn:
                assert conn.execute(OVER_PUT).all() == []

    run_state_machine_as_test(
        BatchMachine,
        settings=settings(
            max_examples=20, stateful_step_count=30, deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip
