"""Marking codes at packing (issue 16; core.orders.marking) on SQLite and PostgreSQL: a box
cannot be packed until every marked unit has its code, a code goes out once — twice in
one order, in another box or after shipping is a duplicate — and a cancel or a return
frees it to be shipped again. Invariant 6 after every test."""

import pytest

from core.errors import Conflict, NotFound, ValidationError
from core.orders.marking import add_code, remove_code
from core.orders.packing import ItemRequest, PackageRequest, add_package, pack_task
from core.orders.shipping import cancel_task
from data.database import Database
from data.marking.queries import order_codes
from tests.conftest import make_product
from tests.helpers import source_id
from tests.integration.test_concurrency import run_in_threads
from tests.marking import dairy_code, shoes_code, valid_ean13
from tests.order_checks import check_reservations
from tests.orders import fresh
from tests.packing import BOX, package, packed, picked_order, ship, started, task
from tests.returns import give_back

_bodies = iter(range(1, 10**6))


@pytest.fixture(autouse=True)
def invariant_6_holds_after_each_test(db: Database):  # type: ignore[no-untyped-def]
    yield
    check_reservations(db)


def marked(db: Database) -> tuple[int, str]:
    barcode = valid_ean13(f"4601{next(_bodies):08d}")
    return make_product(db, barcode=barcode, requires_marking=True), barcode


def scan(db: Database, task_id: int, code: str, package_number: int = 1, key: str | None = None):  # type: ignore[no-untyped-def]
    package_id = next(p.id for p in task(db, task_id).packages
                      if p.sequence_number == package_number)  # fmt: skip
    return add_code(db.unit_of_work(), task_id, code, package_id, None, idempotency_key=key)


def test_a_box_cannot_be_packed_until_every_marked_unit_is_scanned(db: Database) -> None:
    shoes, barcode = marked(db)
    plain = make_product(db)
    task_id = picked_order(db, [(shoes, 2), (plain, 1)]).packing_task_id or 0
    started(db, task_id)
    package(db, task_id, [(shoes, 2), (plain, 1)])
    with pytest.raises(Conflict) as missing:
        packed(db, task_id)
    assert missing.value.code == "marking_codes_missing" and "2 шт." in missing.value.message
    first = scan(db, task_id, shoes_code(barcode)).code
    assert (first.product_id, first.status) == (shoes, "packed")
    with pytest.raises(Conflict) as still:
        packed(db, task_id)
    assert still.value.code == "marking_codes_missing" and "1 шт." in still.value.message
    scan(db, task_id, shoes_code(barcode).replace("\x1d", ""))  # the scanner lost GS
    with pytest.raises(Conflict) as extra:  # both units have their codes
        scan(db, task_id, shoes_code(barcode))
    assert extra.value.code == "marking_code_extra"
    assert packed(db, task_id).status == "packed"
    ship(db, task_id)
    codes = order_codes(db.engine, task(db, task_id).order_id)
    assert [(c.status, c.package_number) for c in codes] == [("shipped", 1)] * 2
    assert all(c.shipped_at is not None for c in codes)


def test_a_box_closed_with_its_codes_is_counted_by_them(db: Database) -> None:
    milk, barcode = marked(db)
    task_id = picked_order(db, [(milk, 2)]).packing_task_id or 0
    started(db, task_id)
    codes = [dairy_code(barcode), "]d2" + dairy_code(barcode).replace("\x1d", "<GS>")]
    request = PackageRequest("box", [ItemRequest(2, product_id=milk)], **BOX, marking_codes=codes)
    add_package(db.unit_of_work(), task_id, request, None)
    assert pack_task(db.unit_of_work(), task_id, None).task.status == "packed"


def test_a_code_twice_in_one_order_or_shipped_before_is_a_duplicate(db: Database) -> None:
    shoes, barcode = marked(db)
    code = shoes_code(barcode)
    task_id = picked_order(db, [(shoes, 2)], spare=2, source_id=source_id(db)).packing_task_id
    assert task_id is not None
    started(db, task_id)
    package(db, task_id, [(shoes, 2)])
    scan(db, task_id, code)
    with pytest.raises(Conflict) as twice:
        scan(db, task_id, code.replace("\x1d", "^]"))
    assert twice.value.code == "marking_code_duplicate"
    assert "в этом заказе" in twice.value.message
    scan(db, task_id, shoes_code(barcode))
    packed(db, task_id)
    ship(db, task_id)
    order = task(db, task_id).order_id
    other = picked_order(db, [(shoes, 1)]).packing_task_id or 0
    started(db, other)
    package(db, other, [(shoes, 1)])
    with pytest.raises(Conflict) as shipped:
        scan(db, other, code)
    assert shipped.value.code == "marking_code_duplicate" and "отгружен" in shipped.value.message
    # The unit comes back by its code: the code is free, the unit may go out again.
    with pytest.raises(ValidationError) as plain:
        give_back(db, order, shoes)
    assert plain.value.code == "marking_code_required"
    give_back(db, order, None, barcode="]d2" + code)  # type: ignore[arg-type]
    with pytest.raises(Conflict) as again:
        give_back(db, order, None, barcode=code)  # type: ignore[arg-type]
    assert again.value.code == "marking_code_not_shipped"  # already back
    assert scan(db, other, code).code.status == "packed"


def test_a_code_of_another_product_or_not_in_the_package_is_the_wrong_product(db: Database) -> None:
    shoes, barcode = marked(db)
    boots, boots_barcode = marked(db)
    stranger, stranger_barcode = marked(db)
    task_id = picked_order(db, [(shoes, 1), (boots, 1)]).packing_task_id or 0
    started(db, task_id)
    package(db, task_id, [(shoes, 1)])
    with pytest.raises(ValidationError) as foreign:
        scan(db, task_id, shoes_code(stranger_barcode))
    assert foreign.value.code == "marking_code_wrong_product"
    with pytest.raises(ValidationError) as elsewhere:  # boots are in the order, not in box 1
        scan(db, task_id, shoes_code(boots_barcode))
    assert (elsewhere.value.code, elsewhere.value.field) == ("marking_code_wrong_product",
                                                             "package_id")  # fmt: skip
    assert stranger and barcode


def test_an_undone_scan_and_a_cancelled_packing_free_the_code(db: Database) -> None:
    shoes, barcode = marked(db)
    code = shoes_code(barcode)
    task_id = picked_order(db, [(shoes, 1)], spare=1).packing_task_id or 0
    started(db, task_id)
    package(db, task_id, [(shoes, 1)])
    done = scan(db, task_id, code, key="k-1")
    assert scan(db, task_id, code, key="k-1").replayed  # the same request again
    remove_code(db.unit_of_work(), task_id, done.code.id, None)
    with pytest.raises(NotFound):
        remove_code(db.unit_of_work(), task_id, done.code.id, None)
    rescanned = scan(db, task_id, code).code
    cancel_task(db.unit_of_work(), task_id, "Отмена", None)
    assert order_codes(db.engine, fresh(db, task(db, task_id).order_id).id) == []
    other = picked_order(db, [(shoes, 1)]).packing_task_id or 0
    started(db, other)
    package(db, other, [(shoes, 1)])
    assert scan(db, other, code).code.status == "packed"
    with pytest.raises(Conflict) as closed:  # undo only while in progress
        remove_code(db.unit_of_work(), task_id, rescanned.id, None)
    assert closed.value.code == "invalid_transition"


def test_one_code_scanned_into_two_orders_at_once_goes_into_one(db: Database) -> None:
    """Different orders lock different rows: only the partial unique index stands
    between them, and it lets exactly one write the code."""
    shoes, barcode = marked(db)
    tasks = []
    for _ in range(4):
        task_id = picked_order(db, [(shoes, 1)]).packing_task_id or 0
        started(db, task_id)
        package(db, task_id, [(shoes, 1)])
        tasks.append(task_id)
    code = shoes_code(barcode)
    refused: list[str] = []

    def work(index: int) -> None:
        try:
            scan(db, tasks[index], code)
        except Conflict as error:
            refused.append(error.code)

    run_in_threads(work, threads=len(tasks))
    assert refused == ["marking_code_duplicate"] * (len(tasks) - 1)
    held = [order_codes(db.engine, task(db, t).order_id) for t in tasks]
    assert sorted(len(h) for h in held) == [0, 0, 0, 1]
