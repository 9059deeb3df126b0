"""Searching and paging the catalogue and the balances: every match counted once, every
page's numbers right, however the query is executed (bench/pages.py measures the speed)."""

from datetime import UTC, datetime

import sqlalchemy as sa

from data.catalog.queries import product_options, products
from data.database import Database
from data.db import write_session
from data.stock.balances import balances
from tests.conftest import make_product
from tests.helpers import post


def _location_id(db: Database, code: str) -> int:
    with db.engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT id FROM location WHERE code = :c"), {"c": code}
        ).scalar_one()


def test_a_search_counts_all_matches_on_every_page_even_past_the_end(db: Database) -> None:
    wanted = [make_product(db, name=f"Кружка {n:02d}", sku=f"MUG-{n:02d}") for n in range(23)]
    make_product(db, name="Тарелка", sku="PLT-1")
    make_product(db, name="Кружка удалённая", sku="MUG-X", is_deleted=True)

    pages = [products(db.engine, q="кружка", limit=10, offset=offset) for offset in (0, 10, 20)]
    assert [page.total for page in pages] == [23, 23, 23]
    assert [row["id"] for page in pages for row in page.items] == wanted  # by name, no gaps
    beyond = products(db.engine, q="КРУЖКА", limit=10, offset=30)
    assert (beyond.items, beyond.total) == ([], 23)
    nothing = products(db.engine, q="самовар")
    assert (nothing.items, nothing.total) == ([], 0)
    assert products(db.engine, q="mug", deleted=None, limit=5).total == 24
    by_sku_desc = products(db.engine, q="mug-", sort="sku", descending=True, limit=3)
    assert [row["sku"] for row in by_sku_desc.items] == ["MUG-22", "MUG-21", "MUG-20"]


def test_picker_options_are_the_first_matches_by_name_without_a_count(db: Database) -> None:
    mugs = [make_product(db, name=f"Кружка {n:02d}", sku=f"MUG-{n:02d}") for n in range(25)]
    plate = make_product(db, name="Тарелка", sku="PLT-1", barcode="4690000000017")
    gone = make_product(db, name="Кружка удалённая", sku="MUG-X", is_deleted=True)

    def ids(**kwargs: object) -> list[int]:
        return [row["id"] for row in product_options(db.engine, **kwargs)]  # type: ignore[arg-type]

    assert ids(q="кружка") == mugs[:20]  # by name, twenty at most
    assert ids(q="КРУЖКА", limit=30) == mugs
    assert ids(q="mug-x") == []  # deleted ones only when asked for
    assert ids(q="mug-x", deleted=None) == [gone]
    assert ids(q="4690000000017") == [plate]  # a whole barcode
    assert ids(q="самовар") == []
    assert ids(q="  12 кружка ") == [mugs[12]]  # every word, in any order
    assert ids(q="кружка тарелка") == []
    assert ids(limit=3) == mugs[:3]  # nothing typed yet: the first by name


def test_balance_rows_carry_their_own_stock_on_every_page(db: Database) -> None:
    ids = [make_product(db, name=f"Товар {n:02d}") for n in range(7)]
    for n, product_id in enumerate(ids):
        if n % 2 == 0:
            post(db, "RECEIPT", product_id, 10 + n)
        if n % 3 == 0:
            post(db, "RECEIPT_DEFECT", product_id, n + 1)
    pages = [balances(db.engine, q="товар", limit=3, offset=offset) for offset in (0, 3, 6)]
    rows = [row for page in pages for row in page.items]
    assert [row["product_id"] for row in rows] == ids
    for n, row in enumerate(rows):
        good = 10 + n if n % 2 == 0 else 0
        defect = n + 1 if n % 3 == 0 else 0
        assert (row["good"], row["defect"], row["reserved"], row["available"]) == (
            good, defect, 0, good,
        )  # fmt: skip
    assert balances(db.engine, limit=3, offset=6).total == 7


def test_low_stock_compares_available_good_stock_with_the_minimum(db: Database) -> None:
    reserved_low = make_product(db, name="А резерв", min_stock=5)
    enough = make_product(db, name="Б хватает", min_stock=5)
    empty = make_product(db, name="В пусто", min_stock=3)
    defect_only = make_product(db, name="Г только брак", min_stock=1)
    make_product(db, name="Д без минимума")
    make_product(db, name="Е удалён", min_stock=5, is_deleted=True)
    post(db, "RECEIPT", reserved_low, 10)
    post(db, "RECEIPT", enough, 10)
    post(db, "RECEIPT_DEFECT", defect_only, 8)
    main = _location_id(db, "MAIN")
    with write_session(db.engine) as session:  # reservations come later; set one by hand
        session.execute(
            sa.text("UPDATE quant SET reserved = 6 WHERE product_id = :p AND location_id = :l"),
            {"p": reserved_low, "l": main},
        )
        session.commit()

    low = [balances(db.engine, low_only=True, limit=1, offset=n) for n in range(4)]
    assert [page.total for page in low] == [3, 3, 3, 3]
    assert [row["product_id"] for page in low for row in page.items] == [
        reserved_low, empty, defect_only,
    ]  # fmt: skip
    first = low[0].items[0]
    assert (first["good"], first["reserved"], first["available"], first["min_stock"]) == (
        10, 6, 4, 5,
    )  # fmt: skip
    assert balances(db.engine, low_only=True, q="брак").total == 1


def test_stock_kept_in_a_box_counts_with_the_loose_stock(db: Database) -> None:
    product_id = make_product(db, name="Коробочный товар")
    post(db, "RECEIPT", product_id, 3)
    main = _location_id(db, "MAIN")
    with write_session(db.engine) as session:  # handling units come later; one by hand
        session.execute(
            sa.text("INSERT INTO handling_unit (code, kind, location_id, created_at) "
                    "VALUES ('BOX-1', 'box', :l, :at)").bindparams(
                sa.bindparam("at", type_=sa.DateTime(timezone=True))),
            {"l": main, "at": datetime.now(UTC).replace(tzinfo=None)},
        )  # fmt: skip
        unit = session.execute(sa.text("SELECT id FROM handling_unit")).scalar_one()
        session.execute(
            sa.text("INSERT INTO quant (product_id, location_id, handling_unit_id, quantity, "
                    "reserved, received_at) VALUES (:p, :l, :u, 4, 1, :at)").bindparams(
                sa.bindparam("at", type_=sa.DateTime(timezone=True))),
            {"p": product_id, "l": main, "u": unit, "at": datetime.now(UTC).replace(tzinfo=None)},
        )  # fmt: skip
        session.commit()
    row = balances(db.engine, q="коробочный").items[0]
    assert (row["good"], row["reserved"], row["available"]) == (7, 1, 6)
