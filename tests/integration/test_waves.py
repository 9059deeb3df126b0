"""Waves and batch picking (issue 15): releasing a wave claims each order's task once,
groups small orders into batches, the batch walk merges bins in route order, a pick in a
batch is that order's pick, and the put wall sends each unit to its order's slot."""

import pytest
import sqlalchemy as sa

from core.errors import Conflict, NotFound, ValidationError
from core.orders import batches, waves
from core.orders.picking import assign_task
from core.orders.ports import Order
from core.orders.wave_ports import Batch, WaveCriteria
from data.database import Database
from tests.conftest import make_product
from tests.floor import make_bin, worker_with_executor
from tests.order_checks import check_reservations
from tests.orders import cancel, fresh, place
from tests.picking import stock_bin, task


def _floor(db: Database) -> tuple[list[int], list[int]]:
    products = [make_product(db) for _ in range(3)]
    bins = [make_bin(db, f"W-{n}", route=10 * (n + 1)) for n in range(3)]
    for product, place_ in zip(products, bins, strict=True):
        stock_bin(db, product, 50, place_)
    return products, bins


def _batch(db: Database, *orders: Order) -> tuple[Batch, list[int]]:
    return batches.create_batch(db.unit_of_work(), [o.picking_task_id or 0 for o in orders], None)


def _release(db: Database, **kw: object) -> waves.Released:
    size = kw.pop("batch_size", 1)
    return waves.release_wave(db.unit_of_work(), waves.criteria(**kw), None,
                              batch_size=size)  # fmt: skip


def test_wave_takes_released_orders_and_batches_the_small_ones(db: Database) -> None:
    (a, b, c), _ = _floor(db)
    small = [place(db, [(a, 1), (b, 1)]) for _ in range(4)]
    big = place(db, [(c, 9)])
    done = _release(db, batch_size=2)
    assert (done.orders, done.batches, done.single) == (5, 2, 1)
    slots = sorted((task(db, o.picking_task_id or 0).batch_slot or 0) for o in small)
    assert slots == [1, 1, 2, 2]
    assert task(db, big.picking_task_id or 0).batch_id is None
    assert task(db, big.picking_task_id or 0).wave_id == done.wave_id
    with pytest.raises(Conflict) as taken:  # every order is in a wave already
        _release(db)
    assert taken.value.code == "nothing_to_release"


def test_wave_criteria_filter_by_carrier_priority_and_zone(db: Database) -> None:
    (a, b, _), _ = _floor(db)
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE carrier SET is_active = :y WHERE code = 'cdek'"), {"y": True})
    place(db, [(a, 1)], carrier="cdek", priority="urgent")
    place(db, [(b, 1)], carrier="manual", priority="low")
    assert _release(db, carrier="cdek").orders == 1
    with pytest.raises(Conflict):  # the low one is left, and it is not urgent enough
        _release(db, priority="high")
    with pytest.raises(Conflict):
        _release(db, zone="Z9")  # its bin has no zone
    with pytest.raises(ValidationError):
        waves.criteria(priority="soon")


def test_batch_walk_stops_once_per_bin_in_route_order(db: Database) -> None:
    (a, b, c), _ = _floor(db)
    orders = [place(db, [(c, 1), (a, 2)]), place(db, [(a, 1), (b, 3)])]
    batch, left = batches.create_batch(db.unit_of_work(),
                                       [o.picking_task_id or 0 for o in orders], None)  # fmt: skip
    assert left == []
    walk = batches.stops(batch)
    assert [s.location_code for s in walk] == ["W-0", "W-1", "W-2"]
    first = walk[0].products[0]
    assert first.quantity == 3
    assert [(p.slot, p.quantity) for p in first.portions] == [(1, 2), (2, 1)]


def test_a_batch_pick_is_that_orders_pick_and_a_short_releases_only_its_rest(
    db: Database,
) -> None:
    (a, b, _), _ = _floor(db)
    one, two = place(db, [(a, 2)]), place(db, [(a, 3), (b, 1)])
    batch, _ = _batch(db, one, two)
    actor, executor = worker_with_executor(db, "batcher")
    batch = batches.take_batch(db.unit_of_work, batch.id, executor, actor.user_id)
    assert {line.task_status for line in batch.lines} == {"in_progress"}
    for stop in batches.stops(batch):
        for product in stop.products:
            for p in product.portions:
                quantity = p.quantity - 1 if p.slot == 2 and product.product_id == a else p.quantity
                batch = batches.pick_in_batch(db.unit_of_work, batch.id, p.item_id, quantity,
                                              actor.user_id, barcode=product.barcode)  # fmt: skip
    assert fresh(db, one.id).lines[0].picked == 2
    second = fresh(db, two.id)
    assert [(x.picked, x.reserved) for x in second.lines] == [(2, 0), (1, 0)]
    assert {line.task_status for line in batch.lines} == {"completed"}
    assert fresh(db, one.id).packing_task_id is not None
    check_reservations(db)
    # The put wall: units of `a` go to slot 1 twice, then to slot 2 twice, then none left.
    barcode = next(x.item.barcode for x in batch.lines if x.item.product_id == a)
    slots = [batches.put_unit(db.unit_of_work(), batch.id, barcode, None).slot for _ in range(4)]
    assert slots == [1, 1, 2, 2]
    with pytest.raises(Conflict) as none_left:
        batches.put_unit(db.unit_of_work(), batch.id, barcode, None)
    assert none_left.value.code == "nothing_to_put"
    with pytest.raises(ValidationError):
        batches.put_unit(db.unit_of_work(), batch.id, "0000", None)


def test_an_order_is_never_in_two_batches(db: Database) -> None:
    (a, _, _), _ = _floor(db)
    orders = [place(db, [(a, 1)]) for _ in range(5)]
    ids = [o.picking_task_id or 0 for o in orders]
    batches.create_batch(db.unit_of_work(), ids[:2], None)
    second, left = batches.create_batch(db.unit_of_work(), ids[1:4], None)
    assert left == [ids[1]]
    assert second.task_ids == [ids[2], ids[3]]
    with pytest.raises(Conflict) as again:  # one free order is no batch
        batches.create_batch(db.unit_of_work(), ids[3:], None)
    assert again.value.code == "already_batched"


def test_a_cancelled_order_drops_out_of_its_batch_walk(db: Database) -> None:
    (a, b, _), _ = _floor(db)
    one, two = place(db, [(a, 1)]), place(db, [(b, 1)])
    batch, _ = _batch(db, one, two)
    cancel(db, one.id)
    walk = batches.stops(batches.read_batch(db.unit_of_work(), batch.id))
    assert [s.location_code for s in walk] == ["W-1"]
    with pytest.raises(NotFound):
        batches.read_batch(db.unit_of_work(), 10**6)


def test_walk_counts_stops_and_route_distance() -> None:
    assert waves.walk([(1, 10), (2, 40), (1, 10)]) == (2, 30)
    assert waves.walk([]) == (0, 0)
    assert WaveCriteria().limit == 500


def test_an_order_already_assigned_to_a_picker_stays_out_of_batches(db: Database) -> None:
    (a, _, _), _ = _floor(db)
    orders = [place(db, [(a, 1)]) for _ in range(3)]
    _, executor = worker_with_executor(db, "early")
    assign_task(db.unit_of_work(), orders[0].picking_task_id or 0, executor, None)
    done = _release(db, batch_size=3)
    assert (done.orders, done.batches, done.single) == (3, 1, 1)
    assert task(db, orders[0].picking_task_id or 0).batch_id is None
    assert task(db, orders[1].picking_task_id or 0).batch_slot == 1


def test_a_dissolved_batch_lets_its_unstarted_orders_go_one_by_one(db: Database) -> None:
    (a, _, _), _ = _floor(db)
    one, two, three = (place(db, [(a, 1)]) for _ in range(3))
    batch, _ = _batch(db, one, two, three)
    actor, executor = worker_with_executor(db, "started")
    batch = batches.take_batch(db.unit_of_work, batch.id, executor, actor.user_id)
    assert {x.task_status for x in batch.lines} == {"in_progress"}
    with pytest.raises(Conflict):  # every order of it is being picked
        batches.dissolve_batch(db.unit_of_work(), batch.id)
    other, _ = _batch(db, *(place(db, [(a, 1)]) for _ in range(2)))
    kept, left = batches.dissolve_batch(db.unit_of_work(), other.id)
    assert left == 2 and kept.lines == ()
    with pytest.raises(NotFound):
        batches.dissolve_batch(db.unit_of_work(), 10**6)
