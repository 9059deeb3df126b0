"""Quality control (issue 15; core.orders.quality): the checks made when an order that
needs one completes its picking; start, a scanned unit good or defective, photos, finish.

Everyone on the floor checks (Action.CHECK_QUALITY). Every POST takes an
`Idempotency-Key`: the same key again answers 200 and changes nothing. A photo is a
multipart `file`, JPEG or PNG (told by its bytes) up to WMS_QC_PHOTO_MAX_BYTES.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile, status
from pydantic import Field

from core.errors import Forbidden, NotFound, ValidationError
from core.orders import qc_photos
from core.orders import quality as use_cases
from core.orders.qc_photos import photo_too_large
from core.orders.quality import QcStatus, UnitRequest
from core.orders.quality_ports import QcPhoto, QcTask
from core.orders.rules import MAX_REASON
from core.users.auth import Identity
from core.users.policy import Action, can
from data.files.photos import PhotoFiles
from data.orders import quality as queries
from ui.api.errors import ApiRoute, error_response, responses
from ui.api.executors import Requirement, acting
from ui.api.movements import IdempotencyKey, as_json
from ui.api.schemas import Id, Input, Limit, Model, Offset, PathId, Text
from ui.context import AppContext

STATUSES = {"enum": [s.value for s in QcStatus]}
ENVELOPE_BYTES = 64 * 1024
_READ_CHUNK = 256 * 1024


class QcItemOut(Model):
    id: int
    order_line_id: int
    product_id: int
    barcode: str
    sku: str
    product_name: str
    location_id: int = Field(description="Ячейка, из которой собрано")
    location_code: str
    quantity: int = Field(description="Сколько единиц принесли на проверку")
    checked: int
    defect: int


class QcDefectOut(Model):
    id: int
    item_id: int
    product_id: int
    reason: str
    created_at: datetime
    outcome: str | None = Field(
        json_schema_extra={"enum": ["repicked", "shorted", None]},
        description="После завершения: repicked — пересборка, shorted — недостача",
    )
    movement_id: int | None = Field(description="Списание в брак (WRITE_OFF)")
    repick_location_code: str | None


class QcPhotoOut(Model):
    id: int
    task_id: int
    content_type: str
    size_bytes: int
    created_at: datetime
    url: str


class QcTaskOut(Model):
    id: int
    order_id: int
    order_external_id: str
    picking_task_id: int
    station_id: int
    station_code: str
    status: str = Field(json_schema_extra=STATUSES)
    executor_id: int | None
    total_units: int
    checked_units: int
    defect_units: int
    items: list[QcItemOut]
    defects: list[QcDefectOut]
    photos: list[QcPhotoOut]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None


class QcTaskList(Model):
    items: list[QcTaskOut]
    total: int


class StartIn(Input):
    executor_id: Id | None = Field(default=None, description="Кто проверяет (GET /executors)")


class UnitIn(Input):
    product_id: Id | None = None
    barcode: Text | None = Field(default=None, max_length=128, description="Штрихкод единицы")
    condition: Text = Field(json_schema_extra={"enum": ["good", "defect", "missing"]},
                            description="good годный, defect брак, missing нет в наличии "
                            "(недостача на контроле)")  # fmt: skip
    reason: Text | None = Field(default=None, max_length=MAX_REASON, description="Причина брака")


def _pick(model: type[Model], record: object) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k in model.model_fields}


def photo_url(photo: QcPhoto) -> str:
    return f"/api/v1/qc-tasks/{photo.task_id}/photos/{photo.id}"


def task_out(task: QcTask) -> QcTaskOut:
    values = _pick(QcTaskOut, task)
    values.update(
        total_units=task.total_units, checked_units=task.checked_units,
        defect_units=task.defect_units,
        items=[QcItemOut(**_pick(QcItemOut, i)) for i in task.items],
        defects=[QcDefectOut(**_pick(QcDefectOut, d)) for d in task.defects],
        photos=[QcPhotoOut(**_pick(QcPhotoOut, p), url=photo_url(p)) for p in task.photos],
    )  # fmt: skip
    return QcTaskOut(**values)


def _answer(done: use_cases.Done) -> Response:
    code = status.HTTP_200_OK
    return as_json(task_out(done.task), code)


def _photo_route(limit: int) -> type[ApiRoute]:
    """ApiRoute with room for one photo; a larger body is 413 `photo_too_large`."""

    class PhotoRoute(ApiRoute):
        max_body_bytes = limit + ENVELOPE_BYTES

        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                response = await handler(request)
                if response.status_code == 413:
                    error = photo_too_large()
                    return error_response(413, error.code, error.message, field="file")
                if response.status_code == 400:  # a broken multipart body: bad input
                    return error_response(422, "validation_error", "Не удалось прочитать файл")
                return response

            return handle

    return PhotoRoute


def read_photo(upload: UploadFile, limit: int) -> bytes:
    parts: list[bytes] = []
    size = 0
    while chunk := upload.file.read(_READ_CHUNK):
        size += len(chunk)
        if size > limit:
            raise photo_too_large()
        parts.append(chunk)
    return b"".join(parts)


STEP = responses(401, 403, 404, 409, 422)


def add_routes(router: APIRouter, ctx: AppContext, floor: Requirement) -> None:
    tags: list[Any] = ["fulfillment: quality control"]
    checkers = acting(floor, Action.CHECK_QUALITY, "Проверять качество может работник склада")
    Checker = Annotated[Identity, Depends(checkers)]
    store = PhotoFiles(ctx.settings.data_dir)
    limit = ctx.settings.qc_photo_max_bytes

    def uow() -> Any:
        return ctx.db.unit_of_work()

    def own(user: Identity, task_id: int, *, taking: int | None = None,
            starting: bool = False) -> int | None:  # fmt: skip
        """A worker acts on a check they took (or nobody took) only, and takes one as
        themselves; the executor a start records (theirs when none is named)."""
        if can(user.role, Action.MANAGE_ORDERS):
            return taking
        held = queries.ownership(ctx.db.engine, task_id, user.id)  # one row, not the check
        if held is None:
            raise NotFound("qc_task_not_found", "Проверка качества не найдена")
        if starting:
            if taking is not None and taking != held.mine:
                raise Forbidden("forbidden", "Взять проверку можно только на себя")
            return held.mine
        use_cases.check_own(held.executor_id, held.mine)
        return None

    @router.get("/qc-tasks", response_model=QcTaskList, tags=tags,
                responses=responses(401, 403, 422))  # fmt: skip
    def list_checks(
        _: Checker,
        status_: Annotated[
            Text | None,
            Query(alias="status", max_length=200, description="Статус или несколько через запятую"),
        ] = None,
        order_id: Annotated[Id | None, Query()] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> QcTaskList:
        """Проверки качества, новые сверху; фильтры `status`, `order_id`."""
        statuses = [s.strip() for s in (status_ or "").split(",") if s.strip()]
        page = queries.checks(ctx.db.engine, statuses=statuses, order_id=order_id,
                              limit=limit, offset=offset)  # fmt: skip
        return QcTaskList(items=[task_out(t) for t in page.items], total=page.total)

    @router.get("/qc-tasks/{task_id}", response_model=QcTaskOut, tags=tags,
                responses=responses(401, 403, 404, 422))  # fmt: skip
    def read(task_id: PathId, _: Checker) -> QcTaskOut:
        """Проверка: единицы по строкам заказа и ячейкам, брак, фото."""
        return task_out(use_cases.check_of(uow(), task_id))

    @router.post("/qc-tasks/{task_id}/start", response_model=QcTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def start(task_id: PathId, user: Checker, body: StartIn | None = None,
              idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Начать проверку: pending → in_progress. Работник берёт её на себя (чужой
        `executor_id` — 403 `forbidden`); менеджер может указать исполнителя или нет."""
        executor = own(user, task_id, taking=body.executor_id if body else None, starting=True)
        return _answer(use_cases.start_check(uow(), task_id, executor, user.id,
                                             idempotency_key=idempotency_key))  # fmt: skip

    @router.post("/qc-tasks/{task_id}/units", response_model=QcTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def record_unit(task_id: PathId, body: UnitIn, user: Checker,
                    idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Одна отсканированная единица (`barcode` или `product_id`): `good` или `defect` с
        `reason`; `missing` — единицы нет на столе (при завершении — недостача: ADJUSTMENT
        со стола в INVENTORY_LOSS, затем пересборка или недостача, как для брака).
        422 `wrong_product` (товара нет в проверке), `reason_required`; 409
        `qc_count_exceeded` (лишняя единица), `invalid_transition` (проверка не начата);
        403 `forbidden` — проверку ведёт другой исполнитель."""
        own(user, task_id)
        request = UnitRequest(body.condition, body.barcode, body.product_id, body.reason)
        return _answer(use_cases.record_unit(uow(), task_id, request, user.id,
                                             idempotency_key=idempotency_key))  # fmt: skip

    @router.post("/qc-tasks/{task_id}/finish", response_model=QcTaskOut, tags=tags,
                 responses=STEP)  # fmt: skip
    def finish(task_id: PathId, user: Checker,
               idempotency_key: IdempotencyKey = None) -> Response:  # fmt: skip
        """Завершить: нужна каждая единица (иначе 409 `qc_count_mismatch`). Без брака —
        `passed` и задание на упаковку; с браком — `failed`: каждая бракованная единица
        списывается в брак (WRITE_OFF с причиной), строка пересобирается из другой ячейки
        (новое задание на сборку) или, если товара нет, остаётся с недостачей. 403
        `forbidden` — проверку ведёт другой исполнитель."""
        own(user, task_id)
        return _answer(use_cases.finish_check(uow(), task_id, user.id,
                                              idempotency_key=idempotency_key))  # fmt: skip

    photos = APIRouter(route_class=_photo_route(limit))

    @photos.post(
        "/qc-tasks/{task_id}/photos", response_model=QcPhotoOut, tags=tags,
        status_code=status.HTTP_201_CREATED, responses=responses(401, 403, 404, 409, 413, 422),
    )  # fmt: skip
    def add_photo(
        task_id: PathId, user: Checker,
        file: Annotated[UploadFile, File(description="Снимок JPEG или PNG")],
        idempotency_key: IdempotencyKey = None,
    ) -> Response:  # fmt: skip
        """Фото к проверке (камера планшета): JPEG или PNG — по содержимому, не по имени;
        больше WMS_QC_PHOTO_MAX_BYTES (5 МБ) — 413 `photo_too_large`, не снимок — 422
        `photo_not_image`. Хранится под сгенерированным именем; имя файла не используется."""
        try:
            content = read_photo(file, limit)
        except ValidationError as error:
            return error_response(413, error.code, error.message, field="file")
        try:
            photo = qc_photos.attach_photo(uow(), store, task_id, content, user.id,
                                           idempotency_key=idempotency_key)  # fmt: skip
        except ValidationError as error:
            if error.code == "photo_too_large":
                return error_response(413, error.code, error.message, field="file")
            raise
        out = QcPhotoOut(**_pick(QcPhotoOut, photo), url=photo_url(photo))
        return as_json(out, status.HTTP_201_CREATED)

    @router.get(
        "/qc-tasks/{task_id}/photos/{photo_id}", tags=tags,
        responses={200: {"content": {"image/jpeg": {}, "image/png": {}}},
                   **responses(401, 403, 404, 422)},
    )  # fmt: skip
    def get_photo(task_id: PathId, photo_id: PathId, _: Checker) -> Response:
        """Снимок (image/jpeg или image/png)."""
        photo = qc_photos.photo_of(uow(), photo_id)
        content = store.read(photo.file_name) if photo.task_id == task_id else None
        if content is None:
            raise NotFound("photo_not_found", "Фото не найдено")
        return photo_response(photo, content)

    router.include_router(photos)


def photo_response(photo: QcPhoto, content: bytes) -> Response:
    # The stored type, never sniffed by the browser; private: a photo of someone's order.
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff",
               "Content-Disposition": f'inline; filename="qc-{photo.id}"'}  # fmt: skip
    return Response(content, media_type=photo.content_type, headers=headers)
