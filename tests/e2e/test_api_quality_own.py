"""A check is its worker's own (issue 15, as picking): another worker may neither count
nor finish it (403 `forbidden`, the code picking uses) nor take a check in someone else's
name; a manager or admin may act on any check."""

import pytest
from nicegui.testing import User

from core.floor.executors import create_executor
from core.floor.ports import ExecutorData
from data.database import Database
from data.floor.executors import SqlExecutorStore
from tests.api_client import Api, assert_error, signed_in, token
from tests.conftest import add_user, make_product
from tests.e2e.test_api_quality import qc_on
from tests.floor import make_bin
from tests.picking import stock_bin
from tests.quality import picked_into_check

__all__ = ["qc_on"]
pytestmark = pytest.mark.usefixtures("qc_on")


async def worker_api(http: object, db: Database, name: str) -> tuple[Api, int]:
    """A worker with their executor, signed in to the API."""
    user = add_user(db, name, "worker")
    data = ExecutorData(name.upper(), f"Работник {name}", True, user)
    executor = create_executor(SqlExecutorStore(db.engine), data).id
    return Api(http, await token(http, name, "password-123")), executor  # type: ignore[arg-type]


async def test_another_worker_may_not_count_or_finish_a_taken_check(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    ivanov, ivanov_executor = await worker_api(http, db, "ivanov")
    petrov, petrov_executor = await worker_api(http, db, "petrov")
    admin = await signed_in(http, db)
    product = make_product(db, barcode="4600000000888")
    stock_bin(db, product, 2, make_bin(db, "API-OWN-1"))
    _, qc = picked_into_check(db, [(product, 2)])
    base = f"/qc-tasks/{qc.id}"
    # Taking a check in another's name is refused; taking it: as oneself.
    assert_error(await petrov.post(f"{base}/start", json={"executor_id": ivanov_executor}),
                 403, "forbidden")  # fmt: skip
    started = await ivanov.post(f"{base}/start")
    assert started.status_code == 200 and started.json()["executor_id"] == ivanov_executor
    good = {"product_id": product, "condition": "good"}
    refused = await petrov.post(f"{base}/units", json=good)
    assert_error(refused, 403, "forbidden")
    assert refused.json()["error"]["message"] == "Эту проверку ведёт другой исполнитель"
    assert (await ivanov.post(f"{base}/units", json=good)).json()["checked_units"] == 1
    assert (await admin.post(f"{base}/units", json=good)).json()["checked_units"] == 2
    assert_error(await petrov.post(f"{base}/finish"), 403, "forbidden")
    assert (await admin.get(base)).json()["status"] == "in_progress"
    finished = await ivanov.post(f"{base}/finish")
    assert finished.status_code == 200 and finished.json()["status"] == "passed"
    assert petrov_executor != ivanov_executor
    assert_error(await petrov.post("/qc-tasks/999999/units", json=good), 404, "qc_task_not_found")


async def test_a_manager_finishes_a_check_a_worker_left(
    visitor: User, app_database: Database
) -> None:
    http, db = visitor.http_client, app_database
    ivanov, _ = await worker_api(http, db, "ivanov")
    manager = await signed_in(http, db, "manager")
    product = make_product(db, barcode="4600000000889")
    stock_bin(db, product, 1, make_bin(db, "API-OWN-2"))
    _, qc = picked_into_check(db, [(product, 1)])
    base = f"/qc-tasks/{qc.id}"
    assert (await ivanov.post(f"{base}/start")).status_code == 200
    good = {"product_id": product, "condition": "good"}
    assert (await manager.post(f"{base}/units", json=good)).status_code == 200
    assert (await manager.post(f"{base}/finish")).json()["status"] == "passed"
