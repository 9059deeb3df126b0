"""SHIPMENT_ORDER (DESIGN.md §1): in the operations table for its label — the journal, the
API's filter and exports name it «Отгрузка заказа» — but posted by shipping an order only:
POST /movements, the operations page and imports refuse or do not offer it."""

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from nicegui.testing import User

from core.errors import ValidationError
from core.imports.importer import default_operation
from core.stock.operations import MANUAL_OPERATIONS, OPERATIONS
from data.database import Database
from data.files.exports import export_journal
from tests.api_client import assert_error, signed_in
from tests.conftest import make_product
from tests.packing import ready_to_ship, ship


def shipped_order(db: Database, units: int = 2) -> tuple[int, int]:
    """A customer order packed and shipped: (its product, its order id)."""
    product = make_product(db)
    order, task_id = ready_to_ship(db, [(product, units)])
    ship(db, task_id)
    return product, order.id


def test_the_table_names_it_and_keeps_it_from_people() -> None:
    op = OPERATIONS["SHIPMENT_ORDER"]
    assert (op.label_ru, op.to_location, op.system_only) == ("Отгрузка заказа", "CUSTOMERS", True)
    assert "SHIPMENT_ORDER" not in MANUAL_OPERATIONS
    with pytest.raises(ValidationError) as refused:
        default_operation("Отгрузка заказа")  # an import's operation for a whole file
    assert refused.value.code == "operation_not_importable"


async def test_the_journal_and_its_export_label_a_shipped_orders_movement(
    manager: User, app_database: Database, tmp_path: Path
) -> None:
    shipped_order(app_database)
    await manager.open("/journal?operation_type=SHIPMENT_ORDER")
    await manager.should_see("Найдено операций: 1")
    (table,) = manager.find(marker="journal").elements
    rows: list[dict[str, Any]] = table.rows
    assert [row["operation"] for row in rows] == ["Отгрузка заказа"]
    assert rows[0]["quantity"] == "2"
    path = tmp_path / "journal.xlsx"
    export_journal(app_database.engine, path)
    sheet = openpyxl.load_workbook(path).active
    column = [cell.value for cell in sheet[1]].index("Операция")
    labels = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert labels.count("Отгрузка заказа") == 1


async def test_the_api_lists_it_but_refuses_to_post_it(
    visitor: User, app_database: Database
) -> None:
    product, order_id = shipped_order(app_database)
    api = await signed_in(visitor.http_client, app_database)
    listed = await api.get("/movements", params={"operation_type": "SHIPMENT_ORDER"})
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(m["operation_type"], m["quantity"], m["to_location"]) for m in items] == [
        ("SHIPMENT_ORDER", 2, "CUSTOMERS")
    ]
    assert items[0]["document"] == f"order:{order_id}"
    before = (await api.get("/movements")).json()["total"]
    refused = await api.move("SHIPMENT_ORDER", product, 1)
    assert "проводит только" in assert_error(refused, 422, "operation_system_only")["message"]
    assert (await api.get("/movements")).json()["total"] == before


async def test_the_operations_page_does_not_offer_it(manager: User) -> None:
    await manager.open("/operations?operation_type=SHIPMENT_ORDER")
    await manager.should_see(marker="operation-RECEIPT")
    await manager.should_not_see(marker="operation-SHIPMENT_ORDER")
    await manager.should_not_see("Отгрузка заказа")
