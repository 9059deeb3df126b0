"""Orders files for tests: the marketplaces' sample exports (tests/fixtures/marketplaces,
copied from the shared samples) and their catalogue, and the orders a test finds."""

from pathlib import Path

import sqlalchemy as sa
from openpyxl import load_workbook

from data.database import Database
from tests.conftest import make_product
from tests.helpers import post

SAMPLES = Path(__file__).parent / "fixtures" / "marketplaces"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def catalogue(db: Database, stocked: int = 0, *, leave_out: int = 0) -> dict[str, int]:
    """The samples' ten products (seller article, barcode and name as WB's file has
    them) but the first `leave_out`, each with `stocked` units received; barcode → id."""
    sheet = load_workbook(SAMPLES / "wb_fbs_orders.xlsx", read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    at = {name: header.index(name) for name in ("Артикул продавца", "Баркод", "Наименование")}
    ids: dict[str, int] = {}
    for row in rows:
        barcode = str(row[at["Баркод"]])
        if barcode not in ids:
            if leave_out:
                leave_out -= 1
                ids[barcode] = 0
                continue
            ids[barcode] = make_product(db, sku=row[at["Артикул продавца"]], barcode=barcode,
                                        name=row[at["Наименование"]])  # fmt: skip
            if stocked:
                post(db, "RECEIPT", ids[barcode], stocked)
    assert len(ids) == 10
    return {code: pid for code, pid in ids.items() if pid}


def orders(db: Database) -> list[tuple[str, str, str, int, int]]:
    """(external id, kind, source, lines, units) of every order, by id."""
    with db.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                sa.text(
                    "SELECT o.external_id, o.kind, s.name, count(l.id), sum(l.quantity) "
                    "FROM sale_order o LEFT JOIN source s ON s.id = o.source_id "
                    "JOIN order_line l ON l.order_id = o.id "
                    "GROUP BY o.id, o.external_id, o.kind, s.name ORDER BY o.id"
                )
            )
        ]


def statuses(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT status, count(*) FROM sale_order GROUP BY status"))
        return {status: n for status, n in rows}
