"""The storage map's rules (core.floor.locations, core.floor.racks) and their store on
SQLite and PostgreSQL: codes, racks from a pattern in walking order, duplicates refused,
deactivation refused while something lies there."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from core.errors import Conflict, NotFound, ValidationError
from core.floor.locations import (
    LocationData,
    check_code,
    create_location,
    get_location,
    typed_code,
    update_location,
)
from core.floor.racks import RackPattern, RouteOrder, check_pattern, create_rack, expand, preview
from data.database import Database
from data.floor.locations import LocationFilter, contents, locations, product_positions
from data.floor.store import SqlLocationStore
from data.models import HandlingUnit, Quant
from data.seed import ensure_admin
from tests.conftest import make_product
from tests.helpers import post, stock


def store(db: Database) -> SqlLocationStore:
    return SqlLocationStore(db.engine, db.locations)


def codes(pattern: RackPattern) -> list[str]:
    return [b.code for b in expand(check_pattern(pattern), 10)]


# --- Codes ---


@pytest.mark.parametrize(
    ("typed", "stored"),
    [("A-01-1-1", "A-01-1-1"), (" pack-2 ", "PACK-2"), ("R1.B_3", "R1.B_3"), ("7", "7")],
)
def test_a_code_is_taken_in_capitals(typed: str, stored: str) -> None:
    assert check_code(typed) == stored


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "code_required"),
        ("   ", "code_required"),
        ("A 01", "invalid_code"),
        ("-A01", "invalid_code"),
        ("А-01", "invalid_code"),  # a Cyrillic А: a scanner cannot read it off a label
        ("A/01", "invalid_code"),
        ("A" * 33, "code_too_long"),
    ],
)
def test_a_code_a_scanner_cannot_read_is_refused(typed: str, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_code(typed)
    assert refused.value.code == code
    assert refused.value.field == "code"


def test_a_cyrillic_letter_in_a_code_says_to_switch_the_layout() -> None:
    with pytest.raises(ValidationError, match="переключите раскладку"):
        check_code("Б-01")


def test_a_code_typed_in_the_russian_layout_is_read_back() -> None:
    assert typed_code("ф-01-1-1") == "A-01-1-1"  # the A key with the Russian layout on
    assert typed_code(" pack-1 ") == "PACK-1"


# --- Racks from a pattern ---


def test_a_pattern_expands_to_every_bin_with_zero_padded_racks() -> None:
    pattern = RackPattern("A", racks=(1, 20), levels=(1, 5), places=(1, 4))
    found = codes(pattern)
    assert len(found) == 20 * 5 * 4 == pattern.size
    assert len(set(found)) == len(found)
    assert {"A-01-1-1", "A-20-5-4", "A-09-3-2"} <= set(found)
    wide = codes(RackPattern("B", racks=(1, 2), levels=(1, 12), places=(1, 1)))
    assert wide[:2] == ["B-01-01-1", "B-01-02-1"]  # levels to 12: two digits for all


def test_serpentine_route_walks_up_one_rack_and_down_the_next() -> None:
    pattern = RackPattern("A", racks=(1, 3), levels=(1, 2), places=(1, 3))
    assert codes(pattern) == [
        "A-01-1-1", "A-01-2-1", "A-01-1-2", "A-01-2-2", "A-01-1-3", "A-01-2-3",
        "A-02-1-3", "A-02-2-3", "A-02-1-2", "A-02-2-2", "A-02-1-1", "A-02-2-1",
        "A-03-1-1", "A-03-2-1", "A-03-1-2", "A-03-2-2", "A-03-1-3", "A-03-2-3",
    ]  # fmt: skip


def test_straight_route_walks_every_rack_from_its_first_place() -> None:
    pattern = RackPattern("A", (1, 2), (1, 1), (1, 3), route=RouteOrder.STRAIGHT)
    assert codes(pattern) == [
        "A-01-1-1",
        "A-01-1-2",
        "A-01-1-3",
        "A-02-1-1",
        "A-02-1-2",
        "A-02-1-3",
    ]


def test_route_numbers_rise_along_the_walk_ten_apart() -> None:
    bins = expand(check_pattern(RackPattern("A", (1, 2), (1, 1), (1, 2))), 100)
    assert [b.route_sequence for b in bins] == [100, 110, 120, 130]
    assert {b.zone for b in bins} == {"A"}
    assert bins[0].name == "Стеллаж 01, ярус 1, место 1"  # the zone has its own column


@pytest.mark.parametrize(
    ("pattern", "code"),
    [
        (RackPattern("", (1, 2), (1, 1), (1, 1)), "zone_required"),
        (RackPattern("Б", (1, 2), (1, 1), (1, 1)), "invalid_zone"),
        (RackPattern("A", (3, 2), (1, 1), (1, 1)), "invalid_racks"),
        (RackPattern("A", (1, 1000), (1, 1), (1, 1)), "invalid_racks"),
        (RackPattern("A", (1, 2), (-1, 1), (1, 1)), "invalid_levels"),
        (RackPattern("A", (1, 200), (1, 20), (1, 20)), "too_many_bins"),
        (RackPattern("A", (1, 2), (1, 1), (1, 1), route="zigzag"), "invalid_route"),
    ],
)
def test_a_wrong_pattern_is_refused(pattern: RackPattern, code: str) -> None:
    with pytest.raises(ValidationError) as refused:
        check_pattern(pattern)
    assert refused.value.code == code


def test_preview_names_the_count_and_the_first_and_last_codes() -> None:
    count, first, last = preview(RackPattern("a", (1, 20), (1, 5), (1, 4)))
    assert (count, first, last) == (400, ["A-01-1-1", "A-01-2-1", "A-01-3-1"], "A-20-5-1")


# --- The store, on both backends ---


def test_a_rack_is_created_whole_after_the_route_so_far(db: Database) -> None:
    locations_store = store(db)
    first = create_location(locations_store, LocationData("R-1", route_sequence=35)).location
    bins = create_rack(locations_store, RackPattern("A", (1, 2), (1, 2), (1, 2)))
    assert len(bins) == 8
    page = locations(db.engine, LocationFilter(zone="A"), limit=100)
    assert page.total == 8
    assert [r["code"] for r in page.items] == [b.code for b in bins]  # listed in route order
    assert page.items[0]["route_sequence"] == 40  # after R-1 (35), on the step of 10
    assert first.route_sequence == 35


def test_a_pattern_with_a_taken_code_creates_nothing(db: Database) -> None:
    locations_store = store(db)
    create_location(locations_store, LocationData("A-02-1-1"))
    with pytest.raises(Conflict) as refused:
        create_rack(locations_store, RackPattern("A", (1, 3), (1, 1), (1, 1)))
    assert refused.value.code == "location_code_taken"
    assert "A-02-1-1" in refused.value.message
    assert locations(db.engine, LocationFilter(zone="A")).total == 0


def test_a_duplicate_code_is_refused_also_a_seeded_one(db: Database) -> None:
    locations_store = store(db)
    create_location(locations_store, LocationData("B-1"))
    for code in ("b-1", "PACK-1", "VENDOR"):
        with pytest.raises(Conflict) as refused:
            create_location(locations_store, LocationData(code))
        assert refused.value.code == "location_code_taken"


def test_the_default_locations_and_seeded_stations_are_listed_not_the_virtual_ones(
    db: Database,
) -> None:
    page = locations(db.engine, limit=100)
    listed = {(r["code"], r["kind"], r["warehouse"]) for r in page.items}
    assert listed == {
        ("MAIN", "default", "MAIN"),
        ("DEFECT", "default", "DEFECT"),
        ("PACK-1", "packing", "MAIN"),
        ("OUT-1", "outbound", "MAIN"),
    }


def test_a_virtual_location_is_not_found(db: Database) -> None:
    with db.engine.connect() as conn:
        vendor_id = conn.execute(sa.text("SELECT id FROM location WHERE code = 'VENDOR'")).scalar()
    with pytest.raises(NotFound):
        get_location(store(db), vendor_id)


def test_a_bin_holding_stock_cannot_be_deactivated(db: Database) -> None:
    locations_store = store(db)
    bin_ = create_location(locations_store, LocationData("A-1")).location
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    main = locations(db.engine, LocationFilter(kind="default", warehouse="MAIN")).items[0]
    post(db, "TRANSFER", product, 3, from_location_id=main["id"], to_location_id=bin_.id)
    with pytest.raises(Conflict) as refused:
        update_location(locations_store, bin_.id, {"is_active": False})
    assert refused.value.code == "location_not_empty"
    assert refused.value.message.startswith("В месте A-1 лежит товар (3 шт.)")
    assert get_location(locations_store, bin_.id).is_active
    post(db, "TRANSFER", product, 3, from_location_id=bin_.id, to_location_id=main["id"])
    closed = update_location(locations_store, bin_.id, {"is_active": False})
    assert closed.is_active is False
    assert stock(db, product)["good"] == 5  # the managers' number never moved


def test_a_deactivated_bin_takes_no_stock_in_this_process_at_once(db: Database) -> None:
    locations_store = store(db)
    bin_ = create_location(locations_store, LocationData("A-1")).location
    product = make_product(db)
    post(db, "RECEIPT", product, 5)
    main = locations(db.engine, LocationFilter(kind="default", warehouse="MAIN")).items[0]
    post(db, "TRANSFER", product, 1, from_location_id=main["id"], to_location_id=bin_.id)
    post(db, "TRANSFER", product, 1, from_location_id=bin_.id, to_location_id=main["id"])
    update_location(locations_store, bin_.id, {"is_active": False})
    with pytest.raises(ValidationError) as refused:
        post(db, "TRANSFER", product, 1, from_location_id=main["id"], to_location_id=bin_.id)
    assert refused.value.code == "invalid_location"


def test_a_bin_with_an_open_pallet_cannot_be_deactivated(db: Database) -> None:
    locations_store = store(db)
    bin_ = create_location(locations_store, LocationData("A-1")).location
    with db.engine.begin() as conn:
        conn.execute(
            sa.insert(HandlingUnit.__table__).values(
                code="PAL-1", kind="pallet", location_id=bin_.id, created_at=datetime.now(UTC)
            )
        )
    with pytest.raises(Conflict) as refused:
        update_location(locations_store, bin_.id, {"is_active": False})
    assert "паллеты или коробки (1)" in refused.value.message


def test_the_default_location_stays_active_and_keeps_its_code(db: Database) -> None:
    locations_store = store(db)
    main = locations(db.engine, LocationFilter(kind="default", warehouse="MAIN")).items[0]
    with pytest.raises(Conflict) as refused:
        update_location(locations_store, main["id"], {"is_active": False})
    assert refused.value.code == "default_location_required"
    with pytest.raises(Conflict) as refused:
        update_location(locations_store, main["id"], {"code": "GOOD"})
    assert refused.value.code == "location_code_fixed"
    renamed = update_location(locations_store, main["id"], {"name": "Приёмка"})
    assert (renamed.code, renamed.name) == ("MAIN", "Приёмка")


def test_rename_recode_and_renumber_a_bin(db: Database) -> None:
    locations_store = store(db)
    bin_ = create_location(locations_store, LocationData("A-1", zone="a")).location
    other = create_location(locations_store, LocationData("A-2")).location
    changed = update_location(
        locations_store, bin_.id,
        {"code": "a-01", "name": "  Верхняя полка ", "zone": None, "route_sequence": 5},
    )  # fmt: skip
    assert (changed.code, changed.name, changed.zone, changed.route_sequence) == (
        "A-01", "Верхняя полка", None, 5,
    )  # fmt: skip
    with pytest.raises(Conflict):
        update_location(locations_store, other.id, {"code": "A-01"})
    with pytest.raises(ValidationError) as refused:
        update_location(locations_store, other.id, {"kind": "packing"})
    assert refused.value.code == "unknown_field"


def test_the_same_idempotency_key_returns_the_first_location(db: Database) -> None:
    ensure_admin(db.engine, "x")
    locations_store = store(db)
    first = create_location(locations_store, LocationData("K-1"), user_id=1, idempotency_key="a")
    again = create_location(locations_store, LocationData("k-1"), user_id=1, idempotency_key="a")
    assert (first.replayed, again.replayed) == (False, True)
    assert again.location.id == first.location.id
    with pytest.raises(Conflict) as refused:
        create_location(locations_store, LocationData("K-2"), user_id=1, idempotency_key="a")
    assert refused.value.code == "idempotency_key_reused"


def test_contents_and_positions_name_each_handling_unit(db: Database) -> None:
    locations_store = store(db)
    bin_ = create_location(locations_store, LocationData("A-1")).location
    product = make_product(db, name="Кружка")
    post(db, "RECEIPT", product, 10)
    main = locations(db.engine, LocationFilter(kind="default", warehouse="MAIN")).items[0]
    post(db, "TRANSFER", product, 4, from_location_id=main["id"], to_location_id=bin_.id)
    with db.engine.begin() as conn:
        unit = conn.execute(
            sa.insert(HandlingUnit.__table__)
            .values(code="BOX-7", kind="box", location_id=bin_.id, created_at=datetime.now(UTC))
            .returning(HandlingUnit.__table__.c.id)
        ).scalar_one()
        # Stock inside a box, as the handling-unit moves will book it (their own slice).
        conn.execute(
            sa.insert(Quant.__table__).values(
                product_id=product, location_id=bin_.id, handling_unit_id=unit, quantity=2,
                reserved=0, received_at=datetime.now(UTC),
            )
        )  # fmt: skip
    inside = contents(db.engine, bin_.id)
    assert [(r["name"], r["handling_unit"], r["quantity"]) for r in inside] == [
        ("Кружка", None, 4),
        ("Кружка", "BOX-7", 2),
    ]
    positions = product_positions(db.engine, product)
    assert [(p["code"], p["handling_unit"], p["quantity"]) for p in positions] == [
        ("MAIN", None, 6),
        ("A-1", None, 4),
        ("A-1", "BOX-7", 2),
    ]
    row = locations(db.engine, LocationFilter(q="a-1")).items[0]
    assert (row["units"], row["products"], row["handling_units"]) == (6, 1, 1)


def test_filters_by_zone_kind_activity_and_occupancy(db: Database) -> None:
    locations_store = store(db)
    create_rack(locations_store, RackPattern("A", (1, 2), (1, 1), (1, 2)))
    create_rack(locations_store, RackPattern("B", (1, 1), (1, 1), (1, 2)))
    create_location(locations_store, LocationData("PACK-2", kind="packing"))
    b1 = locations(db.engine, LocationFilter(q="B-01-1-1")).items[0]
    update_location(locations_store, b1["id"], {"is_active": False})
    product = make_product(db)
    post(db, "RECEIPT", product, 1)

    def found(**filters: object) -> set[str]:
        page = locations(db.engine, LocationFilter(**filters), limit=500)  # type: ignore[arg-type]
        return {r["code"] for r in page.items}

    assert found(zone="B") == {"B-01-1-1", "B-01-1-2"}
    assert found(kind="packing") == {"PACK-1", "PACK-2"}
    assert found(zone="B", active=True) == {"B-01-1-2"}
    assert found(active=False) == {"B-01-1-1"}
    assert found(occupied=True) == {"MAIN"}
    assert "MAIN" not in found(occupied=False)
    assert found(q="ф-02") == {"A-02-1-1", "A-02-1-2"}  # typed in the Russian layout


def test_a_rack_is_written_with_one_bulk_insert_not_a_statement_per_bin(db: Database) -> None:
    inserts: list[bool] = []

    def note(_conn: object, _cursor: object, statement: str, _p: object, _c: object,
             executemany: bool) -> None:  # fmt: skip
        if statement.lstrip().upper().startswith("INSERT INTO LOCATION"):
            inserts.append(executemany)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        bins = create_rack(store(db), RackPattern("A", (1, 10), (1, 5), (1, 10)))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    assert len(bins) == 500
    assert inserts == [True]  # one executemany for all 500
    assert locations(db.engine, LocationFilter(zone="A")).total == 500


def test_concurrent_retries_under_one_key_create_one_location(db: Database) -> None:
    ensure_admin(db.engine, "x")
    locations_store = store(db)

    def attempt(_: int) -> tuple[int, bool]:
        created = create_location(
            locations_store, LocationData("T-1"), user_id=1, idempotency_key="retry"
        )
        return created.location.id, created.replayed

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(attempt, range(8)))
    assert len({location_id for location_id, _ in answers}) == 1
    assert sorted(replayed for _, replayed in answers) == [False] + [True] * 7
    found = locations(db.engine, LocationFilter(q="T-1")).items  # OUT-1 contains it too
    assert [row["code"] for row in found].count("T-1") == 1


def test_concurrent_creations_of_one_code_leave_one_and_refuse_the_rest(db: Database) -> None:
    locations_store = store(db)

    def attempt(_: int) -> str:
        try:
            create_location(locations_store, LocationData("U-1"))
        except Conflict as refused:
            return refused.code
        return "created"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = sorted(pool.map(attempt, range(8)))
    assert outcomes == ["created"] + ["location_code_taken"] * 7
