"""Picking per zone (issue 15): a wave splits an order whose bins lie in several zones into
a task per zone; the order goes on to its check or packing only when every zone is picked;
a cancel stops every zone's task and brings each picked unit back to its own bin; batches
never mix zones."""

import json

import pytest
import sqlalchemy as sa

from core.orders import waves
from core.orders.picking import assign_task
from core.orders.picks import pick_item
from core.orders.ports import Order
from data.database import Database
from data.orders.quality import order_checks
from data.orders.queries import history
from tests.conftest import make_product
from tests.floor import make_bin, worker_with_executor
from tests.order_checks import check_reservations
from tests.orders import cancel, fresh, place
from tests.picking import complete, started_task, stock_bin, task
from tests.quality import qc_for_customers  # noqa: F401 - a fixture, used by name

LINES = 3


def _zoned_floor(db: Database) -> tuple[list[int], dict[str, int]]:
    """Three products in bins A-1 (zone A), B-1 (zone B) and A-2 (zone A), in route order."""
    bins = {code: make_bin(db, code, route=route) for code, route in
            (("A-1", 10), ("B-1", 20), ("A-2", 30))}  # fmt: skip
    with db.engine.begin() as conn:
        for code, place_id in bins.items():
            conn.execute(sa.text("UPDATE location SET zone = :z WHERE id = :id"),
                         {"z": code[0], "id": place_id})  # fmt: skip
    products = [make_product(db) for _ in range(LINES)]
    for product, place_id in zip(products, bins.values(), strict=True):
        stock_bin(db, product, 20, place_id)
    return products, bins


def _order_tasks(db: Database, order: Order) -> list[int]:
    with db.engine.connect() as conn:
        query = sa.text("SELECT id FROM picking_task WHERE order_id = :o ORDER BY id")
        return [int(r[0]) for r in conn.execute(query, {"o": order.id})]


def _pick_whole(db: Database, task_id: int, username: str) -> None:
    started = started_task(db, task_id, username)
    for item in started.items:
        pick_item(db.unit_of_work(), task_id, item.id, item.quantity_required, None)
    complete(db, task_id)


def _quants(db: Database) -> dict[int, tuple[int, int]]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT location_id, sum(quantity), sum(reserved) "
                                    "FROM quant GROUP BY location_id"))  # fmt: skip
        return {int(loc): (int(q), int(r)) for loc, q, r in rows if q or r}


def test_a_wave_splits_an_order_across_zones_into_a_task_per_zone(db: Database) -> None:
    products, bins = _zoned_floor(db)
    order = place(db, [(p, 2) for p in products])
    done = waves.release_wave(db.unit_of_work(), waves.criteria(), None)
    assert (done.orders, done.zone_tasks, done.single) == (1, 1, 2)
    first, second = (task(db, t) for t in _order_tasks(db, order))
    assert (first.zone, first.split_from_id) == ("A", None)
    assert (second.zone, second.split_from_id) == ("B", first.id)
    assert [i.location_id for i in first.items] == [bins["A-1"], bins["A-2"]]
    assert [i.sequence for i in first.items] == [1, 2]
    assert [(i.location_id, i.sequence) for i in second.items] == [(bins["B-1"], 1)]
    assert {first.wave_id, second.wave_id} == {done.wave_id}
    with db.engine.connect() as conn:  # floor programs hear of the new task (DESIGN.md §7)
        payloads = [json.loads(p) for (p,) in conn.execute(sa.text(
            "SELECT payload FROM outbox_event WHERE event_type = 'picking.created' "
            "ORDER BY id"))]  # fmt: skip
    assert [p["task_id"] for p in payloads] == [str(first.id), str(second.id)]
    assert payloads[1]["order_id"] == order.external_id
    check_reservations(db)


def test_the_order_goes_to_packing_only_when_every_zone_is_picked(db: Database) -> None:
    products, _ = _zoned_floor(db)
    order = place(db, [(p, 2) for p in products])
    waves.release_wave(db.unit_of_work(), waves.criteria(), None)
    zone_a, zone_b = _order_tasks(db, order)
    _pick_whole(db, zone_b, "picker-b")
    waiting = fresh(db, order.id)
    assert (waiting.status, waiting.packing_task_id) == ("picking", None)
    last = history(db.engine, order.id)[-1].step
    assert f"ждёт другие зоны: зона A — задание {zone_a}" in last.details
    _pick_whole(db, zone_a, "picker-a")
    packed = fresh(db, order.id)
    assert packed.packing_task_id is not None
    assert [line.picked for line in packed.lines] == [2, 2, 2]
    check_reservations(db)


def test_a_check_after_a_split_takes_every_zones_units(
    db: Database,
    qc_for_customers: None,  # noqa: F811
) -> None:
    products, bins = _zoned_floor(db)
    order = place(db, [(p, 2) for p in products])
    waves.release_wave(db.unit_of_work(), waves.criteria(), None)
    zone_a, zone_b = _order_tasks(db, order)
    _pick_whole(db, zone_a, "picker-a")
    assert order_checks(db.engine, order.id) == []
    _pick_whole(db, zone_b, "picker-b")
    [check] = order_checks(db.engine, order.id)
    assert check.picking_task_id == zone_a
    assert sorted((i.location_id, i.quantity) for i in check.items) == sorted(
        (place_id, 2) for place_id in bins.values()
    )


def test_cancelling_a_split_order_stops_every_zone_and_returns_units_to_their_bins(
    db: Database,
) -> None:
    products, _ = _zoned_floor(db)
    before = _quants(db)
    order = place(db, [(p, 2) for p in products])
    waves.release_wave(db.unit_of_work(), waves.criteria(), None)
    zone_a, zone_b = _order_tasks(db, order)
    _pick_whole(db, zone_a, "picker-a")
    started = started_task(db, zone_b, "picker-b")
    pick_item(db.unit_of_work(), zone_b, started.items[0].id, 1, None)
    cancel(db, order.id)
    assert (task(db, zone_a).status, task(db, zone_b).status) == ("completed", "cancelled")
    assert _quants(db) == before  # every unit back in the bin it came from, nothing held
    check_reservations(db)


def test_without_split_zones_the_order_keeps_one_task(db: Database) -> None:
    products, _ = _zoned_floor(db)
    order = place(db, [(p, 1) for p in products])
    done = waves.release_wave(db.unit_of_work(), waves.criteria(), None, split_zones=False)
    assert done.zone_tasks == 0
    assert len(_order_tasks(db, order)) == 1
    with pytest.raises(Exception) as refused:
        waves.release_wave(db.unit_of_work(), waves.criteria(), None, split_zones="yes")
    assert getattr(refused.value, "code", "") == "invalid_split_zones"


def test_a_task_given_to_a_picker_is_not_split(db: Database) -> None:
    products, _ = _zoned_floor(db)
    order = place(db, [(p, 1) for p in products])
    _, executor = worker_with_executor(db, "zone-picker")
    assign_task(db.unit_of_work(), order.picking_task_id or 0, executor, None)
    done = waves.release_wave(db.unit_of_work(), waves.criteria(), None)
    assert (done.orders, done.zone_tasks) == (1, 0)
    assert len(task(db, order.picking_task_id or 0).items) == LINES


def test_batches_of_a_split_wave_never_mix_zones(db: Database) -> None:
    products, _ = _zoned_floor(db)
    a1, b1, _ = products
    orders = [place(db, [(a1, 1), (b1, 1)]) for _ in range(4)]
    done = waves.release_wave(db.unit_of_work(), waves.criteria(), None, batch_size=4)
    assert (done.orders, done.zone_tasks, done.batches) == (4, 4, 2)
    with db.engine.connect() as conn:
        query = sa.text("SELECT id FROM picking_task WHERE wave_id = :w ORDER BY id")
        tasks = [task(db, int(r[0])) for r in conn.execute(query, {"w": done.wave_id})]
    assert len(tasks) == 8
    by_batch: dict[int | None, set[str | None]] = {}
    for t in tasks:
        by_batch.setdefault(t.batch_id, set()).add(t.zone)
    assert None not in by_batch  # every task in a batch
    assert sorted(next(iter(z)) or "" for z in by_batch.values()) == ["A", "B"]
    assert all(len(z) == 1 for z in by_batch.values())
    assert {t.order_id for t in tasks} == {o.id for o in orders}
