"""«Where is it» on the managers' pages: the product card and balances show each location
(and pallet or box) holding a product, while the two numbers — good and defect — stay
exactly the sums they were."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from nicegui import ElementFilter
from nicegui.testing import User

from core.floor.locations import LocationData, create_location
from data.database import Database
from data.floor.store import SqlLocationStore
from data.models import HandlingUnit, Quant
from tests.conftest import make_product, open_page
from tests.helpers import post, stock


async def until(check: Callable[[], Any], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def element(user: User, marker: str) -> Any:
    assert user.client is not None
    with user.client:
        found = list(ElementFilter(marker=marker, local_scope=False))
    assert found, marker
    return found[-1]


def location_id(db: Database, code: str) -> int:
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text("SELECT id FROM location WHERE code = :c"), {"c": code}
            ).scalar_one()
        )


def spread_over_bins(db: Database) -> int:
    """12 received: 5 put in bin A-01-1-1, 2 of them in box BOX-7 there; 2 written off."""
    store = SqlLocationStore(db.engine, db.locations)
    bin_ = create_location(store, LocationData("A-01-1-1", zone="A")).location
    product = make_product(db, sku="MUG", name="Кружка")
    post(db, "RECEIPT", product, 12)
    post(
        db, "TRANSFER", product, 5, from_location_id=location_id(db, "MAIN"), to_location_id=bin_.id
    )
    post(db, "WRITE_OFF", product, 2)
    with db.engine.begin() as conn:
        unit = conn.execute(
            sa.insert(HandlingUnit.__table__)
            .values(code="BOX-7", kind="box", location_id=bin_.id, created_at=datetime.now(UTC))
            .returning(HandlingUnit.__table__.c.id)
        ).scalar_one()
        # Stock inside a box is booked by the handling-unit moves (another slice): here
        # 2 of the bin's units sit in the box, as such a move leaves them.
        conn.execute(
            sa.update(Quant.__table__)
            .where(Quant.__table__.c.location_id == bin_.id)
            .values(quantity=3)
        )
        conn.execute(
            sa.insert(Quant.__table__).values(
                product_id=product, location_id=bin_.id, handling_unit_id=unit, quantity=2,
                reserved=0, received_at=datetime.now(UTC),
            )
        )  # fmt: skip
    return product


async def test_the_product_card_lists_each_location_and_box_with_the_same_totals(
    manager: User, app_database: Database
) -> None:
    product = spread_over_bins(app_database)
    await open_page(manager, f"/products/{product}")
    await manager.should_see(marker="card-places")
    rows = element(manager, "card-places").rows
    assert [(r["code"], r["warehouse"], r["unit"], r["quantity"]) for r in rows] == [
        ("MAIN", "Годный", "—", "5"),
        ("A-01-1-1", "Годный", "—", "3"),
        ("A-01-1-1", "Годный", "BOX-7", "2"),
        ("DEFECT", "Брак", "—", "2"),
    ]
    assert element(manager, "card-good").text == "10"  # 5 + 3 + 2: the sum, as before
    assert element(manager, "card-defect").text == "2"
    assert stock(app_database, product) == {"good": 10, "defect": 2, "reserved": 0, "available": 10}


async def test_a_product_not_in_stock_says_so_on_its_card(
    manager: User, app_database: Database
) -> None:
    product = make_product(app_database, name="Ящик")
    await open_page(manager, f"/products/{product}")
    await manager.should_see(marker="card-no-places")
    await manager.should_see("Нет на складе.")


async def test_balances_name_where_each_product_lies(manager: User, app_database: Database) -> None:
    product = spread_over_bins(app_database)
    make_product(app_database, sku="NEW", name="Ящик")
    await open_page(manager, "/balances")
    await manager.should_see(marker="balances-table")
    rows = {row["sku"]: row for row in element(manager, "balances-table").rows}
    assert rows["MUG"]["places"] == "MAIN: 5 · A-01-1-1: 3 · A-01-1-1 / BOX-7: 2 · ещё 1"
    assert (rows["MUG"]["good"], rows["MUG"]["defect"]) == ("10", "2")
    assert rows["NEW"]["places"] == ""
    bin_, main = location_id(app_database, "A-01-1-1"), location_id(app_database, "MAIN")
    post(app_database, "TRANSFER", product, 3, from_location_id=bin_, to_location_id=main)
    await until(
        lambda: (
            {r["sku"]: r for r in element(manager, "balances-table").rows}["MUG"]["places"]
            == "MAIN: 8 · A-01-1-1 / BOX-7: 2 · DEFECT: 2"
        )
    )  # live: the page follows the movement
