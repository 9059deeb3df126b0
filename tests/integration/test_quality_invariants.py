"""Invariants 1–6 (DESIGN.md §2, §2b) through quality control and returns (issue 15), as
a hypothesis state machine: with checks required for customer orders, random receipts into
bins, orders, picking (whole), checks started, units counted good or defective (a retry
with the same key now and then), checks finished (pass → packing; fail → write-off and a
re-pick or a short), packing and shipping, returns of shipped units (good or defective)
and cancels, against a real database. After every step: no quant is negative or
over-reserved (1), every quant is its ledger sum (2, and so 3), a retried step changed
nothing (4), the ledger only grew (5), `reserved` is its active reservations and no line
holds more than it asked (6); besides, the station holds what open orders picked, every
settled defect has its write-off, and no order got back more than it shipped."""

from collections import Counter
from contextlib import suppress
from itertools import count

import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from core.errors import Conflict, InsufficientStock
from core.orders.orders import cancel_order
from core.orders.packing import ItemRequest, PackageRequest, add_package, pack_task
from core.orders.packing import start_task as start_packing
from core.orders.quality import UnitRequest, finish_check, record_unit, start_check
from core.orders.shipping import ship_task
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import DatabaseFactory, make_product
from tests.floor import location_id, make_bin, worker_with_executor
from tests.helpers import source_id
from tests.integration.test_picking_invariants import STATION
from tests.order_checks import check_reservations
from tests.orders import fresh, place
from tests.packing import BOX
from tests.packing import task as pack_read
from tests.quality import pick_all, qc_for_customers, read
from tests.returns import give_back

__all__ = ["qc_for_customers"]

PRODUCTS = 2
quantities = st.integers(min_value=1, max_value=4)
which = st.integers(0, 10_000)
FREE_PICKS = sa.text(
    "SELECT id FROM picking_task WHERE status IN ('pending', 'assigned') ORDER BY id"
)
OPEN_CHECKS = sa.text(
    "SELECT id FROM qc_task WHERE status IN ('pending', 'in_progress') ORDER BY id"
)
PACKS = sa.text("SELECT id FROM packing_task WHERE status = 'pending' ORDER BY id")
SHIPPED_ORDERS = sa.text("SELECT id FROM sale_order WHERE status = 'shipped' ORDER BY id")
LEDGER = sa.text(
    "SELECT id, operation_type, product_id, quantity, from_location_id, to_location_id "
    "FROM movement ORDER BY id"
)
# Settled defects without their WRITE_OFF to DEFECT (a missing unit: its ADJUSTMENT to
# INVENTORY_LOSS), and checks' movements without a settled unit.
UNBOOKED = sa.text(
    "SELECT d.id FROM qc_defect d LEFT JOIN movement m ON m.id = d.movement_id "
    "LEFT JOIN location t ON t.id = m.to_location_id WHERE d.outcome IS NOT NULL AND "
    "(m.id IS NULL OR (m.operation_type, t.code) NOT IN (('WRITE_OFF', 'DEFECT'), "
    "('ADJUSTMENT', 'INVENTORY_LOSS')) OR (t.code = 'INVENTORY_LOSS') <> "
    "(d.reason = 'Нет в наличии'))"
)
CHECK_WRITE_OFFS = sa.text(
    "SELECT (SELECT count(*) FROM movement WHERE operation_type IN ('WRITE_OFF', 'ADJUSTMENT') "
    "AND notes LIKE 'Контроль качества%'), (SELECT count(*) FROM qc_defect "
    "WHERE outcome IS NOT NULL)"
)
# Per order and product: returned more than shipped.
OVER_RETURNED = sa.text(
    "SELECT r.order_id, r.product_id FROM order_return r GROUP BY r.order_id, r.product_id "
    "HAVING sum(r.quantity) > (SELECT coalesce(sum(l.shipped), 0) FROM order_line l "
    "WHERE l.order_id = r.order_id AND l.product_id = r.product_id)"
)


def test_quality_control_and_returns_keep_the_ledger_whole(
    databases: DatabaseFactory, qc_for_customers: None
) -> None:
    seen: Counter[str] = Counter()  # what the runs reached, so the test cannot pass idle

    class QualityMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = databases.fresh()
            self.products = [make_product(self.db) for _ in range(PRODUCTS)]
            self.main = location_id(self.db, "MAIN")
            self.bins = [make_bin(self.db, f"Q-{n}", route=n) for n in range(2)]
            _, self.executor = worker_with_executor(self.db, "checker")
            _, self.packer = worker_with_executor(self.db, "packer")
            self.orders: list[int] = []
            self.numbers = count()
            self.ledger: list[tuple[object, ...]] = []
            self.source = source_id(self.db)  # the orders name none: a return says whence

        def _ids(self, statement: sa.TextClause, **params: object) -> list[int]:
            with self.db.engine.connect() as conn:
                return [r[0] for r in conn.execute(statement, params)]

        def _one(self, statement: sa.TextClause, pick: int, **params: object) -> int | None:
            found = self._ids(statement, **params)
            return found[pick % len(found)] if found else None

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
                             max_size=2, unique_by=lambda t: t[0]),
              stocked=st.booleans(), spare=st.integers(0, 2), picked=st.booleans())  # fmt: skip
        def order(self, lines: list[tuple[int, int]], stocked: bool, spare: int,
                  picked: bool) -> None:  # fmt: skip
            """An order, its stock (and a spare or two) brought first or not (it may wait),
            and picked at once or left to the picking rule."""
            if stocked:
                for p, q in lines:
                    self.receive_and_put_away(p, q + spare, p % 2)
            made = place(self.db, [(self.products[p], q) for p, q in lines],
                         external_id=f"QC-{next(self.numbers)}")  # fmt: skip
            self.orders.append(made.id)
            if picked and made.picking_task_id is not None:
                pick_all(self.db, made.picking_task_id)

        @precondition(lambda self: bool(self._ids(FREE_PICKS)))
        @rule(pick=which)
        def pick_a_task(self, pick: int) -> None:
            task_id = self._one(FREE_PICKS, pick)
            if task_id is not None:
                pick_all(self.db, task_id)

        @precondition(lambda self: bool(self._ids(OPEN_CHECKS)))
        @rule(pick=which, units=st.integers(0, 8), defect=st.integers(0, 9),
              retry=st.booleans(), finish=st.booleans())  # fmt: skip
        def check_step(self, pick: int, units: int, defect: int, retry: bool,
                       finish: bool) -> None:  # fmt: skip
            """One open check on: started if pending; a few units counted in a row (the
            `defect`-th of them, if any, defective, the `defect - 5`-th missing); finished
            if all are counted."""
            task_id = self._one(OPEN_CHECKS, pick)
            assert task_id is not None
            if read(self.db, task_id).status == "pending":
                start_check(self.db.unit_of_work(), task_id, self.executor, None)
            self._count(task_id, units, defect, retry)
            t = read(self.db, task_id)
            if finish and t.checked_units == t.total_units:
                done = finish_check(self.db.unit_of_work(), task_id, None).task
                assert done.status == ("failed" if t.defects else "passed")
                seen[done.status] += 1
                seen.update(d.outcome or "" for d in done.defects)
                seen.update("missing" for d in done.defects if d.missing)

        def _count(self, task_id: int, units: int, defect: int, retry: bool) -> None:
            for n in range(units):
                left = [i for i in read(self.db, task_id).items if i.left > 0]
                if not left:
                    return
                bad = n == defect or n == defect - 5  # a defect, or a unit not there
                condition = "good" if not bad else "defect" if n == defect else "missing"
                request = UnitRequest(condition, product_id=left[0].product_id,
                                      reason="Повреждён товар" if bad else None)  # fmt: skip
                key = f"u{next(self.numbers)}"
                done = record_unit(self.db.unit_of_work(), task_id, request, None,
                                   idempotency_key=key)  # fmt: skip
                if retry:  # invariant 4: the same request again changes nothing
                    again = record_unit(self.db.unit_of_work(), task_id, request, None,
                                        idempotency_key=key)  # fmt: skip
                    assert again.replayed
                    assert read(self.db, task_id).checked_units == done.task.checked_units

        @precondition(lambda self: bool(self._ids(PACKS)))
        @rule(pick=which)
        def pack_and_ship(self, pick: int) -> None:
            task_id = self._one(PACKS, pick)
            if task_id is None:
                return
            uow = self.db.unit_of_work
            start_packing(uow(), task_id, self.packer, None)
            t = pack_read(self.db, task_id)
            items = [ItemRequest(i.quantity, i.product_id) for i in t.items if i.quantity]
            if items:
                add_package(uow(), task_id, PackageRequest("box", items, **BOX), None)
            pack_task(uow(), task_id, None)
            ship_task(uow(), task_id, "manual", f"T-{task_id}", None)
            seen["shipped"] += 1

        @precondition(lambda self: bool(self._ids(SHIPPED_ORDERS)))
        @rule(pick=which, product=st.integers(0, PRODUCTS - 1), defect=st.booleans(),
              quantity=st.integers(1, 2), retry=st.booleans())  # fmt: skip
        def return_units(self, pick: int, product: int, defect: bool, quantity: int,
                         retry: bool) -> None:  # fmt: skip
            order_id = self._one(SHIPPED_ORDERS, pick)
            if order_id is None:
                return
            lines = fresh(self.db, order_id).lines
            pid = lines[product % len(lines)].product_id
            key = f"r{next(self.numbers)}"
            kw: dict[str, object] = {"source_id": self.source}
            if defect:
                kw["reason"] = "Бой"
            try:
                give_back(self.db, order_id, pid, "defect" if defect else "good", quantity,
                          key=key, **kw)  # fmt: skip
            except Conflict as refusal:  # more than is left to return
                assert refusal.code == "return_exceeds_shipped"
                return
            seen["return " + ("defect" if defect else "good")] += 1
            if retry:
                again = give_back(self.db, order_id, pid, "defect" if defect else "good",
                                  quantity, key=key, **kw)  # fmt: skip
                assert again.replayed

        @rule(pick=which)
        def cancel(self, pick: int) -> None:
            if self.orders:
                with suppress(Conflict):  # shipped or cancelled already
                    cancel_order(self.db.unit_of_work(), self.orders[pick % len(self.orders)],
                                 "проверка", None)  # fmt: skip

        @invariant()
        def quants_match_reservations_and_the_ledger(self) -> None:
            check_reservations(self.db)  # 1 and 6
            assert ledger_discrepancies(self.db.engine) == []  # 2 (and 3)

        @invariant()
        def the_ledger_only_grows(self) -> None:  # 5
            with self.db.engine.connect() as conn:
                now = [tuple(r) for r in conn.execute(LEDGER)]
            assert now[: len(self.ledger)] == self.ledger
            self.ledger = now

        @invariant()
        def the_station_holds_what_was_picked(self) -> None:
            with self.db.engine.connect() as conn:
                at_station, picked = conn.execute(STATION).one()
                assert at_station == picked
                assert conn.execute(UNBOOKED).all() == []
                written, settled = conn.execute(CHECK_WRITE_OFFS).one()
                assert written == settled
                assert conn.execute(OVER_RETURNED).all() == []

    run_state_machine_as_test(
        QualityMachine,
        settings=settings(
            max_examples=60, stateful_step_count=50, deadline=None,
            derandomize=True,  # the same runs each time: what they reach is asserted below
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )  # fmt: skip
    # A short needs the last unit of a product gone from every bin, which these runs reach
    # only now and then: tests/integration/test_quality_missing.py and test_quality_control.py
    # short a line on purpose.
    wanted = {"passed", "failed", "repicked", "missing", "shipped", "return good",
              "return defect"}  # fmt: skip
    assert wanted <= set(seen), f"the runs never reached {wanted - set(seen)}: {seen}"
