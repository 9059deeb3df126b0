"""Exports to .xlsx: products, balances, low stock and the journal, with the filters of
their pages — what each file holds (its columns: one place for the pages and the API) and
where its rows come from. The file is written by `data.files.xlsx` (the streaming writer).
"""

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy.engine import Engine

import data.catalog.queries
import data.reads
import data.stock.balances
import data.stock.journal
import data.stock.locations
from core.stock.operations import IMPORT_COLUMNS, OPERATIONS, VIRTUAL_LOCATIONS
from core.stock.rules import is_low
from data.dashboard.queries import low_stock

# Re-exported: pages, the API and tests name them here.
from data.files.xlsx import (
    EXCEL_MAX_ROWS,
    XLSX_MEDIA_TYPE,
    Column,
    Progress,
    XlsxWriter,
    write_table,
    zone,
)
from data.files.xlsx_parts import EXCEL_MAX_TEXT, xml_safe

_zone = zone  # the name tests and the export benchmark know

__all__ = [
    "EXCEL_MAX_ROWS", "EXCEL_MAX_TEXT", "XLSX_MEDIA_TYPE", "Column", "Progress", "XlsxWriter",
    "write_table", "xml_safe",
]  # fmt: skip


def _import_name(field: str) -> str:
    """The header an import file uses for `field`: an exported file imports back."""
    return IMPORT_COLUMNS[field][0]


def _yes(flag: Any) -> str:
    return "да" if flag else ""


# --- What each export holds (one place for the pages and the API) ---

PRODUCT_COLUMNS: tuple[Column, ...] = (
    Column(_import_name("sku"), "text", 18, "sku"),
    Column(_import_name("name"), "text", 48, "name"),
    Column(_import_name("barcode"), "code", 16, "barcode"),
    Column(_import_name("gtin"), "code", 16, "gtin"),
    Column(_import_name("min_stock"), "quantity", 13, "min_stock"),
    Column(_import_name("weight_g"), "int", 9, "weight_g"),
    Column(_import_name("length_mm"), "int", 11, "length_mm"),
    Column(_import_name("width_mm"), "int", 11, "width_mm"),
    Column(_import_name("height_mm"), "int", 11, "height_mm"),
    Column(
        _import_name("requires_marking"),
        "yes_no",
        11,
        value=lambda r: _yes(r.get("requires_marking")),
    ),
    Column("Удалён", "yes_no", 9, value=lambda r: _yes(r.get("is_deleted"))),
    Column("Создан", "datetime", 17, "created_at"),
)

BALANCE_COLUMNS: tuple[Column, ...] = (
    Column(_import_name("sku"), "text", 18, "sku"),
    Column(_import_name("name"), "text", 48, "name"),
    Column(_import_name("barcode"), "code", 16, "barcode"),
    Column(_import_name("good"), "quantity", 11, "good"),
    Column(_import_name("defect"), "quantity", 11, "defect"),
    Column("Резерв", "quantity", 11, "reserved"),
    Column("Доступно", "quantity", 11, "available"),
    Column(_import_name("min_stock"), "quantity", 13, "min_stock"),
    Column(
        "Ниже минимума", "yes_no", 15, value=lambda r: _yes(is_low(r["available"], r["min_stock"]))
    ),
)


# The «Дефицит» page (/alerts) as a purchase list: what to order to get back to the minimum.
LOW_STOCK_COLUMNS: tuple[Column, ...] = (
    Column(_import_name("sku"), "text", 18, "sku"),
    Column(_import_name("name"), "text", 48, "name"),
    Column(_import_name("barcode"), "code", 16, "barcode"),
    Column("Доступно", "quantity", 11, "available"),
    Column(_import_name("min_stock"), "quantity", 13, "min_stock"),
    Column("Отгрузки в день (30 дн.)", "quantity", 14,
           value=lambda r: round(r["avg_daily_shipped"], 2)),
    Column("Хватит на, дн.", "quantity", 12,
           value=lambda r: None if r["days_of_cover"] is None else round(r["days_of_cover"], 1)),
    # Enough to bring available stock back up to the minimum, never less than nothing.
    Column("Заказать до мин. остатка, шт.", "quantity", 16,
           value=lambda r: max(0, r["min_stock"] - r["available"])),
)  # fmt: skip


def journal_columns(location_names: dict[str, str]) -> tuple[Column, ...]:
    def place(code: str | None) -> str:
        return location_names.get(code or "", code or "")

    def operation_label(row: dict[str, Any]) -> str:
        op = OPERATIONS.get(row["operation_type"])
        return op.label_ru if op else row["operation_type"]

    return (
        Column("№", "int", 10, "id"),
        Column("Дата и время", "datetime", 17, "created_at"),
        Column(_import_name("operation"), "text", 18, value=operation_label),
        Column(_import_name("sku"), "text", 18, "sku"),
        Column(_import_name("barcode"), "code", 16, "barcode"),
        Column(_import_name("name"), "text", 40, "product_name"),
        Column(_import_name("quantity"), "quantity", 12, "quantity"),
        Column("Откуда", "text", 16, value=lambda r: place(r["from_location"])),
        Column("Куда", "text", 16, value=lambda r: place(r["to_location"])),
        Column(_import_name("source"), "text", 14, "source_name"),
        Column(_import_name("distribution_center"), "text", 18, "distribution_center_name"),
        Column("Пользователь", "text", 20, "user_name"),
        Column(_import_name("notes"), "text", 30, "notes", shared=False),
        Column("Сторно операции №", "int", 12, "reversal_of"),
        Column("Документ", "text", 12, "document", shared=False),
    )


# --- The three exports ---


def export_products(
    engine: Engine,
    target: str | Path | IO[bytes],
    *,
    q: str | None = None,
    deleted: bool | None = False,
    sort: str = "name",
    descending: bool = False,
    time_zone: str = "Europe/Moscow",
    progress: Progress | None = None,
) -> int:
    # The text the page found its rows by (the other keyboard layout when that found them).
    q = data.catalog.queries.products(engine, q=q, deleted=deleted, limit=1).searched_for or q
    rows = data.catalog.queries.iter_products(
        engine, q=q, deleted=deleted, sort=sort, descending=descending
    )
    return write_table(
        target, "Товары", PRODUCT_COLUMNS, rows, time_zone=time_zone, progress=progress
    )


def export_balances(
    engine: Engine,
    target: str | Path | IO[bytes],
    *,
    q: str | None = None,
    low_only: bool = False,
    sort: str = "name",
    descending: bool = False,
    time_zone: str = "Europe/Moscow",
    progress: Progress | None = None,
) -> int:
    # The text the page found its rows by (the other keyboard layout when that found them).
    q = data.stock.balances.balances(engine, q=q, low_only=low_only, limit=1).searched_for or q
    rows = data.stock.balances.iter_balances(
        engine, q=q, low_only=low_only, sort=sort, descending=descending
    )
    return write_table(
        target, "Остатки", BALANCE_COLUMNS, rows, time_zone=time_zone, progress=progress
    )


def export_low_stock(
    engine: Engine,
    target: str | Path | IO[bytes],
    *,
    time_zone: str = "Europe/Moscow",
    progress: Progress | None = None,
) -> int:
    """The products below their minimum, in the /alerts order, with the quantity to order."""

    def rows() -> Iterator[dict[str, Any]]:
        offset = 0
        while True:  # the alerts come a page at a time; a catalogue's worth at most
            page = low_stock(engine, limit=data.reads.MAX_PAGE, offset=offset)
            yield from page.items
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return

    return write_table(
        target, "Дефицит", LOW_STOCK_COLUMNS, rows(), time_zone=time_zone, progress=progress
    )


def location_names(engine: Engine) -> dict[str, str]:
    """Location code → the name people know it by (as the journal page shows it)."""
    names = {str(code): name for code, name in VIRTUAL_LOCATIONS.items()}
    names.update(
        {loc["code"]: loc["name"] for loc in data.stock.locations.internal_locations(engine)}
    )
    return names


def export_journal(
    engine: Engine,
    target: str | Path | IO[bytes],
    flt: data.stock.journal.JournalFilter | None = None,
    *,
    time_zone: str = "Europe/Moscow",
    progress: Progress | None = None,
    chunk_size: int = data.reads.EXPORT_CHUNK,
) -> int:
    def rows() -> Iterator[dict[str, Any]]:
        for chunk in data.stock.journal.journal_chunks(engine, flt, chunk_size=chunk_size):
            yield from chunk

    columns = journal_columns(location_names(engine))
    return write_table(target, "Журнал", columns, rows(), time_zone=time_zone, progress=progress)


EXPORT_TITLES = {
    "products": "Товары", "balances": "Остатки", "journal": "Журнал", "low_stock": "Дефицит",
}  # fmt: skip


def export_file_name(kind: str, now: datetime, time_zone: str = "Europe/Moscow") -> str:
    """E.g. «Журнал 2026-11-22 15-30.xlsx», on the warehouse's clock."""
    local = now.astimezone(zone(time_zone))
    return f"{EXPORT_TITLES[kind]} {local:%Y-%m-%d %H-%M}.xlsx"
