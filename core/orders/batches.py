"""Batch picking (issue 15): one worker picks several small orders in one walk.

A batch claims its orders' picking tasks one at a time, each by one conditional statement
(not in a batch yet, no picker assigned), so two managers building batches at once never
put one order in two. The walk merges the items of all its orders by bin in route order —
one stop per bin, the quantity per order shown — and every confirmation is the
single-order pick of that order's item (core.orders.picks.pick_item): one rule in one
place, so a short pick releases only what that order lacked. A task whose items are all
done is completed at once (its packing task is made as for a single order). At the
packing table the put wall sends each scanned unit to its order's slot.
"""

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass

from core.errors import Conflict, NotFound, ValidationError
from core.orders import picking, picks
from core.orders.picking import Done
from core.orders.rules import clean_key
from core.orders.wave_ports import Batch, BatchLine, WavesUnitOfWork
from core.orders.waves import MAX_BATCH
from core.periods import now_utc
from core.states import PickingStatus

NewUnit = Callable[[], WavesUnitOfWork]
NOT_STARTED = (PickingStatus.PENDING, PickingStatus.ASSIGNED)


@dataclass(frozen=True)
class Portion:
    """One order's share of a stop's product."""

    task_id: int
    item_id: int
    order_external_id: str
    slot: int
    quantity: int
    picked: int
    status: str


@dataclass(frozen=True)
class StopProduct:
    product_id: int
    barcode: str
    sku: str
    name: str
    portions: tuple[Portion, ...]

    @property
    def quantity(self) -> int:
        return sum(p.quantity for p in self.portions)

    @property
    def pending(self) -> tuple[Portion, ...]:
        return tuple(p for p in self.portions if p.status == "pending")


@dataclass(frozen=True)
class Stop:
    location_id: int
    location_code: str
    route: int
    products: tuple[StopProduct, ...]

    @property
    def done(self) -> bool:
        return all(not p.pending for p in self.products)


@dataclass(frozen=True)
class Put:
    task_id: int
    order_id: int
    order_external_id: str
    slot: int
    product_name: str
    left_for_order: int  # units of this product the slot still waits for


def stops(batch: Batch) -> list[Stop]:
    """The merged walk: one stop per bin in route order, each product's portions by slot."""
    by_bin: dict[int, list[BatchLine]] = {}
    for line in batch.lines:
        if line.task_status != PickingStatus.CANCELLED:
            by_bin.setdefault(line.item.location_id, []).append(line)
    walk: list[Stop] = []
    for location_id, lines in by_bin.items():
        products: dict[int, list[BatchLine]] = {}
        for line in lines:
            products.setdefault(line.item.product_id, []).append(line)
        merged = tuple(
            StopProduct(pid, group[0].item.barcode, group[0].item.sku,
                        group[0].item.product_name,
                        tuple(Portion(g.task_id, g.item.id, g.order_external_id, g.slot,
                                      g.item.quantity_required, g.item.quantity_picked,
                                      g.item.status)
                              for g in sorted(group, key=lambda g: g.slot)))
            for pid, group in sorted(products.items(), key=lambda kv: kv[1][0].item.sku)
        )  # fmt: skip
        first = lines[0]
        walk.append(Stop(location_id, first.item.location_code, first.route, merged))
    return sorted(walk, key=lambda s: (s.route, s.location_code))


def read_batch(uow: WavesUnitOfWork, batch_id: int) -> Batch:
    with uow:
        found = uow.waves.batch(batch_id)
    if found is None:
        raise NotFound("batch_not_found", "Партия не найдена")
    return found


def create_batch(uow: WavesUnitOfWork, task_ids: list[int], user_id: int | None, *,
                 idempotency_key: str | None = None) -> tuple[Batch, list[int]]:  # fmt: skip
    """A batch of these tasks: each claimed on its own; the ones already in a batch or
    assigned to a picker are left out (returned second). Fewer than 2 free: 409, nothing
    written."""
    unique = sorted(set(task_ids))
    if not 2 <= len(unique) <= MAX_BATCH:
        raise ValidationError("invalid_batch_size", f"Заказов в партии: от 2 до {MAX_BATCH}",
                              field="task_ids")  # fmt: skip
    key = clean_key(idempotency_key)
    with uow:
        seen = uow.waves.batch_by_key(key, user_id) if key else None
        if seen is not None:
            batch = uow.waves.batch(seen)
            assert batch is not None
            return batch, [t for t in unique if t not in batch.task_ids]
        batch_id = uow.waves.add_batch(None, user_id, now_utc(), key)
        if batch_id is None:
            raise Conflict("idempotency_key_reused", "Этот ключ идемпотентности уже использован")
        claimed: list[int] = []
        for task_id in unique:  # id order: concurrent builders lock rows in one order
            if uow.waves.claim_for_batch(batch_id, task_id, len(claimed) + 1, None):
                claimed.append(task_id)
        if len(claimed) < 2:  # one order alone is no batch: nothing is written
            raise Conflict("already_batched", "Свободных заказов меньше двух: остальные уже "
                           "в партиях или у сборщиков")  # fmt: skip
        uow.commit()
    left_out = [t for t in unique if t not in claimed]
    return read_batch(uow, batch_id), left_out


def take_batch(new_unit: NewUnit, batch_id: int, executor_id: int,
               user_id: int | None) -> Batch:  # fmt: skip
    """The worker takes the batch: every open task of it is assigned to them and started
    (the single-order steps, each in its own transaction; a retry carries on)."""
    with new_unit() as uow:
        if uow.waves.batch(batch_id) is None:
            raise NotFound("batch_not_found", "Партия не найдена")
        taken = uow.waves.take_batch(batch_id, executor_id)
        if taken:
            uow.commit()
    if not taken:
        raise Conflict("batch_taken", "Партию уже взял другой исполнитель")
    for line in _firsts(read_batch(new_unit(), batch_id)):
        if line.task_status == PickingStatus.PENDING:
            picking.assign_task(new_unit(), line.task_id, executor_id, user_id)
        if line.task_status in NOT_STARTED:
            picking.start_task(new_unit(), line.task_id, user_id)
    return read_batch(new_unit(), batch_id)


def dissolve_batch(uow: WavesUnitOfWork, batch_id: int) -> tuple[Batch, int]:
    """A manager breaks a batch up (its picker is away, an order is urgent): the orders not
    started leave it and are picked one by one again (an assigned one stays its picker's);
    the started ones stay in it. 409 when none could leave."""
    with uow:
        if uow.waves.batch(batch_id) is None:
            raise NotFound("batch_not_found", "Партия не найдена")
        left = uow.waves.dissolve(batch_id)
        if not left:
            raise Conflict("invalid_transition", "Все заказы партии уже в сборке")
        uow.commit()
    return read_batch(uow, batch_id), left


def _firsts(batch: Batch) -> list[BatchLine]:
    seen: dict[int, BatchLine] = {}
    for line in batch.lines:
        seen.setdefault(line.task_id, line)
    return sorted(seen.values(), key=lambda line: line.slot)


def _line(batch: Batch, item_id: int) -> BatchLine:
    line = next((x for x in batch.lines if x.item.id == item_id), None)
    if line is None:
        raise NotFound("picking_item_not_found", "Позиции нет в этой партии")
    return line


def _finish(new_unit: NewUnit, done: Done, user_id: int | None) -> None:
    """The order's task completes once every item is done (its packing task is made)."""
    task = done.task
    if done.replayed or task.status != PickingStatus.IN_PROGRESS:
        return
    if any(i.status == "pending" for i in task.items):
        return
    with suppress(Conflict):  # completed (or cancelled) meanwhile: nothing left to do
        picking.complete_task(new_unit(), task.id, user_id)


def pick_in_batch(new_unit: NewUnit, batch_id: int, item_id: int, quantity: object,
                  user_id: int | None, *, barcode: str | None = None,
                  idempotency_key: str | None = None) -> Batch:  # fmt: skip
    """One order's portion of a stop: that order's pick (short releases only its rest)."""
    line = _line(read_batch(new_unit(), batch_id), item_id)
    done = picks.pick_item(new_unit(), line.task_id, item_id, quantity, user_id,
                           barcode=barcode, idempotency_key=idempotency_key)  # fmt: skip
    _finish(new_unit, done, user_id)
    return read_batch(new_unit(), batch_id)


def skip_in_batch(new_unit: NewUnit, batch_id: int, item_id: int, reason: object,
                  user_id: int | None, *, idempotency_key: str | None = None) -> Batch:  # fmt: skip
    line = _line(read_batch(new_unit(), batch_id), item_id)
    done = picks.skip_item(new_unit(), line.task_id, item_id, reason, user_id,
                           idempotency_key=idempotency_key)  # fmt: skip
    _finish(new_unit, done, user_id)
    return read_batch(new_unit(), batch_id)


def _put_of(batch: Batch, task_id: int, product_id: int) -> Put:
    lines = [x for x in batch.lines if x.task_id == task_id and x.item.product_id == product_id]
    picked = sum(x.item.quantity_picked for x in lines)
    given = sum(n for t, p, n in batch.puts if t == task_id and p == product_id)
    x = lines[0]
    return Put(task_id, x.order_id, x.order_external_id, x.slot, x.item.product_name,
               picked - given)  # fmt: skip


def put_unit(uow: WavesUnitOfWork, batch_id: int, barcode: object, user_id: int | None, *,
             idempotency_key: str | None = None) -> Put:  # fmt: skip
    """Put-to-order: the scanned unit goes to the first slot (by number) that picked more
    of it than it was given; recorded by one conditional insert."""
    code = barcode.strip() if isinstance(barcode, str) else ""
    if not code:
        raise ValidationError("barcode_required", "Отсканируйте товар", field="barcode")
    key = clean_key(idempotency_key)
    with uow:
        batch = uow.waves.batch(batch_id)
        if batch is None:
            raise NotFound("batch_not_found", "Партия не найдена")
        seen = uow.waves.put_by_key(key, user_id) if key else None
        if seen is not None:
            if seen[0] != batch_id:
                raise Conflict("idempotency_key_reused",
                               "Этот ключ идемпотентности уже использован")  # fmt: skip
            return _put_of(batch, seen[1], seen[2])
        lines = [x for x in batch.lines if x.item.barcode == code]
        if not lines:
            raise ValidationError("wrong_product", "Этого товара нет в партии", field="barcode")
        given = {(t, p): n for t, p, n in batch.puts}
        wanted: dict[int, tuple[BatchLine, int]] = {}
        for x in sorted(lines, key=lambda x: x.slot):
            if x.task_status == PickingStatus.CANCELLED:
                continue
            _, picked = wanted.get(x.task_id, (x, 0))
            wanted[x.task_id] = (x, picked + x.item.quantity_picked)
        now = now_utc()
        for task_id, (x, picked) in wanted.items():
            left = picked - given.get((task_id, x.item.product_id), 0)
            if left > 0 and uow.waves.put(batch_id, task_id, x.item.product_id, user_id, now,
                                          key):  # fmt: skip
                uow.commit()
                return Put(task_id, x.order_id, x.order_external_id, x.slot,
                           x.item.product_name, left - 1)  # fmt: skip
    raise Conflict("nothing_to_put", "Все собранные штуки этого товара уже разложены")
