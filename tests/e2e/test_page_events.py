"""/events: a manager sees the outbox's backlog grow while Redis is not configured, the
relay publishing it and the order feed's counts and dead letters when it is, and the relay's
error when Redis does not answer; a worker is refused the page."""

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from nicegui.testing import User

from core.orders.feed import STREAM
from core.orders.ports import ShipTo
from core.settings import get_settings
from data.database import Database
from data.events.feed import connect
from data.events.status import FEED_HEALTH, RELAY_HEALTH, outbox_status
from tests.conftest import add_user, arrived, make_product, open_page, sign_in
from tests.floor import make_bin
from tests.helpers import eventually, post
from tests.http_service import Behaviour, HttpService, http_service
from tests.packing import ready_to_ship
from tests.picking import stock_bin
from tests.redis_feed import redis_url  # noqa: F401

PATH = "/events"


@pytest.fixture(autouse=True)
def fresh_health() -> Iterator[None]:
    RELAY_HEALTH.reset()
    FEED_HEALTH.reset()
    yield
    RELAY_HEALTH.reset()
    FEED_HEALTH.reset()


def redis_at(url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("WMS_REDIS_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


@pytest.fixture
def feed_on(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: F811
    yield from redis_at(redis_url, monkeypatch)


@pytest.fixture
def redis_away(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    yield from redis_at("redis://127.0.0.1:1/0", monkeypatch)  # nothing listens on port 1


def text_of(user: User, marker: str) -> str:
    (element,) = user.find(marker=marker).elements
    return str(element.text)


async def test_without_redis_the_backlog_grows_and_the_page_says_why(
    manager: User, app_database: Database
) -> None:
    assert get_settings().redis_url is None
    product = make_product(app_database)
    post(app_database, "RECEIPT", product, 5)
    waiting = outbox_status(app_database.engine).waiting
    assert waiting > 0
    await open_page(manager, PATH)
    await manager.should_see(f"Ждут отправки: {waiting}")
    await manager.should_see("Redis не подключён")
    await manager.should_see(marker="outbox-oldest")

    post(app_database, "RECEIPT", product, 1)  # live: the count moves without a reload
    more = outbox_status(app_database.engine).waiting
    assert more > waiting
    await eventually(lambda: text_of(manager, "outbox-waiting") == f"Ждут отправки: {more}")


async def test_with_redis_the_outbox_drains_and_the_feed_shows_its_dead_letter(
    feed_on: str, manager: User, app_database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    post(app_database, "RECEIPT", make_product(app_database), 5)
    client = connect(feed_on)
    client.xadd(STREAM, {"type": "order.confirmed", "order_id": "WB-EV-1"})  # no items: refused
    await open_page(manager, PATH)
    await eventually(lambda: outbox_status(app_database.engine).waiting == 0, timeout=20)
    await manager.should_see("Ждут отправки: 0", retries=200)
    await manager.should_see(marker="relay-ok")
    await manager.should_see("Ошибок ленты: 1", retries=200)
    await manager.should_see(marker="open-dead-letters")
    await manager.should_see(marker="consumer-ok")
    assert text_of(manager, "feed-counts").startswith("В потоке: 1; не прочитано: 0")
    client.close()
    # A dead letter is logged as an ERROR (a person must act); expected here, and the
    # user fixture fails a test on any ERROR log.
    assert any(r.levelname == "ERROR" and "dead-lettered" in r.getMessage()
               for r in caplog.records)  # fmt: skip
    caplog.clear()


async def test_when_redis_does_not_answer_the_relay_shows_its_error(
    redis_away: str, manager: User, app_database: Database
) -> None:
    # Put away into a bin: inventory.placed, an event of §7 the relay must send.
    stock_bin(app_database, make_product(app_database), 5, make_bin(app_database, "A-01"))
    await open_page(manager, PATH)
    await manager.should_see(marker="relay-failing", retries=200)
    assert "ConnectionError" in text_of(manager, "relay-error")
    await manager.should_see(marker="redis-down", retries=200)
    assert outbox_status(app_database.engine).waiting > 0  # nothing lost: it waits


def delivery_service_down(monkeypatch: pytest.MonkeyPatch, breaker_failures: int
                          ) -> Iterator[HttpService]:  # fmt: skip
    """The delivery service, down at first; the app (started after this) calls it."""
    with http_service(Behaviour(down=True)) as service:
        monkeypatch.setenv("WMS_DELIVERY_URL", service.url)
        monkeypatch.setenv("WMS_DELIVERY_CARRIERS", "cdek")
        monkeypatch.setenv("WMS_CALLBACK_ATTEMPTS", "1")
        monkeypatch.setenv("WMS_CALLBACK_BREAKER_FAILURES", str(breaker_failures))
        monkeypatch.setenv("WMS_CALLBACK_BREAKER_RESET_SECONDS", "1")
        get_settings.cache_clear()
        yield service
        get_settings.cache_clear()


@pytest.fixture
def delivery_down(app_database: Database, monkeypatch: pytest.MonkeyPatch
                  ) -> Iterator[HttpService]:  # fmt: skip
    yield from delivery_service_down(monkeypatch, breaker_failures=1)


@pytest.fixture
def delivery_failing(app_database: Database, monkeypatch: pytest.MonkeyPatch
                     ) -> Iterator[HttpService]:  # fmt: skip
    yield from delivery_service_down(monkeypatch, breaker_failures=50)


async def test_a_failing_service_whose_breaker_is_still_closed_says_it_fails(
    delivery_failing: HttpService, manager: User, app_database: Database
) -> None:
    db = app_database
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE carrier SET is_active = :y WHERE code = 'cdek'"), {"y": True})
    await open_page(manager, PATH)
    ready_to_ship(db, [(make_product(db), 1)], carrier="cdek",
                  ship_to=ShipTo(name="Анна", city="Тула"))  # fmt: skip
    await eventually(lambda: seen(manager, "service-delivery-since"), timeout=30)
    assert text_of(manager, "service-delivery-state").startswith("Сбои: ")  # not «Работает»


async def test_a_service_that_is_down_shows_its_breaker_until_it_is_back(
    delivery_down: HttpService, manager: User, app_database: Database
) -> None:
    db = app_database
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE carrier SET is_active = :y WHERE code = 'cdek'"), {"y": True})
    await open_page(manager, PATH)
    await manager.should_see("Служба доставки")
    ready_to_ship(db, [(make_product(db), 1)], carrier="cdek",
                  ship_to=ShipTo(name="Анна", city="Тула"))  # fmt: skip
    await eventually(lambda: seen(manager, "service-delivery-since"), timeout=30)
    assert "503" in text_of(manager, "service-delivery-error")
    delivery_down.behaviour.down = False  # back: the probe call closes the breaker
    await eventually(lambda: not seen(manager, "service-delivery-since"), timeout=40)
    assert text_of(manager, "service-delivery-state") == "Работает"


def seen(user: User, marker: str) -> bool:
    try:
        user.find(marker=marker)
    except AssertionError:
        return False
    return True


async def test_without_services_the_page_says_they_are_not_configured(manager: User) -> None:
    await open_page(manager, PATH)
    await manager.should_see(marker="services-off")


async def test_a_worker_is_refused_the_events_page(visitor: User, app_database: Database) -> None:
    add_user(app_database, "someone", "worker")
    await sign_in(visitor, "someone", "password-123")
    await arrived(visitor, "/")
    await open_page(visitor, PATH)
    await visitor.should_see("Нет доступа")
    await visitor.should_not_see("Ждут отправки")
