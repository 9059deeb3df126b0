"""On the tablet a check another worker took is shown, not worked: no scan field, no
finish, the page says who holds it (issue 15, as picking's own-task rule); and a unit not
on the station is marked «Нет в наличии», so the check finishes with it as a loss."""

from nicegui.testing import User

from core.orders.quality import start_check
from data.database import Database
from data.orders.quality import check
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product, open_page
from tests.e2e.test_page_missions import WAIT, linked_executor, shown
from tests.e2e.test_page_putaway_count import text
from tests.e2e.test_page_quality import qc_on
from tests.floor import make_bin, worker_with_executor
from tests.helpers import eventually, stock
from tests.picking import stock_bin
from tests.quality import picked_into_check

__all__ = ["qc_on"]


async def test_a_worker_cannot_work_a_check_another_took(
    qc_on: None, worker: User, app_database: Database
) -> None:
    db = app_database
    linked_executor(db)  # the signed-in worker's own executor
    mug = make_product(db, name="Кружка", sku="MUG-OWN", barcode="4600000000031")
    stock_bin(db, mug, 1, make_bin(db, "QC-OWN-1"))
    _, qc = picked_into_check(db, [(mug, 1)], external_id="WB-OWN-1")
    _, ivanov = worker_with_executor(db, "ivanov")
    start_check(db.unit_of_work(), qc.id, ivanov, None)
    await open_page(worker, f"/qc/{qc.id}")
    await worker.should_see("Эту проверку ведёт другой исполнитель: Работник ivanov",
                            retries=WAIT)  # fmt: skip
    assert not shown(worker, "qc-scan") and not shown(worker, "qc-finish")
    assert text(worker, "qc-count") == "Проверено 0 из 1; брак 0"


async def test_a_unit_not_on_the_station_is_marked_missing_and_the_check_finishes(
    qc_on: None, worker: User, app_database: Database
) -> None:
    db = app_database
    mug = make_product(db, name="Кружка", sku="MUG-GONE", barcode="4600000000048")
    stock_bin(db, mug, 1, make_bin(db, "QC-GONE-1"))
    _, qc = picked_into_check(db, [(mug, 1)], external_id="WB-GONE-1")
    start_check(db.unit_of_work(), qc.id, None, None)  # nobody's: the worker may count it
    await open_page(worker, f"/qc/{qc.id}")
    await eventually(lambda: shown(worker, "qc-absent"))
    worker.find(marker="qc-absent").click()
    await eventually(lambda: text(worker, "qc-count") == "Проверено 1 из 1; брак 1")
    assert not shown(worker, "qc-absent")
    worker.find(marker="qc-finish").click()
    await worker.should_see("MUG-GONE: нет в наличии, недостача на контроле; недостача: "
                            "другого товара нет", retries=WAIT)  # fmt: skip
    done = check(db.engine, qc.id)
    assert done is not None and done.status == "failed"
    assert stock(db, mug)["good"] == 0 and stock(db, mug)["defect"] == 0
    assert ledger_discrepancies(db.engine) == []
