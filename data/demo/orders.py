"""Demo orders: about forty marketplace orders at every stage of their life, booked after
the ledger through the real order use cases (create and confirm, picking, packing,
shipping, cancelling), one unit of work per step, so reservations, quants and the ledger
agree by construction (invariant 6).

`plan_orders` is pure: a seeded `random.Random`, the stock the ledger ends with and the
reference data in, the orders out, each with the stage it is to reach. It only asks for
stock that is there (the waiting orders excepted: they ask for more than there is).
`book_orders` walks each order to its stage. The use cases stamp every step with the
current time: the orders are all "now", unlike the ledger's 90 days.
"""

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from core.floor.executors import create_executor
from core.floor.ports import ExecutorData, ExecutorStore
from core.orders.orders import LineRequest, OrderRequest, cancel_order, create_order
from core.orders.packing import ItemRequest, PackageRequest, add_package, pack_task
from core.orders.packing import start_task as start_packing
from core.orders.picking import assign_task, complete_task, start_task
from core.orders.picks import pick_item
from core.orders.ports import Order, ShipTo
from core.orders.quality import UnitRequest, finish_check, record_unit, start_check
from core.orders.shipping import ship_task
from data.database import Database
from data.demo.plan import PACKER, PICKER, WORKER
from data.orders.quality import order_checks
from data.orders.queries import order as read_order

ORDERS_SEED_OFFSET = 1  # the orders' generator: the plan's seed + this


class Stage(StrEnum):
    """Where a demo order is left; the order's status follows (`assigned`: reserved, its
    picking task given to a picker who has not started)."""

    SHIPPED = "shipped"
    PACKED = "packed"
    PACKING = "packing"
    PICKING = "picking"
    ASSIGNED = "assigned"
    RESERVED = "reserved"
    AWAITING_STOCK = "awaiting_stock"
    CANCELLED = "cancelled"


# (stage, customer orders, supplies): 40 orders in all.
STAGES: tuple[tuple[Stage, int, int], ...] = (
    (Stage.SHIPPED, 14, 1),
    (Stage.PACKED, 5, 0),
    (Stage.PACKING, 3, 0),
    (Stage.PICKING, 5, 0),
    (Stage.ASSIGNED, 3, 0),
    (Stage.RESERVED, 4, 1),
    (Stage.AWAITING_STOCK, 2, 0),
    (Stage.CANCELLED, 2, 0),
)
MARKETPLACES = ("Wildberries", "Ozon", "Яндекс Маркет")
# The floor's people: the demo's workers (data.demo.load.DEMO_USERS), each an executor
# linked to their account, so every step and movement carries a name.
FLOOR_WORKERS = (WORKER, PICKER, PACKER)
CITIES = (
    ("Москва", "101000", "ул. Профсоюзная, д. 56"),
    ("Санкт-Петербург", "190000", "Лиговский пр., д. 30"),
    ("Казань", "420111", "ул. Баумана, д. 12"),
    ("Екатеринбург", "620014", "ул. Малышева, д. 5"),
    ("Новосибирск", "630099", "Красный пр., д. 25"),
    ("Краснодар", "350000", "ул. Красная, д. 120"),
)
BUYERS = ("Анна Смирнова", "Ольга Иванова", "Сергей Попов", "Екатерина Васильева",
          "Дмитрий Морозов", "Наталья Козлова", "Павел Новиков", "Юлия Лебедева")  # fmt: skip
CANCEL_REASONS = ("Покупатель отменил заказ в личном кабинете", "Маркетплейс отменил задание")


@dataclass(frozen=True)
class PlannedOrder:
    stage: Stage
    external_id: str
    source: str  # a marketplace's name
    lines: tuple[tuple[int, int], ...]  # (product index, quantity)
    kind: str = "customer"
    priority: str = "normal"
    distribution_center: str | None = None  # a supply's DC
    ship_to: ShipTo | None = None
    tracking_number: str | None = None  # shipped ones: typed by the packer (carrier manual)


def _external_id(rng: random.Random, source: str, supply: bool) -> str:
    """Numbers as the marketplaces write them: a WB assembly task (10 digits), an Ozon
    posting (order-package-1), a Yandex Market order; supplies by their own numbering."""
    if source == "Wildberries":
        return f"WB-GI-{rng.randint(10**7, 10**8 - 1)}" if supply else str(
            rng.randint(2_000_000_000, 3_999_999_999))  # fmt: skip
    if source == "Ozon":
        if supply:
            return str(rng.randint(2_000_000_000_000, 2_000_099_999_999))
        return f"{rng.randint(10**7, 10**8 - 1)}-{rng.choice((1, 1, 1, 2)):04d}-1"
    return str(rng.randint(10**8 * 4, 10**8 * 5 - 1))


def _tracking(rng: random.Random, supply: bool) -> str:
    """What a packer types: a СДЭК waybill (10 digits) or a Russian Post barcode (14);
    for a supply, the consignment note's number."""
    if supply:
        return f"ТН-{rng.randint(1, 9999):05d}"
    if rng.random() < 0.6:
        return str(rng.randint(10**9, 10**10 - 1))
    return f"8{rng.randint(10**12, 10**13 - 1)}"


def plan_orders(
    good: Sequence[int], distribution_centers: Mapping[str, Sequence[str]], *, seed: int
) -> tuple[PlannedOrder, ...]:
    """The demo's orders from the stock each product ends with (by product index)."""
    rng = random.Random(seed + ORDERS_SEED_OFFSET)
    left = list(good)
    in_stock = [p for p, g in enumerate(good) if g >= 3]
    rng.shuffle(in_stock)
    # Products the waiting orders ask for: nobody else takes them.
    short = [p for p in sorted(range(len(good)), key=lambda p: (good[p], p)) if good[p] > 0]
    waiting = short[:2]
    in_stock = [p for p in in_stock if p not in waiting]
    sources = [m for m in MARKETPLACES if m in distribution_centers]
    if not sources or not in_stock:
        return ()
    planned: list[PlannedOrder] = []
    seen: set[str] = set()
    for stage, customers, supplies in STAGES:
        for n in range(customers + supplies):
            supply = n >= customers
            source = sources[len(planned) % len(sources)]
            external_id = _external_id(rng, source, supply)
            while external_id in seen:
                external_id = _external_id(rng, source, supply)
            seen.add(external_id)
            if stage == Stage.AWAITING_STOCK:
                p = waiting[n % len(waiting)]
                lines: tuple[tuple[int, int], ...] = ((p, good[p] + rng.randint(5, 20)),)
            else:
                count = rng.randint(2, 4) if stage in (Stage.PICKING, Stage.PACKING) or supply \
                    else rng.choice((1, 1, 1, 2, 2, 3, 4))  # fmt: skip
                chosen = []
                for p in in_stock:
                    if len(chosen) == count:
                        break
                    if left[p] >= (6 if supply else 1):
                        chosen.append(p)
                # the chosen go to the end of the queue: the orders spread over the catalogue
                in_stock = [p for p in in_stock if p not in chosen] + chosen
                lines = tuple(
                    (p, rng.randint(2, max(2, min(12, left[p] // 2))) if supply
                     else min(left[p], rng.choice((1, 1, 1, 2, 3))))
                    for p in chosen
                )  # fmt: skip
                for p, q in lines:
                    left[p] -= q
            city, postal, street = rng.choice(CITIES)
            dcs = distribution_centers.get(source, ())
            planned.append(PlannedOrder(
                stage, external_id, source, lines,
                kind="supply" if supply else "customer",
                priority=rng.choice(("normal", "normal", "normal", "high", "urgent", "low")),
                distribution_center=rng.choice(list(dcs)) if supply and dcs else None,
                ship_to=None if supply else ShipTo(
                    rng.choice(BUYERS), f"+7 9{rng.randint(10, 99)} {rng.randint(100, 999)}-"
                    f"{rng.randint(10, 99)}-{rng.randint(10, 99)}", street, city, postal, "RU"),
                tracking_number=_tracking(rng, supply) if stage == Stage.SHIPPED else None,
            ))  # fmt: skip
    return tuple(p for p in planned if p.lines and (p.kind == "customer" or p.distribution_center))


@dataclass(frozen=True)
class FloorWorker:
    executor_id: int
    user_id: int


def ensure_executors(
    store: ExecutorStore, users: Mapping[str, tuple[int, str]]
) -> list[FloorWorker]:
    """The floor's executors, one per demo worker (username → (user id, full name)),
    linked to their account and coded by their login, as a worker's first sign-in does."""
    workers = []
    for username in FLOOR_WORKERS:
        user_id, full_name = users[username]
        executor = create_executor(store, ExecutorData(username, full_name, user_id=user_id))
        workers.append(FloorWorker(executor.id, user_id))
    return workers


def _package(lines: Sequence[tuple[int, int]], grams: Mapping[int, int]) -> PackageRequest:
    weight = sum(grams.get(p, 300) * q for p, q in lines) / 1000 + 0.15
    big = weight > 3
    return PackageRequest(
        "box" if big or len(lines) > 1 else "bag",
        [ItemRequest(q, product_id=p) for p, q in lines],
        weight_kg=round(weight, 2), length_cm=40 if big else 30, width_cm=30 if big else 20,
        height_cm=20 if big else 10,
    )  # fmt: skip


def book_orders(
    plan: Sequence[PlannedOrder],
    *,
    db: Database,
    product_ids: Sequence[int],
    grams: Mapping[int, int],
    source_ids: Mapping[str, int],
    distribution_center_ids: Mapping[str, int],
    workers: Sequence[FloorWorker],
    manager: int | None,
) -> dict[str, int]:
    """Walk every planned order to its stage through the use cases; orders by status."""
    unit_of_work = db.unit_of_work
    statuses: dict[str, int] = {}
    for n, planned in enumerate(plan):
        lines = [(product_ids[p], q) for p, q in planned.lines]
        request = OrderRequest(
            planned.external_id, planned.kind,
            [LineRequest(q, product_id=p) for p, q in lines],
            source_id=source_ids[planned.source], priority=planned.priority,
            carrier="manual" if planned.kind == "customer" else None, ship_to=planned.ship_to,
            distribution_center_id=distribution_center_ids.get(planned.distribution_center or ""),
        )  # fmt: skip
        order = create_order(unit_of_work(), request, manager).order
        stage = planned.stage
        floor = workers[n % len(workers)]
        executor, picker = floor.executor_id, floor.user_id
        task_id = order.picking_task_id
        if stage == Stage.CANCELLED:
            order = cancel_order(unit_of_work(), order.id, CANCEL_REASONS[n % 2], manager).order
        elif task_id is not None and stage not in (Stage.RESERVED, Stage.AWAITING_STOCK):
            assign_task(unit_of_work(), task_id, executor, manager)
            if stage != Stage.ASSIGNED:
                task = start_task(unit_of_work(), task_id, picker).task
                items = task.items if stage != Stage.PICKING else task.items[: len(lines) // 2]
                for item in items:
                    pick_item(unit_of_work(), task_id, item.id, item.quantity_required, picker)
                if stage != Stage.PICKING:
                    complete_task(unit_of_work(), task_id, picker)
                    _pack(db, order.id, planned, lines, executor, picker, grams)
        status = _order(db, order.id).status
        statuses[status] = statuses.get(status, 0) + 1
    return statuses


def _pack(
    db: Database, order_id: int, planned: PlannedOrder,
    lines: Sequence[tuple[int, int]], executor: int, user: int | None,
    grams: Mapping[int, int],
) -> None:  # fmt: skip
    """From the picked order to its stage: packing started (a first box packed when there
    are several lines), packed in one or two boxes, or shipped."""
    unit_of_work = db.unit_of_work
    _pass_check(db, order_id, executor, user)
    task_id = _order(db, order_id).packing_task_id
    assert task_id is not None, "a completed picking gives the order its packing task"
    start_packing(unit_of_work(), task_id, executor, user)
    boxes = [lines[: len(lines) // 2], lines[len(lines) // 2 :]] if len(lines) > 2 else [lines]
    if planned.stage == Stage.PACKING:
        if len(boxes) > 1:
            add_package(unit_of_work(), task_id, _package(boxes[0], grams), user)
        return
    for box in boxes:
        add_package(unit_of_work(), task_id, _package(box, grams), user)
    pack_task(unit_of_work(), task_id, user)
    if planned.stage == Stage.SHIPPED:
        ship_task(unit_of_work(), task_id, "manual", planned.tracking_number, user)


def _pass_check(db: Database, order_id: int, executor: int, user: int | None) -> None:
    """With quality control on (WMS_QC_ORDER_KINDS, WMS_QC_SOURCES) the picked order is
    checked first: every unit good, so its packing task follows."""
    found = [t for t in order_checks(db.engine, order_id) if t.status == "pending"]
    for qc in found:
        start_check(db.unit_of_work(), qc.id, executor, user)
        for item in qc.items:
            for _ in range(item.quantity):
                request = UnitRequest("good", product_id=item.product_id)
                record_unit(db.unit_of_work(), qc.id, request, user)
        finish_check(db.unit_of_work(), qc.id, user)


def _order(db: Database, order_id: int) -> Order:
    found = read_order(db.engine, order_id)
    assert found is not None
    return found
