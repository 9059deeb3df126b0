"""The orders list's filters as a manager uses them (NiceGUI simulation): marketplace,
period of creation (local days), overdue (marked rows) and the number search by prefix,
each narrowing the list and kept in the address."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from nicegui.testing import User

from core.orders.rules import is_overdue
from data.database import Database
from data.orders.records import order_t
from tests.api_client import signed_in
from tests.conftest import make_product, open_page
from tests.helpers import post, source_id
from tests.orders import cancel, place

MSK = ZoneInfo("Europe/Moscow")


def listed(user: User) -> list[str]:
    (table,) = user.find(marker="orders-table").elements
    return [r["external_id"] for r in table.rows]


def marks(user: User) -> dict[str, bool]:
    (table,) = user.find(marker="orders-table").elements
    return {r["external_id"]: r["overdue"] for r in table.rows}


def address(user: User) -> dict[str, list[str]]:
    return parse_qs(urlsplit(user.back_history[-1]).query)


def created(db: Database, order_id: int, at: datetime) -> None:
    """Through the typed column: stored as the app stores it on either database."""
    with db.engine.begin() as conn:
        conn.execute(sa.update(order_t).where(order_t.c.id == order_id).values(created_at=at))


async def test_the_marketplace_filter_keeps_one_sources_orders(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка", sku="MUG")
    post(db, "RECEIPT", mug, 10)
    place(db, [(mug, 1)], external_id="WB-1", source_id=source_id(db, "Wildberries"))
    place(db, [(mug, 1)], external_id="OZ-1", source_id=source_id(db, "Ozon"))
    await open_page(manager, "/orders")
    await manager.should_see("Заказов: 2")
    manager.find(marker="filter-source_id").click()
    manager.find("Ozon").click()
    await manager.should_see("Заказов: 1")
    assert listed(manager) == ["OZ-1"]
    assert address(manager) == {"source_id": [str(source_id(db, "Ozon"))]}


async def test_the_period_takes_whole_local_days_and_stays_in_the_address(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка", sku="MUG")
    before = place(db, [(mug, 1)], external_id="A-1")
    first = place(db, [(mug, 1)], external_id="A-2")
    last = place(db, [(mug, 1)], external_id="A-3")
    after = place(db, [(mug, 1)], external_id="A-4")
    created(db, before.id, datetime(2026, 11, 30, 23, 59, tzinfo=MSK))
    created(db, first.id, datetime(2026, 12, 1, 0, 0, tzinfo=MSK))
    created(db, last.id, datetime(2026, 12, 2, 23, 59, tzinfo=MSK))
    created(db, after.id, datetime(2026, 12, 3, 0, 0, tzinfo=MSK))
    await open_page(manager, "/orders?created_from=2026-12-01&created_to=2026-12-02")
    await manager.should_see("Заказов: 2")
    assert listed(manager) == ["A-3", "A-2"]
    await open_page(manager, "/orders?created_from=2026-12-01")
    await manager.should_see("Заказов: 3")
    (to,) = manager.find(marker="filter-created-to").elements
    to.set_value("02.12.2026")  # typed (or picked) into the field
    await manager.should_see("Заказов: 2")
    assert address(manager) == {"created_from": ["2026-12-01"], "created_to": ["2026-12-02"]}
    assert listed(manager) == ["A-3", "A-2"]


async def test_overdue_keeps_old_unfinished_orders_and_marks_them(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка", sku="MUG")
    now = datetime.now(UTC)
    old = place(db, [(mug, 1)], external_id="OLD")
    old_cancelled = place(db, [(mug, 1)], external_id="OLD-X")
    young = place(db, [(mug, 1)], external_id="NEW")
    cancel(db, old_cancelled.id)
    created(db, old.id, now - timedelta(hours=25))
    created(db, old_cancelled.id, now - timedelta(hours=30))
    created(db, young.id, now - timedelta(hours=23))
    await open_page(manager, "/orders")
    await manager.should_see("Заказов: 3")
    assert marks(manager) == {"NEW": False, "OLD": True, "OLD-X": False}
    manager.find(marker="filter-overdue").click()
    await manager.should_see("Заказов: 1")
    assert listed(manager) == ["OLD"]
    assert address(manager) == {"overdue": ["1"]}
    assert is_overdue("reserved", now - timedelta(hours=25), now, 24)
    assert not is_overdue("shipped", now - timedelta(hours=25), now, 24)


async def test_the_number_search_finds_by_the_start_as_a_scanner_types_it(
    manager: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка", sku="MUG")
    for number in ("WB-100", "WB-101", "WB-200", "XWB-100"):
        place(db, [(mug, 1)], external_id=number)
    await open_page(manager, "/orders?status=awaiting_stock")
    await manager.should_see("Заказов: 4")
    manager.find(marker="filter-number").type("WB-10").trigger("keydown.enter")
    await manager.should_see("Заказов: 2")
    assert listed(manager) == ["WB-101", "WB-100"]
    assert address(manager) == {"status": ["awaiting_stock"], "number": ["WB-10"]}
    await open_page(manager, "/orders?number=WB_1")  # a LIKE wildcard is taken literally
    await manager.should_see("Заказов: 0")


async def test_get_orders_takes_overdue_as_an_optional_filter(
    visitor: User, app_database: Database
) -> None:
    db = app_database
    admin = await signed_in(visitor.http_client, db)
    mug = make_product(db, name="Кружка", sku="MUG")
    old = place(db, [(mug, 1)], external_id="OLD")
    place(db, [(mug, 1)], external_id="NEW")
    created(db, old.id, datetime.now(UTC) - timedelta(hours=25))
    every = (await admin.get("/orders")).json()
    overdue = await admin.get("/orders", params={"overdue": "true"})
    assert overdue.status_code == 200, overdue.text
    assert every["total"] == 2
    assert [o["external_id"] for o in overdue.json()["items"]] == ["OLD"]
