"""Reservation expiry (DESIGN.md §2b.1, §2b.5; core.orders.expiry) on SQLite and
PostgreSQL: off by default; with WMS_RESERVATION_TTL_MINUTES set an expired reservation
is released as a cancel releases it and the order waits again, an unexpired one is kept,
an order being picked keeps its stock; invariant 6 after each test; a sweep racing
cancels ends consistent."""

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa

from core.orders.expiry import expire_reservations
from core.orders.orders import cancel_order
from core.periods import now_utc
from core.settings import get_settings
from data.database import Database
from data.orders.queries import history
from tests.conftest import make_product
from tests.helpers import post, stock
from tests.integration.test_concurrency import run_in_threads
from tests.order_checks import check_reservations
from tests.orders import fresh, place
from tests.picking import started_task, task

TTL = 30


@pytest.fixture(autouse=True)
def invariant_6_holds_after_each_test(db: Database) -> Iterator[None]:
    yield
    check_reservations(db)


@pytest.fixture
def ttl(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("WMS_RESERVATION_TTL_MINUTES", str(TTL))
    get_settings.cache_clear()
    yield TTL
    monkeypatch.delenv("WMS_RESERVATION_TTL_MINUTES")
    get_settings.cache_clear()


def sweep(db: Database, minutes: float) -> dict[str, int]:
    """The sweep as it would run `minutes` from now."""
    return expire_reservations(db.unit_of_work, now_utc() + timedelta(minutes=minutes))


def actions(db: Database, order_id: int) -> list[str]:
    return [row.step.action for row in history(db.engine, order_id)]


def test_reservations_never_expire_by_default(db: Database) -> None:
    assert get_settings().reservation_ttl_minutes is None
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    order = place(db, [(product, 3)])
    assert order.reserved_until is None
    assert all(r.expires_at is None for r in order.reservations)
    assert sweep(db, 60 * 24 * 365) == {"due": 0, "expired": 0, "failed": 0, "units": 0}
    assert fresh(db, order.id).status == "reserved"
    assert stock(db, product)["reserved"] == 3


def test_a_reservation_carries_its_expiry_and_is_kept_until_then(db: Database, ttl: int) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    before = now_utc()
    order = place(db, [(product, 3)])
    assert order.reserved_until is not None
    assert before + timedelta(minutes=ttl) <= order.reserved_until
    assert order.reserved_until <= now_utc() + timedelta(minutes=ttl)
    assert {r.expires_at for r in order.reservations} == {order.reserved_until}
    assert sweep(db, ttl - 1)["expired"] == 0
    assert fresh(db, order.id).status == "reserved"
    assert stock(db, product)["reserved"] == 3


def test_an_expired_reservation_goes_to_the_more_urgent_waiting_order(
    db: Database, ttl: int
) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    early = place(db, [(product, 4)])
    urgent = place(db, [(product, 3)], priority="urgent")
    assert (early.status, urgent.status) == ("reserved", "awaiting_stock")
    result = sweep(db, ttl + 1)
    assert result == {"due": 1, "expired": 1, "failed": 0, "units": 4}
    # Released as a cancel releases: the picking task cancelled, nothing held.
    expired = fresh(db, early.id)
    assert expired.status == "awaiting_stock" and expired.reservations == ()
    assert expired.reserved_until is None
    assert task(db, early.picking_task_id or 0).status == "cancelled"  # type: ignore[arg-type]
    steps = history(db.engine, early.id)
    assert steps[-1].step.action == "expired"
    assert steps[-1].step.details == "Резерв истёк (снят резерв: 4 шт.)"
    # The retry after the commit gave the units to the urgent order; the early one waits.
    assert fresh(db, urgent.id).status == "reserved"
    assert stock(db, product) == {"good": 5, "defect": 0, "reserved": 3, "available": 2}
    # Stock arrives: the expired order is reserved again, with a new expiry and task.
    post(db, "RECEIPT", product, 2)
    again = fresh(db, early.id)
    assert again.status == "reserved" and again.reserved_until is not None
    assert again.picking_task_id != early.picking_task_id
    assert actions(db, early.id)[-2:] == ["expired", "retried"]


def test_an_expired_order_nobody_is_ahead_of_is_reserved_again_with_a_new_expiry(
    db: Database, ttl: int
) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    order = place(db, [(product, 5)])
    assert sweep(db, ttl + 1)["expired"] == 1
    again = fresh(db, order.id)
    assert again.status == "reserved"
    assert again.reserved_until is not None and order.reserved_until is not None
    assert again.reserved_until >= order.reserved_until
    assert actions(db, order.id)[-2:] == ["expired", "retried"]
    assert stock(db, product)["reserved"] == 5


def test_an_order_being_picked_keeps_its_stock(db: Database, ttl: int) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    picking = place(db, [(product, 2)])
    kept = place(db, [(product, 2)])
    assert picking.picking_task_id is not None
    started_task(db, picking.picking_task_id)
    assert fresh(db, picking.id).status == "picking"
    result = sweep(db, ttl + 1)
    assert result["expired"] == 1  # the other one, still only reserved
    assert fresh(db, picking.id).status == "picking"
    assert sum(r.quantity for r in fresh(db, picking.id).reservations) == 2
    assert task(db, picking.picking_task_id).status == "in_progress"
    assert "expired" in actions(db, kept.id)
    assert "expired" not in actions(db, picking.id)


def test_a_cancelled_order_is_not_expired_again(db: Database, ttl: int) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    order = place(db, [(product, 2)])
    cancel_order(db.unit_of_work(), order.id, "передумал", None)
    assert sweep(db, ttl + 1)["due"] == 0
    assert fresh(db, order.id).status == "cancelled"
    assert stock(db, product)["reserved"] == 0


def test_a_sweep_racing_cancels_ends_consistent(db: Database, ttl: int) -> None:
    products = [make_product(db) for _ in range(3)]
    for product in products:
        post(db, "RECEIPT", product, 40)
    placed = [
        place(db, [(products[n % 3], 2), (products[(n + 1) % 3], 1)], external_id=f"R-{n}")
        for n in range(24)
    ]
    assert all(o.status == "reserved" for o in placed)
    outcomes: list[dict[str, int]] = []

    def worker(index: int) -> None:
        if index < 2:  # two sweeps (two app processes)
            outcomes.append(sweep(db, ttl + 1))
            return
        for order in placed[index - 2 : 12 : 6]:  # the first half: cancelled, maybe expired
            try:
                cancel_order(db.unit_of_work(), order.id, "гонка", None)
            except Exception as error:  # cancelled by another thread first
                assert getattr(error, "code", "") == "invalid_transition", error

    run_in_threads(worker, threads=8)
    check_reservations(db)
    # An order a sweep could not lock at once (PostgreSQL) is left to the next round.
    if any(o["failed"] for o in outcomes):
        assert sweep(db, ttl + 1)["failed"] == 0
    for order in placed:
        now = fresh(db, order.id)
        assert now.status in ("cancelled", "reserved", "awaiting_stock")
        if now.status == "cancelled":
            assert now.reservations == ()
    assert all(fresh(db, o.id).status == "cancelled" for o in placed[:12])
    assert all("expired" in actions(db, o.id) for o in placed[12:])


def test_the_sweep_gives_way_to_a_worker_starting_the_pick(db: Database, ttl: int) -> None:
    """A worker starting the task locks it, then the order; the sweep locks the order, then
    the task. The sweep waits only briefly, so it gives up, not the worker."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no row locks: its writers take turns")
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    order = place(db, [(product, 2)])
    results: list[dict[str, int]] = []
    with db.engine.connect() as worker, worker.begin():
        worker.execute(sa.text("SELECT id FROM picking_task WHERE id = :id FOR UPDATE"),
                       {"id": order.picking_task_id})  # fmt: skip
        sweeping = threading.Thread(target=lambda: results.append(sweep(db, ttl + 1)))
        sweeping.start()
        sweeping.join(timeout=20)  # waiting on for the task would never end here
        assert not sweeping.is_alive(), "the sweep waited for the worker's lock"
        # The worker goes on to the order's row: the sweep let go of it.
        worker.execute(sa.text("SELECT id FROM sale_order WHERE id = :id FOR NO KEY UPDATE"),
                       {"id": order.id})  # fmt: skip
    assert results == [{"due": 1, "expired": 0, "failed": 1, "units": 0}]
    assert fresh(db, order.id).status == "reserved"
    assert sweep(db, ttl + 1)["expired"] == 1  # the next round, the lock gone
