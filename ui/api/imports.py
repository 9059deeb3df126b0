"""POST /api/v1/imports (DESIGN.md §5): an Excel or CSV file checked, and written whole
unless `dry_run` — all through core.imports.

The upload's size is limited on the server while it is being received (not only from
its Content-Length): a larger body is cut off with 413 before it is stored.
"""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile

from core.imports import (
    IMPORT_KINDS,
    FileRejected,
    ImportQueueTimeout,
    ImportReport,
    file_too_large,
    importable,
)
from core.imports.orders import OrderOptions
from core.settings import Settings
from core.stock.operations import OPERATIONS
from core.users.auth import Identity
from data.imports.importing import import_file
from ui.api.errors import ApiError, ApiRoute, ErrorBody, error_response, responses
from ui.api.schemas import Model, Text
from ui.context import AppContext

# Room for the multipart envelope and the form's small fields around the file itself.
ENVELOPE_BYTES = 64 * 1024
_READ_CHUNK = 1024 * 1024
_BROKEN_FORM = (
    "Ошибка в запросе: тело не удалось прочитать — ожидается multipart/form-data "
    "с полями file и kind"
)


# The names operation_type takes: an importable operation's code or label (matched case-
# and space-insensitively, so the list documents the spellings, not every variant).
OPERATION_NAMES = list(
    dict.fromkeys(
        name
        for op in OPERATIONS.values()
        if importable(op)
        for name in (op.code, op.label_ru, op.label_en)
    )
)
RETRY_AFTER_SECONDS = 30
QUEUE_RESPONSE: dict[int | str, dict[str, Any]] = {
    503: {
        "model": ErrorBody,
        "description": "Другие большие файлы загружаются дольше, чем этот может ждать "
        "очереди (`import_queue_timeout`): файл не прочитан; повторите после Retry-After",
    }
}


def _operation_names(schema: dict[str, Any]) -> None:
    """The string branch of `string | null` lists the names (null stays allowed)."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string":
            branch["enum"] = OPERATION_NAMES


class RowErrorOut(Model):
    row: int
    column: str | None
    code: str
    message: str


class PlannedChangeOut(Model):
    row: int
    action: str
    description: str


class ImportReportOut(Model):
    kind: str
    dry_run: bool
    rows_total: int
    rows_ok: int
    applied: bool
    errors: list[RowErrorOut]
    changes: list[PlannedChangeOut]
    counts: dict[str, int]
    file_name: str
    file_sha256: str
    import_id: int | None
    same_file_imported_before: bool
    error_count: int
    file_format: str | None = None  # orders: wb_fbs, ozon_fbs, yandex, wb_fbo, … template


def _import_route(settings: Settings) -> type[ApiRoute]:
    """ApiRoute with room for a file of the configured size; a 413 names the file limit and
    a body that is not valid multipart is a 422, as any other bad input."""
    limit = settings.import_max_bytes + ENVELOPE_BYTES

    class ImportRoute(ApiRoute):
        max_body_bytes = limit

        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            handler = super().get_route_handler()

            async def handle(request: Request) -> Response:
                response = await handler(request)
                if response.status_code == 413:
                    error = file_too_large(settings)
                    return error_response(413, error.code, error.message, field="file")
                if response.status_code == 400:  # a broken multipart body: bad input
                    return error_response(422, "validation_error", _BROKEN_FORM)
                return response

            return handle

    return ImportRoute


def _read(upload: UploadFile, settings: Settings) -> bytes:
    """The uploaded file, refusing one over the limit (the body limit above is the first
    guard; this one counts the file's own bytes)."""
    parts: list[bytes] = []
    size = 0
    while chunk := upload.file.read(_READ_CHUNK):
        size += len(chunk)
        if size > settings.import_max_bytes:
            raise file_too_large(settings)
        parts.append(chunk)
    return b"".join(parts)


def add_routes(router: APIRouter, ctx: AppContext, managers: Callable[..., Any]) -> None:
    settings = ctx.settings
    imports = APIRouter(route_class=_import_route(settings))

    @imports.post(
        "/imports", response_model=ImportReportOut, tags=["imports"],
        responses={**responses(401, 403, 409, 413, 422), **QUEUE_RESPONSE},
    )  # fmt: skip
    def post_import(
        user: Annotated[Identity, Depends(managers)],
        file: Annotated[UploadFile, File(description="Файл .xlsx, .xls или .csv")],
        kind: Annotated[
            Text,
            Form(
                max_length=32,
                description="products, movements, opening_balances или orders",
                json_schema_extra={"enum": list(IMPORT_KINDS)},
            ),
        ],
        operation_type: Annotated[
            Text | None,
            Form(
                max_length=64,
                description="Операция для всего файла (код или название), "
                "если в файле нет столбца «Операция»",
                json_schema_extra=_operation_names,
            ),
        ] = None,
        dry_run: Annotated[
            bool, Form(description="true — только проверить и показать, что изменится")
        ] = True,
        external_id: Annotated[
            Text | None,
            Form(
                max_length=128,
                description="orders: номер поставки из файла поставки "
                "WB или Ozon (без него — имя файла)",
            ),
        ] = None,
        distribution_center_id: Annotated[
            int | None,
            Form(
                ge=1,
                le=2**31 - 1,
                description="orders: РЦ поставки из файла поставки WB "
                "или Ozon (без него — РЦ, названный в имени файла)",
            ),
        ] = None,
    ) -> ImportReportOut:
        """Загрузить файл: товары, операции, начальные остатки или заказы.

        Заказы (`kind=orders`) читаются и из выгрузок маркетплейсов как есть: формат
        узнаётся по заголовкам (`file_format`); каждый заказ создаётся и подтверждается
        так же, как `POST /orders`, заказ с уже известным номером не создаётся повторно.

        Ответ 200 — отчёт, если файл удалось прочитать: число строк, ошибки
        (`row` — номер строки как в таблице, `column` — заголовок столбца) и что изменится.
        Файл с ошибками ничего не записывает; без ошибок и с `dry_run=false` он
        записывается целиком в одной транзакции. Файл, который не читается как
        таблица, — 422; слишком большой — 413.

        Большие файлы проверяются по очереди (`WMS_IMPORT_MAX_PARALLEL` одновременно):
        запрос ждёт своей очереди и отвечает как обычно; если ждать пришлось дольше
        `WMS_IMPORT_QUEUE_TIMEOUT_SECONDS`, ответ — 503 `import_queue_timeout`
        с заголовком Retry-After, и ничего не прочитано и не записано.
        """
        try:
            content = _read(file, settings)
            report = import_file(
                ctx.db,
                content=content,
                file_name=file.filename or "file",
                kind=kind,
                operation_type=operation_type,
                dry_run=dry_run,
                user_id=user.id,
                settings=settings,
                order_options=OrderOptions(external_id, distribution_center_id),
            )
        except FileRejected as error:
            raise ApiError(error.status, error.code, error.message) from None
        except ImportQueueTimeout as error:
            retry = {"Retry-After": str(RETRY_AFTER_SECONDS)}
            raise ApiError(503, error.code, error.message, headers=retry) from None
        return _out(report)

    router.include_router(imports)


def _out(report: ImportReport) -> ImportReportOut:
    return ImportReportOut.model_validate(report)
