"""The callbacks (data.events.callbacks, data.events.carriers) against real HTTP services
the test starts (tests.http_service), on SQLite and PostgreSQL: a packed order reported
`ready_for_shipment` and its shipment created with the tracking number stored; a service
failing then recovering (retried, delivered once by event_id, nothing doubled); a
timeout; the breaker opening after N failures and a half-open probe closing it; the
floor shipping while the delivery service hangs."""

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from core.orders.ports import Order, ShipTo
from core.settings import Settings
from data.database import Database
from data.events.callbacks import CALLBACK_LOCK, Dispatcher, run_forever
from data.events.carriers import consumers
from data.events.services import Service, register, service_states
from tests.conftest import make_product
from tests.http_service import Behaviour, HttpService, http_service
from tests.orders import fresh
from tests.packing import ready_to_ship, ship

ADDRESS = ShipTo(name="Иван Петров", phone="+79001234567", address="ул. Баумана, 1",
                 city="Казань", postal_code="420111", country="RU")  # fmt: skip


def settings(listings: HttpService | None, delivery: HttpService | None,
             **kw: Any) -> Settings:  # fmt: skip
    fields: dict[str, Any] = {
        "listings_url": listings.url if listings else None,
        "delivery_url": delivery.url if delivery else None,
        "delivery_carriers": "cdek", "warehouse_address": "Подольск, Складская 1",
        "callback_timeout_seconds": 2.0, "callback_attempts": 3,
        "callback_breaker_failures": 5, "callback_breaker_reset_seconds": 30.0,
    }  # fmt: skip
    return Settings(**{**fields, **kw})


def dispatcher(db: Database, s: Settings) -> tuple[Dispatcher, dict[str, Service]]:
    found, services = consumers(db.engine, s)
    register(*services)
    d = Dispatcher(db.engine, found, grace=0.0)
    d.start()  # before the floor's events: they are the consumers' to call back
    return d, {service.name: service for service in services}


def packed_for_cdek(db: Database) -> tuple[Order, int]:
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE carrier SET is_active = :y WHERE code = 'cdek'"), {"y": True})
    return ready_to_ship(db, [(make_product(db), 2)], carrier="cdek", ship_to=ADDRESS)


def label_of(db: Database, order_id: int) -> str | None:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT shipping_label_url FROM sale_order WHERE id = :o"),
                            {"o": order_id}).scalar_one()  # fmt: skip


def deliveries(db: Database, consumer: str) -> list[tuple[int, str]]:
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(  # type: ignore[misc]
            "SELECT outbox_id, outcome FROM callback_delivery WHERE consumer = :c "
            "ORDER BY outbox_id"), {"c": consumer})]  # fmt: skip


def until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    """Wait (a deadline, not a measure) until `check()` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the callbacks did not get there in time"
        time.sleep(0.05)


def test_a_packed_order_is_reported_and_its_shipment_created(db: Database) -> None:
    with http_service() as listings, http_service() as delivery:
        d, _ = dispatcher(db, settings(listings, delivery))
        order, task_id = packed_for_cdek(db)
        assert d.round()
        [status] = listings.requests()
        assert status.path == f"/api/v1/orders/{order.external_id}/status"
        assert status.body["status"] == "ready_for_shipment"
        assert status.body["event_id"] == status.headers["x-event-id"].strip()
        assert status.headers["idempotency-key"] == status.body["event_id"]
        [shipment] = delivery.requests()
        assert shipment.path == "/api/v1/shipments"
        body = shipment.body
        assert (body["order_id"], body["carrier"]) == (order.external_id, "cdek")
        assert body["from"] == {"address": "Подольск, Складская 1"}
        assert body["to"]["city"] == "Казань" and body["to"]["phone"] == "+79001234567"
        [package] = body["packages"]
        assert package["weight_kg"] == 1.2 and package["length_cm"] == 30
        assert package["barcode"]
        now = fresh(db, order.id)
        assert now.tracking_number == "TRK-000001"
        assert label_of(db, order.id) == f"{delivery.url}/labels/TRK-000001.pdf"
        assert d.round()  # nothing more to say
        assert len(listings.requests()) == 1 and len(delivery.requests()) == 1
        # The floor ships with the service's number without typing it.
        shipped = ship(db, task_id, carrier="cdek", tracking=None)
        assert shipped.tracking_number == "TRK-000001"
        assert fresh(db, order.id).status == "shipped"
        with db.engine.connect() as conn:
            since = conn.execute(sa.text("SELECT min(since_id) FROM callback_consumer")).scalar()
        assert since is not None and since >= int(status.body["event_id"].removeprefix("wms-"))


def test_a_carrier_not_served_and_a_refusal_are_recorded_and_the_next_goes_on(
    db: Database,
) -> None:
    with http_service(Behaviour(status=404)) as listings, http_service() as delivery:
        d, _ = dispatcher(db, settings(listings, delivery))
        manual, _ = ready_to_ship(db, [(make_product(db), 1)], carrier="manual")
        packed_for_cdek(db)
        assert d.round()
        assert [o for _, o in deliveries(db, "listings")] == ["rejected", "rejected"]
        assert [o for _, o in deliveries(db, "delivery")] == ["skipped", "delivered"]
        assert len(listings.requests()) == 2  # a 404 is not retried
        assert fresh(db, manual.id).tracking_number is None


def test_a_shipment_refused_for_good_is_a_step_on_the_order_and_is_not_retried(
    db: Database,
) -> None:
    with http_service(Behaviour(status=422)) as delivery:
        d, _ = dispatcher(db, settings(None, delivery))
        order, task_id = packed_for_cdek(db)
        assert d.round() and d.round()
        assert [o for _, o in deliveries(db, "delivery")] == ["rejected"]
        assert len(delivery.requests()) == 1  # a 4xx is not retried
        with db.engine.connect() as conn:
            steps = conn.execute(sa.text(
                "SELECT action, details FROM order_history WHERE order_id = :o "
                "AND action LIKE 'carrier%'"), {"o": order.id}).all()  # fmt: skip
        [(action, details)] = steps
        assert action == "carrier_refused" and details.startswith("Служба доставки отказала")
        assert "422" in details
        assert fresh(db, order.id).tracking_number is None
        # The floor ships with a typed number as usual.
        assert ship(db, task_id, carrier="cdek", tracking="TYPED-1").tracking_number == "TYPED-1"


def test_a_failing_service_is_retried_and_delivers_once_when_it_recovers(db: Database) -> None:
    with http_service(Behaviour(fail=2)) as listings, \
            http_service(Behaviour(down=True)) as delivery:  # fmt: skip
        d, services = dispatcher(db, settings(listings, delivery))
        order, _ = packed_for_cdek(db)
        assert not d.round()  # the delivery service is down: its event waits
        assert [s.status for s in listings.requests()] == [500, 500, 200]  # retried in-round
        assert [s.status for s in delivery.requests()] == [503, 503, 503]
        assert deliveries(db, "delivery") == []
        assert fresh(db, order.id).tracking_number is None
        assert services["delivery"].state().last_error == "HTTP 503"
        assert services["delivery"].state().failing_since is not None
        delivery.behaviour.down = False
        assert d.round()
        assert fresh(db, order.id).tracking_number == "TRK-000001"
        assert services["delivery"].state().failing_since is None
        for _ in range(3):
            assert d.round()
        ids = {s.headers["x-event-id"] for s in delivery.requests()}
        assert len(ids) == 1  # every try was the same event
        assert len(delivery.answered_ok()) == 1 and len(listings.answered_ok()) == 1
        assert len(delivery.applied) == 1 and len(listings.applied) == 1


def test_a_service_that_does_not_answer_in_time_is_retried(db: Database) -> None:
    with http_service(Behaviour(stall=1, stall_seconds=3.0)) as delivery:
        d, services = dispatcher(db, settings(None, delivery, callback_timeout_seconds=0.5))
        order, _ = packed_for_cdek(db)
        assert d.round()
        assert [s.status for s in delivery.requests()] == [0, 200]  # 0: it stalled
        assert services["delivery"].state().last_error == "нет ответа за 0.5 с"
        assert fresh(db, order.id).tracking_number == "TRK-000001"


def test_the_breaker_opens_after_n_failures_and_a_probe_closes_it(db: Database) -> None:
    reset = 2.0
    with http_service(Behaviour(down=True)) as listings:
        s = settings(listings, None, callback_breaker_failures=3,
                     callback_breaker_reset_seconds=reset)  # fmt: skip
        d, services = dispatcher(db, s)
        ready_to_ship(db, [(make_product(db), 1)])
        opened = time.monotonic()
        assert not d.round()
        assert len(listings.requests()) == 3
        [state] = [x for x in service_states() if x.url == listings.url]
        assert state.breaker == "open" and state.last_error == "HTTP 503"
        assert not d.round()
        if time.monotonic() - opened < reset:  # still open: no request made
            assert len(listings.requests()) == 3
        listings.behaviour.down = False
        until(d.round)  # after the reset timeout a probe goes through and succeeds
        assert services["listings"].state().breaker == "closed"
        assert len(listings.answered_ok()) == 1 and len(listings.applied) == 1


def test_the_floor_ships_while_the_delivery_service_hangs(db: Database) -> None:
    with http_service() as listings, \
            http_service(Behaviour(stall=3, stall_seconds=4.0)) as delivery:  # fmt: skip
        d, _ = dispatcher(db, settings(listings, delivery, callback_timeout_seconds=3.0,
                                       callback_attempts=1))  # fmt: skip
        order, task_id = packed_for_cdek(db)
        assert fresh(db, order.id).tracking_number is None  # waiting for the carrier
        stop = threading.Event()
        worker = threading.Thread(
            target=run_forever, args=(d, stop), kwargs={"idle": 0.05, "max_wait": 0.2}
        )
        worker.start()
        try:
            until(lambda: len(delivery.requests()) >= 1)  # the call hangs in the service
            # Meanwhile the floor ships with a typed number: no transaction waits on it.
            assert ship(db, task_id, carrier="cdek", tracking="TYPED-1").status == "shipped"
            until(lambda: len(deliveries(db, "delivery")) == 1)
        finally:
            stop.set()
            worker.join(timeout=15)
        assert [o for _, o in deliveries(db, "delivery")] == ["skipped"]  # shipped meanwhile
        assert fresh(db, order.id).tracking_number == "TYPED-1"
        assert len(listings.applied) == 1


def test_two_dispatchers_call_back_each_event_once(db: Database) -> None:
    with http_service() as listings:
        first, _ = dispatcher(db, settings(listings, None))
        second, _ = dispatcher(db, settings(listings, None))
        stop = threading.Event()
        workers = [threading.Thread(target=run_forever, args=(d, stop),
                                    kwargs={"idle": 0.01}) for d in (first, second)]  # fmt: skip
        for w in workers:
            w.start()
        try:
            for _ in range(4):
                ready_to_ship(db, [(make_product(db), 1)])
            until(lambda: len(deliveries(db, "listings")) == 4)
        finally:
            stop.set()
            for w in workers:
                w.join(timeout=15)
        ids = [s.headers["x-event-id"] for s in listings.requests()]
        assert len(ids) == len(set(ids)) == 4


def test_another_process_holding_the_lock_makes_a_round_wait(db: Database) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("one process on SQLite: the process-local lock is the whole story")
    with http_service() as listings:
        d, _ = dispatcher(db, settings(listings, None))
        ready_to_ship(db, [(make_product(db), 1)])
        with db.engine.connect() as other:  # another app process's dispatcher
            other.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": CALLBACK_LOCK})
            assert d.round()
            assert listings.requests() == []
            other.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": CALLBACK_LOCK})
            other.commit()
        assert d.round()
        assert len(listings.requests()) == 1
