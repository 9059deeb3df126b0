"""How long a /metrics scrape takes on a warehouse with history (PostgreSQL).

    uv run python -m bench.metrics --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/wms_metrics

The database's schema is emptied and migrated, then filled by SQL with `--orders` orders
spread over 90 days (about 1/90 of them in the last 24 h), each with its history, a
picking task of 3 items (1 in 20 short), a packing task, a 1-package shipment and 5 outbox
events (the newest 100 unpublished). Rows are written with foreign-key checks off
(session_replication_role = replica): the figures need the rows, not their products.
Reported: the median of `--repeat` scrapes — the database's reads alone
(data.metrics.queries.floor_figures) and the whole exposition (ui.metrics' collector
rendered by prometheus_client), in ms.
"""

import argparse
import statistics
import time
from datetime import UTC, datetime

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, generate_latest

from data.db import create_engine
from data.metrics.queries import floor_figures
from data.migrate import upgrade
from ui.metrics import FloorCollector

# Order i was created i × 90 days / N ago (newest first); times relative to that.
FILL = [
    "INSERT INTO sale_order (id, external_id, kind, priority, status, created_at, confirmed_at) "
    "SELECT i, 'B-' || i, 'customer', 'normal', "
    "CASE WHEN i % 10 = 0 THEN 'cancelled' ELSE 'shipped' END, t, t "
    "FROM (SELECT i, now() - (i * interval '90 days' / :n) - interval '5 hours' AS t "
    "FROM generate_series(1, :n) i) s",
    "INSERT INTO order_history (order_id, at, action, status, details) "
    "SELECT id, created_at, 'confirmed', 'reserved', '' FROM sale_order UNION ALL "
    "SELECT id, created_at + interval '3 hours', CASE WHEN status = 'shipped' THEN 'shipped' "
    "ELSE 'cancelled' END, status, '' FROM sale_order",
    "INSERT INTO picking_task (id, order_id, status, priority, station_id, created_at, "
    "started_at, completed_at) SELECT id, id, 'completed', 'normal', 1, created_at, "
    "created_at + interval '10 minutes', created_at + interval '10 minutes' + "
    "(id % 600) * interval '1 second' FROM sale_order WHERE status = 'shipped'",
    "INSERT INTO picking_item (task_id, sequence, order_line_id, reservation_id, product_id, "
    "location_id, quantity_required, quantity_picked, status) SELECT t.id, k, 1, 1, 1, 1, 2, "
    "CASE WHEN (t.id + k) % 20 = 0 THEN 1 ELSE 2 END, "
    "CASE WHEN (t.id + k) % 20 = 0 THEN 'short' ELSE 'picked' END "
    "FROM picking_task t, generate_series(1, 3) k",
    "INSERT INTO picking_history (task_id, at, action, item_id, details) "
    "SELECT i.task_id, t.completed_at, 'pick', i.id, '' FROM picking_item i "
    "JOIN picking_task t ON t.id = i.task_id",
    "INSERT INTO packing_task (id, order_id, picking_task_id, station_id, status, created_at, "
    "started_at, packed_at, shipped_at) SELECT id, order_id, id, 1, 'shipped', completed_at, "
    "completed_at + interval '5 minutes', completed_at + interval '5 minutes' + "
    "(id % 300) * interval '1 second', completed_at + interval '2 hours' FROM picking_task",
    "INSERT INTO package (packing_task_id, sequence_number, packaging_type, weight_kg, "
    "barcode, handling_unit_id, created_at) SELECT id, 1, 'box', 0.5 + (id % 40) / 10.0, "
    "'PKG-' || id, id, packed_at FROM packing_task",
    "INSERT INTO outbox_event (event_type, payload, created_at, published_at) "
    "SELECT 'picking.completed', '{}', o.created_at, o.created_at FROM sale_order o, "
    "generate_series(1, 5) k",
    "UPDATE outbox_event SET published_at = NULL WHERE id IN "
    "(SELECT id FROM outbox_event ORDER BY created_at DESC LIMIT 100)",
]


def fill(engine: sa.Engine, orders: int) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("SET session_replication_role = replica")
        for sql in FILL:
            conn.execute(sa.text(sql), {"n": orders})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE")


def median_ms(run: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--postgres-url", required=True)
    p.add_argument("--orders", type=int, default=200_000)
    p.add_argument("--repeat", type=int, default=9)
    args = p.parse_args(argv)
    engine = create_engine(args.postgres_url)
    assert engine.dialect.name == "postgresql", "the benchmark runs on PostgreSQL"
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        conn.exec_driver_sql("CREATE SCHEMA public")
    upgrade(engine)
    started = time.perf_counter()
    fill(engine, args.orders)
    print(f"filled {args.orders:,} orders in {time.perf_counter() - started:.0f} s")
    figures = floor_figures(engine, datetime.now(UTC))
    print(figures)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FloorCollector(engine))
    reads = median_ms(lambda: floor_figures(engine, datetime.now(UTC)), args.repeat)
    scrape = median_ms(lambda: generate_latest(registry), args.repeat)
    print(f"database reads: {reads:.1f} ms; whole scrape: {scrape:.1f} ms (median of "
          f"{args.repeat})")  # fmt: skip


if __name__ == "__main__":
    main()
