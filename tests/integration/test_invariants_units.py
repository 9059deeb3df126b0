"""DESIGN.md §2 invariants with bins and handling units, as a hypothesis state machine
checked against a plain model on SQLite and PostgreSQL: receipts, transfers between bins
and into and out of pallets and boxes, boxes nested on pallets, whole units moved (also by
a mission's whole-unit line, in the mission's transaction), units closed, reversals. After
every step: every position is non-negative, each quant equals the model, the warehouse's
balance is the sum of its locations and of the ledger, unit moves moved everything inside,
and a quant's version rose with every change."""

from collections import Counter
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from core.errors import Conflict, DomainError, InsufficientStock, ValidationError
from core.floor.handling_units import close_unit, create_unit, move_unit, nest_unit
from core.floor.mission_lines import LineRequest
from core.model import Movement
from core.stock.movements import post_movement, reverse_movement
from core.stock.requests import MovementRequest
from data.floor.handling_units import handling_unit_work
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import DatabaseFactory, make_product
from tests.floor import (
    location_id,
    make_bin,
    manager_actor,
    new_mission,
    record,
    started,
    worker_with_executor,
)
from tests.helpers import stock

PRODUCTS = 2
BINS = ("A-1", "A-2", "B-1")
quantities = st.integers(min_value=1, max_value=15)
Key = tuple[int, int, int | None]  # (product, location, unit)


def _order(item: tuple[int, int | None, int | None]) -> tuple[int, int, int]:
    """Sortable: loose stock (unit None) before any unit."""
    return (item[0], item[1] or 0, item[2] or 0)


def test_unit_invariants_hold_under_random_floor_work(databases: DatabaseFactory) -> None:
    class UnitMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = databases.fresh()
            self.products = [make_product(self.db) for _ in range(PRODUCTS)]
            self.places = [location_id(self.db, "MAIN")] + [make_bin(self.db, c) for c in BINS]
            self.model: Counter[Key] = Counter()
            # unit → [location, parent, open, kind]
            self.units: dict[int, list[object]] = {}
            self.seen: dict[Key, tuple[int, int]] = {}  # quant → (quantity, version)
            self.posted: list[int] = []
            self.keys = count()
            self.boss = manager_actor(self.db)
            self.worker, self.executor = worker_with_executor(self.db, "kuznetsov")

        # --- helpers ---------------------------------------------------------------------

        def _open_units_at(self, place: int) -> list[int]:
            return sorted(u for u, (loc, _, is_open, _) in self.units.items()
                          if loc == place and is_open)  # fmt: skip

        def _tree(self, unit: int) -> list[int]:
            found, todo = [unit], [unit]
            while todo:
                parent = todo.pop()
                kids = [
                    u for u, (_, p, is_open, _) in self.units.items() if p == parent and is_open
                ]
                found += kids
                todo += kids
            return found

        def _post(self, request: MovementRequest) -> int:
            movement = post_movement(self.db.unit_of_work(), request, user_id=None).movement
            self.posted.append(movement.id)
            return movement.id

        # --- rules -------------------------------------------------------------------------

        @rule(product=st.integers(0, PRODUCTS - 1), qty=quantities)
        def receive(self, product: int, qty: int) -> None:
            self._post(MovementRequest("RECEIPT", qty, product_id=self.products[product]))
            self.model[(self.products[product], self.places[0], None)] += qty

        @rule(kind=st.sampled_from(["pallet", "box"]), place=st.integers(0, len(BINS)),
              data=st.data())  # fmt: skip
        def make_unit(self, kind: str, place: int, data: st.DataObject) -> None:
            where = self.places[place]
            pallets = [u for u in self._open_units_at(where) if self.units[u][3] == "pallet"]
            parent = None
            if kind == "box" and pallets and data.draw(st.booleans()):
                parent = data.draw(st.sampled_from(pallets))
            unit = create_unit(handling_unit_work(self.db), kind, where, user_id=None,
                               parent_id=parent).unit  # fmt: skip
            assert (unit.location_id, unit.parent_id) == (where, parent)
            self.units[unit.id] = [where, parent, True, kind]

        @rule(qty=quantities, data=st.data())
        def transfer(self, qty: int, data: st.DataObject) -> None:
            held = sorted((k for k, v in self.model.items() if v > 0), key=_order)
            if not held:
                return
            product, src, out_of = data.draw(st.sampled_from(held))
            dst = data.draw(st.sampled_from(self.places))
            into = data.draw(st.sampled_from([None, *self._open_units_at(dst)]))
            request = MovementRequest(
                "TRANSFER", qty, product_id=product, from_location_id=src, to_location_id=dst,
                from_handling_unit_id=out_of, handling_unit_id=into,
            )  # fmt: skip
            try:
                self._post(request)
            except InsufficientStock:
                assert self.model[(product, src, out_of)] < qty
                return
            except ValidationError as refused:
                assert refused.code == "same_location" and (src, out_of) == (dst, into)
                return
            assert self.model[(product, src, out_of)] >= qty
            event(
                f"transfer {'from a unit' if out_of else 'loose'} → {'unit' if into else 'loose'}"
            )
            self.model[(product, src, out_of)] -= qty
            self.model[(product, dst, into)] += qty

        @rule(data=st.data())
        def move(self, data: st.DataObject) -> None:
            if not self.units:
                return
            unit = data.draw(st.sampled_from(sorted(self.units)))
            target = data.draw(st.sampled_from(self.places))
            where, _, is_open, _ = self.units[unit]
            try:
                moved = move_unit(handling_unit_work(self.db), unit, target, user_id=None)
            except Conflict as refused:
                assert refused.code == "handling_unit_closed" and not is_open
                return
            assert is_open
            if target == where:
                assert moved.movements == ()
                return
            self._moved(unit, where, target, moved.movements)

        @rule(data=st.data())
        def mission_moves_unit(self, data: st.DataObject) -> None:
            """A move mission with one whole-unit line, started and recorded."""
            if not self.units:
                return
            unit = data.draw(st.sampled_from(sorted(self.units)))
            target = data.draw(st.sampled_from(self.places))
            where, _, is_open, _ = self.units[unit]
            # Often the loose stock where it stands goes into it first: a move that counts.
            loose = sorted(k for k, v in self.model.items() if v and k[1] == where and not k[2])
            if is_open and loose and data.draw(st.booleans()):
                product = data.draw(st.sampled_from(loose))[0]
                qty = self.model[(product, where, None)]
                self._post(MovementRequest(
                    "TRANSFER", qty, product_id=product, from_location_id=where,
                    to_location_id=where, handling_unit_id=unit,
                ))  # fmt: skip
                self.model[(product, where, None)] -= qty
                self.model[(product, where, unit)] += qty
            line = LineRequest(None, None, None, target, unit)
            try:
                made = new_mission(self.db, self.boss, [line], kind="move")
            except ValidationError as refused:
                expected = "invalid_handling_unit" if not is_open else "same_location"
                assert refused.code == expected and (not is_open or target == where)
                return
            assert is_open and target != where
            running = started(self.db, self.boss, made, self.executor)
            done = record(self.db, self.worker, running, 0, None, idempotency_key=self._key())
            assert done.line.done_quantity == 1 and done.line.whole_unit
            event("a mission moved a unit" + (" with stock in it" if done.movements else ""))
            self._moved(unit, where, target, done.movements)

        def _key(self) -> str:
            return f"unit-line-{next(self.keys)}"

        def _moved(
            self, unit: int, where: int, target: int, movements: tuple[Movement, ...]
        ) -> None:
            """Check a unit move against the model (everything inside moved, nothing else,
            one document), then apply it to the model."""
            tree = self._tree(unit)
            inside = {k: v for k, v in self.model.items() if k[1] == where and k[2] in tree and v}
            booked = [(m.product_id, m.from_handling_unit_id, m.quantity) for m in movements]
            assert all(m.handling_unit_id == m.from_handling_unit_id for m in movements)
            assert sorted(booked, key=_order) == sorted(
                ((k[0], k[2], v) for k, v in inside.items()), key=_order
            )
            assert len({m.document for m in movements}) <= 1  # one document
            event("a unit moved with stock in it" if inside else "an empty unit moved")
            for (product, _, u), qty in inside.items():
                self.model[(product, where, u)] -= qty
                self.model[(product, target, u)] += qty
            for u in tree:
                self.units[u][0] = target
            self.units[unit][1] = None  # a box moved alone comes off its pallet
            self.posted += [m.id for m in movements]

        @rule(data=st.data())
        def nest(self, data: st.DataObject) -> None:
            if len(self.units) < 2:
                return
            unit, parent = data.draw(st.permutations(sorted(self.units)))[:2]
            try:
                nest_unit(handling_unit_work(self.db), unit, parent)
            except DomainError as refused:
                u, p = self.units[unit], self.units[parent]
                cycle = parent in self._tree(unit)
                closed = not u[2] or not p[2]
                assert closed or u[3] == "pallet" or u[0] != p[0] or cycle, refused
                return
            self.units[unit][1] = parent

        @rule(data=st.data())
        def close(self, data: st.DataObject) -> None:
            if not self.units:
                return
            unit = data.draw(st.sampled_from(sorted(self.units)))
            empty = not any(v for k, v in self.model.items() if k[2] == unit)
            children = [u for u, (_, p, is_open, _) in self.units.items() if p == unit and is_open]
            try:
                close_unit(handling_unit_work(self.db), unit)
            except Conflict as refused:
                assert refused.code == "handling_unit_not_empty" and (not empty or children)
                return
            assert (empty and not children) or not self.units[unit][2]
            self.units[unit][2] = False

        @rule(data=st.data())
        def reverse(self, data: st.DataObject) -> None:
            if not self.posted:
                return
            movement_id = data.draw(st.sampled_from(self.posted))
            try:
                back = reverse_movement(self.db.unit_of_work(), movement_id, user_id=None).movement
            except (Conflict, ValidationError) as refused:
                expected = {"already_reversed", "insufficient_stock", "handling_unit_moved"}
                assert refused.code in expected
                return
            src = (back.product_id, back.from_location_id, back.from_handling_unit_id)
            dst = (back.product_id, back.to_location_id, back.handling_unit_id)
            if back.from_location_id in self.places:
                assert self.model[src] >= back.quantity
                self.model[src] -= back.quantity
            if back.to_location_id in self.places:
                self.model[dst] += back.quantity

        # --- invariants --------------------------------------------------------------------

        @invariant()
        def positions_equal_the_model_and_the_ledger(self) -> None:
            with self.db.engine.connect() as conn:
                rows = conn.execute(sa.text(
                    "SELECT product_id, location_id, handling_unit_id, quantity, reserved, version "
                    "FROM quant"
                )).all()  # fmt: skip
                placed = dict(conn.execute(
                    sa.text("SELECT id, location_id FROM handling_unit")
                ).all())  # fmt: skip
            assert all(r.quantity >= 0 and 0 <= r.reserved <= r.quantity for r in rows)
            quants = {(r[0], r[1], r[2]): (r[3], r[5]) for r in rows}
            assert {k: q for k, (q, _) in quants.items() if q} == {
                k: v for k, v in self.model.items() if v
            }
            assert ledger_discrepancies(self.db.engine) == []
            for product in self.products:  # the managers' number = Σ of its places
                total = sum(v for k, v in self.model.items() if k[0] == product)
                assert stock(self.db, product)["good"] == total
            assert placed == {u: loc for u, (loc, *_) in self.units.items()}
            for key, (qty, version) in quants.items():  # every change raised the version
                before = self.seen.get(key)
                if before is not None:
                    assert version >= before[1]
                    assert qty == before[0] or version > before[1]
            self.seen = quants

    run_state_machine_as_test(
        UnitMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
