"""Movements: post one (idempotent), the journal, and reversal — all through core."""

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Annotated, Any, TypeVar
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Header, Query, Response, status
from pydantic import BaseModel

import data.stock.journal
from core.errors import NotFound, ValidationError
from core.periods import day_start
from core.stock.movements import post_movement, reverse_movement
from core.stock.requests import MovementRequest, Posted, operation
from core.users.auth import Identity
from ui.api.errors import responses
from ui.api.schemas import (
    MAX_ID,
    Limit,
    Movement,
    MovementIn,
    MovementList,
    Offset,
    PathId,
    ReverseIn,
    Text,
)
from ui.context import AppContext

IdempotencyKey = Annotated[
    Text | None,
    Header(
        alias="Idempotency-Key",
        max_length=128,
        description="Повтор запроса с тем же ключом не проводит операцию второй раз",
    ),
]
DateParam = Annotated[
    str | None,
    Query(
        max_length=40,
        description="ГГГГ-ММ-ДД (весь день) или дата и время ISO 8601; "
        "без часового пояса — в часовом поясе склада",
    ),
]
T = TypeVar("T")
REPLAY = {
    200: {"model": Movement, "description": "Повтор с тем же Idempotency-Key: та же операция"}
}


# The use cases block on the database: they run on worker threads of their own. A plain
# executor costs the event loop a fraction of what FastAPI's per-call anyio hop does on
# the busiest route (see bench/api.py); the pool is as large as the database pool.
_WORKERS = ThreadPoolExecutor(max_workers=30, thread_name_prefix="api-post")


async def blocking(call: Callable[[], T]) -> T:
    return await asyncio.get_running_loop().run_in_executor(_WORKERS, call)


def as_json(model: BaseModel, status_code: int) -> Response:
    """The model as the response. Built and checked here: FastAPI would check it against
    the route's response_model again (a quarter of the server's CPU on POST /movements)."""
    return Response(model.model_dump_json(), status_code, media_type="application/json")


def moment(value: str | None, field: str, tz: ZoneInfo, *, end: bool) -> datetime | None:
    """A filter bound in UTC. A date means the whole day in the warehouse's time zone, so
    `date_to=2024-05-31` includes the 31st; an end bound is returned exclusive."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        try:
            day = date.fromisoformat(text)
        except ValueError:
            at = datetime.fromisoformat(text)
            if at.tzinfo is None:
                at = at.replace(tzinfo=tz)
            exclusive = at + timedelta(microseconds=1) if end else at
        else:
            return day_start(day + timedelta(days=1) if end else day, tz)
        return exclusive.astimezone(UTC)
    except OverflowError:
        return None  # beyond year 9999 or before year 1: no bound on that side
    except ValueError:
        raise ValidationError(
            "invalid_date", f"{field}: ожидается дата ГГГГ-ММ-ДД или дата и время ISO 8601",
            field=field,
        ) from None  # fmt: skip


def read_movement_row(ctx: AppContext, movement_id: int) -> Movement:
    row = data.stock.journal.journal_entry(ctx.db.engine, movement_id)
    if row is None:
        raise NotFound("movement_not_found", "Операция не найдена")
    return Movement.model_validate(row)


def movement_answer(ctx: AppContext, posted: Posted, user: Identity) -> Response:
    """The answer to a posted movement: 201 with it, or 200 with the earlier one (a replay)."""
    if posted.replayed or posted.names is None:
        # A replayed key returns the row it wrote the first time, as it is now. Nothing
        # was written by this request, so a failure here may say "retry" truthfully.
        return as_json(read_movement_row(ctx, posted.movement.id), status.HTTP_200_OK)
    # Committed: answer with what the transaction returned, never read it back. A read
    # now could fail (a connection lost after the commit) and say "not done" for a
    # movement that is booked, and a client without a key would book it twice.
    m, names = posted.movement, posted.names
    # Typed values from the transaction: built without validating them once more.
    created = Movement.model_construct(
        id=m.id,
        operation_type=m.operation_type,
        product_id=m.product_id,
        quantity=m.quantity,
        source_id=m.source_id,
        distribution_center_id=m.distribution_center_id,
        from_location_id=m.from_location_id,
        to_location_id=m.to_location_id,
        user=user.username,
        notes=m.notes,
        created_at=m.created_at,
        reversal_of=m.reversal_of,
        is_reversed=False,  # it has just been written
        document=m.document,
        handling_unit_id=m.handling_unit_id,
        from_handling_unit_id=m.from_handling_unit_id,
        **vars(names),
    )
    return as_json(created, status.HTTP_201_CREATED)


def add_routes(router: APIRouter, ctx: AppContext, managers: Callable[..., Any]) -> None:
    tags: list[Any] = ["movements"]
    tz = ZoneInfo(ctx.settings.time_zone)

    def read(movement_id: int) -> Movement:
        return read_movement_row(ctx, movement_id)

    def answer(posted: Posted, user: Identity) -> Response:
        return movement_answer(ctx, posted, user)

    @router.post(
        "/movements", response_model=Movement, status_code=status.HTTP_201_CREATED, tags=tags,
        responses={**REPLAY, **responses(401, 403, 409, 422)},
    )  # fmt: skip
    async def post(
        body: MovementIn,
        user: Annotated[Identity, Depends(managers)],
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Провести одну операцию.

        Товар — `product_id` или `barcode`. Для ADJUSTMENT нужны `warehouse` (MAIN или
        DEFECT), `direction` (gain или loss) и причина в `notes`; для TRANSFER —
        `from_location_id` и `to_location_id`. Остатки не уходят в минус: нехватка — 409.
        """
        request = MovementRequest(**body.model_dump(), idempotency_key=idempotency_key)
        uow = ctx.db.unit_of_work()
        posted = await blocking(partial(post_movement, uow, request, user_id=user.id))
        return answer(posted, user)

    @router.get(
        "/movements", response_model=MovementList, tags=tags, dependencies=[Depends(managers)],
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def journal(
        operation_type: Annotated[Text | None, Query(max_length=32)] = None,
        product_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
        date_from: DateParam = None,
        date_to: DateParam = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> MovementList:
        """Журнал операций, новые сверху."""
        flt = data.stock.journal.JournalFilter(
            operation_type=operation(operation_type).code if operation_type else None,
            product_id=product_id,
            date_from=moment(date_from, "date_from", tz, end=False),
            date_to=moment(date_to, "date_to", tz, end=True),
        )
        page = data.stock.journal.journal(ctx.db.engine, flt, limit=limit, offset=offset)
        items = [Movement.model_validate(r) for r in page.items]
        return MovementList(items=items, total=page.total)

    @router.get(
        "/movements/{movement_id}", response_model=Movement, tags=tags,
        dependencies=[Depends(managers)], responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read_movement(movement_id: PathId) -> Movement:
        """Одна операция."""
        return read(movement_id)

    @router.post(
        "/movements/{movement_id}/reverse", response_model=Movement,
        status_code=status.HTTP_201_CREATED, tags=tags,
        responses={**REPLAY, **responses(401, 403, 404, 409, 422)},
    )  # fmt: skip
    async def reverse(
        movement_id: PathId,
        user: Annotated[Identity, Depends(managers)],
        body: ReverseIn | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:
        """Сторнировать операцию: новая операция в обратную сторону.

        409 — если операция уже сторнирована, сама является сторно или остаток уже
        израсходован; `reversal_not_allowed` — если её провёл заказ (сборка, упаковка,
        отгрузка, возврат при отмене: документ `order:<id>`) или это отгрузка заказа.
        """
        posted = await blocking(
            partial(
                reverse_movement,
                ctx.db.unit_of_work(),
                movement_id,
                user_id=user.id,
                notes=body.notes if body else None,
                idempotency_key=idempotency_key,
            )
        )
        return answer(posted, user)
