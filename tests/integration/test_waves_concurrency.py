"""Managers releasing overlapping waves, and building batches of the same orders, at the
same time (issue 15): each order's task is claimed by one conditional statement, so it
ends in one wave and one batch at most, and every order is in one. PostgreSQL (row locks,
many connections) and SQLite (one writer at a time)."""

from contextlib import suppress

import sqlalchemy as sa

from core.errors import Conflict
from core.orders import batches, waves
from data.database import Database
from tests.conftest import make_product
from tests.floor import make_bin
from tests.integration.test_concurrency import run_in_threads
from tests.order_checks import check_reservations
from tests.orders import cancel, place
from tests.picking import stock_bin

ORDERS = 40
MANAGERS = 6


def _orders(db: Database) -> list[int]:
    product = make_product(db)
    stock_bin(db, product, ORDERS, make_bin(db, "C-1", route=5))
    return [place(db, [(product, 1)]).picking_task_id or 0 for _ in range(ORDERS)]


def test_overlapping_waves_never_share_an_order(db: Database) -> None:
    tasks = _orders(db)
    released: list[waves.Released] = []

    def work(index: int) -> None:
        # Half take everything, half the first 25: the sets overlap.
        limit = ORDERS if index % 2 else 25
        with suppress(Conflict):  # another manager took them all first
            released.append(waves.release_wave(
                db.unit_of_work(), waves.criteria(limit=limit), None, batch_size=3))  # fmt: skip

    run_in_threads(work, threads=MANAGERS)  # a deadlock would raise here
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT t.id, t.wave_id, b.wave_id FROM picking_task t "
            "LEFT JOIN pick_batch b ON b.id = t.batch_id")).all()  # fmt: skip
        claimed = conn.execute(sa.text("SELECT sum(order_count) FROM pick_wave")).scalar_one()
    assert sorted(r[0] for r in rows) == sorted(tasks)
    assert all(r[1] is not None for r in rows), "every order is in a wave"
    assert all(r[2] is None or r[2] == r[1] for r in rows), "a batch stays in its wave"
    assert claimed == ORDERS == sum(r.orders for r in released)


def test_concurrent_batches_never_share_an_order(db: Database) -> None:
    tasks = _orders(db)

    def work(index: int) -> None:
        mine = tasks[index * 4 : index * 4 + 10]  # neighbours overlap by 6
        with suppress(Conflict):
            batches.create_batch(db.unit_of_work(), mine, None)

    run_in_threads(work, threads=MANAGERS)
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT batch_id, count(*), count(DISTINCT batch_slot), max(batch_slot) "
            "FROM picking_task WHERE batch_id IS NOT NULL GROUP BY batch_id")).all()  # fmt: skip
        batched = conn.execute(sa.text(
            "SELECT count(*), count(DISTINCT id) FROM picking_task "
            "WHERE batch_id IS NOT NULL")).one()  # fmt: skip
    assert batched[0] == batched[1] == len(set(tasks[: (MANAGERS - 1) * 4 + 10]))
    for _, size, slots, top in rows:
        assert size == slots == top, "slots 1…n, one order each"


def test_a_wave_splitting_orders_per_zone_racing_their_cancels_leaves_no_open_task(
    db: Database,
) -> None:
    """Half the threads release zone-splitting waves, half cancel the same orders: a
    cancelled order never keeps an open task (the wave locks the order before splitting),
    and every reservation stays consistent."""
    zones = []
    for code, route in (("ZA-1", 10), ("ZB-1", 20)):
        place_id = make_bin(db, code, route=route)
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE location SET zone = :z WHERE id = :id"),
                         {"z": code[:2], "id": place_id})  # fmt: skip
        zones.append(place_id)
    products = [make_product(db) for _ in zones]
    for product, place_id in zip(products, zones, strict=True):
        stock_bin(db, product, ORDERS, place_id)
    orders = [place(db, [(p, 1) for p in products]).id for _ in range(ORDERS)]

    def work(index: int) -> None:
        if index % 2:
            with suppress(Conflict):
                waves.release_wave(db.unit_of_work(), waves.criteria(limit=ORDERS // 2), None)
        else:
            for order_id in orders[index::MANAGERS]:
                cancel(db, order_id)

    run_in_threads(work, threads=MANAGERS)
    with db.engine.connect() as conn:
        open_tasks = conn.execute(sa.text(
            "SELECT t.id FROM picking_task t JOIN sale_order o ON o.id = t.order_id "
            "WHERE o.status = 'cancelled' AND t.status NOT IN ('completed', 'cancelled')"
        )).all()  # fmt: skip
        split = conn.execute(sa.text(
            "SELECT count(*) FROM picking_task WHERE split_from_id IS NOT NULL"
        )).scalar_one()  # fmt: skip
    assert open_tasks == []
    assert split > 0, "some orders were split before their cancel came"
    check_reservations(db)
