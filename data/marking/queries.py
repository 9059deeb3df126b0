"""Marking codes read for the order card, the API, the exports and the packing page's
instant duplicate check (core.marking; the codes are written by data.marking.repository).
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from core.marking.codes import GS
from data.db import read_connection
from data.files.workbooks import write_rows_workbook
from data.models import MarkingCode, Package, PackingTask, Product, SaleOrder

code_t = MarkingCode.__table__
package_t = Package.__table__
task_t = PackingTask.__table__
product_t = Product.__table__
order_t = SaleOrder.__table__


@dataclass(frozen=True)
class CodeRow:
    id: int
    code: str
    gtin: str
    serial: str
    status: str
    product_id: int
    package_id: int
    package_number: int
    order_id: int
    order_external_id: str
    sku: str
    product_name: str
    created_at: datetime
    shipped_at: datetime | None
    returned_at: datetime | None

    @property
    def identifier(self) -> str:
        """The code without its crypto tail (КИ: 01 GTIN 21 serial) — what «вывод из
        оборота» names a unit by."""
        return f"01{self.gtin}21{self.serial}"


CODES = (
    sa.select(
        code_t.c.id, code_t.c.code, code_t.c.gtin, code_t.c.serial, code_t.c.status,
        code_t.c.product_id, code_t.c.package_id,
        package_t.c.sequence_number.label("package_number"), code_t.c.order_id,
        order_t.c.external_id.label("order_external_id"), product_t.c.sku,
        product_t.c.name.label("product_name"), code_t.c.created_at, code_t.c.shipped_at,
        code_t.c.returned_at,
    )
    .join(package_t, package_t.c.id == code_t.c.package_id)
    .join(order_t, order_t.c.id == code_t.c.order_id)
    .join(product_t, product_t.c.id == code_t.c.product_id)
)  # fmt: skip
MAX_EXPORT = 1_000_000


def _rows(engine: Engine, query: Any) -> list[CodeRow]:
    with read_connection(engine) as conn:
        return [CodeRow(**r) for r in conn.execute(query).mappings()]


def order_codes(engine: Engine, order_id: int) -> list[CodeRow]:
    """An order's codes in use or returned (a cancelled packing's are left out)."""
    query = CODES.where(code_t.c.order_id == order_id, code_t.c.status != "cancelled")
    return _rows(engine, query.order_by(package_t.c.sequence_number, code_t.c.id))


def task_codes(engine: Engine, task_id: int) -> list[CodeRow]:
    """The codes in a packing task's packages (the packing page lists them and takes a
    wrong one out), by package, oldest first."""
    query = CODES.where(code_t.c.packing_task_id == task_id, code_t.c.status == "packed")
    return _rows(engine, query.order_by(package_t.c.sequence_number, code_t.c.id))


def shipped_codes(engine: Engine, start: datetime, end: datetime) -> list[CodeRow]:
    """Codes shipped in [start, end), oldest first: the period's «вывод из оборота»."""
    query = CODES.where(code_t.c.shipped_at >= start, code_t.c.shipped_at < end)
    return _rows(engine, query.order_by(code_t.c.shipped_at, code_t.c.id).limit(MAX_EXPORT))


def code_in_use(engine: Engine, gtin: str, serial: str) -> CodeRow | None:
    """The packed or shipped row of a code (the packing page refuses a taken code at the
    scan; core refuses it again when the box is sent)."""
    query = CODES.where(code_t.c.gtin == gtin, code_t.c.serial == serial,
                        code_t.c.status.in_(("packed", "shipped")))  # fmt: skip
    found = _rows(engine, query)
    return found[0] if found else None


# --- Exports: per order or per period, .xlsx and .csv ---

HEADER = ("Код маркировки (КИ)", "Код полностью", "GTIN", "Серийный номер", "Заказ",
          "Посылка", "Артикул", "Товар", "Статус", "Отгружен")  # fmt: skip
STATUS_LABELS = {"packed": "Упакован", "shipped": "Отгружен", "returned": "Возвращён"}


def _line(row: CodeRow, time_zone: str, gs: str) -> list[Any]:
    shipped = (row.shipped_at.astimezone(ZoneInfo(time_zone)).strftime("%d.%m.%Y %H:%M")
               if row.shipped_at else "")  # fmt: skip
    return [row.identifier, row.code.replace(GS, gs), row.gtin, row.serial,
            row.order_external_id, row.package_number, row.sku, row.product_name,
            STATUS_LABELS.get(row.status, row.status), shipped]  # fmt: skip


def codes_xlsx(rows: Sequence[CodeRow], time_zone: str) -> bytes:
    """An .xlsx: XML cannot carry GS, so the full code shows it as «<GS>» (the form
    marketplaces' upload templates accept)."""
    return write_rows_workbook("Коды маркировки", HEADER,
                               iter([_line(r, time_zone, "<GS>") for r in rows]),
                               widths=[36, 60, 16, 16, 16, 9, 18, 40, 12, 17])  # fmt: skip


def codes_csv(rows: Sequence[CodeRow], time_zone: str) -> bytes:
    """A .csv (UTF-8 with BOM, «;»): the full code as scanned, GS as the \\x1d byte."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(_line(r, time_zone, GS) for r in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
