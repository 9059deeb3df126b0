"""An order's way across the floor in the logs (ui.logs): placed, its picking task
started and completed, its packing task started and packed, shipped — each an INFO line
with the order's id and the task's; a pick (a scan) writes no INFO line."""

from data.database import Database
from tests.conftest import make_product
from tests.log_capture import captured_logs
from tests.packing import ready_to_ship, ship


def test_an_orders_way_is_logged_with_its_ids(db: Database) -> None:
    with captured_logs() as out:
        order, packing_id = ready_to_ship(db, [(make_product(db), 2)])
        ship(db, packing_id, tracking="TRK-LOG-1")
    floor = [line for line in out.lines() if line["logger"].startswith("core.orders")]
    assert all(line["level"] == "info" and line["order_id"] == order.id for line in floor)
    events = [line["event"] for line in floor]
    assert events == ["order placed", "picking task assigned", "picking task started",
                      "picking task completed",
                      "packing task started", "packing task packed", "order shipped"]  # fmt: skip
    picking = [line for line in floor if line["event"].startswith("picking task")]
    assert {line["task_id"] for line in picking} == {order.picking_task_id}
    shipped = floor[-1]
    assert (shipped["task_id"], shipped["tracking_number"], shipped["units"]) == (
        packing_id, "TRK-LOG-1", 2)  # fmt: skip
