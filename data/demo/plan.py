"""Demo data: a fulfillment center's catalogue and 90 days of its ledger, as a plan.

`build_plan` is pure: a seeded `random.Random` and the reference data in, a list of
products and of movements (with their times) out, the same every time for the same
inputs. It keeps the stock as it goes, so no movement ever takes more than is there.
`data.demo.load` books the plan through the ordinary use cases.

The simulated center serves a few dozen sellers' brands: weekly or fortnightly supplies
(some units arrive defective), shipments to the marketplaces' distribution centers on
their slot days (fewer on Sundays), returns from pickup points a few days after the
goods went out, self-purchases, damage found in storage, repacking, monthly
utilization and inventory counts, and a few mistakes put right by reversal.
"""

import heapq
import math
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.catalog.products import ProductData
from core.errors import Conflict
from core.stock.operations import OPERATIONS, Direction, Loc
from data.demo.catalogue import (
    AXES,
    CATEGORIES,
    RUNS,
    Brand,
    CatalogueProduct,
    Item,
    Variant,
    ean13,
)

DEMO_SEED = 20240901
DEMO_DAYS = 90
DEMO_PRODUCTS = 300
# The accounts the demo's movements are booked under (data.demo.load creates them).
WORKER, MANAGER = "worker", "manager"
# The floor's other workers: they pick and pack the demo orders (data.demo.orders).
PICKER, PACKER = "picker", "packer"


# --- The plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedMovement:
    at: datetime  # UTC
    operation_type: str
    product: int  # index into DemoPlan.products
    quantity: int
    user: str
    source: str | None = None  # a source's name
    distribution_center: str | None = None  # a distribution center's name
    warehouse: str | None = None
    direction: str | None = None
    notes: str | None = None
    document: str | None = None


@dataclass(frozen=True)
class PlannedReversal:
    at: datetime
    target: int  # index into DemoPlan.steps of the movement it reverses
    user: str
    notes: str


Step = PlannedMovement | PlannedReversal


@dataclass(frozen=True)
class DemoPlan:
    products: tuple[ProductData, ...]
    steps: tuple[Step, ...]  # in time order
    good: tuple[int, ...]  # the stock each product ends with, by index
    defect: tuple[int, ...]


# Shipment slots per marketplace (Monday = 0): the sellers' supplies to each DC are booked
# on fixed days. Sundays are a skeleton shift: a WB slot some weeks only.
_SLOTS: dict[str, tuple[int, ...]] = {
    "Wildberries": (0, 2, 4),
    "Ozon": (1, 3),
    "Яндекс Маркет": (2, 5),
}
_DEFAULT_SLOTS = (1, 4)
_SUNDAY_SLOT = ("Wildberries", 0.4)  # marketplace, chance of a Sunday shipment
_SHARE = {"Wildberries": 0.6, "Ozon": 0.3, "Яндекс Маркет": 0.12}
_LISTED = {"Wildberries": 0.92, "Ozon": 0.6, "Яндекс Маркет": 0.3}
# The big DCs get most of the goods; a name matches when it contains the key.
_DC_WEIGHT = {
    "Коледино": 30, "Электросталь": 20, "Подольск": 16, "Тула": 8, "Казань": 9,
    "Краснодар": 6, "Хоругвино": 20, "Пушкино": 12, "Петровское": 10, "Гривно": 8,
    "Ногинск": 6, "Софьино": 20, "Томилино": 12,
}  # fmt: skip
_DOCUMENT_PREFIX = {"Wildberries": "WB-GI-", "Ozon": "OZ-", "Яндекс Маркет": "YM-"}
_DEFECT_SHARE_OF_RETURNS = 0.16
_MISTAKES = ("duplicate_receipt", "wrong_dc", "wrong_quantity", "wrong_source")
_MISTAKE_DAYS = (8, 19, 33, 47, 61, 72, 80)
_MONTHLY = (27, 57, 84)  # utilization and inventory counts


@dataclass(order=True)
class _Event:
    at: datetime  # local time
    seq: int
    run: Callable[..., object] = field(compare=False)
    args: tuple[Any, ...] = field(compare=False, default=())


def _effect(step: PlannedMovement) -> tuple[int, int]:
    """Change of (good, defect) stock per unit, as the operations table has it."""
    if step.operation_type == "ADJUSTMENT":
        sign = 1 if step.direction == Direction.GAIN else -1
        return (sign, 0) if step.warehouse == Loc.MAIN else (0, sign)
    op = OPERATIONS[step.operation_type]
    good, defect = (
        int(op.to_location == loc) - int(op.from_location == loc) for loc in (Loc.MAIN, Loc.DEFECT)
    )
    return good, defect


class _Planner:
    """Runs the center day by day on an event queue; every event sees the stock as the
    events before it left it, so each movement is checked in the order it is booked."""

    def __init__(
        self,
        rng: random.Random,
        marketplaces: Mapping[str, Sequence[str]],
        first_day: date,
        days: int,
        now_local: datetime,
    ) -> None:
        self.rng = rng
        # Biggest marketplace first, DCs by name: the plan does not depend on the order
        # the caller happened to list them in.
        ranked = sorted(marketplaces, key=lambda name: (-_SHARE.get(name, 0.0), name))
        self.marketplaces = {n: sorted(marketplaces[n]) for n in ranked if marketplaces[n]}
        if not self.marketplaces:
            raise Conflict(
                "no_distribution_centers",
                "Нет ни одного активного РЦ: демо-данным некуда отгружать товар",
            )
        self.first_day = first_day
        self.days = days
        self.now = now_local
        self.current = now_local  # the time of the event being run
        self.products: list[CatalogueProduct] = []
        self.good: list[int] = []
        self.defect: list[int] = []
        self.steps: list[Step] = []
        self.events: list[_Event] = []
        self.seq = 0
        self.counters: dict[str, int] = {}
        self.owed: dict[tuple[int, str], float] = {}  # demand not shipped yet
        # (day, product, marketplace, units) that went out, for the returns that follow
        self.shipped: list[tuple[int, int, str, int]] = []
        self.mistakes: list[str] = []
        self.day = 0
        # Month-end work; on the Monday when the day falls on a Sunday.
        self.monthly = {m + (self.weekday(m) == 6) for m in _MONTHLY if m < days}

    # -- helpers --

    def weekday(self, day: int) -> int:
        return (self.first_day + timedelta(days=day)).weekday()

    def number(self, kind: str, start: int) -> int:
        self.counters[kind] = self.counters.get(kind, start) + 1
        return self.counters[kind]

    def at(self, day: int, hour: float) -> datetime:
        midnight = datetime.combine(self.first_day + timedelta(days=day), time(0), self.now.tzinfo)
        return midnight + timedelta(seconds=round(hour * 3600))

    def schedule(self, when: datetime, run: Callable[..., object], *args: Any) -> None:
        self.seq += 1
        heapq.heappush(self.events, _Event(when, self.seq, run, args))

    def later(self, seconds: tuple[int, int]) -> datetime:
        return self.current + timedelta(seconds=self.rng.randint(*seconds))

    def book(self, op: str, p: int, qty: int, user: str = WORKER, **kw: str) -> int:
        """Book a movement now, in the plan and in the tracked stock; its step index."""
        step = PlannedMovement(self.current.astimezone(UTC), op, p, qty, user, **kw)
        delta_good, delta_defect = _effect(step)
        self.good[p] += delta_good * qty
        self.defect[p] += delta_defect * qty
        assert qty > 0 and self.good[p] >= 0 and self.defect[p] >= 0, "the plan oversold"
        self.steps.append(step)
        return len(self.steps) - 1

    def reverse(self, target: int, notes: str) -> bool:
        original = self.steps[target]
        assert isinstance(original, PlannedMovement)
        delta_good, delta_defect = _effect(original)
        p, qty = original.product, original.quantity
        if self.good[p] < delta_good * qty or self.defect[p] < delta_defect * qty:
            return False  # already used up: the manager could not reverse it either
        self.good[p] -= delta_good * qty
        self.defect[p] -= delta_defect * qty
        self.steps.append(PlannedReversal(self.current.astimezone(UTC), target, MANAGER, notes))
        return True

    def fix(self, target: int, notes: str, then: Callable[..., object] | None, *args: Any) -> None:
        """A manager reverses a mistaken movement; the right one is booked after it."""
        if self.reverse(target, notes) and then is not None:
            self.schedule(self.later((60, 180)), then, *args)

    def take_mistake(self, kind: str) -> bool:
        if kind in self.mistakes:
            self.mistakes.remove(kind)
            return True
        return False

    def demand(self, p: int) -> float:
        product = self.products[p]
        progress = self.day / max(self.days - 1, 1)
        return product.demand * (1 + (product.trend - 1) * progress)

    def lot(self, p: int) -> int:
        """The fewest units worth a line in a shipment: the rest waits for the next one."""
        return max(4, self.products[p].pack // 5)

    def pick_weighted(self, items: Sequence[int], weights: Sequence[float], k: int) -> list[int]:
        """Up to k distinct items, the heavier the likelier."""
        pool, w = list(items), list(weights)
        chosen: list[int] = []
        while pool and len(chosen) < k and sum(w) > 0:
            i = self.rng.choices(range(len(pool)), weights=w)[0]
            chosen.append(pool.pop(i))
            w.pop(i)
        return chosen

    def poisson(self, mean: float) -> int:
        if mean <= 0:
            return 0
        if mean > 30:
            return max(0, round(self.rng.gauss(mean, math.sqrt(mean))))
        limit, k, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            k += 1
            product *= self.rng.random()
        return k

    # -- the catalogue --

    def build_catalogue(self, count: int) -> None:
        rng = self.rng
        used_codes: set[str] = set()
        brands: dict[str, Brand] = {}
        delayed = 0
        for category in CATEGORIES:
            for name in category.brands:
                prefix = None
                if rng.random() < 0.75:  # the others sell under WB's own barcodes only
                    while prefix is None or prefix in used_codes:
                        prefix = f"46{rng.randint(0, 9)}{rng.randint(0, 9999):04d}"
                    used_codes.add(prefix)
                # A few suppliers stop delivering in the last weeks: low-stock alerts.
                late = delayed < 3 and rng.random() < 0.2
                delayed += late
                brands[name] = Brand(
                    name, category, prefix,
                    supply_weekday=rng.randint(0, 3),
                    supply_weeks=1 if rng.random() < 0.7 else 2,
                    delayed_from=self.days - rng.randint(18, 26) if late else None,
                )  # fmt: skip
        item_refs: dict[str, int] = {}
        family = 1000
        while len(self.products) < count:
            category = rng.choices(CATEGORIES, weights=[c.share for c in CATEGORIES])[0]
            item = rng.choice(category.items)
            brand = brands[rng.choice(category.brands)]
            family += rng.randint(1, 7)
            combos: list[list[Variant]] = [[]]
            for axis in item.axes:
                fewest, most = AXES[id(axis)]
                n = rng.randint(fewest, min(most, len(axis)))
                if id(axis) in RUNS:
                    start = rng.randint(0, len(axis) - n)
                    chosen = list(axis[start : start + n])
                else:
                    chosen = rng.sample(axis, n)
                combos = [[*c, v] for c in combos for v in chosen]
            combos = combos[: min(8, count - len(self.products))]
            family_demand = rng.lognormvariate(math.log(2.2), 0.85) * item.popularity
            weights = [math.prod(v.weight for v in c) for c in combos]
            trend = rng.choice((0.8, 1.0, 1.0, 1.15, 1.25, 1.25, 1.5, 2.2))
            listed = self.listing()
            for step, (combo, weight) in enumerate(zip(combos, weights, strict=True)):
                demand = min(40.0, family_demand * weight / sum(weights) * len(combos) ** 0.5)
                product = CatalogueProduct(
                    self.product_data(item, brand, family, combo, demand, step, item_refs,
                                      used_codes),
                    brand, item.pack, demand, trend, listed,
                )  # fmt: skip
                self.products.append(product)
                self.good.append(0)
                self.defect.append(0)

    def listing(self) -> dict[str, float]:
        """The marketplaces a family sells on, and each one's share of its sales."""
        names = list(self.marketplaces)
        listed = [n for n in names if self.rng.random() < _LISTED.get(n, 0.2)] or names[:1]
        weights = {n: _SHARE.get(n, 0.1) for n in listed}
        return {n: w / sum(weights.values()) for n, w in weights.items()}

    def product_data(
        self,
        item: Item,
        brand: Brand,
        family: int,
        combo: list[Variant],
        demand: float,
        size_step: int,
        item_refs: dict[str, int],
        used_codes: set[str],
    ) -> ProductData:
        rng = self.rng
        gtin = None
        if brand.gs1_prefix is not None:
            item_refs[brand.name] = item_refs.get(brand.name, rng.randint(0, 400)) + 1
            gtin = ean13(f"{brand.gs1_prefix}{item_refs[brand.name]:05d}")
        if gtin is not None and rng.random() < 0.8:
            barcode, gtin = gtin, None  # the manufacturer's EAN-13 is on the label
        else:
            barcode = ""
            while not barcode or barcode in used_codes:  # WB's own «200…» barcode
                barcode = ean13(f"200{rng.randint(0, 999_999_999):09d}")
        used_codes.add(barcode)
        grow = 1 + 0.04 * size_step

        def about(value: int) -> int:
            return max(1, round(value * grow * rng.uniform(0.92, 1.08)))

        min_stock = 0
        if rng.random() < 0.87:  # the others are not replenished by a rule: no minimum
            min_stock = _nice(max(2.0, demand * rng.uniform(5, 7)))
        return ProductData(
            sku="-".join([item.code, str(family), *(v.code for v in combo)]),
            name=", ".join([item.name.format(b=brand.name), *(v.label for v in combo)]),
            barcode=barcode, gtin=gtin, min_stock=min_stock, weight_g=about(item.weight_g),
            length_mm=about(item.dims[0]), width_mm=about(item.dims[1]),
            height_mm=about(item.dims[2]),
        )  # fmt: skip

    # -- the days --

    def run(self) -> None:
        for day in range(self.days):
            self.schedule(self.at(day, 7.5), self.open_day, day)
        while self.events:
            event = heapq.heappop(self.events)
            if event.at > self.now:
                break  # the rest is in the future
            self.current = event.at
            event.run(*event.args)

    def open_day(self, day: int) -> None:
        self.day = day
        weekday = self.weekday(day)
        for p, product in enumerate(self.products):
            for marketplace, share in product.listed.items():
                key, daily = (p, marketplace), self.demand(p) * share
                # A backlog beyond a week's demand is lost sales, not owed shipments.
                cap = max(7 * daily, 2 * self.lot(p))
                self.owed[key] = min(cap, self.owed.get(key, 0.0) + daily)
        if day in _MISTAKE_DAYS:
            self.mistakes.append(_MISTAKES[_MISTAKE_DAYS.index(day) % len(_MISTAKES)])
        self.plan_supplies(day, weekday)
        self.plan_shipments(day, weekday)
        self.plan_returns(day, weekday)
        if weekday != 6:
            self.plan_self_purchases(day)
            for _ in range(self.poisson(1.1)):
                self.schedule(self.at(day, 10 + self.rng.random() * 8), self.damage)
        if weekday == 4:
            self.schedule(self.at(day, 15 + self.rng.random()), self.restore)
        if day in self.monthly:
            self.schedule(self.at(day, 10 + self.rng.random()), self.utilize)
            self.schedule(self.at(day, 19 + self.rng.random() / 2), self.count_stock)

    # Supplies: each brand on its weekday, up to a few weeks of demand, in whole cartons.

    def plan_supplies(self, day: int, weekday: int) -> None:
        by_brand: dict[str, list[int]] = {}
        for p, product in enumerate(self.products):
            brand = product.brand
            regular = (
                day > 2
                and weekday == brand.supply_weekday
                and (day // 7) % brand.supply_weeks == 0
                and (brand.delayed_from is None or day < brand.delayed_from)
            )
            if day == 0 or regular:  # day 0: the first stock arrives
                by_brand.setdefault(brand.name, []).append(p)
        start = 9.0
        for products in by_brand.values():
            if day > 0 and self.rng.random() < 0.06:
                continue  # the truck did not come this week
            document = f"ПН-{self.number('receipt', 240):06d}"
            self.schedule(self.at(day, start), self.receive, products, document)
            start += 0.3 + len(products) * 50 / 3600

    def receive(self, products: list[int], document: str) -> None:
        partial = self.rng.random() < 0.1  # the supplier sent less than was ordered
        when = self.current + timedelta(minutes=self.rng.randint(15, 40))  # unloading
        for p in products:
            # Order up to a few weeks of demand when the stock would not last until the
            # next supply; at least one carton (a slow seller still comes in cartons).
            product, demand, weeks = (
                self.products[p],
                self.demand(p),
                self.products[p].brand.supply_weeks,
            )
            if self.good[p] >= demand * (7 * weeks + 6) + 1:
                continue
            target = max(demand * (7 * weeks + 12), product.pack)
            qty = math.ceil((target - self.good[p]) / product.pack) * product.pack
            if partial:
                qty = max(product.pack, qty * 7 // 10 // product.pack * product.pack)
            when += timedelta(seconds=self.rng.randint(25, 70))
            self.schedule(when, self.receive_line, p, qty, document)

    def receive_line(self, p: int, qty: int, document: str) -> None:
        defective = 0
        if self.rng.random() < 0.22:  # found at acceptance: booked straight to defect
            defective = min(qty - 1, max(1, round(qty * self.rng.uniform(0.02, 0.09))))
        self.book("RECEIPT", p, qty - defective, document=document)
        if defective:
            notes = self.rng.choice(
                ("Брак при приёмке: повреждена упаковка", "Брак при приёмке: мятая коробка",
                 "Брак при приёмке: некомплект", "Брак при приёмке: загрязнение")
            )  # fmt: skip
            self.schedule(self.later((10, 20)), self.book_event, "RECEIPT_DEFECT", p, defective,
                          WORKER, {"notes": notes, "document": document})  # fmt: skip
        if self.take_mistake("duplicate_receipt"):
            # The same line booked twice; the manager reverses the copy.
            self.schedule(self.later((20, 40)), self.duplicate, p, qty - defective, document)

    def duplicate(self, p: int, qty: int, document: str) -> None:
        copy = self.book("RECEIPT", p, qty, document=document)
        notes = "Дубль: строка накладной проведена дважды"
        self.schedule(self.later((900, 3000)), self.fix, copy, notes, None)

    # Shipments to the DCs on the marketplace's slot days.

    def plan_shipments(self, day: int, weekday: int) -> None:
        start = 10.5  # picked in the morning, booked as the boxes are sealed
        for marketplace in self.marketplaces:
            sunday = weekday == 6 and marketplace == _SUNDAY_SLOT[0]
            slot = weekday in _SLOTS.get(marketplace, _DEFAULT_SLOTS)
            if slot or (sunday and self.rng.random() < _SUNDAY_SLOT[1]):
                when = self.at(day, start + self.rng.random() / 2)
                self.schedule(when, self.ship, marketplace, sunday)
                start += 2.5

    def ship(self, marketplace: str, sunday: bool) -> None:
        rng = self.rng
        dcs = self.marketplaces[marketplace]
        how_many = 1 if sunday else rng.choice((1, 2, 2, 3))
        targets = self.pick_weighted(range(len(dcs)), [_dc_weight(d) for d in dcs], how_many)
        prefix = _DOCUMENT_PREFIX.get(marketplace, "SUP-")
        document = f"{prefix}{rng.randint(10_000_000, 99_999_999)}"
        lines: list[tuple[int, int]] = []
        for p, product in enumerate(self.products):
            if marketplace in product.listed:
                owed = self.owed[(p, marketplace)] * (0.5 if sunday else 1.0)
                qty = round(owed * rng.uniform(0.8, 1.15))
                if qty >= self.lot(p):
                    lines.append((p, qty))
        rng.shuffle(lines)
        when = self.current
        for p, qty in lines:
            when += timedelta(seconds=rng.randint(12, 35))
            dc = dcs[rng.choice(targets)]
            self.schedule(when, self.ship_line, p, qty, marketplace, dc, document)

    def ship_line(self, p: int, qty: int, marketplace: str, dc: str, document: str) -> None:
        qty = min(qty, self.good[p])
        if qty <= 0:
            return  # out of stock: the line drops out of the supply
        step = self.book("SHIPMENT_RC", p, qty, distribution_center=dc, document=document)
        self.owed[(p, marketplace)] = max(0.0, self.owed[(p, marketplace)] - qty)
        self.shipped.append((self.day, p, marketplace, qty))
        others = [d for d in self.marketplaces[marketplace] if d != dc]
        when = self.later((600, 2400))
        if others and self.take_mistake("wrong_dc"):
            notes = "Ошибка: выбран не тот РЦ"
            right = self.rng.choice(others)
            self.schedule(when, self.fix, step, notes, self.ship_line, p, qty, marketplace,
                          right, document)  # fmt: skip
        elif qty > 3 and self.take_mistake("wrong_quantity"):
            notes = "Неверное количество: пересчитано при упаковке"
            counted = qty - self.rng.randint(1, min(3, qty - 1))
            self.owed[(p, marketplace)] += qty
            self.schedule(when, self.fix, step, notes, self.ship_line, p, counted, marketplace,
                          dc, document)  # fmt: skip

    # Returns from pickup points: a few days to three weeks after the goods went out.

    def plan_returns(self, day: int, weekday: int) -> None:
        self.shipped = [s for s in self.shipped if s[0] > day - 25]
        recent: dict[tuple[int, str], int] = {}
        for shipped_day, p, marketplace, qty in self.shipped:
            if shipped_day <= day - 4:
                recent[(p, marketplace)] = recent.get((p, marketplace), 0) + qty
        factor = 0.4 if weekday == 6 else 7 / 6.4  # Sunday's returns wait for Monday
        batches = (12.0,) if weekday == 6 else (11.0, 16.0)  # the vans from pickup points
        lines: list[tuple[str, int, int, int]] = []
        for (p, marketplace), qty in recent.items():
            rate = self.products[p].brand.category.return_rate
            units = self.poisson(qty / 21 * rate * factor)
            if units:
                defective = sum(self.rng.random() < _DEFECT_SHARE_OF_RETURNS for _ in range(units))
                lines.append((marketplace, p, units - defective, defective))
        self.rng.shuffle(lines)
        for i, line in enumerate(lines):
            when = self.at(day, batches[i % len(batches)] + self.rng.random() * 1.5)
            self.schedule(when, self.take_back, *line)

    def take_back(self, marketplace: str, p: int, good: int, defective: int) -> None:
        if good:
            others = [m for m in self.marketplaces if m != marketplace]
            if others and self.take_mistake("wrong_source"):
                # Booked under another marketplace by mistake: reversed, then booked right.
                step = self.book("RETURN_PICKUP", p, good, source=self.rng.choice(others))
                notes = "Ошибка: возврат пришёл с другого маркетплейса"
                extra = {"source": marketplace}
                self.schedule(self.later((1200, 5400)), self.fix, step, notes, self.book_event,
                              "RETURN_PICKUP", p, good, WORKER, extra)  # fmt: skip
            else:
                self.book("RETURN_PICKUP", p, good, source=marketplace)
        if defective:
            notes = self.rng.choice(
                ("Возврат: брак со слов покупателя", "Возврат: повреждена упаковка",
                 "Возврат: следы использования", "Возврат: не работает")
            )  # fmt: skip
            self.schedule(self.later((15, 40)), self.book_event, "RETURN_DEFECT", p, defective,
                          WORKER, {"source": marketplace, "notes": notes})  # fmt: skip

    # Self-purchases: a seller buys its own goods (reviews, ratings); they come back here.

    def plan_self_purchases(self, day: int) -> None:
        main = next(iter(self.marketplaces))
        for marketplace in self.marketplaces:
            if self.rng.random() >= (0.45 if marketplace == main else 0.12):
                continue
            listed = [p for p, pr in enumerate(self.products) if marketplace in pr.listed]
            weights = [self.products[p].demand for p in listed]
            when = self.at(day, 12 + self.rng.random() * 5)
            for p in self.pick_weighted(listed, weights, self.rng.randint(2, 7)):
                when += timedelta(seconds=self.rng.randint(30, 90))
                qty = self.rng.choice((1, 1, 1, 2, 2, 3))
                self.schedule(when, self.book_event, "SELF_PURCHASE", p, qty, WORKER,
                              {"source": marketplace, "notes": "Самовыкуп"})  # fmt: skip

    # Damage found in storage; repacking on Fridays; utilization and counts monthly.

    def damage(self) -> None:
        stocked = [p for p, g in enumerate(self.good) if g > 0]
        if stocked:
            p = self.pick_weighted(stocked, [self.good[p] for p in stocked], 1)[0]
            qty = min(self.good[p], self.rng.choice((1, 1, 1, 2, 3)))
            notes = self.rng.choice(self.products[p].brand.category.damage_notes)
            self.book("WRITE_OFF", p, qty, notes=notes)

    def restore(self) -> None:
        when = self.current
        for p, units in enumerate(self.defect):
            if units and self.rng.random() < 0.35:
                when += timedelta(seconds=self.rng.randint(40, 120))
                qty = max(1, round(units * self.rng.uniform(0.3, 0.7)))
                notes = self.rng.choice(
                    ("Переупаковка: товарный вид восстановлен", "Заменена упаковка, товар годен",
                     "Отпарено и упаковано заново")
                )  # fmt: skip
                self.schedule(when, self.from_defect, "RESTORATION", p, qty, WORKER,
                              {"notes": notes})  # fmt: skip

    def utilize(self) -> None:
        number = self.number("utilization", 0)
        extra = {"notes": f"Акт утилизации №{number}", "document": f"АУ-{number:04d}"}
        when = self.current
        for p, units in enumerate(self.defect):
            if units and self.rng.random() < 0.85:
                when += timedelta(seconds=self.rng.randint(20, 60))
                qty = max(1, round(units * self.rng.uniform(0.6, 1.0)))
                self.schedule(when, self.from_defect, "UTILIZATION", p, qty, MANAGER, extra)

    def from_defect(self, op: str, p: int, qty: int, user: str, extra: dict[str, str]) -> None:
        qty = min(qty, self.defect[p])  # returns may have come in meanwhile; never more
        if qty > 0:
            self.book(op, p, qty, user, **extra)

    def count_stock(self) -> None:
        """An inventory count of a zone: a few differences, each booked with its reason."""
        stocked = [p for p, g in enumerate(self.good) if g > 3]
        when = self.current
        for p in self.rng.sample(stocked, min(len(stocked), self.rng.randint(2, 3))):
            when += timedelta(minutes=self.rng.randint(2, 15))
            if self.rng.random() < 0.6:
                qty, extra = (
                    self.rng.randint(1, 3),
                    {"direction": "loss", "notes": "Инвентаризация: недостача"},
                )
            else:
                qty, extra = (
                    self.rng.randint(1, 2),
                    {"direction": "gain", "notes": "Инвентаризация: излишек (пересорт)"},
                )
            self.schedule(when, self.adjust, p, qty, {"warehouse": "MAIN", **extra})
        defective = [p for p, d in enumerate(self.defect) if d > 0]
        if defective:
            extra = {"warehouse": "DEFECT", "direction": "loss",
                     "notes": "Инвентаризация брака: недостача"}  # fmt: skip
            self.schedule(when + timedelta(minutes=5), self.adjust, self.rng.choice(defective),
                          1, extra)  # fmt: skip

    def adjust(self, p: int, qty: int, extra: dict[str, str]) -> None:
        stock = self.good if extra["warehouse"] == "MAIN" else self.defect
        if extra["direction"] == "loss":
            qty = min(qty, stock[p])
        if qty > 0:
            self.book("ADJUSTMENT", p, qty, MANAGER, **extra)

    def book_event(self, op: str, p: int, qty: int, user: str, extra: dict[str, str]) -> None:
        self.book(op, p, qty, user, **extra)


def _nice(value: float) -> int:
    """A minimum a person would type: 2 … 10, then multiples of 5, then of 10."""
    if value < 10:
        return max(2, round(value))
    if value < 50:
        return round(value / 5) * 5
    return round(value / 10) * 10


def _dc_weight(name: str) -> float:
    return next((w for key, w in _DC_WEIGHT.items() if key in name), 3)


def build_plan(
    marketplaces: Mapping[str, Sequence[str]],
    *,
    now: datetime,
    time_zone: str = "Europe/Moscow",
    seed: int = DEMO_SEED,
    products: int = DEMO_PRODUCTS,
    days: int = DEMO_DAYS,
) -> DemoPlan:
    """The catalogue and the ledger of the `days` local days that end with `now`'s.

    `marketplaces`: each active source's name and its active DCs' names (those without
    DCs get no shipments). Nothing is dated after `now`."""
    now_local = now.astimezone(ZoneInfo(time_zone))
    first_day = now_local.date() - timedelta(days=days - 1)
    planner = _Planner(random.Random(seed), marketplaces, first_day, days, now_local)
    planner.build_catalogue(products)
    planner.run()
    return DemoPlan(
        products=tuple(p.data for p in planner.products),
        steps=tuple(planner.steps),
        good=tuple(planner.good),
        defect=tuple(planner.defect),
    )
