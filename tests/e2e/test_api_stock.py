"""Balances, totals and reference data over the API."""

from nicegui.testing import User

from data.catalog.queries import distribution_centers, sources
from data.database import Database
from tests.api_client import assert_error, signed_in
from tests.helpers import source_id


async def test_balances_one_row_per_product(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    mug = await api.new_product(name="Кружка", min_stock=10)
    plate = await api.new_product(name="Тарелка", min_stock=1)
    await api.move("RECEIPT", mug["id"], 8)
    await api.move("RECEIPT_DEFECT", mug["id"], 2)
    await api.move("RECEIPT", plate["id"], 4)
    balances = (await api.get("/stock/balances")).json()
    assert balances["total"] == 2
    assert balances["items"][0] == {
        "product_id": mug["id"],
        "barcode": mug["barcode"],
        "sku": mug["sku"],
        "name": "Кружка",
        "good": 8,
        "defect": 2,
        "reserved": 0,
        "available": 8,
        "min_stock": 10,
    }
    low = (await api.get("/stock/balances", params={"low_only": "true"})).json()
    assert [r["product_id"] for r in low["items"]] == [mug["id"]]
    found = (await api.get("/stock/balances", params={"q": "тарел"})).json()
    assert [r["product_id"] for r in found["items"]] == [plate["id"]]
    paged = (await api.get("/stock/balances", params={"limit": 1, "offset": 1})).json()
    assert (paged["total"], [r["name"] for r in paged["items"]]) == (2, ["Тарелка"])
    assert_error(await api.get("/stock/balances", params={"limit": 0}), 422, "validation_error")


async def test_summary_totals(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    mug = await api.new_product(min_stock=10)
    await api.move("RECEIPT", mug["id"], 8)
    await api.move("RECEIPT_DEFECT", mug["id"], 2)
    await api.new_product()
    assert (await api.get("/stock/summary")).json() == {
        "good_units": 8,
        "defect_units": 2,
        "reserved_units": 0,
        "products_in_stock": 1,
        "low_stock_products": 1,
    }


async def test_sources_and_distribution_centers(visitor: User, app_database: Database) -> None:
    api = await signed_in(visitor.http_client, app_database)
    listed = (await api.get("/sources")).json()
    assert listed["total"] == len(sources(app_database.engine)) == len(listed["items"])
    wb = next(s for s in listed["items"] if s["name"] == "Wildberries")
    assert wb == {"id": source_id(app_database), "name": "Wildberries", "is_active": True}
    dcs = (await api.get("/distribution-centers")).json()
    assert dcs["total"] == len(distribution_centers(app_database.engine))
    assert {"id", "name", "is_active", "source_id"} <= set(dcs["items"][0])
    of_wb = (await api.get("/distribution-centers", params={"source_id": wb["id"]})).json()
    assert of_wb["total"] > 0
    assert {dc["source_id"] for dc in of_wb["items"]} == {wb["id"]}
