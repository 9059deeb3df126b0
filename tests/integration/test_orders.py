"""Orders and reservation (DESIGN.md §2b.1, §2b.5, §6 "Orders") on SQLite and PostgreSQL:
FIFO, all lines or none, waiting orders retried when stock arrives, cancellation, the
idempotency of every request, and invariant 6 after each test."""

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from core.errors import Conflict, InsufficientStock, NotFound, ValidationError
from core.orders.orders import cancel_order, confirm_order, create_order, retry_waiting
from core.orders.ports import Hold, ShipTo
from core.stock.movements import post_movement, reverse_movement
from core.stock.requests import MovementRequest
from data.database import Database
from data.orders.queries import carriers, history, orders
from tests.conftest import make_product
from tests.floor import location_id, make_bin
from tests.helpers import dc_id, post, source_id, stock
from tests.import_files import run, xlsx
from tests.order_checks import check_reservations
from tests.orders import cancel, fresh, held_at, order_request, place

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


@pytest.fixture(autouse=True)
def invariant_6_holds_after_each_test(db: Database):  # type: ignore[no-untyped-def]
    yield
    check_reservations(db)


def receive_into(db: Database, product: int, quantity: int, bin_id: int, at: datetime) -> None:
    """Stock that arrived at `at` and was put away into a bin."""
    post_movement(
        db.unit_of_work(),
        MovementRequest("RECEIPT", quantity, product_id=product),
        user_id=None,
        at=at,
    )
    move = MovementRequest(
        "TRANSFER",
        quantity,
        product_id=product,
        from_location_id=location_id(db, "MAIN"),
        to_location_id=bin_id,
    )
    post_movement(db.unit_of_work(), move, user_id=None, at=at)


def test_confirm_takes_the_oldest_stock_first_then_the_route_order(db: Database) -> None:
    product = make_product(db)
    far, near, newest = (
        make_bin(db, "A-09", route=9),
        make_bin(db, "A-01", route=1),
        make_bin(db, "B-01", route=0),
    )
    receive_into(db, product, 5, far, T0)
    receive_into(db, product, 5, near, T0)  # as old as A-09, earlier on the route
    receive_into(db, product, 5, newest, T0 + timedelta(days=1))
    first = place(db, [(product, 7)])
    assert first.status == "reserved"
    assert held_at(first) == {"A-01": 5, "A-09": 2}
    second = place(db, [(product, 6)])
    assert held_at(second) == {"A-09": 3, "B-01": 3}
    # The card lists them in the order a picker walks: by route.
    assert [r.location_code for r in fresh(db, second.id).reservations] == ["B-01", "A-09"]
    assert stock(db, product) == {"good": 15, "defect": 0, "reserved": 13, "available": 2}
    assert [line.reserved for line in fresh(db, second.id).lines] == [6]


def test_an_order_is_reserved_whole_or_waits_holding_nothing(db: Database) -> None:
    plenty, scarce = make_product(db), make_product(db, sku="RED-M")
    post(db, "RECEIPT", plenty, 10)
    post(db, "RECEIPT", scarce, 2)
    waiting = place(db, [(plenty, 4), (scarce, 3)])
    assert waiting.status == "awaiting_stock"
    assert waiting.reservations == () and [x.reserved for x in waiting.lines] == [0, 0]
    assert stock(db, plenty)["reserved"] == 0 and stock(db, scarce)["reserved"] == 0
    steps = [row.step for row in history(db.engine, waiting.id)]
    assert [s.action for s in steps] == ["created", "confirmed"]
    assert "RED-M — 1 шт." in steps[-1].details


def test_a_waiting_order_is_reserved_when_stock_arrives(db: Database) -> None:
    product = make_product(db)
    waiting = place(db, [(product, 5)])
    assert waiting.status == "awaiting_stock"
    post(db, "RECEIPT", product, 3)
    assert fresh(db, waiting.id).status == "awaiting_stock"  # still short: nothing held
    assert stock(db, product)["reserved"] == 0
    post(db, "RECEIPT", product, 2)  # the receipt's commit tries it again
    assert fresh(db, waiting.id).status == "reserved"
    assert stock(db, product)["available"] == 0
    assert [row.step.action for row in history(db.engine, waiting.id)][-1] == "retried"


def test_waiting_orders_get_stock_urgent_first_then_oldest(db: Database) -> None:
    product = make_product(db)
    old_normal = place(db, [(product, 2)])
    newer_normal = place(db, [(product, 2)])
    urgent = place(db, [(product, 2)], priority="urgent")
    low = place(db, [(product, 1)], priority="low")
    post(db, "RECEIPT", product, 4)
    status = {o.id: fresh(db, o.id).status for o in (old_normal, newer_normal, urgent, low)}
    assert status == {
        urgent.id: "reserved",
        old_normal.id: "reserved",
        newer_normal.id: "awaiting_stock",
        low.id: "awaiting_stock",
    }


def test_cancel_releases_every_reservation_and_a_waiting_order_takes_the_stock(
    db: Database,
) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    first = place(db, [(product, 4)])
    waiting = place(db, [(product, 3)])
    cancelled = cancel(db, first.id, "Покупатель отказался")
    assert cancelled.status == "cancelled" and cancelled.reservations == ()
    assert cancelled.cancel_reason == "Покупатель отказался"
    assert cancelled.cancelled_at is not None
    # The released units went to the waiting order in the cancel's wake.
    assert fresh(db, waiting.id).status == "reserved"
    assert stock(db, product) == {"good": 5, "defect": 0, "reserved": 3, "available": 2}
    with pytest.raises(Conflict) as twice:
        cancel(db, first.id)
    assert twice.value.code == "invalid_transition"


def test_a_waiting_order_can_be_cancelled_and_is_not_retried(db: Database) -> None:
    product = make_product(db)
    waiting = place(db, [(product, 2)])
    assert cancel(db, waiting.id).status == "cancelled"
    post(db, "RECEIPT", product, 5)
    assert fresh(db, waiting.id).status == "cancelled"
    assert stock(db, product)["reserved"] == 0


def test_confirm_a_new_order_later_and_not_twice(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 3)
    draft = place(db, [(product, 3)], confirm=False)
    assert draft.status == "new" and stock(db, product)["reserved"] == 0
    confirmed = confirm_order(db.unit_of_work(), draft.id, None).order
    assert confirmed.status == "reserved" and confirmed.confirmed_at is not None
    with pytest.raises(Conflict) as again:
        confirm_order(db.unit_of_work(), draft.id, None)
    assert again.value.code == "invalid_transition"
    with pytest.raises(NotFound) as missing:
        confirm_order(db.unit_of_work(), 999_999, None)
    assert missing.value.code == "order_not_found"


def test_the_same_external_id_from_the_same_source_is_the_same_order(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    wb = source_id(db)
    first = create_order(
        db.unit_of_work(), order_request([(product, 2)], external_id="777", source_id=wb), None
    )
    again = create_order(
        db.unit_of_work(), order_request([(product, 5)], external_id="777", source_id=wb), None
    )
    assert not first.replayed and again.replayed and again.order.id == first.order.id
    assert stock(db, product)["reserved"] == 2
    other = create_order(db.unit_of_work(), order_request([(product, 1)], external_id="777"), None)
    assert other.order.id != first.order.id  # no source: another order


def test_a_retried_request_with_the_same_key_is_applied_once(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    request = order_request([(product, 2)])
    first = create_order(db.unit_of_work(), request, None, idempotency_key="k-1")
    again = create_order(db.unit_of_work(), request, None, idempotency_key="k-1")
    assert again.replayed and again.order.id == first.order.id
    done = cancel_order(db.unit_of_work(), first.order.id, None, None, idempotency_key="k-2")
    replay = cancel_order(db.unit_of_work(), first.order.id, None, None, idempotency_key="k-2")
    assert not done.replayed and replay.replayed and replay.order.status == "cancelled"
    with pytest.raises(Conflict) as reused:
        create_order(db.unit_of_work(), order_request([(product, 1)]), None, idempotency_key="k-2")
    assert reused.value.code == "idempotency_key_reused"
    assert len(orders(db.engine).items) == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"kind": "drone"}, "invalid_kind"),
        ({"priority": "asap"}, "invalid_priority"),
        ({"external_id": "  "}, "external_id_required"),
        ({"lines": []}, "lines_required"),
        ({"source_id": 999_999}, "source_not_found"),
        ({"carrier": "cdek"}, "carrier_not_found"),  # seeded, not yet turned on
        ({"carrier": "pigeon"}, "carrier_not_found"),
        ({"kind": "supply"}, "distribution_center_required"),
        ({"kind": "supply", "distribution_center_id": 999_999}, "distribution_center_not_found"),
        ({"distribution_center_id": 1}, "field_not_allowed"),
    ],
)
def test_a_bad_order_is_refused_with_its_code(db: Database, change: dict, code: str) -> None:
    product = make_product(db)
    request = order_request([(product, 1)])
    fields = {**request.__dict__, **change}
    if "lines" in change:
        fields["lines"] = []
    with pytest.raises(ValidationError) as refused:
        create_order(db.unit_of_work(), type(request)(**fields), None)
    assert refused.value.code == code
    assert orders(db.engine).total == 0


def test_bad_lines_are_refused(db: Database) -> None:
    product = make_product(db)
    gone = make_product(db, is_deleted=True)
    for lines, code in [
        ([(999_999, 1)], "product_not_found"),
        ([(gone, 1)], "product_deleted"),
        ([(product, 0)], "invalid_quantity"),
        ([(product, 10**7)], "quantity_too_large"),
    ]:
        with pytest.raises(ValidationError) as refused:
            place(db, lines)
        assert refused.value.code == code


def test_a_supply_names_its_dc_and_a_customer_order_its_address(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    supply = place(db, [(product, 6)], kind="supply", distribution_center_id=dc_id(db))
    assert supply.kind == "supply" and supply.source_id is not None  # the DC's marketplace
    customer = place(db, [(product, 1)], ship_to=ShipTo(name="Иванов", city="Москва"))
    assert customer.carrier == "manual" and customer.ship_to == ShipTo(name="Иванов", city="Москва")
    assert [c.code for c in carriers(db.engine, active_only=True)] == ["manual"]


def test_other_operations_take_only_unreserved_stock(db: Database) -> None:
    product = make_product(db)
    bin_id = make_bin(db, "C-01")
    receipt = post(db, "RECEIPT", product, 10)
    place(db, [(product, 8)])
    refusals = [
        MovementRequest("SHIPMENT_RC", 3, product_id=product, distribution_center_id=dc_id(db)),
        MovementRequest("WRITE_OFF", 3, product_id=product),
        MovementRequest(
            "TRANSFER",
            3,
            product_id=product,
            from_location_id=location_id(db, "MAIN"),
            to_location_id=bin_id,
        ),
        MovementRequest(
            "ADJUSTMENT",
            3,
            product_id=product,
            warehouse="MAIN",
            direction="loss",
            notes="пересчёт",
        ),
    ]
    for request in refusals:
        with pytest.raises(InsufficientStock):
            post_movement(db.unit_of_work(), request, user_id=None)
    # Nor may a reversal of the receipt take back what an order holds.
    with pytest.raises(Conflict):
        reverse_movement(db.unit_of_work(), receipt.movement.id, user_id=None)
    post(db, "WRITE_OFF", product, 2)  # the unreserved rest may go
    assert stock(db, product) == {"good": 8, "defect": 2, "reserved": 8, "available": 0}


def test_stock_outside_main_bins_is_not_reserved(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT_DEFECT", product, 5)
    packing = location_id(db, "PACK-1") if _has(db, "PACK-1") else None
    if packing is not None:
        post(db, "RECEIPT", product, 5)
        post(
            db,
            "TRANSFER",
            product,
            5,
            from_location_id=location_id(db, "MAIN"),
            to_location_id=packing,
        )
    assert place(db, [(product, 1)]).status == "awaiting_stock"


def _has(db: Database, code: str) -> bool:
    with db.engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM location WHERE code = :c")
        return bool(conn.execute(query, {"c": code}).scalar_one())


def test_retry_waiting_with_nothing_waiting_does_nothing(db: Database) -> None:
    assert retry_waiting(db.unit_of_work) == {"tried": 0, "reserved": 0}


def test_orders_list_pages_and_filters(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 2)
    made = [place(db, [(product, 1)]) for _ in range(3)]  # two reserved, one waiting
    assert orders(db.engine, limit=2).total == 3
    assert [o.id for o in orders(db.engine, limit=2).items] == [made[2].id, made[1].id]
    assert [o.id for o in orders(db.engine, statuses=["awaiting_stock"]).items] == [made[2].id]
    assert orders(db.engine, external_id=made[0].external_id).items[0].id == made[0].id
    assert orders(db.engine, kind="supply").total == 0


def test_an_imported_receipt_reserves_the_waiting_orders(db: Database) -> None:
    product = make_product(db, barcode="4600000099991")
    waiting = place(db, [(product, 4)])
    report = run(db, xlsx([["Баркод", "Количество"], ["4600000099991", 4]]),
                 operation_type="RECEIPT", dry_run=False)  # fmt: skip
    assert report.applied
    assert fresh(db, waiting.id).status == "reserved"


def test_a_hold_beyond_the_unreserved_stock_is_refused_and_takes_nothing(db: Database) -> None:
    """The holds of one reservation go together (one statement on PostgreSQL), but each
    quant's condition holds on its own: the one that does not fit changes nothing."""
    product = make_product(db)
    first, second = make_bin(db, "R-01", route=1), make_bin(db, "R-02", route=2)
    receive_into(db, product, 3, first, T0)
    receive_into(db, product, 3, second, T0)
    order = place(db, [(product, 6)], confirm=False)
    with db.unit_of_work() as uow:
        slots = uow.orders.lock_slots([product])
        wanted = {first: 2, second: 4}  # 4 > the 3 units in R-02
        holds = [
            Hold(order.lines[0].id, s.quant_id, product, s.location_id, wanted[s.location_id])
            for s in slots
        ]
        assert uow.orders.reserve(holds, T0, None) is None
        reserved = dict(
            uow.conn.execute(
                sa.text("SELECT location_id, reserved FROM quant WHERE product_id = :p"),
                {"p": product},
            ).all()
        )
        rows = uow.conn.execute(
            sa.text("SELECT quantity FROM reservation WHERE order_id = :o"), {"o": order.id}
        ).scalars()
        assert (reserved[first], reserved[second], list(rows)) == (2, 0, [2])
    assert fresh(db, order.id).reservations == ()  # never committed
