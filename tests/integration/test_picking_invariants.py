"""Invariant 6 (DESIGN.md §2b) through picking, as a hypothesis state machine: random
orders, receipts, put-aways into bins, cancels, and picking steps (take a task, pick all,
some or none of an item, skip, complete) against a real database; after every step each
quant's `reserved` equals its active reservations, nothing is negative, no line holds,
picks and ships more than it asked for, and stock at the packing station is exactly what
open orders picked (loose or packed into boxes:
core.orders.packing; tests/integration/test_packing_invariants.py drives those steps)."""

from contextlib import suppress
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict, InsufficientStock
from core.orders.orders import cancel_order
from core.orders.picking import assign_task, complete_task, start_task
from core.orders.picks import pick_item, skip_item
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from tests.conftest import DatabaseFactory, make_product
from tests.floor import location_id, make_bin, worker_with_executor
from tests.order_checks import check_reservations
from tests.orders import place
from tests.picking import task

PRODUCTS = 2
quantities = st.integers(min_value=1, max_value=8)
OPEN_TASKS = sa.text(
    "SELECT id FROM picking_task WHERE status IN ('pending', 'assigned', 'in_progress') ORDER BY id"
)
# What lies at the station against what open (not cancelled) orders have picked there.
STATION = sa.text(
    "SELECT (SELECT coalesce(sum(q.quantity), 0) FROM quant q JOIN location l "
    "ON l.id = q.location_id WHERE l.kind = 'packing'), "
    "(SELECT coalesce(sum(r.quantity), 0) FROM reservation r WHERE r.status = 'active' "
    "AND r.stage IN ('picked', 'packed'))"
)


def test_picking_keeps_reservations_and_quants_together(databases: DatabaseFactory) -> None:
    class PickingMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = databases.fresh()
            self.products = [make_product(self.db) for _ in range(PRODUCTS)]
            self.main = location_id(self.db, "MAIN")
            self.bins = [make_bin(self.db, f"P-{n}", route=n) for n in range(2)]
            _, self.executor = worker_with_executor(self.db, "picker")
            self.orders: list[int] = []
            self.numbers = count()

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
                         external_id=f"PK-{next(self.numbers)}")  # fmt: skip
            self.orders.append(made.id)

        @rule(which=st.integers(0, 10_000))
        def cancel(self, which: int) -> None:
            if self.orders:
                with suppress(Conflict):
                    cancel_order(self.db.unit_of_work(), self.orders[which % len(self.orders)],
                                 "проверка", None)  # fmt: skip

        @rule(which=st.integers(0, 10_000), take=st.integers(0, 8), skip=st.booleans())
        def picking_step(self, which: int, take: int, skip: bool) -> None:
            with self.db.engine.connect() as conn:
                open_ids = [r[0] for r in conn.execute(OPEN_TASKS)]
            if not open_ids:
                return
            t = task(self.db, open_ids[which % len(open_ids)])
            uow = self.db.unit_of_work
            if t.status == "pending":
                assign_task(uow(), t.id, self.executor, None)
            elif t.status == "assigned":
                start_task(uow(), t.id, None)
            else:
                pending = [i for i in t.items if i.status == "pending"]
                if not pending:
                    complete_task(uow(), t.id, None)
                elif skip:
                    skip_item(uow(), t.id, pending[0].id, "проверка", None)
                else:
                    pick_item(uow(), t.id, pending[0].id, min(take, pending[0].rest), None)

        @invariant()
        def reservations_match_quants(self) -> None:
            check_reservations(self.db)

        @invariant()
        def the_station_holds_what_was_picked(self) -> None:
            with self.db.engine.connect() as conn:
                at_station, picked = conn.execute(STATION).one()
            assert at_station == picked

    run_state_machine_as_test(
        PickingMachine,
        settings=settings(
            max_examples=25, stateful_step_count=30, deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip
