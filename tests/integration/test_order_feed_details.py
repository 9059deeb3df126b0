"""The order feed completing an `order.confirmed` entry from the services (seed 004 §6;
core.orders.feed.complete over data.events.order_details) against real HTTP services the
test starts and a real Redis, on SQLite and PostgreSQL: items from the Listings service
and the address from the delivery service; the Listings service down is an outage (the
entry waits, pending, not dead-lettered) and the order is placed once when it is back; an
order the Listings service does not know is retried like any refusal."""

from typing import Any

import pytest
import redis

from core.orders.feed import DEAD_LETTERS, GROUP, STREAM, FeedRound, run_round
from data.database import Database
from data.events.feed import RedisOrderFeed, connect
from data.events.order_details import ServiceDetails
from data.events.services import Service, Transient
from data.orders.queries import orders
from tests.conftest import make_product
from tests.helpers import post
from tests.http_service import Behaviour, HttpService, http_service
from tests.orders import fresh
from tests.redis_feed import publish, redis_url  # noqa: F401
from ui.order_feed import feed_outage


@pytest.fixture
def client(redis_url: str) -> Any:  # noqa: F811
    c = connect(redis_url)
    yield c
    c.close()


def service(name: str, http: HttpService) -> Service:
    return Service(name, http.url, timeout=2.0, attempts=2, fail_max=5, reset_timeout=30.0,
                   backoff=0.05)  # fmt: skip


def round_(db: Database, client: "redis.Redis[str]", details: ServiceDetails) -> FeedRound:
    return run_round(RedisOrderFeed(client, "wms-1"), db.unit_of_work, claim_idle_ms=0,
                     max_deliveries=5, block_ms=0, is_outage=feed_outage,
                     details=details)  # fmt: skip


def bare(order_id: str) -> dict[str, str]:
    """An entry that names the order only."""
    return {"type": "order.confirmed", "order_id": order_id, "source": "Wildberries",
            "carrier": "manual"}  # fmt: skip


def test_an_entry_without_items_is_completed_from_the_services(
    db: Database, client: "redis.Redis[str]"
) -> None:
    pid = make_product(db, barcode="4600000000011")
    post(db, "RECEIPT", pid, 5)
    with http_service() as listings, http_service() as delivery:
        listings.documents["/api/v1/orders/LS-1"] = {
            "order_id": "LS-1",
            "items": [{"listing_id": "4600000000011", "quantity": 2}],
        }
        delivery.documents["/api/v1/delivery/addresses/order/LS-1"] = {
            "name": "Анна",
            "city": "Тула",
            "address": "ул. Мира, 5",
        }
        publish(client, bare("LS-1"))
        assert (
            round_(
                db,
                client,
                ServiceDetails(service("listings", listings), service("delivery", delivery)),
            ).done
            == 1
        )
    [found] = orders(db.engine, external_id="LS-1", limit=10, offset=0).items
    order = fresh(db, found.id)
    assert [(ln.product_id, ln.quantity) for ln in order.lines] == [(pid, 2)]
    assert order.status == "reserved"
    assert order.ship_to is not None and order.ship_to.city == "Тула"


def test_the_listings_service_down_makes_the_entry_wait_then_it_is_placed_once(
    db: Database, client: "redis.Redis[str]"
) -> None:
    pid = make_product(db, barcode="4600000000028")
    post(db, "RECEIPT", pid, 5)
    with http_service(Behaviour(down=True)) as listings:
        listings.documents["/api/v1/orders/LS-2"] = {
            "items": [{"barcode": "4600000000028", "quantity": 1}]
        }
        details = ServiceDetails(service("listings", listings), None)
        publish(client, bare("LS-2"))
        with pytest.raises(Transient, match="HTTP 503"):
            round_(db, client, details)  # an outage: the round stops, the entry waits
        assert int(client.xpending(STREAM, GROUP)["pending"]) == 1
        assert client.xlen(DEAD_LETTERS) == 0
        listings.behaviour.down = False
        assert round_(db, client, details).done == 1
        assert round_(db, client, details) == FeedRound()
    assert len(orders(db.engine, external_id="LS-2", limit=10, offset=0).items) == 1
    assert int(client.xpending(STREAM, GROUP)["pending"]) == 0


def test_an_order_the_listings_service_does_not_know_is_retried(
    db: Database, client: "redis.Redis[str]"
) -> None:
    with http_service() as listings:
        publish(client, bare("LS-404"))
        details = ServiceDetails(service("listings", listings), None)
        assert round_(db, client, details) == FeedRound(retry=1)
        assert [s.status for s in listings.requests()] == [404]  # a refusal: not retried
    assert orders(db.engine, external_id="LS-404", limit=10, offset=0).items == []
