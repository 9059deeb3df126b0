"""A mission line that names a whole handling unit (issue 12): the manager adds it with
no product; recording it moves the unit with everything inside through the unit-move use
case (one document, one TRANSFER per quant) in the transaction that marks the line done —
on SQLite and PostgreSQL."""

from typing import Any

import pytest
import sqlalchemy as sa

from core.errors import Conflict, DomainError, NotFound, ValidationError
from core.floor.handling_units import create_unit, move_unit
from core.floor.mission_lines import LineRequest
from core.floor.missions import cancel, update_mission
from core.floor.recording import RecordRequest, record_line
from data.database import Database
from data.floor.handling_units import handling_unit_work
from data.floor.mission_queries import history
from data.floor.missions import mission_work
from data.stock.ledger_checks import ledger_discrepancies
from data.stock.queries import product_stock
from tests.conftest import make_product
from tests.floor import (
    location_id,
    make_bin,
    manager_actor,
    new_mission,
    started,
    worker_with_executor,
)
from tests.helpers import post
from tests.integration.test_concurrency import run_in_threads


@pytest.fixture
def floor(db: Database) -> dict[str, Any]:
    """A manager, a worker with an executor; bins A and B; in MAIN a pallet holding 30 mugs
    and a box (on it) with 6 plates, and 10 loose mugs."""
    mug = make_product(db, sku="MUG", barcode="4600000000017")
    plate = make_product(db, sku="PLATE", barcode="4600000000024")
    post(db, "RECEIPT", mug, 40)
    post(db, "RECEIPT", plate, 6)
    main = location_id(db, "MAIN")
    pallet = create_unit(handling_unit_work(db), "pallet", main, user_id=None).unit
    box = create_unit(handling_unit_work(db), "box", main, user_id=None, parent_id=pallet.id).unit
    for product, units, unit in ((mug, 30, pallet.id), (plate, 6, box.id)):
        post(db, "TRANSFER", product, units, from_location_id=main, to_location_id=main,
             handling_unit_id=unit)  # fmt: skip
    worker, executor = worker_with_executor(db, "kuznetsov")
    return {
        "db": db, "boss": manager_actor(db), "worker": worker, "executor": executor,
        "mug": mug, "plate": plate, "main": main, "pallet": pallet, "box": box,
        "a": make_bin(db, "A-01-1-1", route=1), "b": make_bin(db, "B-01-1-1", route=2),
    }  # fmt: skip


def unit_line(unit: int, dst: int, src: int | None = None) -> LineRequest:
    return LineRequest(None, None, src, dst, unit)


def where(db: Database, unit: int) -> int:
    query = sa.text("SELECT location_id FROM handling_unit WHERE id = :u")
    with db.engine.connect() as conn:
        return int(conn.execute(query, {"u": unit}).scalar_one())


def units_at(db: Database, location: int) -> dict[tuple[int, int | None], int]:
    query = sa.text(
        "SELECT product_id, handling_unit_id, quantity FROM quant "
        "WHERE location_id = :l AND quantity > 0"
    )
    with db.engine.connect() as conn:
        return {(p, u): q for p, u, q in conn.execute(query, {"l": location})}


def go(f: dict[str, Any], mission: Any, **kw: Any) -> Any:
    request = RecordRequest(mission.lines[kw.pop("index", 0)].id, kw.pop("quantity", None), **kw)
    return record_line(mission_work(f["db"]), mission.id, request, kw.pop("actor", f["worker"]))


def refused(error: type[DomainError], code: str, call: Any, *args: Any, **kw: Any) -> None:
    with pytest.raises(error) as caught:
        call(*args, **kw)
    assert caught.value.code == code, caught.value


def test_a_unit_line_is_kept_with_no_product_and_one_unit(floor: Any) -> None:
    f = floor
    made = new_mission(f["db"], f["boss"], [unit_line(f["pallet"].id, f["a"])])
    (line,) = made.lines
    assert line.whole_unit and line.product_id is None
    assert (line.quantity, line.done_quantity) == (1, 0)
    assert (line.from_location_id, line.to_location_id) == (f["main"], f["a"])
    assert (line.handling_unit_id, line.unit_code) == (f["pallet"].id, f["pallet"].code)


def test_recording_a_unit_line_moves_the_unit_and_all_inside_as_one_document(
    floor: Any,
) -> None:
    f = floor
    db = f["db"]
    mission = started(db, f["boss"], new_mission(db, f["boss"], [
        unit_line(f["pallet"].id, f["a"]),
        LineRequest(f["mug"], 4, f["main"], f["b"]),  # a product line beside it
    ]), f["executor"])  # fmt: skip
    loose = units_at(db, f["main"])[(f["mug"], None)]
    before = product_stock(db.engine, f["mug"]), product_stock(db.engine, f["plate"])
    done = go(f, mission, location_code="a-01-1-1", unit_code=f["pallet"].code)
    assert not done.replayed and done.line.done_quantity == 1
    assert where(db, f["pallet"].id) == f["a"] and where(db, f["box"].id) == f["a"]
    assert units_at(db, f["a"]) == {
        (f["mug"], f["pallet"].id): 30, (f["plate"], f["box"].id): 6,
    }  # fmt: skip
    assert units_at(db, f["main"]) == {(f["mug"], None): loose}  # loose stock stays
    assert len(done.movements) == 2 and len({m.document for m in done.movements}) == 1
    assert all(m.operation_type == "TRANSFER" for m in done.movements)
    assert done.movement == done.movements[0]
    # The managers' numbers do not change: a move within the good warehouse.
    after = product_stock(db.engine, f["mug"]), product_stock(db.engine, f["plate"])
    assert after == before
    assert ledger_discrepancies(db.engine) == []
    step = history(db.engine, mission.id)[-1]
    assert step["action"] == "recorded" and step["movement_id"] == done.movements[0].id
    assert f["pallet"].code in step["details"] and "36 шт." in step["details"]
    # Done is done: the line takes nothing more.
    refused(ValidationError, "quantity_exceeds_rest", go, f, mission)


def test_a_wrong_unit_or_bin_scan_is_refused_and_nothing_moves(floor: Any) -> None:
    f = floor
    db = f["db"]
    mission = started(db, f["boss"], new_mission(db, f["boss"], [
        unit_line(f["pallet"].id, f["a"])]), f["executor"])  # fmt: skip
    refused(ValidationError, "wrong_handling_unit", go, f, mission, unit_code=f["box"].code)
    refused(ValidationError, "wrong_location", go, f, mission, location_code="B-01-1-1",
            unit_code=f["pallet"].code)  # fmt: skip
    assert where(db, f["pallet"].id) == f["main"]
    line = mission_work(db)
    with line:
        assert line.missions.line(mission.id, mission.lines[0].id).done_quantity == 0  # type: ignore[union-attr]
    assert history(db.engine, mission.id)[-1]["action"] == "started"


def test_a_unit_moved_away_meanwhile_refuses_the_line(floor: Any) -> None:
    f = floor
    db = f["db"]
    mission = started(db, f["boss"], new_mission(db, f["boss"], [
        unit_line(f["pallet"].id, f["a"])]), f["executor"])  # fmt: skip
    move_unit(handling_unit_work(db), f["pallet"].id, f["b"], user_id=None)
    refused(Conflict, "handling_unit_elsewhere", go, f, mission)
    assert where(db, f["pallet"].id) == f["b"]


def test_the_same_key_again_is_answered_once_even_for_an_empty_unit(floor: Any) -> None:
    f = floor
    db = f["db"]
    empty = create_unit(handling_unit_work(db), "box", f["a"], user_id=None).unit
    mission = started(db, f["boss"], new_mission(db, f["boss"], [
        unit_line(empty.id, f["b"]), unit_line(f["pallet"].id, f["a"])],
        kind="move"), f["executor"])  # fmt: skip
    first = go(f, mission, idempotency_key="k-1")
    again = go(f, mission, idempotency_key="k-1")
    assert (first.movement, first.movements) == (None, ())  # nothing inside: no TRANSFER
    assert again.replayed and again.line.id == first.line.id
    assert where(db, empty.id) == f["b"]
    second = go(f, mission, index=1, idempotency_key="k-2", quantity=1)
    replay = go(f, mission, index=1, idempotency_key="k-2", quantity=1)
    assert replay.replayed and replay.movement is not None
    assert replay.movement.id == second.movements[0].id
    recorded = [s for s in history(db.engine, mission.id) if s["action"] == "recorded"]
    assert len(recorded) == 2
    refused(Conflict, "idempotency_key_reused", go, f, mission, index=1, idempotency_key="k-2",
            quantity=2)  # fmt: skip


def test_the_manager_is_refused_a_unit_line_that_cannot_be(floor: Any) -> None:
    f = floor
    db, boss = f["db"], f["boss"]
    pallet = f["pallet"].id
    cases: list[tuple[str, list[LineRequest]]] = [
        ("unit_line_product", [LineRequest(f["mug"], None, None, f["a"], pallet, True)]),
        ("unit_line_quantity", [LineRequest(None, 3, None, f["a"], pallet)]),
        ("handling_unit_elsewhere", [unit_line(pallet, f["b"], src=f["a"])]),
        ("invalid_handling_unit", [unit_line(999_999, f["a"])]),
        ("handling_unit_required", [LineRequest(None, None, None, f["a"], None, True)]),
        ("duplicate_unit_line", [unit_line(pallet, f["a"]), unit_line(pallet, f["b"])]),
        ("putaway_route", [unit_line(pallet, location_id(db, "MAIN"), src=None)]),
    ]
    for code, lines in cases:
        with pytest.raises(ValidationError) as caught:
            new_mission(db, boss, lines)
        assert caught.value.code in (code, "same_location"), (code, caught.value)
    # A product line still needs its quantity when recorded.
    mission = started(db, boss, new_mission(db, boss, [
        LineRequest(f["mug"], 4, f["main"], f["b"])]), f["executor"])  # fmt: skip
    refused(ValidationError, "quantity_required", go, f, mission)
    refused(NotFound, "mission_line_not_found", record_line, mission_work(db), mission.id,
            RecordRequest(999_999, None), f["worker"])  # fmt: skip


def test_a_draft_keeps_its_unit_line_through_edits_and_cancel_counts_units(floor: Any) -> None:
    f = floor
    db, boss = f["db"], f["boss"]
    made = new_mission(db, boss, [unit_line(f["pallet"].id, f["a"])])
    changed = update_mission(mission_work(db), made.id, {"kind": "move"}, boss)
    assert changed.kind == "move" and changed.lines[0].whole_unit
    done = cancel(mission_work(db), made.id, "не нужно", boss).mission
    assert done.status == "cancelled"
    assert history(db.engine, made.id)[-1]["details"].endswith("паллет и коробок 0 из 1")


def test_tablets_and_a_direct_move_racing_for_one_unit_move_it_once(floor: Any) -> None:
    """Several tablets record the same unit line while other threads move the unit
    directly elsewhere: the unit ends where exactly one of them put it, each winner's move
    is one whole document, and the line is done at most once."""
    f = floor
    db = f["db"]
    mission = started(db, f["boss"], new_mission(db, f["boss"], [
        unit_line(f["pallet"].id, f["a"])], kind="move"), f["executor"])  # fmt: skip
    outcomes: list[str] = []

    def racer(index: int) -> None:
        try:
            if index % 2:
                move_unit(handling_unit_work(db), f["pallet"].id, f["b"], user_id=None)
                outcomes.append("moved")
            else:
                go(f, mission, idempotency_key=f"race-{index}")
                outcomes.append("recorded")
        except (Conflict, ValidationError) as refused:
            outcomes.append(refused.code)

    run_in_threads(racer)
    assert outcomes.count("recorded") <= 1
    assert set(outcomes) <= {"recorded", "moved", "handling_unit_elsewhere",
                             "quantity_exceeds_rest"}  # fmt: skip
    with db.engine.connect() as conn:
        documents = conn.execute(sa.text(
            "SELECT document, count(*), sum(quantity) FROM movement "
            "WHERE document LIKE 'hu-move:%' GROUP BY document"
        )).all()  # fmt: skip
    assert all((rows, units) == (2, 36) for _, rows, units in documents)  # whole, every time
    done = mission_work(db)
    with done:
        line = done.missions.line(mission.id, mission.lines[0].id)
    assert line is not None and line.done_quantity == outcomes.count("recorded")
    assert where(db, f["box"].id) == where(db, f["pallet"].id)
    assert ledger_discrepancies(db.engine) == []
