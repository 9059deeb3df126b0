"""Commit → entry in the stream: how long an event waits between its transaction's commit and
its arrival on Redis, at a steady rate (issue 14: p99 < 500 ms at 200 events/s).

Run from the project root, with a Redis at WMS_BENCH_REDIS_URL (default
redis://127.0.0.1:6379/15; its inventory stream is deleted) and the outbox in a fresh
SQLite file, or PostgreSQL with --postgres URL (its outbox_event table is emptied):

    uv run python -m bench.event_latency            # 200 events/s for 20 s
    uv run python -m bench.event_latency --quick    # 5 s

A writer commits one §7 event per transaction at the rate asked (each carries its number);
the app's relay loop (data.events.relay.run_forever with the app's own pause between
rounds) publishes them; a reader blocked on XREAD stamps each arrival. Then the same rate of
entries is XADDed by redis-py directly (no outbox, no relay) and timed the same way: the
floor a relay cannot beat. Percentiles of both and their ratio are printed.
"""

import argparse
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import redis
import sqlalchemy as sa

from core.events import INVENTORY, EventType, contract_event
from data.db import create_engine
from data.events.relay import Relay, connect, run_forever
from data.migrate import upgrade
from data.outbox import INSERT_EVENT, event_params

RELAY_IDLE = 0.2  # run_forever's default, the pause the app's relay takes between rounds


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


def arrivals(client: redis.Redis, n: int, stamps: dict[int, float], done: threading.Event
             ) -> None:  # fmt: skip
    """Read the stream until `n` entries have come, stamping each (by its listing_id)."""
    last = "$"
    while len(stamps) < n and not done.is_set():
        answer = client.xread({INVENTORY: last}, block=500, count=1000)
        now = time.perf_counter()
        for _, entries in answer or []:
            for entry_id, fields in entries:
                last = entry_id
                stamps[int(fields[b"listing_id"])] = now


def steady(n: int, rate: float, send: Callable[[int], None]) -> dict[int, float]:
    """Call send(i) for i in 0..n-1 at `rate` per second; when each returned (committed)."""
    sent: dict[int, float] = {}
    start = time.perf_counter()
    for i in range(n):
        wait = start + i / rate - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        send(i)
        sent[i] = time.perf_counter()
    return sent


def run(client: redis.Redis, n: int, rate: float, send: Callable[[int], None]) -> list[float]:
    """Latencies in ms of `n` events sent by `send` at `rate` (arrival − commit)."""
    client.delete(INVENTORY)
    stamps: dict[int, float] = {}
    done = threading.Event()
    reader = threading.Thread(target=arrivals, args=(redis.Redis(
        connection_pool=client.connection_pool), n, stamps, done))  # fmt: skip
    reader.start()
    time.sleep(0.3)  # the reader is blocked on XREAD before the first event
    sent = steady(n, rate, send)
    reader.join(timeout=30)
    done.set()
    missing = n - len(stamps)
    assert missing == 0, f"{missing} events never arrived"
    # An arrival may be stamped before its send returned (the reader is that fast): 0.
    return [max(0.0, stamps[i] - sent[i]) * 1000 for i in range(n)]


def event(i: int) -> tuple[EventType, dict[str, str]]:
    at = datetime.now(UTC)
    return EventType.INVENTORY_MOVED, contract_event(
        EventType.INVENTORY_MOVED, at, listing_id=str(i), warehouse_id="MAIN",
        from_location="A-01", to_location="B-01")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5 s instead of 20 s")
    parser.add_argument("--rate", type=float, default=200.0, help="events per second")
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (else SQLite)")
    args = parser.parse_args()
    n = int(args.rate * (5 if args.quick else 20))
    url = os.environ.get("WMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url)
    client.ping()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.postgres or f"sqlite:///{Path(tmp) / 'latency.sqlite3'}"
        engine = create_engine(db_url)
        upgrade(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM outbox_event"))

        def commit(i: int) -> None:  # one transaction per event, as the floor commits
            kind, payload = event(i)
            with engine.begin() as conn:
                conn.execute(INSERT_EVENT, event_params(kind, payload, datetime.now(UTC)))

        stop = threading.Event()
        relay = threading.Thread(target=run_forever, args=(Relay(engine, connect(url)), stop,
                                                           RELAY_IDLE))  # fmt: skip
        relay.start()
        try:
            relayed = run(client, n, args.rate, commit)
        finally:
            stop.set()
            relay.join()
            engine.dispose()

    def xadd(i: int) -> None:
        kind, payload = event(i)
        client.xadd(INVENTORY, {"type": str(kind), "listing_id": str(i), **{
            k: str(v) for k, v in payload.items() if k != "listing_id"}})  # fmt: skip

    direct = run(client, n, args.rate, xadd)
    client.delete(INVENTORY)
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"{n} events at {args.rate:.0f}/s, outbox on {backend}, relay pause {RELAY_IDLE} s")
    for name, values in (("commit → stream (outbox + relay)", relayed),
                         ("XADD → stream (redis-py alone)", direct)):  # fmt: skip
        print(
            f"{name:34} p50 {statistics.median(values):7.1f} ms   "
            f"p99 {percentile(values, 99):7.1f} ms   max {max(values):7.1f} ms"
        )
    print(f"p99 target < 500 ms: {'met' if percentile(relayed, 99) < 500 else 'NOT met'}")


if __name__ == "__main__":
    main()
