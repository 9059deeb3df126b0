"""Handling units (DESIGN.md §6 "Floor model"): pallets and boxes — list, read (with
contents), create, change (PATCH `location_id` moves the unit with everything in it as one
document; `parent_id` puts a box on a pallet or takes it off; `closed: true` closes an
empty unit), and the unit's label. Roles as the locations': every signed-in role reads,
admins and managers write (core.users.policy)."""

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field, StrictBool

import data.floor.handling_unit_queries as queries
from core.errors import Conflict, NotFound
from core.floor.handling_units import KIND_LABELS, close_unit, create_unit, move_unit, nest_unit
from core.floor.unit_labels import UnitLabel, unit_labels_zpl
from core.users.auth import Identity
from data.files.labels import PDF_MEDIA_TYPE
from data.files.unit_labels import unit_labels_pdf
from data.floor.handling_units import handling_unit_work
from ui.api.errors import responses
from ui.api.locations import LABEL
from ui.api.movements import IdempotencyKey
from ui.api.schemas import Id, Input, Limit, Model, Offset, PathId, Text
from ui.context import AppContext

Kind = Literal["pallet", "box"]


class UnitContent(Model):
    product_id: int
    quantity: int
    reserved: int = 0
    sku: str | None = None
    name: str | None = None
    barcode: str | None = None


class HandlingUnit(Model):
    id: int
    code: str = Field(description="SSCC-18 (с префиксом GS1 компании) или внутренний HU-000123")
    kind: Kind
    location_id: int
    parent_id: int | None = Field(description="На какой паллете (в какой коробке) лежит")
    contents: list[UnitContent] = Field(
        default_factory=list, description="Товар в самой упаковке (вложенные — отдельно)"
    )
    location_code: str | None = None
    parent_code: str | None = None
    is_open: bool = True
    created_at: datetime | None = None
    closed_at: datetime | None = None
    units: int = Field(default=0, description="Единиц товара в самой упаковке")
    children: int = Field(default=0, description="Открытых упаковок в ней")


class HandlingUnitDetail(HandlingUnit):
    nested: list[HandlingUnit] = Field(default_factory=list, description="Вложенные упаковки")


class HandlingUnitList(Model):
    items: list[HandlingUnit]
    total: int


class UnitCreate(Input):
    kind: Kind = Field(description="pallet — паллета, box — коробка")
    location_id: Id = Field(description="Где она стоит (складское место)")
    parent_id: Id | None = Field(default=None, description="Коробку — сразу на эту паллету")


class UnitPatch(Input):
    """Only the fields sent change, in this order: `parent_id`, `location_id`, `closed`."""

    location_id: Id | None = Field(
        default=None, description="Переместить упаковку со всем содержимым (один документ)"
    )
    parent_id: Id | None = Field(default=None, description="На паллету; null — снять с неё")
    closed: StrictBool | None = Field(default=None, description="true — закрыть пустую упаковку")


REPLAY = {200: {"model": HandlingUnit, "description": "Повтор с тем же Idempotency-Key"}}


def add_routes(
    router: APIRouter,
    ctx: AppContext,
    readers: Callable[..., Any],
    writers: Callable[..., Any],
) -> None:
    tags: list[Any] = ["handling-units"]
    read = [Depends(readers)]
    engine = ctx.db.engine

    def row(unit_id: int) -> dict[str, Any]:
        found = queries.unit_row(engine, unit_id)
        if found is None:
            raise NotFound("handling_unit_not_found", "Паллета или коробка не найдена")
        return found

    @router.get(
        "/handling-units", response_model=HandlingUnitList, tags=tags, dependencies=read,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_units(
        q: Annotated[Text | None, Query(max_length=64, description="Код или его часть")] = None,
        kind: Kind | None = None,
        location_id: Annotated[int | None, Query(ge=1)] = None,
        parent_id: Annotated[int | None, Query(ge=1)] = None,
        is_open: Annotated[bool | None, Query(description="false — закрытые")] = True,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> HandlingUnitList:
        """Паллеты и коробки, новые сверху; по умолчанию — открытые."""
        flt = queries.UnitFilter(q=q or "", kind=kind, location_id=location_id,
                                 parent_id=parent_id, is_open=is_open)  # fmt: skip
        page = queries.units(engine, flt, limit=limit, offset=offset)
        return HandlingUnitList(
            items=[HandlingUnit.model_validate(r) for r in page.items], total=page.total
        )

    @router.post(
        "/handling-units", response_model=HandlingUnit, status_code=status.HTTP_201_CREATED,
        tags=tags, responses={**REPLAY, **responses(401, 403, 409, 422)},
    )  # fmt: skip
    def add_unit(
        body: UnitCreate,
        response: Response,
        user: Annotated[Identity, Depends(writers)],
        idempotency_key: IdempotencyKey = None,
    ) -> HandlingUnit:
        """Создать паллету или коробку на складском месте. С тем же `Idempotency-Key` —
        та же упаковка (200)."""
        created = create_unit(
            handling_unit_work(ctx.db), body.kind, body.location_id, user_id=user.id,
            parent_id=body.parent_id, idempotency_key=idempotency_key,
        )  # fmt: skip
        if created.replayed:
            response.status_code = status.HTTP_200_OK
        return HandlingUnit.model_validate(row(created.unit.id))

    @router.get(
        "/handling-units/{unit_id}", response_model=HandlingUnitDetail, tags=tags,
        dependencies=read, responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read_unit(unit_id: PathId) -> HandlingUnitDetail:
        """Паллета или коробка: что в ней лежит и какие упаковки вложены."""
        return HandlingUnitDetail.model_validate(row(unit_id))

    @router.patch(
        "/handling-units/{unit_id}", response_model=HandlingUnitDetail, tags=tags,
        responses=responses(401, 403, 404, 409, 422),
    )  # fmt: skip
    def change_unit(
        unit_id: PathId,
        body: UnitPatch,
        user: Annotated[Identity, Depends(writers)],
        idempotency_key: IdempotencyKey = None,
    ) -> HandlingUnitDetail:
        """`location_id` — переместить упаковку со всем содержимым (и вложенными
        упаковками) одним документом: по операции TRANSFER на каждую позицию. Коробка,
        перемещённая отдельно, снимается с паллеты. `parent_id` — положить коробку на
        паллету в том же месте (null — снять). `closed: true` — закрыть пустую упаковку
        (409 `handling_unit_not_empty`, пока в ней товар или открытые коробки)."""
        changes = body.model_dump(exclude_unset=True)
        row(unit_id)  # 404 before anything else
        if "parent_id" in changes:
            nest_unit(handling_unit_work(ctx.db), unit_id, changes["parent_id"])
        if changes.get("location_id") is not None:
            move_unit(handling_unit_work(ctx.db), unit_id, changes["location_id"],
                      user_id=user.id, idempotency_key=idempotency_key)  # fmt: skip
        if changes.get("closed") is True:
            close_unit(handling_unit_work(ctx.db), unit_id)
        elif changes.get("closed") is False and row(unit_id)["closed_at"] is not None:
            raise Conflict("invalid_transition", "Закрытую упаковку снова не открывают")
        return HandlingUnitDetail.model_validate(row(unit_id))

    @router.get(
        "/handling-units/{unit_id}/label", response_class=Response, tags=tags,
        dependencies=read, responses={**LABEL, **responses(401, 403, 404, 422)},
    )  # fmt: skip
    def label(
        unit_id: PathId,
        format: Annotated[Literal["zpl", "pdf"], Query(description="zpl или pdf")] = "zpl",
    ) -> Response:
        """Этикетка упаковки: SSCC как GS1-128 (AI 00), внутренний код — Code 128; ZPL для
        термопринтера или PDF (100 × 70 мм)."""
        return unit_label(row(unit_id), format)


def unit_label(unit: dict[str, Any], format: str) -> Response:
    """The label of a unit: an SSCC as GS1-128 (core.floor.unit_labels, data.files.unit_labels)."""
    kind = KIND_LABELS.get(unit["kind"], "Упаковка")
    labels = [UnitLabel(unit["code"], kind, unit.get("location_code") or "")]
    if format == "pdf":
        name = f'attachment; filename="label-{unit["code"]}.pdf"'
        sheet = unit_labels_pdf(labels, title="Этикетки паллет и коробок")
        return Response(sheet, media_type=PDF_MEDIA_TYPE, headers={"Content-Disposition": name})
    return Response(unit_labels_zpl(labels), media_type="text/plain")
