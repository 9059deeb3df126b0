"""Waves (issue 15): a manager picks released orders — reserved, picking not started — by
cut-off time, carrier, marketplace, priority or zone, and releases them in one step.

In one transaction the wave is written, each order's picking task claims its place in it
by one conditional statement (core.orders.wave_ports), an order whose bins lie in several
zones gets one task per zone (`split_zones`: each zone's picker walks only their zone; the
order goes on to its check or packing when the last zone is picked, core.orders.picking),
and the small tasks are grouped into batches of `batch_size` neighbours by route within a
zone (core.orders.batches walks them), the rest picked one by one. A task another wave
took first is left out, never shared.
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from zoneinfo import ZoneInfo

from core.errors import Conflict, ValidationError
from core.events import EventType, add_events, contract_event
from core.orders.rules import PRIORITY_RANK, clean_key, text
from core.orders.wave_ports import Candidate, WaveCriteria, WavesUnitOfWork, ZoneTask
from core.periods import now_utc
from core.settings import get_settings

log = logging.getLogger(__name__)

MAX_WAVE = 2000
MAX_BATCH = 12  # slots on one cart / put wall
SMALL_UNITS = 5  # an order of at most this many units may go into a batch


@dataclass(frozen=True)
class Released:
    wave_id: int
    orders: int
    batches: int
    single: int
    taken_elsewhere: int  # matched, but another wave or batch claimed them first
    zone_tasks: int = 0  # tasks added by splitting orders per zone
    replayed: bool = False  # the request was seen before (its key); nothing changed


def criteria(*, cutoff: object = None, carrier: object = None, source_id: object = None,
             priority: object = None, zone: object = None,
             limit: object = 500) -> WaveCriteria:  # fmt: skip
    """The manager's choice checked: each a 422 naming its field."""
    if cutoff is not None and not isinstance(cutoff, datetime):
        raise ValidationError("invalid_cutoff", "Время отсечки: дата и время", field="cutoff")
    if priority is not None and priority not in PRIORITY_RANK:
        raise ValidationError("invalid_priority", "Неизвестный приоритет", field="priority")
    if source_id is not None and (isinstance(source_id, bool) or not isinstance(source_id, int)
                                  or source_id <= 0):  # fmt: skip
        raise ValidationError("invalid_source", "Источник не найден", field="source_id")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_WAVE:
        raise ValidationError("invalid_limit", f"Заказов в волне: от 1 до {MAX_WAVE}",
                              field="limit")  # fmt: skip
    return WaveCriteria(
        cutoff=cutoff, carrier=text(carrier, "перевозчик", "carrier", limit=32),
        source_id=source_id, priority=priority, zone=text(zone, "зона", "zone", limit=32),
        limit=limit,
    )  # fmt: skip


def describe(chosen: WaveCriteria) -> str:
    """The criteria as stored with the wave (JSON), for its card."""
    values = {
        "cutoff": chosen.cutoff.isoformat() if chosen.cutoff else None,
        "carrier": chosen.carrier, "source_id": chosen.source_id,
        "priority": chosen.priority, "zone": chosen.zone, "limit": chosen.limit,
    }  # fmt: skip
    return json.dumps({k: v for k, v in values.items() if v is not None}, ensure_ascii=False)


def release_wave(uow: WavesUnitOfWork, chosen: WaveCriteria, user_id: int | None, *,
                 name: object = None, batch_size: object = 1, split_zones: object = True,
                 idempotency_key: str | None = None) -> Released:  # fmt: skip
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) \
            or not 1 <= batch_size <= MAX_BATCH:  # fmt: skip
        raise ValidationError("invalid_batch_size", f"Заказов в партии: от 1 до {MAX_BATCH}",
                              field="batch_size")  # fmt: skip
    if not isinstance(split_zones, bool):
        raise ValidationError("invalid_split_zones", "Задания по зонам: да или нет",
                              field="split_zones")  # fmt: skip
    title = text(name, "название", "name", limit=100)
    key = clean_key(idempotency_key)
    now = now_utc()
    with uow:
        seen = uow.waves.wave_by_key(key, user_id) if key else None
        if seen is not None:
            wave_id, orders, batches = seen
            return Released(wave_id, orders, batches, 0, 0, replayed=True)
        found = uow.waves.candidates(chosen)
        if not found:
            raise Conflict("nothing_to_release", "Нет заказов, готовых к сборке, по этим условиям")
        local = now.astimezone(ZoneInfo(get_settings().time_zone))
        wave_id = uow.waves.add_wave(title or f"Волна {local:%d.%m %H:%M}", describe(chosen),
                                     batch_size, user_id, now, key)  # fmt: skip
        if wave_id is None:
            raise Conflict("idempotency_key_reused", "Этот ключ идемпотентности уже использован")
        # Orders to split per zone are locked before their tasks are claimed: the lock
        # order of an order's floor work, so a cancel never misses a task made here.
        to_split = {c.task_id for c in found if split_zones and c.zones > 1 and not c.assigned}
        uow.waves.hold_orders(sorted({c.order_id for c in found if c.task_id in to_split}))
        # One conditional claim per task, in id order (sent together): concurrent waves
        # lock rows in the same order, and the later one finds a row taken and skips it.
        by_task = {c.task_id: c for c in found}
        taken = uow.waves.claim_for_wave(wave_id, sorted(by_task))
        claimed = [by_task[t] for t in taken]
        if not claimed:
            raise Conflict("nothing_to_release", "Эти заказы уже взяты в другую волну")
        parts: dict[int, list[Candidate]] = {}
        zoned = uow.waves.split_by_zone(sorted(to_split.intersection(taken)))
        for z in zoned:
            parts.setdefault(z.split_from_id or z.task_id, []).append(
                Candidate(z.task_id, z.order_id, z.units, z.first_route, zone=z.zone)
            )
        tasks = [t for c in claimed for t in parts.get(c.task_id, [c])]
        _announce(uow, [z for z in zoned if z.split_from_id is not None], now)
        batches = batched = 0
        if batch_size > 1:
            batches, batched = _batch(uow, wave_id, tasks, batch_size, user_id, now)
        uow.waves.set_wave_counts(wave_id, len(claimed), batches)
        uow.commit()
    single = len(tasks) - batched
    added = len(tasks) - len(claimed)
    log.info("wave released", extra={"wave_id": wave_id, "orders": len(claimed),
                                     "batches": batches, "zone_tasks": added})  # fmt: skip
    return Released(wave_id, len(claimed), batches, single, len(found) - len(claimed), added)


def _announce(uow: WavesUnitOfWork, added: list[ZoneTask], now: datetime) -> None:
    """picking.created (DESIGN.md §7) for each task a split added, in one statement: floor
    programs see it as they see an order's first task."""
    add_events(uow, [
        (EventType.PICKING_CREATED, contract_event(
            EventType.PICKING_CREATED, now, task_id=z.task_id, order_id=z.order_external_id,
            warehouse_id=z.warehouse_code))
        for z in added
    ])  # fmt: skip


def _batch(uow: WavesUnitOfWork, wave_id: int, tasks: list[Candidate], batch_size: int,
           user_id: int | None, now: datetime) -> tuple[int, int]:  # fmt: skip
    """Small tasks in batches of `batch_size` neighbours by route, within one zone (a batch
    walks one stretch of one zone); a task already given to a picker stays theirs, picked
    alone. (batches, tasks batched)."""
    small = sorted((c for c in tasks if c.units <= SMALL_UNITS and not c.assigned),
                   key=lambda c: (c.zone or "", c.first_route, c.task_id))  # fmt: skip
    batches = batched = 0
    for _, same_zone in groupby(small, key=lambda c: c.zone or ""):
        zone_tasks = list(same_zone)
        for start in range(0, len(zone_tasks) - 1, batch_size):
            group = zone_tasks[start : start + batch_size]
            if len(group) < 2:
                break
            batch_id = uow.waves.add_batch(wave_id, user_id, now)
            assert batch_id is not None, "a batch without a key is always written"
            joined = uow.waves.claim_many_for_batch(batch_id, [c.task_id for c in group],
                                                    wave_id)  # fmt: skip
            assert joined == len(group), "the wave's own tasks, claimed in this transaction"
            batches += 1
            batched += len(group)
    return batches, batched


def walk(bins: list[tuple[int, int]]) -> tuple[int, int]:
    """A walk through these (bin id, route sequence) pairs in route order: the number of
    stops (one per bin) and the distance by route sequence, from the first to the last."""
    stops = {location: route for location, route in bins}
    if not stops:
        return 0, 0
    return len(stops), max(stops.values()) - min(stops.values())
