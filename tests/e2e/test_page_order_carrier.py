"""An order for a carrier the delivery service serves, on its card (NiceGUI simulation)
with the app's own callbacks running against a real HTTP service the test starts: while
the service is down the card says the order waits for the carrier; once it is back the
tracking number and the carrier's label appear by themselves."""

import logging
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from nicegui.testing import User

from core.orders.ports import ShipTo
from core.settings import get_settings
from data.database import Database
from tests.conftest import make_product, open_page
from tests.helpers import eventually
from tests.http_service import Behaviour, HttpService, http_service
from tests.orders import fresh
from tests.packing import ready_to_ship


@pytest.fixture
def delivery(app_database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[HttpService]:
    """The delivery service, down at first; the app (started after this) calls it."""
    with http_service(Behaviour(down=True)) as service:
        monkeypatch.setenv("WMS_DELIVERY_URL", service.url)
        monkeypatch.setenv("WMS_DELIVERY_CARRIERS", "cdek")
        monkeypatch.setenv("WMS_CALLBACK_ATTEMPTS", "1")
        monkeypatch.setenv("WMS_CALLBACK_BREAKER_RESET_SECONDS", "1")
        get_settings.cache_clear()
        yield service


def seen(user: User, marker: str) -> bool:
    try:
        user.find(marker=marker)
    except AssertionError:
        return False
    return True


async def test_the_card_waits_for_the_carrier_then_shows_its_label(
    delivery: HttpService, manager: User, app_database: Database
) -> None:
    db = app_database
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE carrier SET is_active = :y WHERE code = 'cdek'"), {"y": True})
    order, _ = ready_to_ship(db, [(make_product(db), 1)], carrier="cdek",
                             ship_to=ShipTo(name="Анна", city="Тула"))  # fmt: skip
    await open_page(manager, f"/orders/{order.id}")
    await manager.should_see("Ожидает перевозчика")
    await eventually(lambda: len(delivery.requests()) >= 1, timeout=20)  # it was asked
    delivery.behaviour.down = False
    await eventually(lambda: fresh(db, order.id).tracking_number == "TRK-000001", timeout=40)
    await eventually(lambda: seen(manager, "order-carrier-label"), timeout=20)
    await manager.should_see("TRK-000001")
    await manager.should_not_see("Ожидает перевозчика")


async def test_the_card_says_the_carrier_refused_instead_of_waiting(
    delivery: HttpService, manager: User, app_database: Database,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    db = app_database
    delivery.behaviour.down = False
    delivery.behaviour.status = 422  # the service refuses the shipment for good
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE carrier SET is_active = :y WHERE code = 'cdek'"), {"y": True})
    order, _ = ready_to_ship(db, [(make_product(db), 1)], carrier="cdek",
                             ship_to=ShipTo(name="Анна", city="Тула"))  # fmt: skip
    await open_page(manager, f"/orders/{order.id}")
    await eventually(lambda: seen(manager, "order-carrier-refused"), timeout=30)
    await manager.should_see("Служба доставки отказала")
    await manager.should_not_see("Ожидает перевозчика")
    refusals = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert refusals and all("refused" in r.getMessage() for r in refusals)
    caplog.clear()  # expected: the user fixture fails a test on any ERROR log
