"""Recording mission lines from many tablets at once: the line's done quantity never
passes its quantity, every unit recorded is one TRANSFER on the ledger, and a cancel
cuts recording off cleanly. PostgreSQL (row locks, 8 connections) and SQLite (one writer
at a time) are held to the same assertions."""

import threading
from typing import Any

import sqlalchemy as sa

from core.errors import Conflict, ValidationError
from core.floor.missions import cancel
from data.database import Database
from data.floor.mission_queries import history, mission
from data.floor.missions import mission_work
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import (
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
from tests.integration.test_concurrency import THREADS, negative_quants, run_in_threads


def ledger_total(db: Database, document: str) -> int:
    query = sa.text(
        "SELECT coalesce(sum(quantity), 0) FROM movement "
        "WHERE operation_type = 'TRANSFER' AND document = :d"
    )
    with db.engine.connect() as conn:
        return int(conn.execute(query, {"d": document}).scalar_one())


def running_putaway(db: Database, quantities: list[int]) -> tuple[Any, Any, int]:
    product = make_product(db)
    post(db, "RECEIPT", product, 100_000)
    boss = manager_actor(db)
    _, executor = worker_with_executor(db, "kuznetsov")
    bin_id = make_bin(db, "A-01")
    lines = [line(product, q, location_id(db, "MAIN"), bin_id) for q in quantities]
    return started(db, boss, new_mission(db, boss, lines), executor), boss, product


def test_eight_recorders_on_one_line_record_exactly_its_quantity(db: Database) -> None:
    running, boss, _ = running_putaway(db, [50])
    recorded = [0] * THREADS
    refusals: list[str] = []

    def tablet(index: int) -> None:
        while True:
            try:
                record(db, boss, running, 0, 1)
            except ValidationError as error:
                refusals.append(error.code)
                return
            recorded[index] += 1

    run_in_threads(tablet)
    assert sum(recorded) == 50  # exactly the rest, not one more
    assert set(refusals) == {"quantity_exceeds_rest"} and len(refusals) == THREADS
    found = mission(db.engine, running.id)
    assert found is not None and found.lines[0].done_quantity == 50
    assert ledger_total(db, f"mission:{running.id}") == 50
    assert ledger_discrepancies(db.engine) == [] and negative_quants(db) == 0


def test_uneven_recordings_never_pass_the_line_and_match_the_ledger(db: Database) -> None:
    running, boss, _ = running_putaway(db, [20, 31])
    lock = threading.Lock()
    recorded = {0: 0, 1: 0}

    def tablet(index: int) -> None:
        which, size = index % 2, 1 + index % 3  # 1, 2 or 3 units a scan
        while True:
            try:
                record(db, boss, running, which, size)
            except ValidationError:
                return
            with lock:
                recorded[which] += size

    run_in_threads(tablet)
    found = mission(db.engine, running.id)
    assert found is not None
    done = [x.done_quantity for x in found.lines]
    assert done == [recorded[0], recorded[1]]
    assert all(d <= q for d, q in zip(done, (20, 31), strict=True))
    assert all(q - d < 3 for d, q in zip(done, (20, 31), strict=True))  # stopped at the rest
    assert ledger_total(db, f"mission:{running.id}") == sum(done)
    assert ledger_discrepancies(db.engine) == []


def test_no_recording_lands_after_the_cancel(db: Database) -> None:
    running, boss, _ = running_putaway(db, [100_000])
    after_cancel: list[str] = []
    cancelled = threading.Event()

    def tablet(index: int) -> None:
        if index == 0:
            record(db, boss, running, 0, 1)
            cancel(mission_work(db), running.id, "Конец смены", boss)
            cancelled.set()
            return
        while True:
            try:
                record(db, boss, running, 0, 1)
            except Conflict as error:
                assert error.code == "invalid_transition"
                after_cancel.append(error.code)
                return

    run_in_threads(tablet)
    assert cancelled.is_set() and len(after_cancel) == THREADS - 1
    found = mission(db.engine, running.id)
    assert found is not None and found.status == "cancelled"
    done = found.lines[0].done_quantity
    # What the cancel's step saw done is all that was ever done.
    assert history(db.engine, running.id)[-1]["details"].endswith(f"выполнено {done} из 100000 шт.")
    assert [s["action"] for s in history(db.engine, running.id)][-1] == "cancelled"
    assert ledger_total(db, f"mission:{running.id}") == done
