"""Movements an order's flow posted (picks, packing, shipping: document "order:<id>";
SHIPMENT_ORDER) are never reversed by hand: core refuses with `reversal_not_allowed` (409)
and says why, the journal offers no «Сторно» on them, and an ordinary movement still
reverses."""

from typing import Any

from nicegui.testing import User

from core.stock.operations import reversal_refusal
from data.database import Database
from data.stock.journal import journal
from tests.api_client import assert_error, signed_in
from tests.conftest import make_product
from tests.helpers import post
from tests.packing import ready_to_ship, ship

WAIT = 50  # should_see attempts (0.1 s apart): a reversal runs in a worker thread


def shipped_order(db: Database) -> tuple[int, int, list[dict[str, Any]]]:
    """A customer order picked, packed and shipped: its product, id and movements."""
    product = make_product(db)
    order, task_id = ready_to_ship(db, [(product, 2)])
    ship(db, task_id)
    moves = [m for m in journal(db.engine, limit=100).items if m["document"] == f"order:{order.id}"]
    return product, order.id, moves


def test_the_rule_refuses_order_movements_and_lets_others_be() -> None:
    assert reversal_refusal("SHIPMENT_ORDER", "order:7") is not None
    assert reversal_refusal("SHIPMENT_ORDER", None) is not None  # the system's own, always
    assert reversal_refusal("TRANSFER", "order:7") is not None
    assert reversal_refusal("SHIPMENT_RC", "order:7") is not None  # a supply's shipment
    assert reversal_refusal("SHIPMENT_RC", None) is None
    assert reversal_refusal("TRANSFER", "import:7") is None
    assert reversal_refusal("RECEIPT", None) is None


async def test_the_api_refuses_to_reverse_an_orders_movements(
    visitor: User, app_database: Database
) -> None:
    product, _, moves = shipped_order(app_database)
    # The pick to the station, the packing into the box, the shipment to the buyer.
    assert sorted(m["operation_type"] for m in moves) == ["SHIPMENT_ORDER", "TRANSFER", "TRANSFER"]
    api = await signed_in(visitor.http_client, app_database)
    total = (await api.get("/movements")).json()["total"]
    for m in moves:
        refused = assert_error(
            await api.post(f"/movements/{m['id']}/reverse"), 409, "reversal_not_allowed"
        )
        assert "нельзя сторнировать" in refused["message"]
    shipment = next(m for m in moves if m["operation_type"] == "SHIPMENT_ORDER")
    refused = await api.post(f"/movements/{shipment['id']}/reverse")
    assert "возвратом по заказу" in refused.json()["error"]["message"]
    pick = next(m for m in moves if m["operation_type"] == "TRANSFER")
    refused = await api.post(f"/movements/{pick['id']}/reverse")
    assert "отмените заказ" in refused.json()["error"]["message"]
    assert (await api.get("/movements")).json()["total"] == total  # nothing booked
    # An ordinary movement of the same product still reverses.
    receipt = post(app_database, "RECEIPT", product, 3).movement.id
    reversed_ = await api.post(f"/movements/{receipt}/reverse")
    assert reversed_.status_code == 201, reversed_.text
    assert reversed_.json()["reversal_of"] == receipt


async def test_the_journal_offers_no_reversal_of_an_orders_movements(
    manager: User, app_database: Database
) -> None:
    product, _, moves = shipped_order(app_database)
    receipt = post(app_database, "RECEIPT", product, 1).movement.id
    await manager.open("/journal")
    (table,) = manager.find(marker="journal").elements
    offered = {row["id"]: row["can_reverse"] for row in table.rows}
    assert offered[receipt] is True
    assert {offered[m["id"]] for m in moves} == {False}
    # A reversal asked for anyway (a stale page) is refused by core, with its reason.
    shipment = next(m["id"] for m in moves if m["operation_type"] == "SHIPMENT_ORDER")
    before = journal(app_database.engine).total
    manager.find(marker="journal").trigger("reverse", shipment)
    await manager.should_see(marker="reverse-dialog")
    manager.find(marker="reverse-confirm").click()
    await manager.should_see(marker="reverse-error", retries=WAIT)
    (error,) = manager.find(marker="reverse-error").elements
    assert error.text.startswith("Отгрузку заказа нельзя сторнировать")
    assert journal(app_database.engine).total == before
