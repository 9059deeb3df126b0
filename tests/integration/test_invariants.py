"""DESIGN.md §2 invariants as a hypothesis state machine checked against a plain model.

Random sequences of every operation, reversals and retried requests run against a real
database; after every step the quants must equal both the in-memory model and the
ledger's sums, and no balance may be negative.
"""

from collections import Counter
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)

from core.errors import Conflict, InsufficientStock
from core.model import Movement
from core.stock.movements import post_movement, reverse_movement
from core.stock.operations import MANUAL_OPERATIONS, OPERATIONS, Loc
from core.stock.requests import MovementRequest
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import DatabaseFactory, make_product
from tests.helpers import dc_id, source_id

PRODUCTS = 3
quantities = st.integers(min_value=1, max_value=20)


def test_ledger_invariants_hold_under_random_operations(databases: DatabaseFactory) -> None:
    class LedgerMachine(RuleBasedStateMachine):
        posted = Bundle("posted")

        def __init__(self) -> None:
            super().__init__()
            self.db = databases.fresh()
            self.products = [make_product(self.db) for _ in range(PRODUCTS)]
            with self.db.unit_of_work() as uow:
                self.loc = {code: uow.stock.location(code).id for code in Loc}
            self.internal = {self.loc[Loc.MAIN], self.loc[Loc.DEFECT]}
            self.model: Counter[tuple[int, int]] = Counter()  # (product, location) → qty
            self.ledger_rows = 0
            self.reversed: set[int] = set()
            self.keys = count()
            self.extra = {
                "source_id": source_id(self.db),
                "distribution_center_id": dc_id(self.db),
            }

        def _fields(self, code: str, warehouse: str, gain: bool) -> dict[str, object]:
            op = OPERATIONS[code]
            if code == "ADJUSTMENT":
                direction = "gain" if gain else "loss"
                return {"warehouse": warehouse, "direction": direction, "notes": "пересчёт"}
            if code == "TRANSFER":
                other = "DEFECT" if warehouse == "MAIN" else "MAIN"
                return {
                    "from_location_id": self.loc[Loc(warehouse)],
                    "to_location_id": self.loc[Loc(other)],
                }
            fields: dict[str, object] = {}
            if op.requires & {"source"}:
                fields["source_id"] = self.extra["source_id"]
            if op.requires & {"distribution_center"}:
                fields["distribution_center_id"] = self.extra["distribution_center_id"]
            return fields

        def _apply_to_model(self, movement: Movement) -> None:
            product = movement.product_id
            if movement.from_location_id in self.internal:
                self.model[(product, movement.from_location_id)] -= movement.quantity
            if movement.to_location_id in self.internal:
                self.model[(product, movement.to_location_id)] += movement.quantity
            self.ledger_rows += 1

        def _available(self, product: int, location_id: int) -> int | None:
            """Stock at the source, or None when the source is virtual (never short)."""
            if location_id not in self.internal:
                return None
            return self.model[(product, location_id)]

        @rule(
            target=posted,
            code=st.sampled_from(sorted(MANUAL_OPERATIONS)),
            product=st.integers(0, PRODUCTS - 1),
            quantity=quantities,
            warehouse=st.sampled_from(["MAIN", "DEFECT"]),
            gain=st.booleans(),
            retry=st.booleans(),
        )
        def post(
            self, code: str, product: int, quantity: int, warehouse: str, gain: bool, retry: bool
        ) -> Movement | None:
            request = MovementRequest(
                code,
                quantity,
                product_id=self.products[product],
                idempotency_key=f"k{next(self.keys)}",
                **self._fields(code, warehouse, gain),  # type: ignore[arg-type]
            )
            try:
                result = post_movement(self.db.unit_of_work(), request, user_id=None)
            except InsufficientStock:
                # The model must agree that the source was short.
                shortage = self._expected_source(request)
                assert shortage is not None and shortage < quantity
                return None
            movement = result.movement
            source_stock = self._available(movement.product_id, movement.from_location_id)
            assert source_stock is None or source_stock >= quantity
            self._apply_to_model(movement)
            if retry:  # the same request again must change nothing
                again = post_movement(self.db.unit_of_work(), request, user_id=None)
                assert again.replayed and again.movement.id == movement.id
            return movement

        def _expected_source(self, request: MovementRequest) -> int | None:
            op = OPERATIONS[request.operation_type]
            product = request.product_id
            assert product is not None
            if request.from_location_id is not None:
                return self._available(product, request.from_location_id)
            if op.code == "ADJUSTMENT":
                return self.model[(product, self.loc[Loc(request.warehouse or "")])]
            assert op.from_location is not None
            return self._available(product, self.loc[op.from_location])

        @rule(movement=posted)
        def reverse(self, movement: Movement | None) -> None:
            if movement is None:
                return
            try:
                result = reverse_movement(self.db.unit_of_work(), movement.id, user_id=None)
            except Conflict as error:
                if error.code == "already_reversed":
                    assert movement.id in self.reversed
                    return
                assert error.code == "insufficient_stock"
                back_from = self._available(movement.product_id, movement.to_location_id)
                assert back_from is not None and back_from < movement.quantity
                return
            assert movement.id not in self.reversed
            self.reversed.add(movement.id)
            self._apply_to_model(result.movement)

        @invariant()
        def quants_equal_model_and_ledger(self) -> None:
            with self.db.engine.connect() as conn:
                rows = conn.execute(
                    sa.text("SELECT product_id, location_id, quantity, reserved FROM quant")
                ).all()
                ledger_rows = conn.execute(sa.text("SELECT count(*) FROM movement")).scalar_one()
            quants = {(r.product_id, r.location_id): r.quantity for r in rows}
            assert all(r.quantity >= 0 and 0 <= r.reserved <= r.quantity for r in rows)
            expected = {key: qty for key, qty in self.model.items() if qty or key in quants}
            assert {k: v for k, v in quants.items() if v or k in expected} == expected
            assert ledger_discrepancies(self.db.engine) == []
            assert ledger_rows == self.ledger_rows

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
