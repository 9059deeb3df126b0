"""Speed of the order feed (the events issue: ≥ 200 orders/s, 5-line orders, PostgreSQL):
`order.confirmed` entries on `listings:events:orders` read in group `wms-consumers`, each
placed and reserved by POST /orders's use case (core.orders.feed) and acknowledged after
its commit — what the app's consumer does, timed end to end.

Run from the project root (PostgreSQL and Redis on 127.0.0.1 as in the README):

    uv run python -m bench.feed            # 50,000 products, 5,000 bins, 200,000 positions
    uv run python -m bench.feed --quick    # smoke run

A database of its own is created and filled as bench.orders fills it (dropped afterwards
unless --keep); the Redis database given (default 13) is flushed. The entries are
published first (pipelined); then --consumers threads, each a consumer of its own (as
several app processes would be), drain the feed. orders/s = entries / seconds from the
first read to the last acknowledgement. Afterwards: every entry acknowledged, none
dead-lettered, one order per entry, every reservation matching its quant.
"""

import argparse
import json
import os
import random
import sys
import threading
import time

import redis
import sqlalchemy as sa

from bench.orders import LINES, consistent, reservable
from bench.positions import _database, fill
from core.orders.feed import BATCH_SIZE, DEAD_LETTERS, STREAM, run_round
from data.database import Database
from data.events.feed import RedisOrderFeed, connect, ensure_group

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/wms_bench_feed"


def barcodes(engine: sa.Engine, product_ids: list[int]) -> list[str]:
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT barcode FROM product WHERE id = ANY(:ids)"),
                            {"ids": product_ids})  # fmt: skip
        return [r[0] for r in rows]


def publish(client: "redis.Redis[str]", codes: list[str], n: int) -> None:
    rng = random.Random(7)
    with client.pipeline(transaction=False) as pipe:
        for i in range(n):
            items = [
                {"barcode": b, "quantity": rng.randint(1, 3)} for b in rng.sample(codes, LINES)
            ]
            pipe.xadd(STREAM, {"type": "order.confirmed", "order_id": f"FEED-{i}",
                               "source": "Wildberries", "items": json.dumps(items)})  # fmt: skip
            if i % 1000 == 999:
                pipe.execute()
        pipe.execute()


def drain(db: Database, url: str, consumers: int, n: int,
          batch: int = BATCH_SIZE) -> tuple[float, float]:  # fmt: skip
    """Seconds to drain the feed, and this process's CPU seconds meanwhile."""
    done = threading.Event()

    def consume(name: str) -> None:
        client = connect(url)
        feed = RedisOrderFeed(client, name)
        while not done.is_set():
            run_round(feed, db.unit_of_work, claim_idle_ms=30_000, max_deliveries=5,
                      count=50, block_ms=100, batch_size=batch)  # fmt: skip
        client.close()

    watcher = connect(url)
    start, cpu = time.perf_counter(), time.process_time()
    threads = [threading.Thread(target=consume, args=(f"bench-{i}",)) for i in range(consumers)]
    for t in threads:
        t.start()
    while True:
        info = watcher.xinfo_groups(STREAM)[0]
        if info["lag"] == 0 and info["pending"] == 0:
            break
        time.sleep(0.01)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    done.set()
    for t in threads:
        t.join()
    watcher.close()
    return elapsed, cpu


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--products", type=int, default=50_000)
    p.add_argument("--bins", type=int, default=5_000)
    p.add_argument("--positions", type=int, default=200_000)
    p.add_argument("--orders", type=int, default=3_000)
    p.add_argument("--consumers", type=int, default=4)
    p.add_argument("--batch", type=int, default=BATCH_SIZE,
                   help="confirms placed in one transaction at most (1: each alone)")  # fmt: skip
    p.add_argument("--postgres-url", default=os.environ.get("WMS_BENCH_POSTGRES_URL",
                                                            DEFAULT_PG_URL))  # fmt: skip
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    p.add_argument("--keep", action="store_true", help="keep the database afterwards")
    p.add_argument("--quick", action="store_true", help="smoke run: 500 / 50 / 2,000, 300")
    args = p.parse_args(argv)
    if args.quick:
        args.products, args.bins, args.positions, args.orders = 500, 50, 2_000, 300
    args.sqlite = False  # bench.positions's database helper
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url, remove = _database(args)
    db = Database.from_url(url)
    client = connect(args.redis_url)
    client.flushdb()
    try:
        fill(db.engine, args.products, args.bins, args.positions)
        codes = barcodes(db.engine, reservable(db.engine))
        publish(client, codes, args.orders)
        ensure_group(client)
        elapsed, cpu = drain(db, args.redis_url, args.consumers, args.orders, args.batch)
        with db.engine.connect() as conn:
            placed = conn.execute(sa.text("SELECT count(*) FROM sale_order WHERE external_id "
                                          "LIKE 'FEED-%'")).scalar_one()  # fmt: skip
        dead = client.xlen(DEAD_LETTERS)
        ok = consistent(db.engine) and placed == args.orders and dead == 0
    finally:
        client.flushdb()
        client.close()
        db.dispose()
        remove()
    print(f"\nPostgreSQL: {args.products:,} products, {args.bins:,} bins; {args.orders:,} "
          f"{LINES}-line orders from the feed, {args.consumers} consumers, batches of "
          f"{args.batch}")  # fmt: skip
    print(f"order feed: {args.orders / elapsed:6.0f} orders/s ({elapsed:.1f} s, "
          f"CPU of this process {cpu / args.orders * 1000:.1f} ms per order); placed "
          f"{placed}, dead letters {dead}; consistent: {ok}; load average (1 min) "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")  # fmt: skip
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
