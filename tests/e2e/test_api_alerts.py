"""GET /api/v1/alerts: low stock's count and the operational alerts, as /alerts shows
them; a late picking task (its start set in the past through the database) is listed
with its order; a worker's token is refused."""

from nicegui.testing import User

from data.database import Database
from tests.api_client import assert_error, signed_in
from tests.conftest import make_product
from tests.e2e.test_page_alerts_operational import late_picking


async def test_alerts_over_the_api(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database, "manager")
    quiet = (await api.get("/alerts")).json()
    assert quiet == {
        "low_stock": 0,
        "counts": {"picking": 0, "packing": 0, "reservation": 0, "outbox": 0},
        "picking": [], "packing": [], "reservations": [], "outbox": None,
    }  # fmt: skip
    order_id, number, task_id = late_picking(app_database)
    make_product(app_database, sku="LOW", min_stock=2)
    found = (await api.get("/alerts")).json()
    assert (found["low_stock"], found["counts"]["picking"]) == (1, 1)
    [row] = found["picking"]
    assert (row["task_id"], row["order_id"], row["external_id"]) == (task_id, order_id, number)
    assert row["started_at"] and row["executor"]


async def test_a_worker_may_not_read_alerts(visitor: User, app_database: Database) -> None:
    worker = await signed_in(visitor.http_client, app_database, "worker")
    assert_error(await worker.get("/alerts"), 403)
