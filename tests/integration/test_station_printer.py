"""A packing station's label printer address (core.floor.locations over the SQL store, on
SQLite and PostgreSQL): kept normalised, cleared, refused when it is no host[:port], and
never on another kind of location."""

import pytest

from core.errors import ValidationError
from core.floor.locations import LocationData, create_location, update_location
from data.database import Database
from data.floor.locations import LocationFilter, location_row, locations
from data.floor.store import SqlLocationStore


def station_id(db: Database) -> int:
    return int(locations(db.engine, LocationFilter(q="PACK-1")).items[0]["id"])


def test_a_stations_printer_is_kept_as_host_and_port_and_read_back(db: Database) -> None:
    store = SqlLocationStore(db.engine, db.locations)
    station = station_id(db)
    assert store.get(station).printer_address is None  # type: ignore[union-attr]
    saved = update_location(store, station, {"printer_address": " Zebra-Pack1.local:6101 "})
    assert saved.printer_address == "zebra-pack1.local:6101"
    assert store.get(station).printer_address == "zebra-pack1.local:6101"  # type: ignore[union-attr]
    row = location_row(db.engine, station)
    assert row is not None and row["printer_address"] == "zebra-pack1.local:6101"
    again = update_location(store, station, {"printer_address": "192.168.1.50:9100"})
    assert again.printer_address == "192.168.1.50"  # the raw port is the default
    cleared = update_location(store, station, {"printer_address": ""})
    assert cleared.printer_address is None


def test_an_address_that_is_no_host_and_port_is_refused_and_nothing_changes(db: Database) -> None:
    store = SqlLocationStore(db.engine, db.locations)
    station = station_id(db)
    update_location(store, station, {"printer_address": "10.0.0.7"})
    with pytest.raises(ValidationError) as refused:
        update_location(store, station, {"printer_address": "принтер у окна"})
    assert (refused.value.code, refused.value.field) == (
        "invalid_printer_address",
        "printer_address",
    )
    assert refused.value.message.startswith("Адрес принтера «принтер у окна» не распознан")
    assert store.get(station).printer_address == "10.0.0.7"  # type: ignore[union-attr]


def test_only_a_packing_station_has_a_printer(db: Database) -> None:
    store = SqlLocationStore(db.engine, db.locations)
    bin_ = create_location(store, LocationData("A-01")).location
    with pytest.raises(ValidationError) as refused:
        update_location(store, bin_.id, {"printer_address": "10.0.0.7"})
    assert refused.value.code == "printer_only_at_packing"
    assert refused.value.message == "Принтер этикеток указывается только у стола упаковки"
    assert update_location(store, bin_.id, {"printer_address": None}).printer_address is None
