"""A pallet (with a box on it) moved between bins again and again while pickers take
units out of it and out of the box at once: every pick either finds the unit where it
read it and takes stock, or is refused (the unit has left, or is empty); nothing is lost,
nothing is left behind at an old bin, and the ledger matches the quants. PostgreSQL (row
locks, 8 connections) and SQLite (one writer at a time) are held to the same assertions."""

import random
import threading
from collections import Counter

import sqlalchemy as sa

from core.errors import Conflict
from core.floor.handling_units import close_unit, create_unit, move_unit
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from data.database import Database
from data.floor.handling_units import handling_unit_work
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import location_id, make_bin
from tests.helpers import post
from tests.integration.test_concurrency import THREADS, negative_quants, run_in_threads

MOVERS = 2
MOVES = 12
PICKS = 25


def unit_at(db: Database, unit_id: int) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(
            sa.text("SELECT location_id FROM handling_unit WHERE id = :u"), {"u": unit_id}
        ).scalar_one())  # fmt: skip


def test_unit_moves_racing_picks_stay_consistent(db: Database) -> None:
    mugs, plates = make_product(db), make_product(db)
    for product in (mugs, plates):
        post(db, "RECEIPT", product, 1000)
    main = location_id(db, "MAIN")
    bins = [make_bin(db, f"A-0{n}") for n in range(1, 4)]
    pack = location_id(db, "PACK-1")
    pallet = create_unit(handling_unit_work(db), "pallet", main, user_id=None).unit.id
    box = create_unit(handling_unit_work(db), "box", main, user_id=None, parent_id=pallet).unit.id
    post(db, "TRANSFER", mugs, 300, from_location_id=main, to_location_id=main,
         handling_unit_id=pallet)  # fmt: skip
    post(db, "TRANSFER", plates, 150, from_location_id=main, to_location_id=main,
         handling_unit_id=box)  # fmt: skip
    move_unit(handling_unit_work(db), pallet, bins[0], user_id=None)

    lock = threading.Lock()
    picked: Counter[int] = Counter()  # unit → units taken out
    refusals: Counter[str] = Counter()
    moves: list[int] = []  # movements per move

    def mover(index: int) -> None:
        rng = random.Random(index)
        for _ in range(MOVES):
            target = rng.choice([b for b in bins if b != unit_at(db, pallet)])
            try:
                done = move_unit(handling_unit_work(db), pallet, target, user_id=None)
            except Conflict as refused:  # never expected: nothing is reserved
                raise AssertionError(refused) from None
            with lock:
                moves.append(len(done.movements))

    def picker(index: int) -> None:
        rng = random.Random(100 + index)
        for _ in range(PICKS):
            unit, product = (pallet, mugs) if index % 2 else (box, plates)
            here = unit_at(db, unit)  # read, then act: the unit may leave in between
            qty = rng.randint(1, 3)
            request = MovementRequest("TRANSFER", qty, product_id=product, from_location_id=here,
                                      to_location_id=pack, from_handling_unit_id=unit)  # fmt: skip
            try:
                post_movement(db.unit_of_work(), request, user_id=None)
            except Conflict as refused:
                with lock:
                    refusals[refused.code] += 1
                continue
            with lock:
                picked[unit] += qty

    def work(index: int) -> None:
        (mover if index < MOVERS else picker)(index)

    run_in_threads(work, THREADS)

    assert ledger_discrepancies(db.engine) == [] and negative_quants(db) == 0
    assert set(refusals) <= {"handling_unit_elsewhere", "insufficient_stock"}
    # One TRANSFER per quant in the units (the box may be emptied by then); none when the
    # other mover had just taken the pallet to the same bin.
    assert len(moves) == MOVERS * MOVES and all(n in (0, 1, 2) for n in moves)
    assert sum(1 for n in moves if n) > MOVES
    where = unit_at(db, pallet)
    assert unit_at(db, box) == where  # the box travelled with its pallet every time
    with db.engine.connect() as conn:
        left = {
            (r.handling_unit_id, r.location_id): r.quantity
            for r in conn.execute(sa.text(
                "SELECT handling_unit_id, location_id, quantity FROM quant "
                "WHERE handling_unit_id IS NOT NULL AND quantity > 0"
            ))
        }  # fmt: skip
        at_pack = dict(conn.execute(sa.text(
            "SELECT product_id, quantity FROM quant WHERE location_id = :l"
        ), {"l": pack}).all())  # fmt: skip
    # Nothing left behind at an old bin: what is in the units is where the units are.
    assert {loc for _, loc in left} <= {where}
    assert left.get((pallet, where), 0) + picked[pallet] == 300
    assert left.get((box, where), 0) + picked[box] == 150
    assert at_pack.get(mugs, 0) == picked[pallet] and at_pack.get(plates, 0) == picked[box]
    assert picked[pallet] > 0 and picked[box] > 0


def test_closing_racing_puts_never_leaves_stock_in_a_closed_unit(db: Database) -> None:
    for _ in range(3):
        close_racing_puts(db)


def close_racing_puts(db: Database) -> None:
    """4 threads close an empty box while 4 put a unit into it each."""
    product = make_product(db)
    post(db, "RECEIPT", product, 100)
    main = location_id(db, "MAIN")
    box = create_unit(handling_unit_work(db), "box", main, user_id=None).unit.id
    lock = threading.Lock()
    put: list[int] = []
    outcomes: Counter[str] = Counter()

    def work(index: int) -> None:
        if index % 2:
            try:
                close_unit(handling_unit_work(db), box)
                outcome = "closed"
            except Conflict as refused:
                outcome = refused.code
        else:
            request = MovementRequest("TRANSFER", 1, product_id=product, from_location_id=main,
                                      to_location_id=main, handling_unit_id=box)  # fmt: skip
            try:
                post_movement(db.unit_of_work(), request, user_id=None)
                outcome = "put"
                with lock:
                    put.append(1)
            except Conflict as refused:
                outcome = refused.code
        with lock:
            outcomes[outcome] += 1

    run_in_threads(work, THREADS)
    with db.engine.connect() as conn:
        closed = conn.execute(sa.text(
            "SELECT closed_at IS NOT NULL FROM handling_unit WHERE id = :u"), {"u": box}
        ).scalar_one()  # fmt: skip
        inside = conn.execute(sa.text(
            "SELECT coalesce(sum(quantity), 0) FROM quant WHERE handling_unit_id = :u"
        ), {"u": box}).scalar_one()  # fmt: skip
    assert inside == len(put), outcomes
    assert not (closed and inside), outcomes  # never a closed unit with stock
    assert set(outcomes) <= {"closed", "put", "handling_unit_closed",
                             "handling_unit_not_empty"}  # fmt: skip
    assert ledger_discrepancies(db.engine) == []
