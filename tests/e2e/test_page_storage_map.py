"""/locations, the storage map, as a manager uses it (NiceGUI user simulation): the list
with its filters, a bin added by hand, a rack from a pattern, bins from Excel, a bin's
card with its contents, deactivation refused while stock lies there, labels."""

import asyncio
import io
from collections.abc import Callable
from typing import Any

import pypdf
from nicegui import ElementFilter, ui
from nicegui.testing import User

from data.database import Database
from data.floor.locations import LocationFilter, locations
from tests.conftest import make_product, open_page
from tests.helpers import post
from tests.import_files import xlsx

PATH = "/locations"


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


def visible(user: User, marker: str) -> bool:
    assert user.client is not None
    with user.client:
        return any(e.visible for e in ElementFilter(marker=marker, local_scope=False))


def hide_closed_dialogs(user: User) -> None:
    """What the browser does once a dialog has closed: it says "hide", and the page deletes
    the dialog (the simulation has no browser to say it)."""
    assert user.client is not None
    with user.client:
        for dialog in list(ElementFilter(kind=ui.dialog, local_scope=False)):
            if not dialog.value:
                dialog.delete()


def codes(user: User) -> list[str]:
    return [row["code"] for row in element(user, "locations-table").rows]


def bin_id(db: Database, code: str) -> int:
    return int(locations(db.engine, LocationFilter(q=code)).items[0]["id"])


async def open_map(user: User) -> None:
    await open_page(user, PATH)
    await user.should_see(marker="locations-table")


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await visitor.open(PATH)
    await visitor.should_see("Войти")
    await visitor.should_not_see(marker="locations-table")


async def test_a_worker_is_refused(worker: User) -> None:
    await open_page(worker, PATH)
    await worker.should_see("Нет доступа")
    await worker.should_not_see(marker="locations-table")


async def test_the_map_lists_the_default_locations_and_the_seeded_stations(
    manager: User,
) -> None:
    await open_map(manager)
    await manager.should_see("Карта склада")
    assert codes(manager) == ["DEFECT", "MAIN", "OUT-1", "PACK-1"]  # route 0 each, by code
    kinds = {row["code"]: row["kind"] for row in element(manager, "locations-table").rows}
    assert kinds["MAIN"] == "Не размещено" and kinds["PACK-1"] == "Стол упаковки"
    await manager.should_see("Мест: 4")


async def test_a_bin_added_by_hand_and_a_taken_code_refused_under_the_field(
    manager: User, app_database: Database
) -> None:
    await open_map(manager)
    manager.find(marker="add-location").click()
    await manager.should_see(marker="location-save")
    manager.find(marker="location-code").type("ф-01")  # the Russian layout: A-01
    manager.find(marker="location-zone").type("a")
    manager.find(marker="location-save").click()
    await until(lambda: "A-01" in codes(manager))
    row = next(r for r in element(manager, "locations-table").rows if r["code"] == "A-01")
    assert (row["zone"], row["name"], row["route_sequence"]) == ("A", "A-01", 10)

    hide_closed_dialogs(manager)
    manager.find(marker="add-location").click()
    await manager.should_see(marker="location-save")
    manager.find(marker="location-code").type("PACK-1")
    manager.find(marker="location-save").click()
    await until(lambda: element(manager, "location-code").error is not None)
    assert element(manager, "location-code").error == "Место с кодом PACK-1 уже есть"


async def test_a_rack_from_a_pattern_is_previewed_then_created_in_walking_order(
    manager: User, app_database: Database
) -> None:
    await open_map(manager)
    manager.find(marker="add-rack").click()
    await manager.should_see(marker="rack-create")
    element(manager, "rack-racks_to").set_value(3)
    element(manager, "rack-levels_to").set_value(2)
    element(manager, "rack-places_to").set_value(2)
    await until(lambda: "12 ячеек" in element(manager, "rack-preview").text)
    assert "A-01-1-1, A-01-2-1, A-01-1-2 … A-03-2-2" in element(manager, "rack-preview").text
    manager.find(marker="rack-create").click()
    await manager.should_see("Создано: 12 ячеек")
    made = locations(app_database.engine, LocationFilter(zone="A"), limit=50).items
    assert [r["code"] for r in made][:6] == [
        "A-01-1-1", "A-01-2-1", "A-01-1-2", "A-01-2-2", "A-02-1-2", "A-02-2-2",
    ]  # fmt: skip
    await until(lambda: "A-01-1-1" in codes(manager))


async def test_a_pattern_overlapping_existing_bins_says_which_and_creates_none(
    manager: User, app_database: Database
) -> None:
    await open_map(manager)
    manager.find(marker="add-rack").click()
    await manager.should_see(marker="rack-create")
    element(manager, "rack-racks_to").set_value(1)
    manager.find(marker="rack-create").click()
    await manager.should_see("Создано: 20 ячеек")
    hide_closed_dialogs(manager)
    manager.find(marker="add-rack").click()
    await manager.should_see(marker="rack-create")
    element(manager, "rack-racks_to").set_value(2)
    manager.find(marker="rack-create").click()
    await until(lambda: "уже есть" in element(manager, "rack-preview").text)
    assert element(manager, "rack-preview").text.startswith(
        "Места с такими кодами уже есть: A-01-1-1, A-01-1-2"
    )
    assert locations(app_database.engine, LocationFilter(zone="A")).total == 20


async def test_deactivation_is_refused_with_a_clear_message_while_stock_lies_there(
    manager: User, app_database: Database
) -> None:
    await open_map(manager)
    manager.find(marker="add-location").click()
    await manager.should_see(marker="location-save")
    manager.find(marker="location-code").type("B-1")
    manager.find(marker="location-save").click()
    await until(lambda: "B-1" in codes(manager))
    product = make_product(app_database, name="Плед клетчатый")
    post(app_database, "RECEIPT", product, 4)
    main, bin_ = bin_id(app_database, "MAIN"), bin_id(app_database, "B-1")
    post(app_database, "TRANSFER", product, 3, from_location_id=main, to_location_id=bin_)
    await until(lambda: any(r["units"] == "3" for r in element(manager, "locations-table").rows))

    manager.find(marker="locations-table").trigger("rowClick", bin_)  # Quasar's row-click
    await manager.should_see(marker="location-toggle")
    inside = element(manager, "location-contents").rows
    assert [(r["product"], r["unit"], r["quantity"]) for r in inside] == [
        ("Плед клетчатый", "—", "3")
    ]
    manager.find(marker="location-toggle").click()
    await until(lambda: visible(manager, "location-refused"))
    assert element(manager, "location-refused").text == (
        "В месте B-1 лежит товар (3 шт.): сначала переместите всё в другое место, потом отключайте"
    )
    assert locations(app_database.engine, LocationFilter(q="B-1")).items[0]["is_active"]

    post(app_database, "TRANSFER", product, 3, from_location_id=bin_, to_location_id=main)
    manager.find(marker="location-toggle").click()
    await manager.should_see("Место B-1: отключено")
    assert not locations(app_database.engine, LocationFilter(q="B-1")).items[0]["is_active"]
    await until(lambda: "B-1" not in codes(manager))  # the list shows active ones


async def test_bins_from_excel_report_row_errors_then_create_a_clean_file(
    manager: User, app_database: Database
) -> None:
    await open_map(manager)
    manager.find(marker="import-bins").click()
    await manager.should_see(marker="bins-upload")
    url = str(element(manager, "bins-upload").props["url"])
    bad = xlsx([["Код", "Зона"], ["C-1", "C"], ["C 2", "C"], ["C-1", "C"]])
    await manager.http_client.post(url, files={"file": ("bins.xlsx", bad, "application/xlsx")})
    await until(lambda: visible(manager, "bins-errors"))
    assert element(manager, "bins-errors-count").text.startswith("Ошибок: 2. Ничего не создано")
    rows = element(manager, "bins-errors").rows
    assert [(r["row"], r["column"]) for r in rows] == [(3, "Код"), (4, "Код")]
    assert rows[1]["message"] == "Код C-1 уже есть в строке 2"
    assert locations(app_database.engine, LocationFilter(zone="C")).total == 0

    good = xlsx([["Код", "Зона", "Порядок обхода"], ["C-1", "C", 500], ["C-2", "C", 510]])
    await manager.http_client.post(url, files={"file": ("bins.xlsx", good, "application/xlsx")})
    await until(lambda: visible(manager, "bins-ok"))
    assert element(manager, "bins-ok").text == "Ошибок нет. Будет создано 2 ячейки."
    manager.find(marker="bins-confirm").click()
    await manager.should_see("Создано: 2 ячейки")
    assert locations(app_database.engine, LocationFilter(zone="C")).total == 2


async def test_filters_by_zone_and_search_stay_in_the_address(
    manager: User, app_database: Database
) -> None:
    await open_map(manager)
    manager.find(marker="add-rack").click()
    await manager.should_see(marker="rack-create")
    element(manager, "rack-racks_to").set_value(2)
    element(manager, "rack-levels_to").set_value(1)
    element(manager, "rack-places_to").set_value(1)
    manager.find(marker="rack-create").click()
    await manager.should_see("Создано: 2 ячейки")
    await until(lambda: "A" in element(manager, "filter-zone").options)
    element(manager, "filter-zone").set_value("A")
    await until(lambda: codes(manager) == ["A-01-1-1", "A-02-1-1"])
    await open_page(manager, f"{PATH}?q=a-02&zone=A")
    await until(lambda: codes(manager) == ["A-02-1-1"])
    element(manager, "filter-kind").set_value("packing")
    await until(lambda: codes(manager) == [])
    await manager.should_see("Мест: 0")


async def test_labels_of_the_filtered_bins_download_as_a_pdf_sheet(
    manager: User, app_database: Database
) -> None:
    await open_page(manager, f"{PATH}?kind=packing")
    await until(lambda: codes(manager) == ["PACK-1"])
    manager.find(marker="labels-pdf").click()
    response = await manager.download.next(timeout=20)
    assert response.headers["content-type"] == "application/pdf"
    text = pypdf.PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "PACK-1" in text and "MAIN" not in text
    manager.find(marker="labels-zpl").click()
    zpl = await manager.download.next(timeout=20)
    assert zpl.text.count("^XA") == 1 and "^FDPACK-1^FS" in zpl.text


def menu(user: User) -> dict[str, str]:
    """The drawer's links: target → label."""
    assert user.client is not None
    with user.client:
        drawers = list(ElementFilter(kind=ui.left_drawer, local_scope=False))
        links = [e for d in drawers for e in d.descendants() if isinstance(e, ui.link)]
        return {
            str(link.props.get("href")): " ".join(
                e.text for e in link.descendants() if isinstance(e, ui.label)
            )
            for link in links
        }


async def test_the_menu_leads_managers_to_the_storage_map(manager: User) -> None:
    await open_page(manager, "/balances")
    assert menu(manager)[PATH] == "Карта склада"


async def test_a_workers_menu_has_no_storage_map(worker: User) -> None:
    await worker.should_see("Где товар")
    assert PATH not in menu(worker)
