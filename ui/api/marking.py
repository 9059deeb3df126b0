"""Честный ЗНАК marking codes (DESIGN.md §6 "Marking codes and stickers"; core.marking,
core.orders.marking): a unit of a marked product scanned into a package, undone while
the task is in progress, the codes of an order, and the files for the marketplace and
«вывод из оборота» (per order, per period; .xlsx or .csv).

Roles as the packing routes (ui.api.packing): everyone on the floor reads; a worker scans
and undoes on their own task only, managers and admins on any. A POST takes an
`Idempotency-Key`: the same key again answers with the first code (200), changing nothing.
"""

from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

import data.marking.queries as queries
import data.packing.queries as packing_queries
from core.errors import NotFound, ValidationError
from core.marking.ports import CodeRecord
from core.orders import marking as use_cases
from core.orders.own_tasks import PACKING_REFUSALS, check_own, worker_of
from core.users.auth import Identity
from core.users.policy import Action
from data.orders.queries import order as read_order
from ui.api.errors import responses
from ui.api.executors import Requirement, acting
from ui.api.movements import DateParam, IdempotencyKey, as_json, moment
from ui.api.schemas import Id, Input, Model, PathId, Text

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FILES = {
    200: {
        "description": "Коды: .xlsx (GS в полном коде как «<GS>») или .csv (UTF-8, «;», GS как "
        "байт 0x1D)",
        "content": {XLSX: {"schema": {"type": "string", "format": "binary"}},
                    "text/csv": {"schema": {"type": "string"}}},
    }
}  # fmt: skip
Format = Annotated[Literal["xlsx", "csv"], Query(description="xlsx или csv")]


class CodeIn(Input):
    code: Text = Field(min_length=1, max_length=512,
                       description="Код DataMatrix как его передал сканер (GS как \\u001d, "
                       "<GS>, ^] или без разделителя; префикс ]d2 допускается)")  # fmt: skip
    package_id: Id = Field(description="Посылка задания, в которую кладётся единица")


class CodeOut(Model):
    id: int
    code: str = Field(description="Код как сохранён: без префикса, GS как \\u001d")
    gtin: str
    serial: str
    product_id: int
    package_id: int
    status: str = Field(description="packed, shipped, returned")


class OrderCodeOut(CodeOut):
    package_number: int
    sku: str
    product_name: str
    shipped_at: datetime | None


class OrderCodeList(Model):
    items: list[OrderCodeOut]
    total: int


def code_out(found: CodeRecord) -> CodeOut:
    return CodeOut(id=found.id, code=found.code, gtin=found.gtin, serial=found.serial,
                   product_id=found.product_id, package_id=found.package_id,
                   status=found.status)  # fmt: skip


def _file(rows: list[queries.CodeRow], fmt: str, tz_name: str, name: str) -> Response:
    if fmt == "csv":
        body, media, ext = queries.codes_csv(rows, tz_name), CSV, "csv"
    else:
        body, media, ext = queries.codes_xlsx(rows, tz_name), XLSX, "xlsx"
    disposition = f'attachment; filename="{name}.{ext}"'
    return Response(body, media_type=media, headers={"Content-Disposition": disposition})


def add_routes(router: APIRouter, ctx: Any, floor: Requirement) -> None:
    tags: list[Any] = ["fulfillment: marking codes"]
    readers: list[Any] = [Depends(floor)]
    packers = acting(floor, Action.PACK, "Сканировать коды маркировки может работник склада")
    Packer = Annotated[Identity, Depends(packers)]
    tz_name = ctx.settings.time_zone

    def own(user: Identity, task_id: int) -> None:
        """A worker acts on their own task only (core.orders.own_tasks)."""
        bound = worker_of(user)
        if bound is None:
            return
        held = packing_queries.ownership(ctx.db.engine, task_id, user.id)
        if held is None:
            raise NotFound("packing_task_not_found", "Задание на упаковку не найдено")
        check_own(held.executor_id, held.mine, bound, PACKING_REFUSALS)

    @router.post(
        "/packing-tasks/{task_id}/marking-codes", response_model=CodeOut, tags=tags,
        status_code=status.HTTP_201_CREATED, responses=responses(401, 403, 404, 409, 422),
    )  # fmt: skip
    def add_code(task_id: PathId, body: CodeIn, user: Packer,
                 idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Единица маркированного товара отсканирована в посылку. 422
        `marking_code_invalid` (код не читается — настройте сканер),
        `marking_code_wrong_product` (GTIN другого товара или товара нет в посылке);
        409 `marking_code_duplicate` (код уже в этом заказе, в другой коробке или
        отгружен), `marking_code_extra` (у всех единиц товара в посылке коды уже есть),
        `invalid_transition` (задание не в работе)."""
        own(user, task_id)
        done = use_cases.add_code(ctx.db.unit_of_work(), task_id, body.code, body.package_id,
                                  user.id, idempotency_key=idempotency_key)  # fmt: skip
        code = status.HTTP_200_OK if done.replayed else status.HTTP_201_CREATED
        return as_json(code_out(done.code), code)

    @router.delete(
        "/packing-tasks/{task_id}/marking-codes/{code_id}", response_model=CodeOut, tags=tags,
        responses=responses(401, 403, 404, 409, 422),
    )  # fmt: skip
    def remove_code(task_id: PathId, code_id: PathId, user: Packer) -> CodeOut:
        """Отменить скан кода, пока задание в работе (иначе 409 `invalid_transition`);
        единица остаётся в посылке без кода."""
        own(user, task_id)
        return code_out(use_cases.remove_code(ctx.db.unit_of_work(), task_id, code_id, user.id))

    def _order_rows(order_id: int) -> list[queries.CodeRow]:
        if read_order(ctx.db.engine, order_id) is None:
            raise NotFound("order_not_found", "Заказ не найден")
        return queries.order_codes(ctx.db.engine, order_id)

    @router.get(
        "/orders/{order_id}/marking-codes", response_model=OrderCodeList, tags=tags,
        dependencies=readers, responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def order_codes(order_id: PathId) -> OrderCodeList:
        """Коды маркировки заказа по посылкам: `code`, `gtin`, `serial`, `product_id`,
        `package_id`, статус (упакован, отгружен, возвращён)."""
        rows = _order_rows(order_id)
        items = [OrderCodeOut(id=r.id, code=r.code, gtin=r.gtin, serial=r.serial,
                              product_id=r.product_id, package_id=r.package_id,
                              status=r.status, package_number=r.package_number, sku=r.sku,
                              product_name=r.product_name, shipped_at=r.shipped_at)
                 for r in rows]  # fmt: skip
        return OrderCodeList(items=items, total=len(items))

    @router.get(
        "/orders/{order_id}/marking-codes/export", response_class=Response, tags=tags,
        dependencies=readers, responses={**FILES, **responses(401, 403, 404, 422)},
    )  # fmt: skip
    def order_file(order_id: PathId, format: Format = "xlsx") -> Response:
        """Коды заказа файлом для маркетплейса: КИ, полный код, GTIN, серийный номер,
        заказ, посылка, товар, дата отгрузки."""
        rows = _order_rows(order_id)
        name = f"marking-order-{rows[0].order_external_id if rows else order_id}"
        return _file(rows, format, tz_name, name)

    @router.get(
        "/marking-codes/export", response_class=Response, tags=tags, dependencies=readers,
        responses={**FILES, **responses(401, 403, 422)},
    )  # fmt: skip
    def period_file(date_from: DateParam = None, date_to: DateParam = None,
                    format: Format = "xlsx") -> Response:  # fmt: skip
        """Коды, отгруженные за период (`date_from` … `date_to`, дни склада) — для отчёта
        о выводе из оборота; без дат — за сегодня."""
        tz = ZoneInfo(tz_name)
        today = datetime.now(UTC).astimezone(tz).date().isoformat()
        given = {"date_from": date_from, "date_to": date_to}
        start, end = (moment(value if value and value.strip() else today, field, tz,
                             end=field == "date_to")
                      for field, value in given.items())  # fmt: skip
        for field, bound in (("date_from", start), ("date_to", end)):
            if bound is None:  # a year past 9999 or before 1 has no day to start or end
                raise ValidationError("invalid_date", f"{field}: дата вне 0001–9999 годов",
                                      field=field)  # fmt: skip
        assert start is not None and end is not None
        if end <= start:
            raise ValidationError("invalid_period", "Конец периода раньше начала",
                                  field="date_to")  # fmt: skip
        rows = queries.shipped_codes(ctx.db.engine, start, end)
        return _file(rows, format, tz_name, f"marking-{start.date()}-{end.date()}")


__all__ = ["CodeIn", "OrderCodeList", "add_routes"]
