"""A page's handler logs with the order its page shows (ui.session.guarded binds it): the
order card's confirm, its database gone, is a WARNING line carrying the order's id."""

import pytest
from nicegui.testing import User

from data.database import Database
from tests.conftest import make_product, open_page
from tests.e2e.test_database_failures import dropped
from tests.helpers import eventually
from tests.log_capture import captured_logs
from tests.orders import place
from ui.pages.orders import order_card


async def test_an_order_cards_failure_is_logged_with_the_orders_id(
    manager: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    draft = place(app_database, [(make_product(app_database), 1)], external_id="LOG-P1",
                  confirm=False)  # fmt: skip
    await open_page(manager, f"/orders/{draft.id}")
    await manager.should_see("Новый")
    monkeypatch.setattr(order_card, "confirm_order", dropped)
    with captured_logs() as out:
        manager.find(marker="order-confirm").click()
        await eventually(lambda: any(line["event"].startswith("database failure")
                                     for line in out.lines()))  # fmt: skip
    (failure,) = [line for line in out.lines() if line["event"].startswith("database failure")]
    assert (failure["level"], failure["order_id"]) == ("warning", draft.id)
