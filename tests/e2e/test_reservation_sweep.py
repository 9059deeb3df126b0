"""Reservation expiry in the running app: the order's card says until when it is held,
the app's sweep (ui.reservation_sweep) releases it once it has expired, and the card
then says why the order waits again («Резерв истёк»)."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from nicegui.testing import User

import core.orders.expiry
from core.periods import now_utc
from core.settings import get_settings
from data.database import Database
from tests.conftest import make_product, open_page
from tests.helpers import post
from tests.orders import fresh, place
from ui.live import app_context
from ui.reservation_sweep import sweep_once


@pytest.fixture
def ttl(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("WMS_RESERVATION_TTL_MINUTES", "30")
    get_settings.cache_clear()
    yield 30
    monkeypatch.delenv("WMS_RESERVATION_TTL_MINUTES")
    get_settings.cache_clear()


async def test_the_app_sweep_releases_an_expired_reservation(
    manager: User, app_database: Database, ttl: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка 350 мл", sku="MUG-350")
    post(db, "RECEIPT", mug, 3)
    early = place(db, [(mug, 2)], external_id="WB-1")
    place(db, [(mug, 3)], external_id="WB-2", priority="urgent")  # waits for the mug
    await open_page(manager, f"/orders/{early.id}")
    await manager.should_see("Резерв до")
    ctx = app_context()
    assert ctx is not None
    assert (await sweep_once(ctx))["expired"] == 0  # not yet
    later = now_utc() + timedelta(minutes=ttl + 1)
    monkeypatch.setattr(core.orders.expiry, "now_utc", lambda: later)
    assert await sweep_once(ctx) == {"due": 1, "expired": 1, "failed": 0, "units": 2}
    assert fresh(db, early.id).status == "awaiting_stock"
    await open_page(manager, f"/orders/{early.id}")
    await manager.should_see("Резерв истёк (снят резерв: 2 шт.)")
    await manager.should_not_see("Резерв до")
