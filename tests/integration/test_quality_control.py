"""Quality control after picking (issue 15) on SQLite and PostgreSQL: an order of a kind or
marketplace the settings name is checked before packing; a pass makes the packing task; a
defective unit is written off to DEFECT with its reason and its line re-picked from
another bin, or shorted when no stock is left; the order's timeline says why —
invariants 1, 2 and 6 after every test."""

import pytest
import sqlalchemy as sa

from core.errors import Conflict, ValidationError
from core.orders.qc_photos import attach_photo, photo_kind
from core.orders.quality import UnitRequest, record_unit, start_check
from core.settings import get_settings
from data.database import Database
from data.files.photos import PhotoFiles
from data.floor.board import board
from data.orders.quality import order_checks
from data.packing.queries import task as packing_task
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import make_bin, manager_actor
from tests.helpers import source_id, stock
from tests.order_checks import check_reservations
from tests.orders import cancel, fresh, held_at, place
from tests.packing import movements_of
from tests.picking import stock_bin
from tests.quality import (
    finish,
    history,
    pick_all,
    picked_into_check,
    qc_for_customers,
    read,
    started,
    unit,
)

__all__ = ["qc_for_customers"]
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


@pytest.fixture(autouse=True)
def invariants_hold_after_each_test(db: Database):  # type: ignore[no-untyped-def]
    yield
    check_reservations(db)
    assert ledger_discrepancies(db.engine) == []


def test_only_the_orders_the_settings_name_are_checked(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WMS_QC_SOURCES", "wildberries")
    get_settings.cache_clear()
    product = make_product(db)
    stock_bin(db, product, 10, make_bin(db, "QC-S-1"))
    plain = place(db, [(product, 1)])
    pick_all(db, plain.picking_task_id or 0)
    assert fresh(db, plain.id).packing_task_id is not None
    assert order_checks(db.engine, plain.id) == []
    order, qc = picked_into_check(db, [(product, 2)], source_id=source_id(db))
    assert order.packing_task_id is None and order.status == "picking"
    assert (qc.status, qc.total_units, qc.checked_units) == ("pending", 2, 0)
    assert "контроль качества" in history(db, order.id)[-1][1]
    get_settings.cache_clear()


def test_a_passed_check_makes_the_packing_task(db: Database, qc_for_customers: None) -> None:
    product = make_product(db, sku="QC-PASS")
    stock_bin(db, product, 5, make_bin(db, "QC-P-1"))
    order, qc = picked_into_check(db, [(product, 2)])
    started(db, qc.id)
    unit(db, qc.id, product)
    with pytest.raises(Conflict) as short:
        finish(db, qc.id)
    assert short.value.code == "qc_count_mismatch" and "1 из 2" in short.value.message
    unit(db, qc.id, product)
    with pytest.raises(Conflict) as extra:
        unit(db, qc.id, product)
    assert extra.value.code == "qc_count_exceeded"
    with pytest.raises(ValidationError) as wrong:
        unit(db, qc.id, make_product(db))
    assert wrong.value.code == "wrong_product"
    done = finish(db, qc.id)
    assert done.status == "passed"
    card = fresh(db, order.id)
    packing = packing_task(db.engine, card.packing_task_id or 0)
    assert packing is not None and [(i.quantity, i.packed_quantity) for i in packing.items] == [
        (2, 0)]  # fmt: skip
    assert history(db, order.id)[-1][0] == "qc_passed"


def test_a_retried_unit_is_counted_once(db: Database, qc_for_customers: None) -> None:
    product = make_product(db)
    stock_bin(db, product, 5, make_bin(db, "QC-K-1"))
    _order, qc = picked_into_check(db, [(product, 2)])
    started(db, qc.id)
    first = unit(db, qc.id, product, key="unit-1")
    again = unit(db, qc.id, product, key="unit-1")
    assert not first.replayed and again.replayed and read(db, qc.id).checked_units == 1


def test_a_defective_unit_goes_to_defect_and_is_repicked_from_another_bin(
    db: Database, qc_for_customers: None
) -> None:
    product = make_product(db, sku="QC-FAIL")
    first_bin, other_bin = make_bin(db, "QC-A-1", route=1), make_bin(db, "QC-B-1", route=2)
    stock_bin(db, product, 3, first_bin)  # one unit stays there after the pick
    stock_bin(db, product, 2, other_bin)
    order, qc = picked_into_check(db, [(product, 2)])
    assert [i.location_code for i in qc.items] == ["QC-A-1"]
    before = stock(db, product)
    started(db, qc.id)
    unit(db, qc.id, product)
    unit(db, qc.id, product, "defect", "Повреждена упаковка")
    check_reservations(db)
    done = finish(db, qc.id)
    assert done.status == "failed"
    [defect] = done.defects
    assert (defect.outcome, defect.repick_location_code) == ("repicked", "QC-B-1")
    after = stock(db, product)
    assert (after["good"], after["defect"]) == (before["good"] - 1, before["defect"] + 1)
    assert movements_of(db, order.id)[-1] == ("WRITE_OFF", 1, "DEFECT")
    card = fresh(db, order.id)
    assert card.status == "picking" and card.packing_task_id is None
    assert held_at(card) == {"QC-B-1": 1, "PACK-1": 1}
    assert card.lines[0].picked == 1 and card.lines[0].reserved == 1
    action, details = history(db, order.id)[-1]
    assert action == "qc_failed" and "Повреждена упаковка" in details and "QC-B-1" in details
    with db.engine.connect() as conn:
        last = sa.text(
            "SELECT notes FROM movement WHERE operation_type = 'WRITE_OFF' ORDER BY id DESC LIMIT 1"
        )
        notes = conn.execute(last).scalar_one()
    assert "Повреждена упаковка" in notes
    # The re-pick is checked again; its pass lets the whole order go to packing.
    pick_all(db, card.picking_task_id or 0)
    second = order_checks(db.engine, order.id)[-1]
    assert second.id != qc.id and second.total_units == 1
    started(db, second.id)
    unit(db, second.id, product)
    assert finish(db, second.id).status == "passed"
    card = fresh(db, order.id)
    packing = packing_task(db.engine, card.packing_task_id or 0)
    assert packing is not None and packing.items[0].quantity == 2


def test_a_defective_unit_is_shorted_when_no_stock_is_left(
    db: Database, qc_for_customers: None
) -> None:
    product, other = make_product(db, sku="QC-LAST"), make_product(db)
    bin_id = make_bin(db, "QC-L-1")
    stock_bin(db, product, 1, bin_id)
    stock_bin(db, other, 1, bin_id)
    order, qc = picked_into_check(db, [(product, 1), (other, 1)])
    started(db, qc.id)
    unit(db, qc.id, product, "defect", "Не тот товар")
    unit(db, qc.id, other)
    [defect] = finish(db, qc.id).defects
    assert defect.outcome == "shorted"
    card = fresh(db, order.id)
    assert [ln.picked for ln in card.lines] == [0, 1]
    packing = packing_task(db.engine, card.packing_task_id or 0)
    assert packing is not None and [i.product_id for i in packing.items] == [other]
    assert "недостача" in history(db, order.id)[-1][1]
    assert stock(db, product)["defect"] == 1


def test_a_cancel_during_the_check_brings_the_units_back(
    db: Database, qc_for_customers: None
) -> None:
    product = make_product(db)
    stock_bin(db, product, 2, make_bin(db, "QC-C-1"))
    order, qc = picked_into_check(db, [(product, 2)])
    started(db, qc.id)
    unit(db, qc.id, product, "defect", "Повреждён товар")
    cancel(db, order.id)
    assert read(db, qc.id).status == "cancelled"
    assert stock(db, product)["reserved"] == 0 and stock(db, product)["defect"] == 0
    with pytest.raises(Conflict) as late:
        unit(db, qc.id, product)
    assert late.value.code == "invalid_transition"


def test_a_photo_must_be_a_small_jpeg_or_png(db: Database, tmp_path, qc_for_customers) -> None:  # type: ignore[no-untyped-def]
    product = make_product(db)
    stock_bin(db, product, 1, make_bin(db, "QC-F-1"))
    _order, qc = picked_into_check(db, [(product, 1)])
    store = PhotoFiles(tmp_path)
    photo = attach_photo(db.unit_of_work(), store, qc.id, JPEG, None)
    assert photo.content_type == "image/jpeg" and photo.file_name.endswith(".jpg")
    assert store.read(photo.file_name) == JPEG and len(photo.file_name) == 36
    assert photo_kind(b"\x89PNG\r\n\x1a\n....")[0] == "image/png"
    with pytest.raises(ValidationError) as not_image:
        attach_photo(db.unit_of_work(), store, qc.id, b"<svg onload=alert(1)>", None)
    assert not_image.value.code == "photo_not_image"
    big = JPEG + b"\0" * get_settings().qc_photo_max_bytes
    with pytest.raises(ValidationError) as too_big:
        attach_photo(db.unit_of_work(), store, qc.id, big, None)
    assert too_big.value.code == "photo_too_large"
    assert [p.id for p in read(db, qc.id).photos] == [photo.id]
    assert sorted(p.name for p in store.folder.iterdir()) == [photo.file_name]


def test_a_unit_is_found_by_its_barcode_or_its_gtin(db: Database, qc_for_customers: None) -> None:
    product = make_product(db, barcode="4600000000451", gtin="04600000000468")
    stock_bin(db, product, 2, make_bin(db, "QC-G-1"))
    _order, qc = picked_into_check(db, [(product, 2)])
    started(db, qc.id)
    for code in ("4600000000451", "04600000000468"):
        request = UnitRequest("good", barcode=code)
        record_unit(db.unit_of_work(), qc.id, request, None)
    assert read(db, qc.id).checked_units == 2


def test_the_floor_board_lists_a_check_under_who_took_it(
    db: Database, qc_for_customers: None
) -> None:
    product = make_product(db)
    stock_bin(db, product, 1, make_bin(db, "QC-B-9"))
    order, qc = picked_into_check(db, [(product, 1)])
    [waiting] = [t for t in board(db.engine).tasks if t.kind == "qc"]
    assert (waiting.order_id, waiting.worker, waiting.total) == (order.id, None, 1)
    boss = manager_actor(db, "qcboss")
    start_check(db.unit_of_work(), qc.id, None, boss.user_id)
    unit(db, qc.id, product)
    [taken] = [t for t in board(db.engine).tasks if t.kind == "qc"]
    assert (taken.worker, taken.status, taken.done, taken.place) == (
        "qcboss", "in_progress", 1, "PACK-1")  # fmt: skip
