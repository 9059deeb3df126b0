"""Missions (DESIGN.md §2a, §2b, §6): the state machine, editing a draft, assignment, and
recording lines as TRANSFERs on the ledger — on SQLite and PostgreSQL."""

from typing import Any

import pytest
import sqlalchemy as sa

from core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from core.floor.executors import update_executor
from core.floor.mission_rules import MISSION, Actor
from core.floor.missions import assign, cancel, complete, start, update_mission
from core.floor.recording import Stop, check_location_scan, check_product_scan, stops
from data.database import Database
from data.floor.executors import SqlExecutorStore
from data.floor.mission_queries import history, mission
from data.floor.missions import mission_work
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import (
    done_of,
    line,
    location_id,
    make_bin,
    manager_actor,
    new_mission,
    record,
    started,
    worker_with_executor,
)
from tests.helpers import post


@pytest.fixture
def floor(db: Database) -> dict[str, Any]:
    """A manager, a worker with an executor, a product with 100 units waiting in MAIN
    and two bins."""
    product = make_product(db, sku="MUG-350", barcode="4600000000017", gtin="04600000000024")
    post(db, "RECEIPT", product, 100)
    worker, executor = worker_with_executor(db, "kuznetsov")
    return {
        "db": db,
        "boss": manager_actor(db),
        "worker": worker,
        "executor": executor,
        "product": product,
        "main": location_id(db, "MAIN"),
        "a1": make_bin(db, "A-01-1-1", route=1),
        "a2": make_bin(db, "A-01-1-2", route=2),
    }


def putaway(f: dict[str, Any], *quantities: int) -> Any:
    lines = [line(f["product"], q, f["main"], f["a1"]) for q in quantities or (10,)]
    return new_mission(f["db"], f["boss"], lines)


def quants(db: Database, product_id: int) -> dict[str, int]:
    query = sa.text(
        "SELECT l.code, q.quantity FROM quant q JOIN location l ON l.id = q.location_id "
        "WHERE q.product_id = :p AND q.quantity > 0"
    )
    with db.engine.connect() as conn:
        return {code: qty for code, qty in conn.execute(query, {"p": product_id})}


def transfers(db: Database, document: str) -> list[int]:
    query = sa.text(
        "SELECT quantity FROM movement WHERE operation_type = 'TRANSFER' AND document = :d "
        "ORDER BY id"  # the order they were posted in (PostgreSQL returns any order otherwise)
    )
    with db.engine.connect() as conn:
        return list(conn.execute(query, {"d": document}).scalars())


def refused(error: type[DomainError], code: str, call: Any, *args: Any, **kw: Any) -> str:
    with pytest.raises(error) as caught:
        call(*args, **kw)
    assert caught.value.code == code, caught.value
    return caught.value.message


# --- The state machine ---------------------------------------------------------------------


def test_the_machine_is_draft_assigned_in_progress_completed_with_cancel_but_from_completed() -> (
    None
):
    assert MISSION.initial == "draft"
    assert MISSION.allowed("draft") == {"assigned", "cancelled"}
    assert MISSION.allowed("assigned") == {"in_progress", "cancelled"}
    assert MISSION.allowed("in_progress") == {"completed", "cancelled"}
    assert MISSION.allowed("completed") == set()
    assert MISSION.allowed("cancelled") == set()


def test_a_mission_walks_its_states_and_its_history_says_who_did_what(floor: Any) -> None:
    db, boss, worker = floor["db"], floor["boss"], floor["worker"]
    created = putaway(floor, 10)
    assert (created.status, created.priority) == ("draft", "normal")
    assert created.created_by == boss.user_id
    assigned = assign(mission_work(db), created.id, floor["executor"], boss).mission
    assert (assigned.status, assigned.executor_id) == ("assigned", floor["executor"])
    running = start(mission_work(db), created.id, worker).mission
    assert running.status == "in_progress" and running.started_at is not None
    record(db, worker, running, 0, 10)
    finished = complete(mission_work(db), created.id, worker).mission
    assert finished.status == "completed" and finished.completed_at is not None
    steps = history(db.engine, created.id)
    assert [(s["action"], s["status"]) for s in steps] == [
        ("created", "draft"),
        ("assigned", "assigned"),
        ("started", "in_progress"),
        ("recorded", "in_progress"),
        ("completed", "completed"),
    ]
    assert [s["user_id"] for s in steps] == [boss.user_id] * 2 + [worker.user_id] * 3
    assert steps[1]["details"] == "Исполнитель: Работник kuznetsov"
    assert steps[3]["movement_id"] is not None
    assert steps[4]["details"] == "Выполнено 10 из 10 шт."


@pytest.mark.parametrize(
    ("reached", "step", "target"),
    [
        ("draft", "start", "in_progress"),
        ("draft", "complete", "completed"),
        ("assigned", "complete", "completed"),
        ("in_progress", "start", "in_progress"),
        ("in_progress", "assign", "assigned"),
        ("completed", "cancel", "cancelled"),
        ("completed", "start", "in_progress"),
        ("cancelled", "start", "in_progress"),
        ("cancelled", "assign", "assigned"),
        ("cancelled", "cancel", "cancelled"),
    ],
)
def test_an_illegal_step_is_refused_as_invalid_transition_and_changes_nothing(
    floor: Any, reached: str, step: str, target: str
) -> None:
    db, boss = floor["db"], floor["boss"]
    created = putaway(floor, 5)
    path = {"draft": [], "assigned": ["assign"], "in_progress": ["assign", "start"],
            "completed": ["assign", "start", "complete"], "cancelled": ["cancel"]}  # fmt: skip
    steps = {
        "assign": lambda: assign(mission_work(db), created.id, floor["executor"], boss),
        "start": lambda: start(mission_work(db), created.id, boss),
        "complete": lambda: complete(mission_work(db), created.id, boss),
        "cancel": lambda: cancel(mission_work(db), created.id, "Нет места", boss),
    }
    for name in path[reached]:
        steps[name]()
    before = len(history(db.engine, created.id))
    message = refused(Conflict, "invalid_transition", steps[step])
    assert message  # a sentence for people, naming the state where there is one
    now = mission(db.engine, created.id)
    assert now is not None and now.status == reached
    assert len(history(db.engine, created.id)) == before
    assert target in MISSION.states


def test_cancel_from_any_state_but_completed_keeps_what_was_done(floor: Any) -> None:
    db, boss, worker = floor["db"], floor["boss"], floor["worker"]
    for reached in ("draft", "assigned"):
        created = putaway(floor, 3)
        if reached == "assigned":
            assign(mission_work(db), created.id, floor["executor"], boss)
        cancelled = cancel(mission_work(db), created.id, "Передумали", boss).mission
        assert cancelled.status == "cancelled" and cancelled.cancel_reason == "Передумали"
    running = started(db, boss, putaway(floor, 10), floor["executor"])
    record(db, worker, running, 0, 4)
    cancelled = cancel(mission_work(db), running.id, "  Конец   смены ", boss).mission
    assert cancelled.cancel_reason == "Конец смены" and cancelled.cancelled_at is not None
    assert done_of_mission(db, running.id) == [4]  # not reversed
    assert quants(db, floor["product"]) == {"MAIN": 96, "A-01-1-1": 4}
    assert history(db.engine, running.id)[-1]["details"] == (
        "Причина: Конец смены; выполнено 4 из 10 шт."
    )


def done_of_mission(db: Database, mission_id: int) -> list[int]:
    found = mission(db.engine, mission_id)
    assert found is not None
    return [x.done_quantity for x in found.lines]


# --- Editing and assigning -----------------------------------------------------------------


def test_a_draft_is_edited_whole_and_an_assigned_mission_is_not(floor: Any) -> None:
    db, boss = floor["db"], floor["boss"]
    created = putaway(floor, 5, 6)
    changed = update_mission(
        mission_work(db), created.id,
        {"priority": "urgent", "kind": "move",
         "lines": [line(floor["product"], 7, floor["a1"], floor["a2"])]}, boss,
    )  # fmt: skip
    assert (changed.kind, changed.priority) == ("move", "urgent")
    assert [(x.quantity, x.from_code, x.to_code, x.sequence) for x in changed.lines] == [
        (7, "A-01-1-1", "A-01-1-2", 1)
    ]
    assert history(db.engine, created.id)[-1]["details"] == "Вид, приоритет, строки"
    assign(mission_work(db), created.id, floor["executor"], boss)
    message = refused(Conflict, "invalid_transition", update_mission, mission_work(db),
                      created.id, {"priority": "low"}, boss)  # fmt: skip
    assert "черновик" in message
    assert mission(db.engine, created.id).priority == "urgent"  # type: ignore[union-attr]


def test_changing_the_kind_checks_the_lines_it_keeps(floor: Any) -> None:
    db, boss = floor["db"], floor["boss"]
    moving = new_mission(db, boss, [line(floor["product"], 1, floor["a1"], floor["a2"])],
                         kind="move")  # fmt: skip
    refused(ValidationError, "putaway_route", update_mission, mission_work(db), moving.id,
            {"kind": "putaway"}, boss)  # fmt: skip


def test_lines_are_checked_before_anything_is_written(floor: Any) -> None:
    db, boss, p = floor["db"], floor["boss"], floor["product"]
    main, a1, a2 = floor["main"], floor["a1"], floor["a2"]
    defect_bin = make_bin(db, "D-01", warehouse="DEFECT")
    cases = [
        ([], "lines_required"),
        ([line(p, 0, main, a1)], "invalid_quantity"),
        ([line(p, 1, main, main)], "same_location"),
        ([line(p, 1, a1, a2)], "putaway_route"),  # a putaway starts where goods arrive
        ([line(p, 1, main, location_id(db, "PACK-1"))], "putaway_route"),
        ([line(p, 1, main, defect_bin)], "warehouses_differ"),
        ([line(p, 1, location_id(db, "VENDOR"), a1)], "invalid_location"),
        ([line(999_999, 1, main, a1)], "product_not_found"),
        ([line(p, 1, main, a1, handling_unit_id=12345)], "invalid_handling_unit"),
    ]
    for lines, code in cases:
        refused(ValidationError, code, new_mission, db, boss, lines)
    message = refused(ValidationError, "same_location", new_mission, db, boss,
                      [line(p, 1, main, a1), line(p, 1, main, main)])  # fmt: skip
    assert message.startswith("Строка 2:")
    refused(ValidationError, "invalid_kind", new_mission, db, boss, [line(p, 1, main, a1)],
            kind="pick")  # fmt: skip
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM mission")).scalar_one() == 0


def test_an_inactive_executor_cannot_be_given_work(floor: Any) -> None:
    db, boss = floor["db"], floor["boss"]
    created = putaway(floor)
    update_executor(SqlExecutorStore(db.engine), floor["executor"], {"is_active": False})
    refused(Conflict, "executor_inactive", assign, mission_work(db), created.id,
            floor["executor"], boss)  # fmt: skip
    refused(NotFound, "executor_not_found", assign, mission_work(db), created.id, 424242, boss)
    assert mission(db.engine, created.id).status == "draft"  # type: ignore[union-attr]


def test_an_assigned_mission_goes_to_another_executor_until_it_starts(floor: Any) -> None:
    db, boss = floor["db"], floor["boss"]
    _, other = worker_with_executor(db, "petrov")
    created = putaway(floor)
    assign(mission_work(db), created.id, floor["executor"], boss)
    moved = assign(mission_work(db), created.id, other, boss).mission
    assert (moved.status, moved.executor_id) == ("assigned", other)
    start(mission_work(db), created.id, boss)
    refused(Conflict, "invalid_transition", assign, mission_work(db), created.id,
            floor["executor"], boss)  # fmt: skip


def test_a_worker_acts_only_on_their_own_missions_and_never_creates_or_cancels(
    floor: Any,
) -> None:
    db, boss, worker = floor["db"], floor["boss"], floor["worker"]
    stranger, _ = worker_with_executor(db, "petrov")
    created = putaway(floor, 10)
    assign(mission_work(db), created.id, floor["executor"], boss)
    refused(Forbidden, "not_your_mission", start, mission_work(db), created.id, stranger)
    running = start(mission_work(db), created.id, worker).mission
    refused(Forbidden, "not_your_mission", record, db, stranger, running, 0, 1)
    refused(Forbidden, "forbidden", cancel, mission_work(db), created.id, None, worker)
    refused(Forbidden, "forbidden", new_mission, db, worker, [line(floor["product"], 1,
            floor["main"], floor["a1"])])  # fmt: skip
    assert done_of_mission(db, created.id) == [0]


# --- Recording lines -----------------------------------------------------------------------


def test_recording_a_line_posts_a_transfer_and_raises_its_done_quantity(floor: Any) -> None:
    db, worker, p = floor["db"], floor["worker"], floor["product"]
    running = started(db, floor["boss"], putaway(floor, 10, 5), floor["executor"])
    result = record(db, worker, running, 0, 6)
    assert done_of(result) == [6, 0] and result.line.rest == 4
    assert (result.movement.operation_type, result.movement.quantity) == ("TRANSFER", 6)
    assert result.movement.document == f"mission:{running.id}"
    assert result.movement.user_id == worker.user_id
    assert result.names is not None and result.names.to_location == "A-01-1-1"
    record(db, worker, running, 1, 5)
    record(db, worker, running, 0, 4)
    assert done_of_mission(db, running.id) == [10, 5]
    assert quants(db, p) == {"MAIN": 85, "A-01-1-1": 15}
    assert transfers(db, f"mission:{running.id}") == [6, 5, 4]
    assert ledger_discrepancies(db.engine) == []


def test_more_than_the_rest_is_refused_and_changes_nothing(floor: Any) -> None:
    db, worker = floor["db"], floor["worker"]
    running = started(db, floor["boss"], putaway(floor, 10), floor["executor"])
    record(db, worker, running, 0, 7)
    message = refused(ValidationError, "quantity_exceeds_rest", record, db, worker, running, 0, 4)
    assert message == "Больше, чем осталось по строке: осталось 3, указано 4"
    for bad in (0, -1, 2.5, "3", True):
        refused(ValidationError, "invalid_quantity", record, db, worker, running, 0, bad)
    assert done_of_mission(db, running.id) == [7]
    assert transfers(db, f"mission:{running.id}") == [7]


def test_lines_are_recorded_only_while_the_mission_is_in_progress(floor: Any) -> None:
    db, boss = floor["db"], floor["boss"]
    created = putaway(floor, 10)
    refused(Conflict, "invalid_transition", record, db, boss, created, 0, 1)
    assign(mission_work(db), created.id, floor["executor"], boss)
    refused(Conflict, "invalid_transition", record, db, boss, created, 0, 1)
    start(mission_work(db), created.id, boss)
    record(db, boss, created, 0, 2)  # a manager may record for the executor
    complete(mission_work(db), created.id, boss)  # partial: 2 of 10
    refused(Conflict, "invalid_transition", record, db, boss, created, 0, 1)
    assert done_of_mission(db, created.id) == [2]
    assert quants(db, floor["product"]) == {"MAIN": 98, "A-01-1-1": 2}


def test_a_shortage_at_the_source_rolls_the_done_quantity_back(floor: Any) -> None:
    db, worker = floor["db"], floor["worker"]
    running = started(db, floor["boss"], putaway(floor, 100), floor["executor"])
    post(db, "WRITE_OFF", floor["product"], 95)  # only 5 left in MAIN
    message = refused(Conflict, "insufficient_stock", record, db, worker, running, 0, 6)
    assert "доступно 5" in message
    assert done_of_mission(db, running.id) == [0]
    assert transfers(db, f"mission:{running.id}") == []


def test_a_retried_recording_with_the_same_key_is_applied_once(floor: Any) -> None:
    db, worker = floor["db"], floor["worker"]
    running = started(db, floor["boss"], putaway(floor, 10), floor["executor"])
    first = record(db, worker, running, 0, 3, idempotency_key="tablet-1")
    again = record(db, worker, running, 0, 3, idempotency_key="tablet-1")
    assert not first.replayed and again.replayed
    assert again.movement.id == first.movement.id and done_of(again) == [3]
    assert transfers(db, f"mission:{running.id}") == [3]
    refused(Conflict, "idempotency_key_reused", record, db, worker, running, 0, 2,
            idempotency_key="tablet-1")  # fmt: skip
    refused(Conflict, "idempotency_key_reused", complete, mission_work(db), running.id, worker,
            idempotency_key="tablet-1")  # fmt: skip


def test_a_retry_after_the_line_is_done_is_still_the_first_answer(floor: Any) -> None:
    db, worker = floor["db"], floor["worker"]
    running = started(db, floor["boss"], putaway(floor, 10), floor["executor"])
    first = record(db, worker, running, 0, 10, idempotency_key="all-of-it")
    again = record(db, worker, running, 0, 10, idempotency_key="all-of-it")
    assert again.replayed and again.movement.id == first.movement.id
    assert done_of(again) == [10] and again.line.done_quantity == 10


def test_a_key_of_another_step_records_nothing(floor: Any) -> None:
    db, worker = floor["db"], floor["worker"]
    created = putaway(floor, 10)
    assign(mission_work(db), created.id, floor["executor"], floor["boss"])
    start(mission_work(db), created.id, worker, idempotency_key="tap-7")
    refused(Conflict, "idempotency_key_reused", record, db, worker, created, 0, 2,
            idempotency_key="tap-7")  # fmt: skip
    assert done_of_mission(db, created.id) == [0]
    assert transfers(db, f"mission:{created.id}") == []
    assert quants(db, floor["product"]) == {"MAIN": 100}


def test_a_retried_transition_with_the_same_key_is_a_replay(floor: Any) -> None:
    db, boss = floor["db"], floor["boss"]
    created = putaway(floor, 10)
    assign(mission_work(db), created.id, floor["executor"], boss)
    first = start(mission_work(db), created.id, boss, idempotency_key="k-start")
    again = start(mission_work(db), created.id, boss, idempotency_key="k-start")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.mission.status == "in_progress"
    assert [s["action"] for s in history(db.engine, created.id)].count("started") == 1
    other = putaway(floor, 1)
    refused(Conflict, "idempotency_key_reused", cancel, mission_work(db), other.id, None, boss,
            idempotency_key="k-start")  # fmt: skip
    refused(Conflict, "invalid_transition", start, mission_work(db), created.id, boss)


def test_scans_are_checked_against_the_line(floor: Any) -> None:
    db, worker = floor["db"], floor["worker"]
    running = started(db, floor["boss"], putaway(floor, 10), floor["executor"])
    first = running.lines[0]
    check_location_scan(first.to_code, " a-01-1-1 ")  # the code as printed, any case
    check_product_scan(first, "4600000000017")
    check_product_scan(first, "04600000000024")  # the GTIN names it too
    message = refused(ValidationError, "wrong_location", check_location_scan, first.to_code,
                      "A-01-1-2")  # fmt: skip
    assert message == "Не та ячейка: отсканировано «A-01-1-2», нужна A-01-1-1"
    refused(ValidationError, "wrong_product", check_product_scan, first, "4600000000000")
    refused(ValidationError, "wrong_product", record, db, worker, running, 0, 1,
            barcode="4600000000000")  # fmt: skip
    refused(ValidationError, "wrong_location", record, db, worker, running, 0, 1,
            location_code="MAIN")  # fmt: skip
    record(db, worker, running, 0, 1, barcode="4600000000017", location_code="A-01-1-1")
    assert done_of_mission(db, running.id) == [1]


def test_a_putaway_stops_at_its_bin_and_a_move_at_both(floor: Any) -> None:
    db, boss = floor["db"], floor["boss"]
    stowing = putaway(floor, 1).lines[0]
    assert stops(stowing) == [Stop("A-01-1-1", put=True)]  # taken in the receiving zone
    moving = new_mission(db, boss, [line(floor["product"], 1, floor["a1"], floor["a2"])],
                         kind="move").lines[0]  # fmt: skip
    assert stops(moving) == [Stop("A-01-1-1", put=False), Stop("A-01-1-2", put=True)]


def test_an_unknown_mission_or_line_is_not_found(floor: Any) -> None:
    db, boss = floor["db"], floor["boss"]
    running = started(db, boss, putaway(floor, 10), floor["executor"])
    refused(NotFound, "mission_not_found", start, mission_work(db), 987654, boss)
    other = started(db, boss, putaway(floor, 10), floor["executor"])
    stranger_line = other.lines[0]
    from core.floor.recording import RecordRequest, record_line

    request = RecordRequest(stranger_line.id, 1)
    refused(NotFound, "mission_line_not_found", record_line, mission_work(db), running.id,
            request, boss)  # fmt: skip


def test_actor_of_a_role_follows_the_policy() -> None:
    assert Actor.of(1, "manager").may_manage and Actor.of(1, "admin").may_manage
    assert not Actor.of(1, "worker").may_manage
