"""Invariant 6 (DESIGN.md §2b) as a hypothesis state machine: random orders (confirmed at
once or later), cancellations, receipts, put-aways into bins and write-offs run against a
real database; after every step each quant's `reserved` equals its active reservation
lines, no balance or availability is negative, a reserved order is covered whole, a
waiting or cancelled order holds nothing, and no waiting order could be covered now (the
retry after each arrival or release did its job)."""

from contextlib import suppress
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict, InsufficientStock
from core.orders.orders import cancel_order, confirm_order
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from tests.conftest import DatabaseFactory, make_product
from tests.floor import location_id, make_bin
from tests.order_checks import check_reservations
from tests.orders import place

PRODUCTS = 2
quantities = st.integers(min_value=1, max_value=12)
priorities = st.sampled_from(["low", "normal", "high", "urgent"])

# Waiting orders that the stock on hand could cover whole: there must be none.
COVERABLE = sa.text(
    "SELECT o.id FROM sale_order o WHERE o.status = 'awaiting_stock' AND NOT EXISTS ("
    " SELECT 1 FROM (SELECT product_id, sum(quantity) AS need FROM order_line"
    "  WHERE order_id = o.id GROUP BY product_id) n"
    " WHERE n.need > (SELECT coalesce(sum(q.quantity - q.reserved), 0) FROM quant q"
    "  JOIN location l ON l.id = q.location_id JOIN warehouse w ON w.id = l.warehouse_id"
    "  WHERE q.product_id = n.product_id AND w.code = 'MAIN'"
    "  AND l.kind IN ('default', 'bin')))"
)


def test_reservations_match_their_quants_under_random_operations(
    databases: DatabaseFactory,
) -> None:
    class OrderMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = databases.fresh()
            self.products = [make_product(self.db) for _ in range(PRODUCTS)]
            self.main = location_id(self.db, "MAIN")
            self.bins = [make_bin(self.db, f"H-{n}", route=n) for n in range(2)]
            self.orders: list[int] = []
            self.numbers = count()

        def _post(self, request: MovementRequest) -> None:
            # Reserved stock is not for write-offs or put-aways: a refusal is right.
            with suppress(InsufficientStock):
                post_movement(self.db.unit_of_work(), request, user_id=None)

        @rule(product=st.integers(0, PRODUCTS - 1), quantity=quantities)
        def receipt(self, product: int, quantity: int) -> None:
            self._post(MovementRequest("RECEIPT", quantity, product_id=self.products[product]))

        @rule(product=st.integers(0, PRODUCTS - 1), quantity=quantities, to=st.integers(0, 1))
        def put_away(self, product: int, quantity: int, to: int) -> None:
            request = MovementRequest(
                "TRANSFER", quantity, product_id=self.products[product],
                from_location_id=self.main, to_location_id=self.bins[to],
            )  # fmt: skip
            self._post(request)

        @rule(product=st.integers(0, PRODUCTS - 1), quantity=quantities)
        def write_off(self, product: int, quantity: int) -> None:
            self._post(MovementRequest("WRITE_OFF", quantity, product_id=self.products[product]))

        @rule(
            lines=st.lists(st.tuples(st.integers(0, PRODUCTS - 1), quantities), min_size=1,
                           max_size=3),
            priority=priorities, confirm=st.booleans(),
        )  # fmt: skip
        def order(self, lines: list[tuple[int, int]], priority: str, confirm: bool) -> None:
            made = place(self.db, [(self.products[p], q) for p, q in lines],
                         external_id=f"H-{next(self.numbers)}", priority=priority,
                         confirm=confirm)  # fmt: skip
            self.orders.append(made.id)

        @rule(pick=st.integers(0, 10_000))
        def confirm(self, pick: int) -> None:
            if self.orders:
                try:
                    confirm_order(self.db.unit_of_work(), self.orders[pick % len(self.orders)],
                                  None)  # fmt: skip
                except Conflict as error:
                    assert error.code == "invalid_transition"

        @rule(pick=st.integers(0, 10_000))
        def cancel(self, pick: int) -> None:
            if self.orders:
                try:
                    cancel_order(self.db.unit_of_work(), self.orders[pick % len(self.orders)],
                                 "проверка", None)  # fmt: skip
                except Conflict as error:
                    assert error.code == "invalid_transition"

        @invariant()
        def reservations_match_quants(self) -> None:
            check_reservations(self.db)

        @invariant()
        def no_waiting_order_could_be_covered(self) -> None:
            with self.db.engine.connect() as conn:
                assert conn.execute(COVERABLE).all() == []

    run_state_machine_as_test(
        OrderMachine,
        settings=settings(
            max_examples=30, stateful_step_count=30, deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip
