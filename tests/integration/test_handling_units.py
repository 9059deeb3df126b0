"""Handling units (DESIGN.md §2a, §6) on SQLite and PostgreSQL: create with a printable
code, TRANSFER stock into and out of a unit, nest boxes on a pallet, move a whole unit as
one document, close only an empty unit."""

from typing import Any

import pytest
import sqlalchemy as sa

from core.errors import Conflict, NotFound, ValidationError
from core.floor.handling_units import close_unit, create_unit, move_unit, nest_unit
from core.floor.unit_codes import gs1_check_digit, is_sscc, read_scan
from core.stock.movements import reverse_movement
from data.database import Database
from data.floor.handling_units import handling_unit_work
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import (
    add_user,
    line,
    location_id,
    make_bin,
    manager_actor,
    new_mission,
    record,
    started,
    worker_with_executor,
)
from tests.helpers import post, stock


@pytest.fixture
def floor(db: Database) -> dict[str, Any]:
    """A product with 100 units in MAIN (not put away), two bins, a manager."""
    product = make_product(db)
    post(db, "RECEIPT", product, 100)
    return {
        "product": product,
        "main": location_id(db, "MAIN"),
        "a": make_bin(db, "A-01"),
        "b": make_bin(db, "B-01"),
        "user": add_user(db, "boss", "manager"),
    }


def new_unit(db: Database, kind: str, place: int, **kw: Any) -> int:
    return create_unit(handling_unit_work(db), kind, place, user_id=None, **kw).unit.id


def into(db: Database, product: int, qty: int, src: int, dst: int, unit: int | None,
         from_unit: int | None = None) -> Any:  # fmt: skip
    return post(db, "TRANSFER", product, qty, from_location_id=src, to_location_id=dst,
                handling_unit_id=unit, from_handling_unit_id=from_unit)  # fmt: skip


def quants(db: Database) -> dict[tuple[int, int, int | None], tuple[int, int]]:
    """(product, location, unit) → (quantity, version) of every quant with stock."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT product_id, location_id, handling_unit_id, quantity, version "
                    "FROM quant WHERE quantity > 0")
        ).all()  # fmt: skip
    return {(r[0], r[1], r[2]): (r[3], r[4]) for r in rows}


def test_unit_codes_are_internal_or_sscc_with_a_check_digit(db: Database, floor: Any) -> None:
    plain = create_unit(handling_unit_work(db), "pallet", floor["a"], user_id=None, gs1_prefix="")
    assert plain.unit.code == f"HU-{plain.unit.id:06d}"
    gs1 = create_unit(handling_unit_work(db), "box", floor["a"], user_id=None,
                      gs1_prefix="4601234")  # fmt: skip
    code = gs1.unit.code
    assert len(code) == 18 and code[1:8] == "4601234" and is_sscc(code)
    assert int(code[-1]) == gs1_check_digit(code[:-1])
    assert read_scan("00" + code) == read_scan("]C100" + code) == read_scan(f"(00) {code}") == code
    assert gs1_check_digit("00614141123456789") == 0  # GS1's own SSCC example


def test_create_refuses_unknown_kind_and_virtual_place(db: Database, floor: Any) -> None:
    with pytest.raises(ValidationError) as bad_kind:
        new_unit(db, "crate", floor["a"])
    assert bad_kind.value.code == "invalid_kind"
    with pytest.raises(ValidationError) as virtual:
        new_unit(db, "box", location_id(db, "VENDOR"))
    assert virtual.value.code == "invalid_location"


def test_create_with_the_same_key_returns_the_same_unit(db: Database, floor: Any) -> None:
    first = create_unit(handling_unit_work(db), "pallet", floor["a"], user_id=floor["user"],
                        idempotency_key="k1")  # fmt: skip
    again = create_unit(handling_unit_work(db), "pallet", floor["a"], user_id=floor["user"],
                        idempotency_key="k1")  # fmt: skip
    assert again.replayed and again.unit.id == first.unit.id
    with pytest.raises(Conflict) as other:
        create_unit(handling_unit_work(db), "box", floor["a"], user_id=floor["user"],
                    idempotency_key="k1")  # fmt: skip
    assert other.value.code == "idempotency_key_reused"


def test_stock_goes_into_a_unit_and_out_of_it(db: Database, floor: Any) -> None:
    p, main, a = floor["product"], floor["main"], floor["a"]
    pallet = new_unit(db, "pallet", main)
    moved = into(db, p, 30, main, main, pallet).movement  # filled where the goods lie
    assert (moved.from_handling_unit_id, moved.handling_unit_id) == (None, pallet)
    assert quants(db)[(p, main, pallet)][0] == 30 and quants(db)[(p, main, None)][0] == 70
    into(db, p, 5, main, main, None, from_unit=pallet)  # taken out again
    assert quants(db)[(p, main, pallet)][0] == 25
    assert stock(db, p)["good"] == 100  # the managers' number does not change
    with pytest.raises(Conflict) as elsewhere:
        into(db, p, 1, main, a, pallet)  # the pallet is not in A-01
    assert elsewhere.value.code == "handling_unit_elsewhere"
    with pytest.raises(Conflict) as short:
        into(db, p, 26, main, a, None, from_unit=pallet)
    assert short.value.code == "insufficient_stock"
    with pytest.raises(ValidationError) as same:
        into(db, p, 1, main, main, pallet, from_unit=pallet)
    assert same.value.code == "same_location"
    with pytest.raises(ValidationError) as missing:
        into(db, p, 1, main, main, 999_999)
    assert missing.value.code == "handling_unit_not_found"
    assert ledger_discrepancies(db.engine) == []


def test_a_unit_move_moves_everything_inside_as_one_document(db: Database, floor: Any) -> None:
    p, main, a = floor["product"], floor["main"], floor["a"]
    q = make_product(db)
    post(db, "RECEIPT", q, 10)
    pallet = new_unit(db, "pallet", main)
    box = new_unit(db, "box", main, parent_id=pallet)
    into(db, p, 40, main, main, pallet)
    into(db, p, 8, main, main, box)
    into(db, q, 10, main, main, box)
    before = quants(db)
    moved = move_unit(handling_unit_work(db), pallet, a, user_id=floor["user"])
    assert moved.unit.location_id == a and moved.moved_units == 2
    assert len(moved.movements) == 3 and len({m.document for m in moved.movements}) == 1
    assert all(m.operation_type == "TRANSFER" for m in moved.movements)
    after = quants(db)
    assert after[(p, a, pallet)][0] == 40 and after[(p, a, box)][0] == 8
    assert after[(q, a, box)][0] == 10
    assert (p, main, pallet) not in after and (q, main, box) not in after
    assert after[(p, main, None)] == before[(p, main, None)]  # loose stock stays
    with db.engine.connect() as conn:
        versions = conn.execute(
            sa.text("SELECT version FROM quant WHERE location_id = :l AND handling_unit_id "
                    "IS NOT NULL"), {"l": main}
        ).scalars().all()  # fmt: skip
        events = conn.execute(sa.text("SELECT count(*) FROM outbox_event")).scalar_one()
        box_at = conn.execute(
            sa.text("SELECT location_id FROM handling_unit WHERE id = :u"), {"u": box}
        ).scalar_one()
    assert versions and all(v >= 1 for v in versions)  # the decrement raised each version
    assert box_at == a
    assert events >= 3 + 5  # one event per movement
    assert ledger_discrepancies(db.engine) == []
    assert stock(db, p)["good"] == 100 and stock(db, q)["good"] == 10


def test_a_box_moved_alone_comes_off_its_pallet(db: Database, floor: Any) -> None:
    main, b = floor["main"], floor["b"]
    pallet = new_unit(db, "pallet", main)
    box = new_unit(db, "box", main, parent_id=pallet)
    moved = move_unit(handling_unit_work(db), box, b, user_id=None)
    assert moved.unit.parent_id is None and moved.unit.location_id == b
    again = move_unit(handling_unit_work(db), box, b, user_id=None)
    assert again.movements == () and again.unit.location_id == b


def test_a_unit_stays_in_its_warehouse_and_reserved_stock_holds_it(
    db: Database, floor: Any
) -> None:
    p, main = floor["product"], floor["main"]
    pallet = new_unit(db, "pallet", main)
    into(db, p, 10, main, main, pallet)
    with pytest.raises(ValidationError) as other:
        move_unit(handling_unit_work(db), pallet, location_id(db, "DEFECT"), user_id=None)
    assert other.value.code == "warehouse_mismatch"
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE quant SET reserved = 3 WHERE handling_unit_id = :u"),
                     {"u": pallet})  # fmt: skip
    with pytest.raises(Conflict) as held:
        move_unit(handling_unit_work(db), pallet, floor["a"], user_id=None)
    assert held.value.code == "handling_unit_reserved"
    assert quants(db)[(p, main, pallet)][0] == 10  # nothing moved
    with db.engine.connect() as conn:
        at = conn.execute(
            sa.text("SELECT location_id FROM handling_unit WHERE id = :u"), {"u": pallet}
        ).scalar_one()
    assert at == main


def test_a_move_with_the_same_key_is_applied_once(db: Database, floor: Any) -> None:
    p, main, a, b = floor["product"], floor["main"], floor["a"], floor["b"]
    pallet = new_unit(db, "pallet", main)
    into(db, p, 10, main, main, pallet)
    first = move_unit(handling_unit_work(db), pallet, a, user_id=floor["user"], idempotency_key="m")
    again = move_unit(handling_unit_work(db), pallet, a, user_id=floor["user"], idempotency_key="m")
    assert again.replayed and again.movements[0].id == first.movements[0].id
    with pytest.raises(Conflict) as reused:
        move_unit(handling_unit_work(db), new_unit(db, "box", a), b, user_id=floor["user"],
                  idempotency_key="m")  # fmt: skip
    assert reused.value.code == "idempotency_key_reused"


def test_nesting_rules(db: Database, floor: Any) -> None:
    main, a = floor["main"], floor["a"]
    pallet = new_unit(db, "pallet", main)
    other_pallet = new_unit(db, "pallet", main)
    box = new_unit(db, "box", main)
    inner = new_unit(db, "box", main, parent_id=box)
    far = new_unit(db, "pallet", a)
    assert nest_unit(handling_unit_work(db), box, pallet).parent_id == pallet
    for unit, parent, code in [
        (pallet, other_pallet, "pallet_not_nested"),
        (box, inner, "handling_unit_cycle"),
        (box, box, "handling_unit_cycle"),
        (box, far, "handling_unit_elsewhere"),
    ]:
        with pytest.raises((Conflict, ValidationError)) as refused:
            nest_unit(handling_unit_work(db), unit, parent)
        assert refused.value.code == code
    assert nest_unit(handling_unit_work(db), box, None).parent_id is None
    with pytest.raises(NotFound):
        nest_unit(handling_unit_work(db), 999_999, None)


def test_only_an_empty_unit_closes_and_a_closed_one_takes_nothing(db: Database, floor: Any) -> None:
    p, main = floor["product"], floor["main"]
    pallet = new_unit(db, "pallet", main)
    box = new_unit(db, "box", main, parent_id=pallet)
    into(db, p, 4, main, main, box)
    for unit in (pallet, box):  # the box holds stock, the pallet an open box
        with pytest.raises(Conflict) as full:
            close_unit(handling_unit_work(db), unit)
        assert full.value.code == "handling_unit_not_empty"
        assert "не пуста" in full.value.message
    into(db, p, 4, main, main, None, from_unit=box)
    assert close_unit(handling_unit_work(db), box).closed_at is not None
    assert close_unit(handling_unit_work(db), pallet).closed_at is not None
    with pytest.raises(Conflict) as closed:
        into(db, p, 1, main, main, pallet)
    assert closed.value.code == "handling_unit_closed"
    with pytest.raises(Conflict) as no_nesting:
        nest_unit(handling_unit_work(db), new_unit(db, "box", main), pallet)
    assert no_nesting.value.code == "handling_unit_closed"


def test_a_reversal_puts_stock_back_into_its_unit_while_it_is_there(
    db: Database, floor: Any
) -> None:
    p, main, a = floor["product"], floor["main"], floor["a"]
    pallet = new_unit(db, "pallet", main)
    into(db, p, 10, main, main, pallet)
    out = into(db, p, 4, main, a, None, from_unit=pallet).movement
    back = reverse_movement(db.unit_of_work(), out.id, user_id=None).movement
    assert back.handling_unit_id == pallet and quants(db)[(p, main, pallet)][0] == 10
    out = into(db, p, 4, main, a, None, from_unit=pallet).movement
    move_unit(handling_unit_work(db), pallet, floor["b"], user_id=None)
    with pytest.raises(Conflict) as moved:
        reverse_movement(db.unit_of_work(), out.id, user_id=None)
    assert moved.value.code == "handling_unit_moved"
    assert ledger_discrepancies(db.engine) == []


def test_a_mission_line_with_a_unit_puts_into_it_or_takes_out_of_it(
    db: Database, floor: Any
) -> None:
    p, main, a, b = floor["product"], floor["main"], floor["a"], floor["b"]
    pallet = new_unit(db, "pallet", a)
    manager = manager_actor(db, "chief")
    worker, executor = worker_with_executor(db, "ivanov")
    mission = new_mission(db, manager, [line(p, 12, main, a, handling_unit_id=pallet)])
    mission = started(db, manager, mission, executor)
    done = record(db, worker, mission, 0, 12)
    assert done.movement.handling_unit_id == pallet and done.movement.from_handling_unit_id is None
    assert quants(db)[(p, a, pallet)][0] == 12
    back = new_mission(db, manager, [line(p, 5, a, b, handling_unit_id=pallet)], kind="move")
    back = started(db, manager, back, executor)
    taken = record(db, worker, back, 0, 5).movement
    assert (taken.from_handling_unit_id, taken.handling_unit_id) == (pallet, None)
    assert quants(db)[(p, a, pallet)][0] == 7 and quants(db)[(p, b, None)][0] == 5
    move_unit(handling_unit_work(db), pallet, b, user_id=None)
    late = new_mission(db, manager, [line(p, 1, main, a, handling_unit_id=pallet)])
    late = started(db, manager, late, executor)
    with pytest.raises(Conflict) as elsewhere:
        record(db, worker, late, 0, 1)
    assert elsewhere.value.code == "handling_unit_elsewhere"
    assert ledger_discrepancies(db.engine) == []
