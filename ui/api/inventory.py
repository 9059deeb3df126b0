"""Inventory positions (DESIGN.md §2a, §6): the quants with their versions, and an
adjustment by count that names the version it saw."""

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field, model_validator

import data.stock.positions
from core.errors import NotFound, ValidationError
from core.stock.inventory import CountRequest, post_count
from core.users.auth import Identity
from ui.api.errors import responses
from ui.api.movements import REPLAY, IdempotencyKey, as_json, blocking, movement_answer
from ui.api.schemas import MAX_ID, Input, Limit, Model, Offset, Text
from ui.context import AppContext

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class Position(Model):
    id: int
    product_id: int
    location_id: int
    handling_unit_id: int | None
    quantity: int
    reserved: int
    available: int = Field(description="quantity − reserved")
    received_at: datetime = Field(description="ISO 8601, UTC")
    version: int = Field(description="Растёт на 1 при каждом изменении позиции")


class PositionList(Model):
    items: list[Position]
    total: int


class AdjustmentIn(Input):
    position_id: Id | None = None
    product_id: Id | None = None
    location_id: Id | None = None
    expected_version: int = Field(ge=0, le=MAX_ID, description="Версия, которую видели")
    counted_quantity: int = Field(ge=0, description="Сколько насчитали")
    reason: Text = Field(min_length=1, max_length=1000, description="Причина пересчёта")

    @model_validator(mode="after")
    def one_position(self) -> "AdjustmentIn":
        by_pair = self.product_id is not None and self.location_id is not None
        if (self.position_id is None) == (not by_pair) or (
            self.position_id is not None
            and (self.product_id is not None or self.location_id is not None)
        ):
            raise ValueError("укажите position_id или пару product_id и location_id")
        return self


def add_routes(
    router: APIRouter,
    ctx: AppContext,
    managers: Callable[..., Any],
    readers: Callable[..., Any],
) -> None:
    tags: list[Any] = ["inventory"]

    @router.get(
        "/inventory/positions", response_model=PositionList, tags=tags,
        dependencies=[Depends(readers)], responses=responses(401, 403, 422),
    )  # fmt: skip
    def positions(
        product_id: IdFilter = None,
        location_id: IdFilter = None,
        handling_unit_id: IdFilter = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> PositionList:
        """Позиции запасов (кванты) с версией; по id, новые позиции в конце."""
        flt = data.stock.positions.PositionFilter(product_id, location_id, handling_unit_id)
        page = data.stock.positions.positions(ctx.db.engine, flt, limit=limit, offset=offset)
        items = [Position.model_validate(row) for row in page.items]
        return PositionList(items=items, total=page.total)

    @router.post(
        "/inventory/adjustments", status_code=status.HTTP_201_CREATED, tags=tags,
        responses={
            **REPLAY, **responses(401, 403, 404, 409, 422),
            201: {"description": "Проведена операция ADJUSTMENT (тело как у POST /movements)"},
        },
    )  # fmt: skip
    async def adjust(
        body: AdjustmentIn,
        user: Annotated[Identity, Depends(managers)],
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Пересчёт позиции: разница проводится как ADJUSTMENT.

        `expected_version` — версия позиции, которую видели при пересчёте; если позиция
        с тех пор изменилась — 409 `version_conflict`. Если насчитано столько же, сколько
        на остатке, — 200 с позицией и без операции.
        """
        product_id, location_id = body.product_id, body.location_id
        if body.position_id is not None:
            found = data.stock.positions.position(ctx.db.engine, body.position_id)
            if found is None:
                raise NotFound("position_not_found", "Позиция не найдена")
            if found.handling_unit_id is not None:  # TAKE and PUT change loose stock only
                raise ValidationError(
                    "invalid_location", "Позицию в грузовом месте пересчитать здесь нельзя",
                    field="position_id",
                )  # fmt: skip
            product_id, location_id = found.product_id, found.location_id
        assert product_id is not None and location_id is not None
        request = CountRequest(
            product_id, None, body.counted_quantity, notes=body.reason,
            idempotency_key=idempotency_key, location_id=location_id,
            expected_version=body.expected_version,
        )  # fmt: skip
        uow = ctx.db.unit_of_work
        counted = await blocking(partial(post_count, uow, request, user_id=user.id))
        if counted.posted is not None:
            return movement_answer(ctx, counted.posted, user)
        flt = data.stock.positions.PositionFilter(product_id, location_id)
        rows = data.stock.positions.positions(ctx.db.engine, flt, limit=1).items
        unchanged = rows[0] if rows else None
        if unchanged is None:  # nothing counted where nothing is: no position to show
            return Response("null", status.HTTP_200_OK, media_type="application/json")
        return as_json(Position.model_validate(unchanged), status.HTTP_200_OK)
