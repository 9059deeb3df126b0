"""Cycle counts by bin on SQLite and PostgreSQL: differences booked at the bin with the
version each position had when the count began; a changed position comes back for a
recount; the warehouse's balance stays the sum of its places. And a bin switched off
while stock is moved into it: exactly one of the two happens."""

import threading
import time

import pytest

from core.errors import Conflict, DomainError
from core.floor.counts import CountLine, Outcome, submit_count
from core.floor.locations import update_location
from core.periods import now_utc
from core.stock.inventory import CountRequest, post_count
from core.stock.movements import post_movement
from core.stock.requests import MovementRequest
from data.database import Database
from data.floor.counts import bin_positions
from data.floor.store import SqlLocationStore
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.floor import make_bin
from tests.helpers import post, stock
from tests.integration.test_concurrency import run_in_threads
from tests.integration.test_positions import location_id

REASON = "Пересчёт ячейки"


def stocked_bin(db: Database, code: str = "A-01", **units: int) -> tuple[int, dict[str, int]]:
    """A bin holding the products named in `units` (name → units), put away from MAIN."""
    place, main = make_bin(db, code), location_id(db, "MAIN")
    products = {}
    for name, quantity in units.items():
        products[name] = product = make_product(db, name=name)
        post(db, "RECEIPT", product, quantity + 10)  # 10 stay at MAIN, not put away
        post(db, "TRANSFER", product, quantity, from_location_id=main, to_location_id=place)
    return place, products


def versions(db: Database, place: int) -> dict[int, int]:
    return {p.product_id: p.version for p in bin_positions(db.engine, place)}


def at_bin(db: Database, place: int) -> dict[int, int]:
    return {p.product_id: p.quantity for p in bin_positions(db.engine, place)}


def test_a_bin_count_books_each_difference_at_the_bin(db: Database) -> None:
    place, p = stocked_bin(db, mug=6, plate=4, spoon=3)
    seen = versions(db, place)
    found = make_product(db, name="fork")  # lies in the bin, the system does not know it
    lines = [CountLine(p["mug"], 8, seen[p["mug"]]), CountLine(p["plate"], 1, seen[p["plate"]]),
             CountLine(p["spoon"], 3, seen[p["spoon"]]), CountLine(found, 2, 0)]  # fmt: skip
    results = submit_count(db.unit_of_work, place, lines, user_id=None, reason=REASON)
    assert [(r.outcome, r.stock, r.counted) for r in results] == [
        (Outcome.BOOKED, 6, 8), (Outcome.BOOKED, 4, 1), (Outcome.MATCHED, 3, 3),
        (Outcome.BOOKED, 0, 2),
    ]  # fmt: skip
    assert at_bin(db, place) == {p["mug"]: 8, p["plate"]: 1, p["spoon"]: 3, found: 2}
    # The bin is part of MAIN: good stock = MAIN's 10 + the bin's count.
    assert (stock(db, p["mug"])["good"], stock(db, p["plate"])["good"]) == (18, 11)
    assert stock(db, found)["good"] == 2
    assert ledger_discrepancies(db.engine) == []


def test_a_position_changed_since_the_count_began_comes_back_for_recount(db: Database) -> None:
    place, p = stocked_bin(db, mug=6, plate=4)
    seen = versions(db, place)
    # Meanwhile another worker puts 2 more mugs into the bin.
    post(db, "TRANSFER", p["mug"], 2, from_location_id=location_id(db, "MAIN"),
         to_location_id=place)  # fmt: skip
    lines = [CountLine(p["mug"], 6, seen[p["mug"]]), CountLine(p["plate"], 3, seen[p["plate"]])]
    mug, plate = submit_count(db.unit_of_work, place, lines, user_id=None, reason=REASON)
    assert (mug.outcome, mug.stock, mug.version) == (Outcome.RECOUNT, 8, seen[p["mug"]] + 1)
    assert plate.outcome == Outcome.BOOKED
    assert at_bin(db, place) == {p["mug"]: 8, p["plate"]: 3}  # the mugs not overwritten
    (again,) = submit_count(db.unit_of_work, place, [CountLine(p["mug"], 7, mug.version)],
                            user_id=None, reason=REASON)  # fmt: skip
    assert (again.outcome, at_bin(db, place)[p["mug"]]) == (Outcome.BOOKED, 7)


def test_a_position_created_since_the_count_began_comes_back_for_recount(
    db: Database,
) -> None:
    """The bin had no spoons when the count began (version 0, none seen); meanwhile 3 are
    put there, and the new quant is at version 0 too: the stock seen tells them apart."""
    place, _p = stocked_bin(db, mug=6)
    spoon = make_product(db, name="spoon")
    post(db, "RECEIPT", spoon, 3)
    post(db, "TRANSFER", spoon, 3, from_location_id=location_id(db, "MAIN"),
         to_location_id=place)  # fmt: skip
    line = CountLine(spoon, 2, expected_version=0, stock_seen=0)
    (result,) = submit_count(db.unit_of_work, place, [line], user_id=None, reason=REASON)
    assert (result.outcome, result.stock, result.version) == (Outcome.RECOUNT, 3, 0)
    assert at_bin(db, place)[spoon] == 3


def test_a_resubmitted_count_books_once(db: Database) -> None:
    place, p = stocked_bin(db, mug=6)
    line = CountLine(p["mug"], 2, versions(db, place)[p["mug"]])
    first = submit_count(db.unit_of_work, place, [line], user_id=None, reason=REASON, key="c1")
    again = submit_count(db.unit_of_work, place, [line], user_id=None, reason=REASON, key="c1")
    assert first[0].movement_id == again[0].movement_id is not None
    assert at_bin(db, place)[p["mug"]] == 2


def test_a_count_only_at_an_active_bin_not_a_station(db: Database) -> None:
    product = make_product(db)
    for code in ("PACK-1", "OUT-1"):
        with pytest.raises(DomainError) as refused:
            where = location_id(db, code)
            request = CountRequest(
                product, None, 1, notes=REASON, location_id=where, expected_version=0
            )
            post_count(db.unit_of_work, request, user_id=None)
        assert refused.value.code == "invalid_location"


def test_eight_counters_of_one_bin_position_one_wins_per_version(db: Database) -> None:
    """Eight tablets count the same position with the version they read: one booking per
    version, every other refused; then again at the new version — no lost update."""
    place, p = stocked_bin(db, mug=10)
    mug = p["mug"]
    for round_no in range(2):  # the counts of a round differ from the stock it starts at
        seen = versions(db, place)[mug]
        results: dict[int, str] = {}

        def count_as(
            index: int,
            seen: int = seen,
            results: dict[int, str] = results,
            round_no: int = round_no,
        ) -> None:
            try:
                request = CountRequest(mug, None, index * 2 + 1 + round_no, notes=REASON,
                                       location_id=place, expected_version=seen)  # fmt: skip
                post_count(db.unit_of_work, request, user_id=None)
                results[index] = "posted"
            except Conflict as error:
                results[index] = error.code

        run_in_threads(count_as)
        winners = [i for i, outcome in results.items() if outcome == "posted"]
        assert len(winners) == 1, results
        assert set(results.values()) == {"posted", "version_conflict"}
        assert at_bin(db, place)[mug] == winners[0] * 2 + 1 + round_no
        assert versions(db, place)[mug] == seen + 1
    assert ledger_discrepancies(db.engine) == []


def test_a_bin_switched_off_while_a_transfer_into_it_is_open_is_refused(db: Database) -> None:
    """The transfer holds the bin; the deactivation waits, then sees the stock."""
    product, place = make_product(db), make_bin(db, "R-01")
    post(db, "RECEIPT", product, 5)
    main = location_id(db, "MAIN")
    outcome: dict[str, object] = {}

    def switch_off() -> None:
        try:
            update_location(SqlLocationStore(db.engine, db.locations), place, {"is_active": False})
            outcome["off"] = "done"
        except DomainError as error:
            outcome["off"] = error.code
        outcome["at"] = time.monotonic()

    with db.unit_of_work() as uow:  # a transfer, paused before its commit
        assert uow.stock.hold(place)
        assert uow.stock.take(product, main, 5) and uow.stock.put(product, place, 5, now_utc())
        other = threading.Thread(target=switch_off)
        other.start()
        time.sleep(0.5)
        assert "off" not in outcome  # it waits for the transfer
        committed = time.monotonic()
        uow.commit()
    other.join(10)
    assert outcome["off"] == "location_not_empty" and outcome["at"] >= committed


def test_a_transfer_into_a_bin_switched_off_elsewhere_is_refused(db: Database) -> None:
    """Another process switched the bin off: this process's cache still says active, the
    movement reads the bin in its own transaction and refuses."""
    product, place = make_product(db), make_bin(db, "R-02")
    post(db, "RECEIPT", product, 5)
    with db.unit_of_work() as uow:
        assert uow.stock.location_by_id(place).is_active  # type: ignore[union-attr]  # cached
    update_location(SqlLocationStore(db.engine), place, {"is_active": False})  # no reload
    with pytest.raises(DomainError) as refused:
        post(db, "TRANSFER", product, 5, from_location_id=location_id(db, "MAIN"),
             to_location_id=place)  # fmt: skip
    assert refused.value.code == "location_inactive"
    assert at_bin(db, place) == {}


def test_deactivation_racing_transfers_one_wins_and_no_stock_in_an_inactive_bin(
    db: Database,
) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 100)
    main = location_id(db, "MAIN")
    for number in range(6):
        place = make_bin(db, f"RACE-{number}")
        outcome: dict[int, str] = {}

        def act(index: int, place: int = place, outcome: dict[int, str] = outcome) -> None:
            try:
                if index == 0:
                    store = SqlLocationStore(db.engine, db.locations)
                    update_location(store, place, {"is_active": False})
                else:
                    request = MovementRequest(
                        "TRANSFER", 1, product_id=product, from_location_id=main,
                        to_location_id=place,
                    )  # fmt: skip
                    post_movement(db.unit_of_work(), request, user_id=None)
                outcome[index] = "done"
            except DomainError as error:
                outcome[index] = error.code

        run_in_threads(act, threads=2)
        units = at_bin(db, place).get(product, 0)
        if outcome[0] == "done":  # switched off first: the transfer refused, nothing there
            assert (outcome[1], units) == ("location_inactive", 0) or (
                outcome[1] == "invalid_location" and units == 0
            ), outcome
        else:
            assert (outcome, units) == ({0: "location_not_empty", 1: "done"}, 1)
    assert ledger_discrepancies(db.engine) == []
