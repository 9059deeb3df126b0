"""/metrics' figures read from the database (ui.metrics.FloorCollector over
data.metrics): after real orders are picked, packed, shipped, cut short and cancelled,
every figure is what the rows say, on SQLite and PostgreSQL; the order feed's lag and
pending from a real Redis."""

from datetime import UTC, datetime

import pytest
import redis
import sqlalchemy as sa
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from core.metrics import allowed, durations, parse_allow_list
from core.orders.feed import GROUP, STREAM
from core.orders.picks import pick_item
from core.settings import Settings
from data.database import Database
from data.events.feed import ensure_group
from tests.conftest import make_product
from tests.floor import make_bin
from tests.metrics import scraped, value
from tests.orders import cancel, place
from tests.packing import package, packed, picked_order, ship, started
from tests.picking import complete, started_task, stock_bin
from tests.redis_feed import redis_url  # noqa: F401  (fixture)
from tests.redis_server import free_port
from ui.metrics import FloorCollector


def registry_of(db: Database, feed_url: str | None = None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FloorCollector(db.engine, feed_url))
    return registry


def seconds(db: Database, sql: str) -> list[float]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(sql)).all()
    return [(to_utc(b) - to_utc(a)).total_seconds() for a, b in rows]


def to_utc(value: object) -> datetime:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_an_empty_warehouse_reports_counts_and_no_made_up_rates(db: Database) -> None:
    samples = scraped(registry_of(db))
    assert value(samples, "wms_picking_task_duration_count_24h") == 0
    assert value(samples, "wms_picking_task_duration_seconds", stat="p50") is None
    assert value(samples, "wms_picking_shortage_ratio") is None
    assert value(samples, "wms_order_success_ratio") is None
    assert value(samples, "wms_package_weight_kg_avg") is None
    assert value(samples, "wms_picked_items_last_hour") == 0
    assert value(samples, "wms_outbox_backlog_events") == 0
    assert value(samples, "wms_outbox_lag_seconds") == 0


def test_figures_after_orders_shipped_cut_short_and_cancelled(db: Database) -> None:
    full, short, gone = make_product(db), make_product(db), make_product(db)
    # Shipped: 3 units picked whole, packed in one box of 2.5 kg, shipped.
    order = picked_order(db, [(full, 3)])
    task_id = order.packing_task_id or 0
    started(db, task_id)
    package(db, task_id, [(full, 3)], weight_kg=2.5)
    packed(db, task_id)
    ship(db, task_id)
    # Cut short: 1 of 2 units found.
    bin_id = make_bin(db, "B-SHORT")
    stock_bin(db, short, 2, bin_id)
    cut = place(db, [(short, 2)])
    pick = started_task(db, cut.picking_task_id or 0, "short-picker")
    pick_item(db.unit_of_work(), pick.id, pick.items[0].id, 1, None)
    complete(db, pick.id)
    # Cancelled before picking.
    stock_bin(db, gone, 1, make_bin(db, "B-GONE"))
    cancel(db, place(db, [(gone, 1)]).id)

    samples = scraped(registry_of(db))

    picking = durations(seconds(db, "SELECT started_at, completed_at FROM picking_task "
                                    "WHERE status = 'completed'"))  # fmt: skip
    assert picking.count == 2
    assert value(samples, "wms_picking_task_duration_count_24h") == 2
    for stat, expected in (("p50", picking.p50), ("p90", picking.p90), ("avg", picking.mean)):
        got = value(samples, "wms_picking_task_duration_seconds", stat=stat)
        assert got == pytest.approx(expected, abs=1e-3)
    packing = durations(seconds(db, "SELECT started_at, packed_at FROM packing_task "
                                    "WHERE packed_at IS NOT NULL"))  # fmt: skip
    assert value(samples, "wms_packing_task_duration_count_24h") == 1
    got = value(samples, "wms_packing_task_duration_seconds", stat="p50")
    assert got == pytest.approx(packing.p50, abs=1e-3)
    assert value(samples, "wms_picked_items_last_hour") == 3 + 1
    assert value(samples, "wms_pick_outcomes_24h") == 2
    assert value(samples, "wms_picking_shortage_ratio") == 0.5
    assert value(samples, "wms_package_weight_kg_avg") == pytest.approx(2.5)
    assert value(samples, "wms_orders_ended_24h", status="shipped") == 1
    assert value(samples, "wms_orders_ended_24h", status="cancelled") == 1
    assert value(samples, "wms_order_success_ratio") == 0.5
    assert value(samples, "wms_order_to_shipment_count_24h") == 1
    lead = value(samples, "wms_order_to_shipment_seconds", stat="p50")
    assert lead is not None and 0 <= lead < 600
    # Nothing relays here: every event written is waiting, the oldest since its fact.
    with db.engine.connect() as conn:
        backlog, oldest = conn.execute(sa.text(
            "SELECT count(*), min(created_at) FROM outbox_event WHERE published_at IS NULL"
        )).one()  # fmt: skip
    assert backlog > 0 and value(samples, "wms_outbox_backlog_events") == backlog
    lag = value(samples, "wms_outbox_lag_seconds")
    expected_lag = (datetime.now(UTC) - to_utc(oldest)).total_seconds()
    assert lag is not None and expected_lag - 600 < lag <= expected_lag
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE outbox_event SET published_at = created_at"))
    after = scraped(registry_of(db))
    assert value(after, "wms_outbox_backlog_events") == 0
    assert value(after, "wms_outbox_lag_seconds") == 0


def test_order_feed_lag_and_pending(db: Database, redis_url: str) -> None:  # noqa: F811
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    registry = registry_of(db, redis_url)
    samples = scraped(registry)  # no stream yet: Redis up, no figures of a group
    assert value(samples, "wms_order_feed_redis_up") == 1
    assert value(samples, "wms_order_feed_lag_entries") is None
    ensure_group(client)
    for n in range(3):
        client.xadd(STREAM, {"type": "order.confirmed", "order_id": f"F-{n}"})
    client.xreadgroup(GROUP, "metrics-test", {STREAM: ">"}, count=1)
    samples = scraped(registry)
    assert value(samples, "wms_order_feed_lag_entries") == 2
    assert value(samples, "wms_order_feed_pending_entries") == 1
    assert value(samples, "wms_order_feed_consumers") == 1


def test_redis_away_is_reported_not_raised(db: Database) -> None:
    samples = scraped(registry_of(db, f"redis://127.0.0.1:{free_port()}/0"))
    assert value(samples, "wms_order_feed_redis_up") == 0
    assert value(samples, "wms_outbox_backlog_events") == 0  # the database's part still there


def test_allow_list() -> None:
    networks = parse_allow_list(" 127.0.0.1, 10.0.0.0/8 ,::1")
    assert allowed("127.0.0.1", networks) and allowed("10.2.3.4", networks)
    assert allowed("::1", networks) and allowed("::ffff:10.0.0.9", networks)
    assert not allowed("192.168.0.1", networks) and not allowed("testclient", networks)
    assert not allowed("127.0.0.1", ())
    with pytest.raises(ValueError):
        parse_allow_list("10.0.0.300")
    with pytest.raises(ValidationError):  # a typo in the setting stops the app at start
        Settings(metrics_allow="127.0.0.1, localhost")
