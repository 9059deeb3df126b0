"""Operational alerts read from the database (data.dashboard.alerts) on SQLite and
PostgreSQL, for real orders and tasks made by the use cases; time moves by the clock
parameter (`now` hours ahead), never by sleeping."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from core.dashboard.alerts import AlertKind, AlertThresholds, cutoffs
from core.orders.picks import pick_item
from core.periods import now_utc
from core.settings import get_settings
from data.dashboard.alerts import alert_counts, bell_count, operational_alerts
from data.database import Database
from data.events.carriers import DELIVERY
from data.events.services import Service, Transient, register
from tests.conftest import make_product
from tests.floor import make_bin
from tests.helpers import post
from tests.http_service import Behaviour, http_service
from tests.orders import place
from tests.packing import package, picked_order, started
from tests.picking import complete, started_task, stock_bin

DEFAULTS = AlertThresholds()


def counts(db: Database, now: datetime, thresholds: AlertThresholds = DEFAULTS) -> dict:
    return alert_counts(db.engine, cutoffs(now, thresholds))


def later(**kw: float) -> datetime:
    return now_utc() + timedelta(**kw)


def test_nothing_to_report_in_a_quiet_warehouse(db: Database) -> None:
    nothing = {kind: 0 for kind in AlertKind if kind != AlertKind.OUTBOX}  # not watched
    assert counts(db, later(days=1)) == nothing
    found = operational_alerts(db.engine, DEFAULTS, later(days=1))
    assert (found.total, found.picking, found.packing, found.reservations) == (0, [], [], [])


def test_a_picking_task_in_progress_over_two_hours(db: Database) -> None:
    pen = make_product(db, sku="PEN")
    stock_bin(db, pen, 5, make_bin(db, "A-1"))
    order = place(db, [(pen, 2)])
    task = started_task(db, order.picking_task_id or 0)
    assert counts(db, later(hours=1, minutes=55))[AlertKind.PICKING] == 0
    assert counts(db, later(hours=2, minutes=1))[AlertKind.PICKING] == 1
    [row] = operational_alerts(db.engine, DEFAULTS, later(hours=3)).picking
    assert (row.task_id, row.order_id, row.external_id) == (task.id, order.id, order.external_id)
    assert row.executor  # who is picking it
    for item in task.items:
        pick_item(db.unit_of_work(), task.id, item.id, item.quantity_required, None)
    complete(db, task.id)  # finished: no longer an alert
    assert counts(db, later(hours=3))[AlertKind.PICKING] == 0


def test_packing_without_weight_and_size_over_an_hour(db: Database) -> None:
    pen, cup = make_product(db, sku="PEN"), make_product(db, sku="CUP")
    order = picked_order(db, [(pen, 1), (cup, 1)])
    task_id = order.packing_task_id or 0
    assert counts(db, later(hours=2))[AlertKind.PACKING] == 0  # not started: nobody's late
    started(db, task_id)
    assert counts(db, later(minutes=50))[AlertKind.PACKING] == 0
    assert counts(db, later(minutes=70))[AlertKind.PACKING] == 1  # no package at all
    package(db, task_id, [(pen, 1)])  # weighed and measured
    package(db, task_id, [(cup, 1)], weight_kg=None, height_cm=None)
    [row] = operational_alerts(db.engine, DEFAULTS, later(minutes=70)).packing
    assert (row.task_id, row.order_id, row.packages, row.unmeasured) == (task_id, order.id, 2, 1)


def test_packing_with_every_package_measured_is_no_alert(db: Database) -> None:
    pen = make_product(db, sku="PEN")
    order = picked_order(db, [(pen, 1)])
    started(db, order.packing_task_id or 0)
    package(db, order.packing_task_id or 0, [(pen, 1)])
    assert counts(db, later(hours=5))[AlertKind.PACKING] == 0


@pytest.fixture
def ttl(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("WMS_RESERVATION_TTL_MINUTES", "30")
    get_settings.cache_clear()
    yield 30
    get_settings.cache_clear()


def test_a_reservation_expired_but_not_released(db: Database, ttl: int) -> None:
    pen = make_product(db, sku="PEN")
    post(db, "RECEIPT", pen, 5)
    order = place(db, [(pen, 2)])
    assert counts(db, later(minutes=ttl + 4))[AlertKind.RESERVATION] == 0  # the sweep's time
    assert counts(db, later(minutes=ttl + 6))[AlertKind.RESERVATION] == 1
    [row] = operational_alerts(db.engine, DEFAULTS, later(minutes=ttl + 6)).reservations
    assert (row.order_id, row.external_id) == (order.id, order.external_id)
    # Being picked, the order keeps its stock by design (core.orders.expiry): no alert.
    started_task(db, order.picking_task_id or 0)
    assert counts(db, later(minutes=ttl + 60))[AlertKind.RESERVATION] == 0


def test_the_outbox_backlog_when_events_are_relayed(db: Database) -> None:
    pen = make_product(db, sku="PEN")
    post(db, "RECEIPT", pen, 5)
    place(db, [(pen, 1)])  # writes events to the outbox
    relayed = AlertThresholds(outbox_watched=True)
    assert AlertKind.OUTBOX not in counts(db, later(hours=1))  # no Redis: they wait
    assert counts(db, later(minutes=1), relayed)[AlertKind.OUTBOX] == 0
    assert counts(db, later(minutes=10), relayed)[AlertKind.OUTBOX] == 1  # one alert, many
    backlog = operational_alerts(db.engine, relayed, later(minutes=10)).outbox
    assert backlog is not None and backlog.waiting >= 1
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE outbox_event SET published_at = created_at"))
    assert counts(db, later(minutes=10), relayed)[AlertKind.OUTBOX] == 0


def test_the_bell_counts_low_stock_and_alerts(db: Database) -> None:
    pen = make_product(db, sku="PEN", min_stock=10)  # below its minimum
    stock_bin(db, pen, 5, make_bin(db, "A-1"))
    order = place(db, [(pen, 1)])
    started_task(db, order.picking_task_id or 0)
    assert bell_count(db.engine, DEFAULTS, later(minutes=5)).total == 1
    count = bell_count(db.engine, DEFAULTS, later(hours=3))
    assert (count.low_stock, count.operational, count.total) == (1, 1, 2)


@pytest.fixture
def delivery_down() -> Iterator[Service]:
    """The app's delivery service (data.events.services), pointed at a real HTTP server
    that answers 503."""
    with http_service(Behaviour(down=True)) as server:
        service = Service(DELIVERY, server.url, timeout=2, attempts=1, fail_max=5,
                          reset_timeout=60)  # fmt: skip
        register(service)
        yield service
        register()
        service.close()


def test_a_service_failing_for_over_five_minutes(db: Database, delivery_down: Service) -> None:
    with pytest.raises(Transient):
        delivery_down.call("POST", "/api/v1/shipments", {}, "wms-1")
    since = delivery_down.state().failing_since
    assert since is not None
    assert counts(db, since + timedelta(minutes=4))[AlertKind.SERVICE] == 0
    assert counts(db, since + timedelta(minutes=6))[AlertKind.SERVICE] == 1
    [alert] = operational_alerts(db.engine, DEFAULTS, since + timedelta(minutes=6)).services
    assert (alert.name, alert.failing_since) == (DELIVERY, since)
    assert alert.last_error is not None and "503" in alert.last_error
    assert bell_count(db.engine, DEFAULTS, since + timedelta(minutes=6)).operational == 1
