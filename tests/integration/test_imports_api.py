"""POST /api/v1/imports: the report (200), dry run by default, the contract's errors."""

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from httpx import Response
from nicegui.testing import User

from core.settings import Settings, get_settings
from data.database import Database
from data.imports.importing import QUEUE
from tests.api_client import API, Api, assert_error, signed_in
from tests.helpers import stock
from tests.import_files import csv_file, ean, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def upload(api: Api, content: bytes, *, name: str = "file.xlsx", **form: str) -> Response:
    return await api.post("/imports", files={"file": (name, content, XLSX)}, data=form)


async def manager_with_product(visitor: User, db: Database) -> tuple[Api, int, str]:
    api = await signed_in(visitor.http_client, db, "manager")
    code = ean()
    product = (await api.new_product(barcode=code))["id"]
    return api, product, code


def movements(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM movement")).scalar_one()


async def test_the_report_of_a_dry_run_writes_nothing(
    visitor: User, app_database: Database
) -> None:
    api, product, code = await manager_with_product(visitor, app_database)
    content = xlsx([["Баркод", "Количество"], [code, 5], [ean(), 1], [code, "10 шт"]])
    response = await upload(api, content, kind="movements", operation_type="RECEIPT")
    assert response.status_code == 200, response.text
    report = response.json()
    assert {k: report[k] for k in ("kind", "dry_run", "rows_total", "rows_ok", "applied")} == {
        "kind": "movements",
        "dry_run": True,
        "rows_total": 3,
        "rows_ok": 1,
        "applied": False,
    }
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [
        (3, "Баркод", "unknown_barcode"),
        (4, "Количество", "invalid_quantity"),
    ]
    assert all(set(e) == {"row", "column", "code", "message"} for e in report["errors"])
    assert report["import_id"] is None and len(report["file_sha256"]) == 64
    assert movements(app_database) == 0 and stock(app_database, product)["good"] == 0


async def test_a_clean_file_is_written_when_dry_run_is_false(
    visitor: User, app_database: Database
) -> None:
    api, product, code = await manager_with_product(visitor, app_database)
    content = csv_file([["Штрихкод", "Кол-во", "Операция"], [code, "4", "Приёмка"]])
    response = await upload(api, content, name="in.csv", kind="movements", dry_run="false")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["applied"] and report["import_id"] and report["counts"] == {"RECEIPT": 1}
    assert stock(app_database, product)["good"] == 4
    journal = (await api.get("/movements")).json()["items"]
    assert [(m["operation_type"], m["quantity"], m["user"]) for m in journal] == [
        ("RECEIPT", 4, api_user(api, app_database))
    ]


def api_user(api: Api, db: Database) -> str:
    with db.engine.connect() as conn:
        query = sa.text("SELECT username FROM app_user WHERE role = 'manager'")
        return conn.execute(query).scalar_one()


async def test_a_file_that_is_not_a_spreadsheet_is_422(
    visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    response = await upload(api, b"%PDF-1.7 \x00\x01\x02", name="scan.pdf", kind="products")
    assert_error(response, 422, "not_a_spreadsheet")
    response = await upload(api, xlsx([["Дата", "Сумма"]]), kind="products")
    assert_error(response, 422, "no_header")
    response = await upload(api, xlsx([["Баркод", "Кол-во"]]), kind="invoices")
    assert_error(response, 422, "invalid_kind")


@pytest.fixture
def small_limit(monkeypatch: pytest.MonkeyPatch, app_database: Database) -> None:
    """The app (started after this fixture) accepts uploads up to 20 KB."""
    monkeypatch.setenv("WMS_IMPORT_MAX_BYTES", str(20 * 1024))
    get_settings.cache_clear()


async def test_a_file_over_the_limit_is_413(
    small_limit: None, visitor: User, app_database: Database
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    rows = [["Баркод", "Количество"], *[["4601234567893", "1"]] * 2000]
    big = csv_file(rows)
    assert len(big) > 20 * 1024
    response = await upload(api, big, name="big.csv", kind="movements")
    assert_error(response, 413, "file_too_large")

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted while read
        boundary = b"--b\r\n"
        yield boundary + b'Content-Disposition: form-data; name="kind"\r\n\r\nmovements\r\n'
        yield boundary + b'Content-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
        for _ in range(50):
            yield big[:1024]
        yield b"\r\n--b--\r\n"

    response = await visitor.http_client.post(
        f"{API}/imports",
        content=chunks(),
        headers={
            "Authorization": f"Bearer {api.token}",
            "Content-Type": "multipart/form-data; boundary=b",
        },
    )
    assert_error(response, 413, "file_too_large")
    small = await upload(api, csv_file(rows[:50]), name="ok.csv", kind="movements")
    assert small.status_code == 200, small.text


async def test_imports_need_a_manager_token(visitor: User, app_database: Database) -> None:
    content = xlsx([["Баркод", "Количество"], [ean(), 1]])
    anonymous = await visitor.http_client.post(
        f"{API}/imports", files={"file": ("f.xlsx", content, XLSX)}, data={"kind": "movements"}
    )
    assert_error(anonymous, 401)
    worker = await signed_in(visitor.http_client, app_database, "worker")
    assert_error(await upload(worker, content, kind="movements"), 403)


async def test_the_documented_operation_names_are_the_ones_accepted(
    visitor: User, app_database: Database
) -> None:
    """OpenAPI lists the names `operation_type` takes (not any string), and a name outside
    them is refused for every kind, not ignored."""
    schema = (await visitor.http_client.get("/openapi.json")).json()
    body = schema["paths"]["/api/v1/imports"]["post"]["requestBody"]["content"]
    ref = body["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    field = schema["components"]["schemas"][ref]["properties"]["operation_type"]
    names = next(b["enum"] for b in field["anyOf"] if b.get("type") == "string")
    assert {"RECEIPT", "Приёмка", "SHIPMENT_RC", "Отгрузка на РЦ"} <= set(names)
    assert "TRANSFER" not in names  # a file cannot name locations
    api, _, code = await manager_with_product(visitor, app_database)
    content = xlsx([["Баркод", "Наименование"], [code, "Чайник"]])
    refused = await upload(api, content, kind="products", operation_type="Поставка")
    assert_error(refused, 422, "unknown_operation")
    fine = await upload(api, content, kind="products", operation_type="Приёмка")
    assert fine.status_code == 200, fine.text


@pytest.fixture
def short_queue(monkeypatch: pytest.MonkeyPatch, app_database: Database) -> Settings:
    """The app (started after this fixture) queues every file and waits at most 0.3 s."""
    monkeypatch.setenv("WMS_IMPORT_QUEUE_FROM_BYTES", "0")
    monkeypatch.setenv("WMS_IMPORT_QUEUE_TIMEOUT_SECONDS", "0.3")
    get_settings.cache_clear()
    return get_settings()


async def test_an_import_that_waits_too_long_for_its_turn_is_503(
    short_queue: Settings, visitor: User, app_database: Database
) -> None:
    api, product, code = await manager_with_product(visitor, app_database)
    content = xlsx([["Баркод", "Количество"], [code, 5]])
    with QUEUE.slot(content, short_queue):  # a big import holds the only turn
        response = await upload(api, content, kind="movements", operation_type="RECEIPT",
                                dry_run="false")  # fmt: skip
    assert_error(response, 503, "import_queue_timeout")
    assert response.headers["Retry-After"] == "30"
    assert movements(app_database) == 0 and QUEUE.running == 0
    # its turn free again, the same request goes through
    again = await upload(api, content, kind="movements", operation_type="RECEIPT",
                         dry_run="false")  # fmt: skip
    assert again.status_code == 200 and again.json()["applied"]
    assert stock(app_database, product)["good"] == 5


async def test_an_ozon_postings_report_makes_orders_once_through_the_api(
    visitor: User, app_database: Database
) -> None:
    from tests.order_files import catalogue, orders, sample

    api = await signed_in(visitor.http_client, app_database, "manager")
    catalogue(app_database, stocked=100)
    content = sample("ozon_fbs_postings.csv")

    first = await upload(api, content, name="ozon.csv", kind="orders", dry_run="false")
    again = await upload(api, content, name="ozon.csv", kind="orders", dry_run="false")

    assert first.status_code == again.status_code == 200, first.text
    assert (first.json()["file_format"], first.json()["counts"]) == (
        "ozon_fbs",
        {"order_create": 9},
    )
    assert again.json()["counts"] == {"order_exists": 9} and again.json()["applied"]
    assert len(orders(app_database)) == 9


async def test_a_supply_file_through_the_api_names_its_number_and_dc(
    visitor: User, app_database: Database
) -> None:
    from tests.helpers import dc_id
    from tests.order_files import catalogue, orders, sample

    api = await signed_in(visitor.http_client, app_database, "manager")
    catalogue(app_database, stocked=100)
    form = {"kind": "orders", "dry_run": "false", "external_id": "OZ-7",
            "distribution_center_id": str(dc_id(app_database, "Ozon Пушкино"))}  # fmt: skip
    response = await upload(api, sample("ozon_fbo_supply.xlsx"), **form)
    assert response.status_code == 200, response.text
    assert orders(app_database) == [("OZ-7", "supply", "Ozon", 7, 177)]
