"""Exports as .xlsx files: products, balances and the journal, with the list routes' filters.

The file is written to a temporary file in a worker thread (memory stays flat however long
the journal is), sent, and deleted once sent.
"""

import os
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import FileResponse
from starlette.background import BackgroundTask

import data.stock.journal
from core.stock.requests import operation
from data.files import exports
from ui.api.errors import responses
from ui.api.movements import DateParam, moment
from ui.api.schemas import MAX_ID, Search, Text
from ui.context import AppContext


class XlsxResponse(FileResponse):
    media_type = exports.XLSX_MEDIA_TYPE


# Documented by hand: the routes' response_class stays the plain Response, so that their
# error answers are documented as JSON (FastAPI gives every answer the class's media type).
XLSX = {
    200: {
        "description": "Файл .xlsx: заголовок закреплён, с автофильтром",
        "content": {exports.XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _temporary_file() -> Path:
    handle, name = tempfile.mkstemp(prefix="wms-export-", suffix=".xlsx")
    os.close(handle)
    return Path(name)


def _send(kind: str, tz_name: str, write: Callable[[Path], int]) -> XlsxResponse:
    path = _temporary_file()
    try:
        write(path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return XlsxResponse(
        path,
        media_type=exports.XLSX_MEDIA_TYPE,
        filename=exports.export_file_name(kind, datetime.now(UTC), tz_name),
        background=BackgroundTask(path.unlink, missing_ok=True),
    )


def add_routes(router: APIRouter, ctx: AppContext, managers: Callable[..., Any]) -> None:
    guard = [Depends(managers)]
    tags: list[Any] = ["exports"]
    tz_name = ctx.settings.time_zone
    tz = ZoneInfo(tz_name)
    engine = ctx.db.engine

    @router.get(
        "/exports/products", response_class=Response, tags=tags, dependencies=guard,
        responses={**XLSX, **responses(401, 403, 422)},
    )  # fmt: skip
    def export_products(
        q: Search = None,
        include_deleted: Annotated[bool, Query(description="Вместе с удалёнными")] = False,
    ) -> XlsxResponse:
        """Товары в .xlsx — с теми же фильтрами, что у списка `/products`.

        Заголовки столбцов — те же, что понимает импорт: файл можно поправить и загрузить.
        """
        deleted = None if include_deleted else False
        return _send(
            "products",
            tz_name,
            lambda path: exports.export_products(
                engine, path, q=q, deleted=deleted, time_zone=tz_name
            ),
        )

    @router.get(
        "/exports/balances", response_class=Response, tags=tags, dependencies=guard,
        responses={**XLSX, **responses(401, 403, 422)},
    )  # fmt: skip
    def export_balances(
        q: Search = None,
        low_only: Annotated[
            bool, Query(description="Только товары, где доступно меньше минимального остатка")
        ] = False,
    ) -> XlsxResponse:
        """Остатки в .xlsx — с теми же фильтрами, что у `/stock/balances`."""
        return _send(
            "balances",
            tz_name,
            lambda path: exports.export_balances(
                engine, path, q=q, low_only=low_only, time_zone=tz_name
            ),
        )

    @router.get(
        "/exports/journal", response_class=Response, tags=tags, dependencies=guard,
        responses={**XLSX, **responses(401, 403, 422)},
    )  # fmt: skip
    def export_journal(
        operation_type: Annotated[Text | None, Query(max_length=32)] = None,
        product_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        date_from: DateParam = None,
        date_to: DateParam = None,
    ) -> XlsxResponse:
        """Журнал операций в .xlsx, новые сверху — с теми же фильтрами, что у `/movements`.

        Выгружаются все подходящие операции (хоть миллион); файл пишется потоком.
        """
        flt = data.stock.journal.JournalFilter(
            operation_type=operation(operation_type).code if operation_type else None,
            product_id=product_id,
            date_from=moment(date_from, "date_from", tz, end=False),
            date_to=moment(date_to, "date_to", tz, end=True),
        )
        return _send(
            "journal",
            tz_name,
            lambda path: exports.export_journal(engine, path, flt, time_zone=tz_name),
        )
