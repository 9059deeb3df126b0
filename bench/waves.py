"""Waves and batch picking (issue 15): how long releasing a wave of 500 orders takes, and
how much shorter a batch walk is than picking the same orders one by one.

Run from the project root (PostgreSQL on 127.0.0.1 as in the README):

    uv run python -m bench.waves            # 2,000 products in 5,000 bins, 500 + 200 orders
    uv run python -m bench.waves --quick    # smoke run: 200 products, 500 bins, 50 + 40

A database of its own is created (dropped afterwards unless --keep) and filled as
bench.positions fills it: 5,000 bins with route sequences 1…5,000 in 10 zones, every
product loose in a few bins. Orders are placed through the use case (core.orders.orders,
as POST /orders): small ones, 1–3 lines of 1 unit, products drawn with a Zipf-like
popularity (weight 1/rank) from the --popular best stocked ones — a marketplace's order
mix, where a few products make most of the lines.

- release: `core.orders.waves.release_wave` of the first --wave orders (one transaction:
  the candidates' read, one conditional claim per task, an order spanning zones split
  into a task per zone, batches of 8 within a zone), timed; target < 2 s.
- walk: the next --small orders released as a second wave in batches of --batch-size.
  One by one, each order is a trip from the packing station (route sequence 0) out to its
  farthest bin and back, stopping once per bin it needs; in batches, each batch is one
  such trip through the bins of all its tasks (core.orders.batches.stops: one stop per
  bin), and each task left alone (an order's zone, or a big order) a trip of its own.
  Printed: bin stops and route distance both ways; target: both ≥ 30 % shorter.
  --no-split releases both waves without splitting orders per zone.
"""

import argparse
import os
import random
import sys
import time

import sqlalchemy as sa

from bench.positions import _database, fill
from core.orders import batches, waves
from core.orders.orders import LineRequest, OrderRequest, create_order
from data.database import Database

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench_waves"
TARGET_RELEASE_S = 2.0
TARGET_SAVING = 0.30


def popular(engine: sa.Engine, n: int) -> list[int]:
    """The n products with the most loose stock in MAIN bins."""
    with engine.connect() as conn:
        return list(conn.execute(sa.text(
            "SELECT q.product_id FROM quant q JOIN location l ON l.id = q.location_id "
            "JOIN warehouse w ON w.id = l.warehouse_id WHERE q.handling_unit_id IS NULL "
            "AND w.code = 'MAIN' AND l.kind = 'bin' GROUP BY q.product_id "
            "ORDER BY sum(q.quantity - q.reserved) DESC, q.product_id LIMIT :n"), {"n": n},
        ).scalars())  # fmt: skip


def place(db: Database, products: list[int], count: int, rng: random.Random,
          prefix: str) -> int:  # fmt: skip
    weights = [1 / rank for rank in range(1, len(products) + 1)]
    reserved = 0
    for n in range(count):
        chosen: set[int] = set()
        for _ in range(rng.randint(1, 3)):
            chosen.add(rng.choices(products, weights)[0])
        lines = [LineRequest(1, product_id=p) for p in sorted(chosen)]
        request = OrderRequest(f"{prefix}-{n}", "customer", lines, carrier="manual")
        reserved += create_order(db.unit_of_work(), request, None).order.status == "reserved"
    return reserved


def trip(bins: dict[int, int]) -> tuple[int, int]:
    """Stops and distance of one trip from the station out to the farthest bin and back."""
    return len(bins), 2 * max(bins.values(), default=0)


def walks(db: Database, wave_id: int) -> tuple[tuple[int, int], tuple[int, int], int]:
    """(stops, distance) one by one and in batches, over the wave's orders; batch count."""
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT t.id, t.batch_id, i.location_id, l.route_sequence, t.order_id "
            "FROM picking_task t JOIN picking_item i ON i.task_id = t.id "
            "JOIN location l ON l.id = i.location_id WHERE t.wave_id = :w"), {"w": wave_id},
        ).all()  # fmt: skip
    per_task: dict[int, dict[int, int]] = {}
    per_order: dict[int, dict[int, int]] = {}  # one by one: a whole order a trip
    for task_id, _, location, route, order_id in rows:
        per_task.setdefault(task_id, {})[location] = route
        per_order.setdefault(order_id, {})[location] = route
    one = [trip(b) for b in per_order.values()]
    batched: list[tuple[int, int]] = []
    singles = {t for t, b, _, _, _ in rows if b is None}
    for batch_id in sorted({b for _, b, _, _, _ in rows if b is not None}):
        walk = batches.stops(batches.read_batch(db.unit_of_work(), batch_id))
        batched.append(trip({s.location_id: s.route for s in walk}))
    batched += [trip(per_task[t]) for t in singles]  # orders too big for a batch
    total = (sum(s for s, _ in one), sum(d for _, d in one))
    together = (sum(s for s, _ in batched), sum(d for _, d in batched))
    return total, together, len(batched) - len(singles)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--products", type=int, default=2_000)
    p.add_argument("--bins", type=int, default=5_000)
    p.add_argument("--positions", type=int, default=20_000)
    p.add_argument("--popular", type=int, default=300, help="products orders draw from")
    p.add_argument("--wave", type=int, default=500, help="orders in the timed wave")
    p.add_argument("--small", type=int, default=200, help="orders of the walk comparison")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--postgres-url",
                   default=os.environ.get("WMS_BENCH_POSTGRES_URL", DEFAULT_PG_URL))  # fmt: skip
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--no-split", action="store_true", help="no task per zone")
    p.add_argument("--quick", action="store_true", help="smoke run")
    args = p.parse_args(argv)
    if args.quick:
        args.products, args.bins, args.positions = 200, 500, 2_000
        args.popular, args.wave, args.small = 60, 50, 40
    args.sqlite = False  # bench.positions's database helper
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, remove = _database(args)
    db = Database.from_url(url)
    rng = random.Random(15)
    try:
        fill(db.engine, args.products, args.bins, args.positions)
        products = popular(db.engine, args.popular)
        first = place(db, products, args.wave, rng, "WAVE")
        t = time.perf_counter()
        split = not args.no_split
        released = waves.release_wave(db.unit_of_work(), waves.criteria(limit=args.wave),
                                      None, batch_size=8, split_zones=split)  # fmt: skip
        seconds = time.perf_counter() - t
        second = place(db, products, args.small, rng, "WALK")
        walk_wave = waves.release_wave(db.unit_of_work(), waves.criteria(limit=args.small),
                                       None, batch_size=args.batch_size,
                                       split_zones=split)  # fmt: skip
        (stops1, dist1), (stops2, dist2), count = walks(db, walk_wave.wave_id)
    finally:
        db.dispose()
        remove()
    print(f"\nPostgreSQL: {args.products:,} products in {args.bins:,} bins "
          f"({args.positions:,} positions)")  # fmt: skip
    print(f"release: a wave of {released.orders} orders ({first} placed, reserved) in "
          f"{seconds:.2f} s, {released.zone_tasks} zone tasks added, {released.batches} "
          f"batches of 8, {released.single} tasks alone")  # fmt: skip
    print(
        f"walk: {walk_wave.orders} small orders ({second} reserved), "
        f"{walk_wave.zone_tasks} zone tasks added, {count} batches of ≤ {args.batch_size}"
    )
    stop_saving, dist_saving = 1 - stops2 / stops1, 1 - dist2 / dist1
    print(f"  one by one: {stops1:,} bin stops, route distance {dist1:,}")
    print(f"  in batches: {stops2:,} bin stops, route distance {dist2:,}")
    print(f"  shorter by: stops {stop_saving:.0%}, distance {dist_saving:.0%}")
    missed = []
    if seconds >= TARGET_RELEASE_S:
        missed.append(f"release < {TARGET_RELEASE_S:g} s")
    if stop_saving < TARGET_SAVING or dist_saving < TARGET_SAVING:
        missed.append(f"walk ≥ {TARGET_SAVING:.0%} shorter")
    print("targets met" if not missed else f"targets missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
