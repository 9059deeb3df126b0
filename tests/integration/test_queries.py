"""Read side: balances with search and paging, the journal with filters, totals."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from core.stock.movements import reverse_movement
from core.stock.rules import is_low
from data.catalog.queries import products
from data.database import Database
from data.reads import Page
from data.stock.balances import balances
from data.stock.journal import JournalFilter, journal
from data.stock.locations import warehouses_of
from data.stock.queries import low_stock_sql, summary
from tests.conftest import make_product
from tests.floor import location_id, make_bin
from tests.helpers import dc_id, post, source_id


def test_balances_search_by_barcode_sku_or_name_in_any_case(db: Database) -> None:
    kettle = make_product(db, name="Чайник электрический", sku="KT-1", barcode="4601111111111")
    make_product(db, name="Кружка", sku="MUG-2", barcode="4602222222222")
    for query in ("4601111111111", "kt-1", "ЧАЙНИК", "электр"):
        page = balances(db.engine, q=query)
        assert [row["product_id"] for row in page.items] == [kettle], query
        assert page.total == 1
    assert balances(db.engine, q="460111").total == 0  # a barcode matches whole
    assert balances(db.engine, q="%").total == 0  # LIKE wildcards are literal


def test_search_reads_yo_as_ye_both_ways(db: Database) -> None:
    black = make_product(db, name="Плед Чёрный", sku="PLAID-1")
    plain = make_product(db, name="Черника сушёная", sku="BERRY-1")
    make_product(db, name="Кружка")
    for query in ("черн", "чёрн", "ЧЕРН", "ЧЁРН"):
        found = {row["id"] for row in products(db.engine, q=query).items}
        assert found == {black, plain}, query
        assert {r["product_id"] for r in balances(db.engine, q=query).items} == found, query
    assert [row["id"] for row in products(db.engine, q="сушен").items] == [plain]


def test_a_text_typed_in_the_wrong_keyboard_layout_is_searched_in_the_other(
    db: Database,
) -> None:
    plaid = make_product(db, name="Плед флисовый", sku="PLD-7")
    page = products(db.engine, q="gktl")  # «плед» typed with the English layout on
    assert ([row["id"] for row in page.items], page.searched_for) == ([plaid], "плед")
    page = balances(db.engine, q="gktl akbc")
    assert ([row["product_id"] for row in page.items], page.searched_for) == (
        [plaid],
        "плед флис",
    )
    page = products(db.engine, q="здв")  # «pld» typed with the Russian layout on
    assert ([row["id"] for row in page.items], page.searched_for) == ([plaid], "pld")
    page = products(db.engine, q="плед")  # found as typed: no retry, no note
    assert ([row["id"] for row in page.items], page.searched_for) == ([plaid], None)
    assert products(db.engine, q="qqqq") == Page([], 0)  # neither finds anything


def test_balances_values_low_stock_and_paging(db: Database) -> None:
    low = make_product(db, name="А товар", min_stock=10)
    ok = make_product(db, name="Б товар", min_stock=2)
    deleted = make_product(db, name="В товар", is_deleted=True)
    post(db, "RECEIPT", low, 4)
    post(db, "RECEIPT_DEFECT", low, 3)
    post(db, "RECEIPT", ok, 9)
    row = balances(db.engine, q="А товар").items[0]
    assert (row["good"], row["defect"], row["reserved"], row["available"]) == (4, 3, 0, 4)
    assert [r["product_id"] for r in balances(db.engine, low_only=True).items] == [low]

    first = balances(db.engine, limit=1)
    second = balances(db.engine, limit=1, offset=1)
    assert first.total == second.total == 2
    assert [first.items[0]["product_id"], second.items[0]["product_id"]] == [low, ok]
    assert deleted not in [r["product_id"] for r in balances(db.engine).items]


def test_summary_totals(db: Database) -> None:
    a = make_product(db, min_stock=5)
    b = make_product(db)
    make_product(db)  # no stock at all
    post(db, "RECEIPT", a, 4)
    post(db, "RECEIPT", b, 10)
    post(db, "WRITE_OFF", b, 3)
    assert summary(db.engine) == {
        "good_units": 11,
        "defect_units": 3,
        "reserved_units": 0,
        "products_in_stock": 2,
        "low_stock_products": 1,
    }


def test_journal_newest_first_with_filters_and_names(db: Database) -> None:
    a = make_product(db, name="Альфа")
    b = make_product(db, name="Бета")
    receipt = post(db, "RECEIPT", a, 5).movement
    post(db, "RETURN_PICKUP", b, 1, source_id=source_id(db, "Ozon"))
    shipment = post(db, "SHIPMENT_RC", a, 2, distribution_center_id=dc_id(db)).movement
    reverse_movement(db.unit_of_work(), shipment.id, user_id=None)

    page = journal(db.engine)
    assert page.total == 4
    assert page.items[0]["reversal_of"] == shipment.id
    assert page.items[1]["id"] == shipment.id
    assert page.items[1]["distribution_center_name"] == "WB Коледино"
    assert page.items[1]["product_name"] == "Альфа"
    by_id = {item["id"]: item for item in page.items}
    assert by_id[shipment.id]["is_reversed"] and not by_id[receipt.id]["is_reversed"]

    assert journal(db.engine, JournalFilter(product_id=b)).total == 1
    assert journal(db.engine, JournalFilter(operation_type="RECEIPT")).total == 1
    assert journal(db.engine, JournalFilter(source_id=source_id(db, "Ozon"))).total == 1
    assert journal(db.engine, JournalFilter(distribution_center_id=dc_id(db))).total == 2
    now = datetime.now(UTC)
    assert journal(db.engine, JournalFilter(date_from=now - timedelta(minutes=5))).total == 4
    assert journal(db.engine, JournalFilter(date_to=now - timedelta(minutes=5))).total == 0
    assert journal(db.engine, limit=2, offset=2).items[-1]["id"] == receipt.id
    assert page.items[0]["created_at"].tzinfo is not None


def test_the_sql_low_stock_test_agrees_with_the_core_rule(db: Database) -> None:
    cases = [(a, m) for a in (-1, 0, 1, 4, 5, 6) for m in (0, 1, 5)]
    available, minimum = sa.literal_column("available"), sa.literal_column("min_stock")
    rows = sa.union_all(
        *(sa.select(sa.literal(a).label("available"), sa.literal(m).label("min_stock"))
          for a, m in cases)
    ).subquery("cases")  # fmt: skip
    query = sa.select(
        rows.c.available, rows.c.min_stock, sa.case((low_stock_sql(available, minimum), 1), else_=0)
    )
    with db.engine.connect() as conn:
        in_sql = {(a, m): bool(low) for a, m, low in conn.execute(query)}
    assert in_sql == {(a, m): is_low(a, m) for a, m in cases}
    assert any(in_sql.values()) and not all(in_sql.values())


def test_warehouses_of_names_the_warehouse_of_each_location_asked_active_or_not(
    db: Database,
) -> None:
    shelf, spare = make_bin(db, "A-01"), make_bin(db, "D-01", warehouse="DEFECT")
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE location SET is_active = FALSE WHERE id = :i"), {"i": shelf})
    main, vendor = location_id(db, "MAIN"), location_id(db, "VENDOR")
    found = warehouses_of(db.engine, [shelf, spare, main, vendor, shelf])
    assert found == {shelf: "MAIN", spare: "DEFECT", main: "MAIN"}  # VENDOR is virtual
    assert warehouses_of(db.engine, []) == {}
