"""Throughput of the outbox relay: data.events.relay against a raw redis-py pipeline.

Run from the project root, with a Redis at WMS_BENCH_REDIS_URL (default
redis://127.0.0.1:6379/15; its §7 streams are deleted) and the outbox in a fresh SQLite
file, or PostgreSQL with --postgres URL (its outbox_event table is emptied):

    uv run python -m bench.events            # 100,000 events, 3 rounds
    uv run python -m bench.events --quick    # 5,000 events (a few seconds)

Each round writes N §7 events into the outbox (a mix of the four streams, as the floor
writes them), then times (a) `Relay.drain()` — read the rows in batches, XADD each batch
in one pipeline, mark it published — and (b) the very same entries, built beforehand,
XADDed with redis-py pipelines of the same batch size and nothing else. Both go to the
same Redis in the same run; the medians of the rounds are printed with their ratio.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
import sqlalchemy as sa

from core.events import EventType, contract_event
from data.db import create_engine
from data.events.relay import BATCH, Relay, entry
from data.migrate import upgrade
from data.outbox import INSERT_EVENT, event_params

STREAMS = ("wms:events:picking", "wms:events:packing", "wms:events:shipment",
           "wms:events:inventory")  # fmt: skip


def events(n: int) -> list[tuple[EventType, dict[str, str]]]:
    at = datetime.now(UTC)
    kinds = [
        lambda i: (EventType.INVENTORY_MOVED, contract_event(
            EventType.INVENTORY_MOVED, at, listing_id=f"46{i:011d}", warehouse_id="MAIN",
            from_location=f"A-{i % 50:02d}", to_location=f"B-{i % 40:02d}")),
        lambda i: (EventType.INVENTORY_RESERVED, contract_event(
            EventType.INVENTORY_RESERVED, at, listing_id=f"46{i:011d}", warehouse_id="MAIN",
            quantity=1 + i % 5, order_id=f"WB-{i}")),
        lambda i: (EventType.PICKING_ASSIGNED, contract_event(
            EventType.PICKING_ASSIGNED, at, task_id=i, order_id=f"WB-{i}", worker_id=7)),
        lambda i: (EventType.PACKING_COMPLETED, contract_event(
            EventType.PACKING_COMPLETED, at, task_id=i, order_id=f"WB-{i}")),
        lambda i: (EventType.SHIPMENT_CREATED, contract_event(
            EventType.SHIPMENT_CREATED, at, shipment_id=i, order_id=f"WB-{i}",
            tracking_number=f"TRK{i:09d}")),
    ]  # fmt: skip
    return [kinds[i % len(kinds)](i) for i in range(n)]


def fill(engine: sa.Engine, n: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM outbox_event"))
        conn.execute(INSERT_EVENT, [event_params(t, p, datetime.fromisoformat(p["created_at"]))
                                    for t, p in events(n)])  # fmt: skip
    if engine.dialect.name == "postgresql":  # the table as autovacuum keeps it, not the
        # previous round's dead rows
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE outbox_event"))


def prepared(engine: sa.Engine) -> list[tuple[str, dict[str, str]]]:
    """The relay's own entries for the rows now in the outbox (read before timing)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT id, event_type, payload, created_at "
                                    "FROM outbox_event ORDER BY id")).all()  # fmt: skip
    found = [entry(r[0], r[1], r[2], _utc(r[3])) for r in rows]
    return [e for e in found if e is not None]


def _utc(value: object) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def raw(client: redis.Redis, entries: list[tuple[str, dict[str, str]]], batch: int) -> float:
    start = time.perf_counter()
    for i in range(0, len(entries), batch):
        pipe = client.pipeline(transaction=False)
        for stream, fields in entries[i : i + batch]:
            pipe.xadd(stream, fields)  # type: ignore[arg-type]
        pipe.execute()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 events")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=None, help="a PostgreSQL URL (else SQLite)")
    args = parser.parse_args()
    n = args.events or (5_000 if args.quick else 100_000)
    url = os.environ.get("WMS_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    client = redis.Redis.from_url(url)
    client.ping()
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.postgres or f"sqlite:///{Path(tmp) / 'events.sqlite3'}"
        engine = create_engine(db_url)
        upgrade(engine)
        relay_rates, raw_rates = [], []
        for _ in range(args.rounds):
            fill(engine, n)
            entries = prepared(engine)
            client.delete(*STREAMS)
            start = time.perf_counter()
            handled = Relay(engine, client, batch=BATCH).drain()
            relay_s = time.perf_counter() - start
            assert handled == n, (handled, n)
            assert sum(int(client.xlen(s)) for s in STREAMS) == n  # type: ignore[arg-type]
            client.delete(*STREAMS)
            raw_s = raw(client, entries, BATCH)
            relay_rates.append(n / relay_s)
            raw_rates.append(n / raw_s)
        engine.dispose()
    client.delete(*STREAMS)
    relay_rate, raw_rate = statistics.median(relay_rates), statistics.median(raw_rates)
    backend = "postgresql" if args.postgres else "sqlite"
    print(f"events: {n} per round, {args.rounds} rounds, batch {BATCH}, outbox on {backend}")
    print(f"relay (read, XADD pipelined, mark published): {relay_rate:10,.0f} events/s (median)")
    print(f"raw redis-py pipelined XADD, same entries:    {raw_rate:10,.0f} events/s (median)")
    print(f"ratio relay / raw: {relay_rate / raw_rate:.2f} (target >= 0.5; relay >= 5,000/s)")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
