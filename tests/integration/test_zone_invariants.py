"""Picking per zone (issue 15) as a hypothesis state machine: orders over bins in zones A
and B and a bin with no zone, waves that split them per zone (or not), each open task
advanced one natural step at a time (assign, start, pick some or all of an item, skip,
complete), cancels and receipts. After every step: invariant 6 (reservations = quants),
the station holds exactly what open orders picked, a zone's task holds only its zone's
bins, no order has a check or a packing task while a task of it is still open, and no
cancelled order keeps an open task."""

from contextlib import suppress
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict
from core.orders import waves
from core.orders.orders import cancel_order
from core.orders.picking import assign_task, complete_task, start_task
from core.orders.picks import pick_item, skip_item
from tests.conftest import DatabaseFactory, make_product
from tests.floor import make_bin, worker_with_executor
from tests.integration.test_picking_invariants import STATION
from tests.order_checks import check_reservations
from tests.orders import place
from tests.picking import stock_bin, task

ZONES = ("A", "B", None)
OPEN = "('pending', 'assigned', 'in_progress')"
OPEN_TASKS = sa.text(f"SELECT id FROM picking_task WHERE status IN {OPEN} ORDER BY id")
OUTSIDE_ZONE = sa.text(
    "SELECT i.id FROM picking_item i JOIN picking_task t ON t.id = i.task_id "
    "JOIN location l ON l.id = i.location_id "
    "WHERE t.zone IS NOT NULL AND coalesce(l.zone, '') <> t.zone"
)
HANDED_ON_EARLY = sa.text(
    "SELECT t.id FROM picking_task t WHERE t.status IN " + OPEN + " AND ("
    "EXISTS (SELECT 1 FROM packing_task k WHERE k.order_id = t.order_id) OR "
    "EXISTS (SELECT 1 FROM qc_task q WHERE q.order_id = t.order_id))"
)
CANCELLED_BUT_OPEN = sa.text(
    "SELECT t.id FROM picking_task t JOIN sale_order o ON o.id = t.order_id "
    f"WHERE o.status = 'cancelled' AND t.status IN {OPEN}"
)
# Every order fully picked (all its tasks completed, nothing short) is handed on.
NOT_HANDED_ON = sa.text(
    "SELECT o.id FROM sale_order o WHERE o.status = 'picking' "
    "AND NOT EXISTS (SELECT 1 FROM picking_task t WHERE t.order_id = o.id "
    "AND t.status <> 'completed') "
    "AND NOT EXISTS (SELECT 1 FROM packing_task k WHERE k.order_id = o.id)"
)


def test_zone_tasks_keep_orders_whole(databases: DatabaseFactory) -> None:
    class ZoneMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = databases.fresh()
            self.products = [make_product(self.db) for _ in ZONES]
            self.bins = [make_bin(self.db, f"Z-{n}", route=10 * n) for n in range(len(ZONES))]
            with self.db.engine.begin() as conn:
                for zone, bin_id in zip(ZONES, self.bins, strict=True):
                    conn.execute(sa.text("UPDATE location SET zone = :z WHERE id = :id"),
                                 {"z": zone, "id": bin_id})  # fmt: skip
            self.restock(0, 20), self.restock(1, 20), self.restock(2, 20)
            _, self.executor = worker_with_executor(self.db, "zone-picker")
            self.orders: list[int] = []
            self.numbers = count()

        def _ids(self, statement: sa.TextClause) -> list[int]:
            with self.db.engine.connect() as conn:
                return [r[0] for r in conn.execute(statement)]

        @rule(product=st.integers(0, len(ZONES) - 1), quantity=st.integers(1, 6))
        def restock(self, product: int, quantity: int) -> None:
            stock_bin(self.db, self.products[product], quantity, self.bins[product])

        @rule(lines=st.lists(st.tuples(st.integers(0, len(ZONES) - 1), st.integers(1, 3)),
                             min_size=1, max_size=3, unique_by=lambda line: line[0]))  # fmt: skip
        def order(self, lines: list[tuple[int, int]]) -> None:
            made = place(self.db, [(self.products[p], q) for p, q in lines],
                         external_id=f"ZN-{next(self.numbers)}")  # fmt: skip
            self.orders.append(made.id)

        @rule(which=st.integers(0, 10_000))
        def cancel(self, which: int) -> None:
            if self.orders:
                with suppress(Conflict):  # shipped or cancelled already
                    cancel_order(self.db.unit_of_work(), self.orders[which % len(self.orders)],
                                 "проверка", None)  # fmt: skip

        @rule(split=st.sampled_from([True, True, True, False]), size=st.integers(1, 3))
        def release_a_wave(self, split: bool, size: int) -> None:
            with suppress(Conflict):  # nothing free to release
                waves.release_wave(self.db.unit_of_work(), waves.criteria(limit=4), None,
                                   batch_size=size, split_zones=split)  # fmt: skip

        @rule(which=st.integers(0, 10_000), take=st.integers(0, 3), skip=st.booleans())
        def advance_a_task(self, which: int, take: int, skip: bool) -> None:
            """One natural step of an open task, as a picker on the tablet takes it."""
            open_ = self._ids(OPEN_TASKS)
            if not open_:
                return
            t = task(self.db, open_[which % len(open_)])
            new = self.db.unit_of_work
            if t.status == "pending":
                assign_task(new(), t.id, self.executor, None)
            elif t.status == "assigned":
                start_task(new(), t.id, None)
            elif pending := [i for i in t.items if i.status == "pending"]:
                item = pending[0]
                if skip:
                    skip_item(new(), t.id, item.id, "проверка", None)
                else:
                    pick_item(new(), t.id, item.id, min(take, item.quantity_required), None)
            else:
                complete_task(new(), t.id, None)

        @invariant()
        def reservations_match_quants(self) -> None:
            check_reservations(self.db)

        @invariant()
        def the_station_holds_what_was_picked(self) -> None:
            with self.db.engine.connect() as conn:
                at_station, picked = conn.execute(STATION).one()
            assert at_station == picked

        @invariant()
        def an_order_is_handed_on_once_and_only_when_every_zone_is_picked(self) -> None:
            assert self._ids(OUTSIDE_ZONE) == []
            assert self._ids(HANDED_ON_EARLY) == []
            assert self._ids(NOT_HANDED_ON) == []
            assert self._ids(CANCELLED_BUT_OPEN) == []

    run_state_machine_as_test(
        ZoneMachine,
        settings=settings(
            max_examples=20, stateful_step_count=35, deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip
