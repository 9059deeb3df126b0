"""Missions (DESIGN.md §6 "Floor model"): putaway, move and replenishment work with lines.

Managers create, edit (drafts only), assign and cancel; the executor's worker starts,
records lines (each a TRANSFER on the ledger) and completes their own missions; everyone
on the floor reads. A POST that changes a mission takes an `Idempotency-Key`: the same
key again answers 200 with the mission and changes nothing.
"""

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import Field

import data.floor.mission_queries as queries
import data.stock.journal
from core.errors import NotFound
from core.floor import missions as use_cases
from core.floor.mission_lines import MAX_LINES, LineRequest
from core.floor.mission_rules import MAX_REASON, Actor, MissionKind, Priority, Status
from core.floor.missions import Done, MissionRequest
from core.floor.ports import Mission, MissionLine
from core.floor.recording import Recorded, RecordRequest, record_line
from core.stock.operations import MAX_QUANTITY
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.missions import mission_work
from data.stock.journal import JournalFilter
from ui.api.errors import responses
from ui.api.executors import Requirement, acting
from ui.api.movements import IdempotencyKey, as_json
from ui.api.schemas import Id, Input, Limit, Model, Offset, PathId, Text, WholeNumber
from ui.api.schemas import Movement as MovementOut
from ui.context import AppContext

QUANTITY = {"type": "integer", "minimum": 1, "maximum": MAX_QUANTITY}
KINDS = {"enum": [k.value for k in MissionKind]}
PRIORITIES = {"enum": [p.value for p in Priority]}
STATUSES = {"enum": [s.value for s in Status]}
MAX_UNIT_ROWS = 500  # a unit move's TRANSFERs shown in the answer (one per quant inside)


class MissionLineOut(Model):
    id: int
    product_id: int | None = Field(
        description="Товар; null — строка с паллетой или коробкой целиком"
    )
    quantity: int
    done_quantity: int
    from_location_id: int
    to_location_id: int
    handling_unit_id: int | None
    sequence: int = Field(description="Номер строки в задании: 1, 2, …")
    sku: str
    barcode: str
    product_name: str
    from_location: str = Field(description="Код места, откуда взять")
    to_location: str = Field(description="Код места, куда положить")
    whole_unit: bool = Field(
        default=False,
        description="Строка перемещает паллету или коробку `handling_unit_id` целиком, со всем "
        "содержимым (quantity 1 — сама упаковка); product_id — null",
    )
    unit_code: str | None = Field(
        default=None, description="Код упаковки строки (SSCC или внутренний)"
    )


class MissionOut(Model):
    id: int
    kind: str = Field(json_schema_extra=KINDS)
    status: str = Field(json_schema_extra=STATUSES)
    executor_id: int | None
    created_by: int | None = Field(description="Кто создал (id пользователя)")
    priority: str = Field(json_schema_extra=PRIORITIES)
    lines: list[MissionLineOut]
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    executor_name: str | None = None


class MissionList(Model):
    items: list[MissionOut]
    total: int


class Recording(MissionOut):
    """The mission after the recording, the line and the TRANSFER it posted."""

    line: MissionLineOut
    movement: MovementOut | None = Field(
        description="TRANSFER строки; у строки с упаковкой целиком — первый из её документа "
        "(null — упаковка была пуста)"
    )
    movements: list[MovementOut] = Field(
        default_factory=list,
        description="Строка с упаковкой целиком: все TRANSFER её перемещения (по одному на "
        "товар в каждой вложенной упаковке), один `document`",
    )


class LineIn(Input):
    """A product line (`product_id`, `quantity`, from → to), or a whole unit: only
    `handling_unit_id` and `to_location_id` (and `whole_unit: true`, optional)."""

    product_id: Id | None = Field(
        default=None, description="Товар; без него строка с `handling_unit_id` — упаковка целиком"
    )
    quantity: WholeNumber | None = Field(
        default=None,
        json_schema_extra=QUANTITY,
        description="Штук товара; для упаковки целиком — не указывать (или 1)",
    )
    from_location_id: Id | None = Field(
        default=None,
        description="Откуда; для упаковки целиком — где она стоит (можно не указывать)",
    )
    to_location_id: Id = Field(description="Другое место того же склада")
    handling_unit_id: Id | None = Field(
        default=None,
        description="С товаром: упаковка, в которую кладут или из которой берут; без товара — "
        "упаковка, которую перемещают целиком",
    )
    whole_unit: bool | None = Field(
        default=None, description="true — переместить упаковку `handling_unit_id` целиком"
    )


_KIND = Field(description="putaway — из зоны приёмки в ячейку; move; replenishment",
              json_schema_extra=KINDS)  # fmt: skip


class MissionIn(Input):
    kind: Text = _KIND
    priority: Text = Field(default=Priority.NORMAL, json_schema_extra=PRIORITIES)
    lines: list[LineIn] = Field(min_length=1, max_length=MAX_LINES)
    executor_id: Id | None = Field(default=None, description="Сразу назначить исполнителю")


class MissionPatch(Input):
    """Only a draft; the fields sent replace the old ones (`lines`: the whole list)."""

    kind: Text | None = Field(default=None, json_schema_extra=KINDS)
    priority: Text | None = Field(default=None, json_schema_extra=PRIORITIES)
    lines: list[LineIn] | None = Field(default=None, min_length=1, max_length=MAX_LINES)


class AssignIn(Input):
    executor_id: Id


class CancelIn(Input):
    reason: Text | None = Field(default=None, max_length=MAX_REASON)


class RecordIn(Input):
    line_id: Id
    quantity: WholeNumber | None = Field(
        default=None,
        json_schema_extra=QUANTITY,
        description="Штук; для строки с упаковкой целиком — не указывать (или 1)",
    )
    barcode: Text | None = Field(
        default=None, max_length=64, description="Отсканированный товар: проверяется (422)"
    )
    location_code: Text | None = Field(
        default=None, max_length=64, description="Отсканированная ячейка: проверяется (422)"
    )
    unit_code: Text | None = Field(
        default=None,
        max_length=64,
        description="Строка с упаковкой целиком: отсканированный код упаковки (SSCC или "
        "внутренний) — чужая упаковка 422 `wrong_handling_unit`",
    )


def _line(line: MissionLine) -> MissionLineOut:
    hidden = {"from_code", "to_code", "from_kind", "to_kind", "gtin", "unit_code", "unit_kind"}
    values = {k: v for k, v in line.__dict__.items() if k not in hidden}
    return MissionLineOut(**values, from_location=line.from_code, to_location=line.to_code,
                          unit_code=line.unit_code or None)  # fmt: skip


def _mission_fields(mission: Mission) -> dict[str, Any]:
    values = {k: v for k, v in mission.__dict__.items() if k != "lines"}
    return {**values, "lines": [_line(x) for x in mission.lines]}


def mission_out(mission: Mission) -> MissionOut:
    return MissionOut(**_mission_fields(mission))


def _answer(done: Done, created: int = status.HTTP_200_OK) -> Response:
    code = status.HTTP_200_OK if done.replayed else created
    return as_json(mission_out(done.mission), code)


def _lines(body: list[LineIn]) -> list[LineRequest]:
    return [LineRequest(**line.model_dump()) for line in body]


REPLAY = {200: {"model": MissionOut, "description": "Повтор с тем же Idempotency-Key"}}
STEP = responses(401, 403, 404, 409, 422)


def add_routes(router: APIRouter, ctx: AppContext, floor: Requirement) -> None:
    tags: list[Any] = ["floor: missions"]
    readers: list[Any] = [Depends(floor)]
    managers = acting(floor, Action.MANAGE_MISSIONS, "Задания создают и назначают менеджеры")
    Manager = Annotated[Identity, Depends(managers)]
    Worker = Annotated[Identity, Depends(floor)]

    def work() -> Any:
        return mission_work(ctx.db)

    def actor(user: Identity) -> Actor:
        return Actor.of(user.id, user.role)

    @router.get(
        "/missions", response_model=MissionList, tags=tags, dependencies=readers,
        responses=responses(401, 403, 422),
    )  # fmt: skip
    def list_missions(
        status_: Annotated[
            Text | None,
            Query(alias="status", max_length=200, description="Статус или несколько через запятую"),
        ] = None,
        executor_id: Annotated[Id | None, Query()] = None,
        kind: Annotated[Text | None, Query(max_length=32)] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> MissionList:
        """Задания, новые сверху; фильтры `status`, `executor_id`, `kind`."""
        statuses = [s.strip() for s in (status_ or "").split(",") if s.strip()]
        page = queries.missions(
            ctx.db.engine, statuses=statuses, executor_id=executor_id, kind=kind,
            limit=limit, offset=offset,
        )  # fmt: skip
        return MissionList(items=[mission_out(m) for m in page.items], total=page.total)

    @router.post(
        "/missions", response_model=MissionOut, status_code=status.HTTP_201_CREATED, tags=tags,
        responses={**REPLAY, **responses(401, 403, 404, 409, 422)},
    )  # fmt: skip
    def create(body: MissionIn, user: Manager, idempotency_key: IdempotencyKey = None) -> Response:
        """Создать задание (черновик; с `executor_id` — сразу назначенное)."""
        request = MissionRequest(body.kind, _lines(body.lines), body.priority, body.executor_id)
        done = use_cases.create_mission(work(), request, actor(user),
                                        idempotency_key=idempotency_key)  # fmt: skip
        return _answer(done, status.HTTP_201_CREATED)

    @router.get(
        "/missions/{mission_id}", response_model=MissionOut, tags=tags, dependencies=readers,
        responses=responses(401, 403, 404, 422),
    )  # fmt: skip
    def read(mission_id: PathId) -> MissionOut:
        """Задание со строками."""
        found = queries.mission(ctx.db.engine, mission_id)
        if found is None:
            raise NotFound("mission_not_found", "Задание не найдено")
        return mission_out(found)

    @router.patch(
        "/missions/{mission_id}", response_model=MissionOut, tags=tags, responses=STEP,
    )  # fmt: skip
    def change(mission_id: PathId, body: MissionPatch, user: Manager) -> MissionOut:
        """Изменить черновик (иначе 409 `invalid_transition`)."""
        changes: dict[str, Any] = body.model_dump(exclude_unset=True)
        if body.lines is not None:
            changes["lines"] = _lines(body.lines)
        return mission_out(use_cases.update_mission(work(), mission_id, changes, actor(user)))

    @router.post(
        "/missions/{mission_id}/assign", response_model=MissionOut, tags=tags, responses=STEP,
    )  # fmt: skip
    def assign(
        mission_id: PathId, body: AssignIn, user: Manager, idempotency_key: IdempotencyKey = None
    ) -> Response:
        """Назначить исполнителю (черновик или ещё не начатое). Отключённый — 409
        `executor_inactive`."""
        return _answer(use_cases.assign(work(), mission_id, body.executor_id, actor(user),
                                        idempotency_key=idempotency_key))  # fmt: skip

    @router.post(
        "/missions/{mission_id}/start", response_model=MissionOut, tags=tags, responses=STEP,
    )  # fmt: skip
    def start(mission_id: PathId, user: Worker, idempotency_key: IdempotencyKey = None) -> Response:
        """Начать: назначенное → в работе. Работник — только своё задание."""
        return _answer(use_cases.start(work(), mission_id, actor(user),
                                       idempotency_key=idempotency_key))  # fmt: skip

    @router.post(
        "/missions/{mission_id}/complete", response_model=MissionOut, tags=tags, responses=STEP,
    )  # fmt: skip
    def complete(
        mission_id: PathId, user: Worker, idempotency_key: IdempotencyKey = None
    ) -> Response:
        """Завершить задание в работе; невыполненное по строкам остаётся невыполненным."""
        return _answer(use_cases.complete(work(), mission_id, actor(user),
                                          idempotency_key=idempotency_key))  # fmt: skip

    @router.post(
        "/missions/{mission_id}/cancel", response_model=MissionOut, tags=tags, responses=STEP,
    )  # fmt: skip
    def cancel(
        mission_id: PathId, user: Manager, body: CancelIn | None = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response:  # fmt: skip
        """Отменить (из любого состояния, кроме выполненного); сделанное остаётся."""
        reason = body.reason if body else None
        return _answer(use_cases.cancel(work(), mission_id, reason, actor(user),
                                        idempotency_key=idempotency_key))  # fmt: skip

    @router.post(
        "/missions/{mission_id}/record-movement", response_model=Recording,
        status_code=status.HTTP_201_CREATED, tags=tags,
        responses={200: {"model": Recording, "description": "Повтор с тем же Idempotency-Key"},
                   **STEP},
    )  # fmt: skip
    def record(
        mission_id: PathId, body: RecordIn, user: Worker, idempotency_key: IdempotencyKey = None
    ) -> Response:
        """Провести строку: перемещение (TRANSFER) `quantity` шт. товара строки из её места
        в целевое. Только у задания в работе (409 `invalid_transition`); больше остатка
        строки — 422 `quantity_exceeds_rest`; нехватка на месте — 409 `insufficient_stock`.
        Строка с упаковкой целиком (`whole_unit`): упаковка со всем содержимым переезжает
        одним документом (`movements`), `quantity` не нужно; упаковки уже нет на месте —
        409 `handling_unit_elsewhere`; не та упаковка (`unit_code`) — 422."""
        request = RecordRequest(body.line_id, body.quantity, body.location_code, body.barcode,
                                idempotency_key, body.unit_code)  # fmt: skip
        recorded = record_line(work(), mission_id, request, actor(user))
        return as_json(_recording(recorded, user), 200 if recorded.replayed else 201)

    def _recording(recorded: Recorded, user: Identity) -> Recording:
        m = recorded.movement
        if recorded.line.whole_unit:  # the unit's document, as the journal shows it
            return _unit_recording(recorded)
        assert m is not None
        if recorded.names is None:  # a replay: the movement as the journal shows it now
            row = data.stock.journal.journal_entry(ctx.db.engine, m.id)
            movement = MovementOut.model_validate(row)
        else:  # just committed: from the transaction, never read back
            movement = MovementOut(
                id=m.id, operation_type=m.operation_type, product_id=m.product_id,
                quantity=m.quantity, source_id=m.source_id,
                distribution_center_id=m.distribution_center_id,
                from_location_id=m.from_location_id, to_location_id=m.to_location_id,
                user=user.username, notes=m.notes, created_at=m.created_at,
                reversal_of=m.reversal_of, document=m.document, **vars(recorded.names),
            )  # fmt: skip
        return Recording(
            **_mission_fields(recorded.mission), line=_line(recorded.line), movement=movement
        )

    def _unit_recording(recorded: Recorded) -> Recording:
        first = recorded.movement
        rows = []
        if first is not None:
            found = data.stock.journal.journal(
                ctx.db.engine, JournalFilter(document=first.document), limit=MAX_UNIT_ROWS
            )
            rows = sorted(found.items, key=lambda row: row.id)
        movements = [MovementOut.model_validate(row) for row in rows]
        return Recording(
            **_mission_fields(recorded.mission), line=_line(recorded.line),
            movement=movements[0] if movements else None, movements=movements,
        )  # fmt: skip
