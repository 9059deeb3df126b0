"""Invariant 6 (DESIGN.md §2b) through packing and shipping, as a hypothesis state
machine: random receipts into bins, orders picked whole, cancels, and packing steps
(start, a package of some units, pack, ship) against a real database; after every step
each quant's `reserved` equals its active reservations, nothing is negative, stock at the
packing station (loose or in boxes) is exactly what open orders picked, and what lines
shipped is what the ledger sent out."""

from contextlib import suppress
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict
from core.orders.orders import cancel_order
from core.orders.packing import ItemRequest, PackageRequest, add_package, pack_task, start_task
from core.orders.shipping import ship_task
from tests.conftest import DatabaseFactory, make_product
from tests.floor import make_bin, worker_with_executor
from tests.integration.test_picking_invariants import STATION
from tests.order_checks import check_reservations
from tests.orders import fresh
from tests.packing import BOX, picked_order, task

PRODUCTS = 2
OPEN = sa.text(
    "SELECT id FROM packing_task WHERE status IN ('pending', 'in_progress', 'packed') ORDER BY id"
)
# Units the lines shipped against the units the ledger sent out for orders.
SHIPPED = sa.text(
    "SELECT (SELECT coalesce(sum(shipped), 0) FROM order_line), "
    "(SELECT coalesce(sum(quantity), 0) FROM movement WHERE operation_type IN "
    "('SHIPMENT_ORDER', 'SHIPMENT_RC') AND document LIKE 'order:%')"
)


def test_packing_and_shipping_keep_reservations_and_quants_together(
    databases: DatabaseFactory,
) -> None:
    class PackingMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = databases.fresh()
            self.products = [make_product(self.db) for _ in range(PRODUCTS)]
            _, self.executor = worker_with_executor(self.db, "packer")
            self.orders: list[int] = []
            self.numbers = count()
            make_bin(self.db, "P-0")

        @rule(lines=st.lists(st.tuples(st.integers(0, PRODUCTS - 1), st.integers(1, 5)),
                             min_size=1, max_size=2, unique_by=lambda t: t[0]))  # fmt: skip
        def order_picked(self, lines: list[tuple[int, int]]) -> None:
            made = picked_order(self.db, [(self.products[p], q) for p, q in lines],
                                external_id=f"PK-{next(self.numbers)}")  # fmt: skip
            self.orders.append(made.id)

        @rule(which=st.integers(0, 10_000))
        def cancel(self, which: int) -> None:
            if self.orders:
                with suppress(Conflict):  # shipped or cancelled already
                    cancel_order(self.db.unit_of_work(), self.orders[which % len(self.orders)],
                                 "проверка", None)  # fmt: skip

        @rule(which=st.integers(0, 10_000), take=st.integers(1, 6), sized=st.integers(0, 5))
        def packing_step(self, which: int, take: int, sized: int) -> None:
            with self.db.engine.connect() as conn:
                open_ids = [r[0] for r in conn.execute(OPEN)]
            if not open_ids:
                return
            t = task(self.db, open_ids[which % len(open_ids)])
            uow = self.db.unit_of_work
            if t.status == "pending":
                start_task(uow(), t.id, self.executor, None)
            elif t.status == "packed":
                ship_task(uow(), t.id, "manual", f"T-{t.id}", None)
                assert fresh(self.db, t.order_id).status == "shipped"
            else:
                left = [i for i in t.items if i.packed_quantity < i.quantity]
                if not left:
                    with suppress(Conflict):  # an unmeasured package: dimensions_missing
                        pack_task(uow(), t.id, None)
                    return
                units = min(take, left[0].quantity - left[0].packed_quantity)
                sizes = BOX if sized else {}  # now and then one left unmeasured
                request = PackageRequest("box", [ItemRequest(units, left[0].product_id)],
                                         **sizes)  # fmt: skip
                add_package(uow(), t.id, request, None)

        @invariant()
        def reservations_match_quants(self) -> None:
            check_reservations(self.db)

        @invariant()
        def the_station_holds_what_was_picked(self) -> None:
            with self.db.engine.connect() as conn:
                at_station, picked = conn.execute(STATION).one()
            assert at_station == picked

        @invariant()
        def shipped_is_what_left(self) -> None:
            with self.db.engine.connect() as conn:
                lines, ledger = conn.execute(SHIPPED).one()
            assert lines == ledger

    run_state_machine_as_test(
        PackingMachine,
        settings=settings(
            max_examples=20, stateful_step_count=30, deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip
