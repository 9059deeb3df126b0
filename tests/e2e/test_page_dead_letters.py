"""/events/dead-letters: a manager sees the order feed's dead letters (time, order, kind,
error) and retries one after fixing its cause — the entry goes back on the feed and is
applied; a worker is refused the page; without WMS_REDIS_URL the page says the feed is off."""

from collections.abc import Iterator

import pytest
from nicegui.testing import User

from core.orders.feed import DEAD_LETTERS, STREAM, run_round
from core.settings import get_settings
from data.database import Database
from data.events.feed import RedisOrderFeed, connect
from data.orders.queries import orders
from tests.conftest import add_user, arrived, make_product, open_page, sign_in
from tests.helpers import eventually, post
from tests.redis_feed import confirmed, redis_url  # noqa: F401

PATH = "/events/dead-letters"


@pytest.fixture
def feed_on(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: F811
    monkeypatch.setenv("WMS_REDIS_URL", redis_url)
    get_settings.cache_clear()
    yield redis_url
    get_settings.cache_clear()


async def test_a_manager_retries_a_dead_letter_after_creating_the_product(
    feed_on: str, manager: User, app_database: Database
) -> None:
    client = connect(feed_on)
    entry = confirmed("WB-DL-1", [("4600000300001", 2)])
    client.xadd(DEAD_LETTERS, {**entry, "error": "Товар не найден", "entry_id": "1-0"})
    await open_page(manager, PATH)
    await manager.should_see("Заказ WB-DL-1")
    await manager.should_see("Товар не найден")
    await manager.should_see("Подтверждение")
    post(app_database, "RECEIPT", make_product(app_database, barcode="4600000300001"), 5)
    manager.find(marker="retry-WB-DL-1").click()
    await manager.should_see("Ошибок нет")
    assert client.xlen(DEAD_LETTERS) == 0
    assert client.xlen(STREAM) == 1
    (back,) = client.xrange(STREAM)
    assert back[1] == entry  # its own fields, without the error

    feed = RedisOrderFeed(client, "test")  # the app's own consumer may take it first

    def placed() -> bool:
        run_round(feed, app_database.unit_of_work, claim_idle_ms=60_000, max_deliveries=5,
                  block_ms=0)  # fmt: skip
        found = orders(app_database.engine, external_id="WB-DL-1", limit=5, offset=0).items
        return [o.status for o in found] == ["reserved"]

    await eventually(placed)
    client.close()


async def test_a_worker_is_refused_the_dead_letters(
    feed_on: str, visitor: User, app_database: Database
) -> None:
    client = connect(feed_on)
    client.xadd(DEAD_LETTERS, {**confirmed("WB-DL-2", [("1", 1)]), "error": "x", "entry_id": "1"})
    client.close()
    add_user(app_database, "someone", "worker")
    await sign_in(visitor, "someone", "password-123")
    await arrived(visitor, "/")
    await visitor.should_not_see("Войти")
    await open_page(visitor, PATH)
    await visitor.should_see("Нет доступа")
    await visitor.should_not_see("WB-DL-2")


async def test_without_redis_the_page_says_the_feed_is_off(manager: User) -> None:
    assert get_settings().redis_url is None
    await open_page(manager, PATH)
    await manager.should_see("Лента заказов не подключена")
