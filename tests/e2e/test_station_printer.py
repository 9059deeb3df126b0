"""A packing station's label printer as a manager sets it: PATCH /api/v1/locations/{id}
(`printer_address`) and the storage map's edit dialog; a bad address is refused in
Russian under the field, a worker may not change it."""

import asyncio
from collections.abc import Callable
from typing import Any

from nicegui import ElementFilter
from nicegui.testing import User

from data.database import Database
from data.floor.locations import LocationFilter, locations
from tests.api_client import assert_error, signed_in
from tests.conftest import open_page


def station(db: Database, code: str = "PACK-1") -> dict[str, Any]:
    return dict(locations(db.engine, LocationFilter(q=code)).items[0])


async def test_a_manager_sets_a_stations_printer_and_it_is_listed(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database, "manager")
    pack = station(app_database)
    saved = await api.patch(f"/locations/{pack['id']}", json={"printer_address": "10.1.2.3:9100"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["printer_address"] == "10.1.2.3"
    listed = (await api.get("/locations", params={"kind": "packing"})).json()["items"]
    assert [(i["code"], i["printer_address"]) for i in listed] == [("PACK-1", "10.1.2.3")]
    read = (await api.get(f"/locations/{pack['id']}")).json()
    assert read["printer_address"] == "10.1.2.3"
    cleared = await api.patch(f"/locations/{pack['id']}", json={"printer_address": None})
    assert cleared.status_code == 200 and cleared.json()["printer_address"] is None


async def test_a_bad_address_or_a_printer_on_a_bin_is_422_in_russian(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    pack = station(app_database)
    bad = await api.patch(f"/locations/{pack['id']}", json={"printer_address": "zebra:порт"})
    error = assert_error(bad, 422, "invalid_printer_address")
    assert error["field"] == "printer_address"
    assert error["message"].startswith("Адрес принтера «zebra:порт» не распознан: нужно имя")
    out = station(app_database, "OUT-1")
    dock = await api.patch(f"/locations/{out['id']}", json={"printer_address": "10.1.2.3"})
    assert_error(dock, 422, "printer_only_at_packing")
    assert station(app_database)["printer_address"] is None


async def test_a_worker_may_not_set_a_printer(visitor: User, app_database: Database) -> None:
    worker = await signed_in(visitor.http_client, app_database, "worker")
    pack = station(app_database)
    refused = await worker.patch(f"/locations/{pack['id']}", json={"printer_address": "10.1.2.3"})
    assert_error(refused, 403, "forbidden")
    assert station(app_database)["printer_address"] is None


async def until(check: Callable[[], Any], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if check():
            return
        await asyncio.sleep(0.05)
    assert check()


def element(user: User, marker: str) -> Any:
    assert user.client is not None
    with user.client:
        found = list(ElementFilter(marker=marker, local_scope=False))
    assert found, marker
    return found[-1]


async def test_the_storage_map_edits_a_stations_printer_and_refuses_a_bad_one_under_the_field(
    manager: User, app_database: Database
) -> None:
    pack = station(app_database)
    await open_page(manager, "/locations")
    await manager.should_see(marker="locations-table")
    manager.find(marker="locations-table").trigger("rowClick", pack["id"])
    await manager.should_see("Принтер этикеток")
    await manager.should_see("не указан")
    manager.find(marker="location-edit").click()
    await manager.should_see(marker="location-printer_address")
    manager.find(marker="location-printer_address").type("принтер")
    manager.find(marker="location-save").click()
    field = "location-printer_address"
    await until(lambda: element(manager, field).error is not None)
    assert element(manager, field).error.startswith("Адрес принтера «принтер» не распознан")
    assert station(app_database)["printer_address"] is None
    element(manager, field).set_value("Zebra-1:6101")
    manager.find(marker="location-save").click()
    await manager.should_see("Место PACK-1 сохранено")
    assert station(app_database)["printer_address"] == "zebra-1:6101"


async def test_a_bins_edit_dialog_has_no_printer(manager: User, app_database: Database) -> None:
    out = station(app_database, "OUT-1")
    await open_page(manager, "/locations")
    await manager.should_see(marker="locations-table")
    manager.find(marker="locations-table").trigger("rowClick", out["id"])
    await manager.should_see(marker="location-edit")
    await manager.should_not_see("Принтер этикеток")
    manager.find(marker="location-edit").click()
    await manager.should_see(marker="location-save")
    await manager.should_not_see(marker="location-printer_address")
