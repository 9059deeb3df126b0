"""What one confirmation writes (DESIGN.md §2b.1, §2b.2, §7) on SQLite and PostgreSQL,
where PostgreSQL writes an order's lines, its holds, its task's items and its events
each in one statement: two lines of one product held from one quant, the events in
their order, and no packing station refusing the whole order."""

import json

import pytest
import sqlalchemy as sa

from core.errors import Conflict
from data.database import Database
from tests.conftest import make_product
from tests.floor import make_bin
from tests.helpers import stock
from tests.order_checks import check_reservations
from tests.orders import held_at, place
from tests.picking import stock_bin, task


@pytest.fixture(autouse=True)
def invariant_6_holds_after_each_test(db: Database):  # type: ignore[no-untyped-def]
    yield
    check_reservations(db)


def events(db: Database) -> list[tuple[str, dict[str, str]]]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text(
            "SELECT event_type, payload FROM outbox_event "
            "WHERE event_type <> 'movement.posted' ORDER BY id"
        ))  # fmt: skip
        return [(t, json.loads(p)) for t, p in rows]


def test_two_lines_of_one_product_are_held_from_one_quant(db: Database) -> None:
    product = make_product(db)
    stock_bin(db, product, 5, make_bin(db, "A-01", route=1))
    order = place(db, [(product, 2), (product, 3)])
    assert order.status == "reserved" and held_at(order) == {"A-01": 5}
    assert [line.reserved for line in order.lines] == [2, 3]
    assert sorted(r.quantity for r in order.reservations) == [2, 3]
    assert stock(db, product)["reserved"] == 5
    assert order.picking_task_id is not None
    items = task(db, order.picking_task_id).items
    assert sorted(i.quantity_required for i in items) == [2, 3]
    assert {i.order_line_id for i in items} == {line.id for line in order.lines}


def test_a_confirmation_writes_its_reserved_products_then_the_task(db: Database) -> None:
    second = make_product(db, barcode="4600000000002")
    first = make_product(db, barcode="4600000000001")
    stock_bin(db, second, 4, make_bin(db, "A-01", route=1))
    stock_bin(db, first, 1, make_bin(db, "A-02", route=2))
    stock_bin(db, first, 2, make_bin(db, "A-03", route=3))
    before = len(events(db))
    order = place(db, [(second, 4), (first, 3)], external_id="EXT-7")
    written = events(db)[before:]
    assert [(t, p.get("listing_id"), p.get("quantity")) for t, p in written] == [
        ("inventory.reserved", "4600000000001", "3"),
        ("inventory.reserved", "4600000000002", "4"),
        ("picking.created", None, None),
    ]  # fmt: skip
    assert all(p["order_id"] == "EXT-7" for _, p in written)
    assert written[-1][1]["task_id"] == str(order.picking_task_id)
    assert written[-1][1]["warehouse_id"] == "MAIN"


def test_without_a_packing_station_the_order_is_refused_and_holds_nothing(
    db: Database,
) -> None:
    product = make_product(db)
    stock_bin(db, product, 5, make_bin(db, "A-01", route=1))
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE location SET is_active = false WHERE kind = 'packing'"))
    with pytest.raises(Conflict) as refused:
        place(db, [(product, 2)], external_id="EXT-8")
    assert refused.value.code == "no_packing_station"
    assert stock(db, product)["reserved"] == 0
    with db.engine.connect() as conn:
        found = conn.execute(sa.text("SELECT count(*) FROM sale_order WHERE external_id = "
                                     "'EXT-8'")).scalar_one()  # fmt: skip
    assert found == 0
