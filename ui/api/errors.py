"""One error body for the whole API: {"error": {"code", "message"}}, on every 4xx and 5xx.

Errors inside an API route are turned into that body by `ApiRoute`; a 404 or 405 that
happens before any route is chosen is answered by handlers that look only at /api paths,
so NiceGUI pages keep their own error pages.
"""

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute
from starlette.types import Message
from structlog.contextvars import bound_contextvars

from core.errors import DomainError
from core.labels.printing import PrinterUnavailable
from ui.failures import INTERNAL, failure_of, log_failure
from ui.logs import path_ids

log = logging.getLogger("wms.api")

STATUS_OF_KIND = {"invalid": 422, "not_found": 404, "conflict": 409, "forbidden": 403}
BEARER = {"WWW-Authenticate": "Bearer"}

# Statuses raised by the framework itself (routing, body parsing), in the API's words.
HTTP_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "Некорректный запрос: тело не удалось прочитать"),
    401: ("not_authenticated", "Нужен токен: заголовок Authorization: Bearer …"),
    403: ("forbidden", "Нет прав на это действие"),
    404: ("not_found", "Такого адреса в API нет"),
    405: ("method_not_allowed", "Этот метод не поддерживается по этому адресу"),
    406: ("not_acceptable", "Ответ в запрошенном формате невозможен"),
    413: ("payload_too_large", "Слишком большой запрос"),
    415: ("unsupported_media_type", "Неподдерживаемый формат тела запроса"),
}


class ErrorDetail(BaseModel):
    code: str = Field(description="Стабильный код ошибки для программ")
    message: str = Field(description="Сообщение для человека (по-русски)")
    field: str | None = Field(default=None, description="Поле запроса, если ошибка в нём")


class ErrorBody(BaseModel):
    error: ErrorDetail


class ApiError(Exception):
    """An error the API itself decides on (authentication, roles)."""

    def __init__(
        self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = ErrorBody(error=ErrorDetail(code=code, message=message, field=field))
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def response_for(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, ApiError):
        return error_response(error.status, error.code, error.message, headers=error.headers)
    if isinstance(error, PrinterUnavailable):  # worth a retry; the label can be downloaded
        return error_response(503, error.code, error.message)
    if isinstance(error, DomainError):
        status = STATUS_OF_KIND.get(error.kind, 422)
        return error_response(status, error.code, error.message, field=error.field)
    if isinstance(error, RequestValidationError):
        field, message = describe_validation(error.errors())
        return error_response(422, "validation_error", message, field=field)
    if isinstance(error, BodyTooLarge) or isinstance(error.__cause__, BodyTooLarge):
        return error_response(413, *HTTP_ERRORS[413])  # FastAPI wraps it in a 400
    if isinstance(error, StarletteHTTPException) and error.status_code == 400 and error.__cause__:
        # FastAPI could not parse the body (e.g. not UTF-8): bad input like broken JSON.
        message = "Ошибка в запросе: тело не удалось прочитать"
        return error_response(422, "validation_error", message)
    if isinstance(error, StarletteHTTPException):
        code, message = HTTP_ERRORS.get(error.status_code, (f"http_{error.status_code}", ""))
        if not message:
            message = str(error.detail) if error.detail else "Ошибка запроса"
        return error_response(error.status_code, code, message, headers=error.headers)
    # The database away (503: worth a retry; a write may be done if its COMMIT failed),
    # a constraint nobody foresaw (409), another database error (500): ui.failures says.
    failure = failure_of(error, writing=request.method not in ("GET", "HEAD"))
    if failure is not None:
        log_failure(failure, error, f"API {request.method} {request.url.path}")
        return error_response(failure.status, failure.code, failure.message)
    # A bug, not bad input: logged with its traceback, which never reaches the client.
    log.exception("API error on %s %s", request.method, request.url.path)
    return error_response(500, INTERNAL.code, INTERNAL.message)


class BodyTooLarge(Exception):
    pass


def _limited(request: Request, limit: int) -> Request:
    """The request, refusing to read more than `limit` bytes of body (also when chunked)."""
    receive, seen = request.receive, 0

    async def limited_receive() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge
        return message

    return Request(request.scope, limited_receive)


class ApiRoute(APIRoute):
    """An API route whose every failure is answered with the error body.

    It limits the body itself: Starlette's own limit answers 413 in plain text."""

    max_body_bytes = 1024 * 1024  # a movement or a product is a few hundred bytes

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()
        limit = self.max_body_bytes

        async def handle(request: Request) -> Response:
            declared = request.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                return error_response(413, *HTTP_ERRORS[413])
            # The route's ids (order_id, task_id…) on every line logged while it runs;
            # the use case's thread gets them too (Starlette copies the context).
            with bound_contextvars(**path_ids(request.path_params)):
                try:
                    return await handler(_limited(request, limit))
                except Exception as error:
                    return response_for(request, error)

        return handle


# --- Validation errors in Russian, naming the field ---

_LOCATIONS = {"body", "query", "path", "header", "cookie"}


def _field_name(loc: Sequence[Any]) -> str | None:
    parts = list(loc)
    where = parts.pop(0) if parts and parts[0] in _LOCATIONS else None
    if where == "body" and parts and isinstance(parts[0], int):
        return None  # a JSON syntax error: the position, not a field
    if where == "header" and parts:
        parts[0] = "-".join(word.capitalize() for word in str(parts[0]).split("-"))
    return ".".join(str(p) for p in parts) or None


def _problem(error: dict[str, Any]) -> str:
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "missing":
        return "обязательное поле"
    if kind.startswith("int_"):
        return "ожидается целое число"
    if kind.startswith("bool_"):
        return "ожидается true или false"
    if kind.startswith(("float_", "decimal_")):
        return "ожидается число"
    if kind == "string_type":
        return "ожидается строка"
    if kind == "greater_than_equal":
        return f"должно быть не меньше {ctx.get('ge')}"
    if kind == "greater_than":
        return f"должно быть больше {ctx.get('gt')}"
    if kind == "less_than_equal":
        return f"должно быть не больше {ctx.get('le')}"
    if kind == "less_than":
        return f"должно быть меньше {ctx.get('lt')}"
    if kind == "string_too_long":
        return f"не больше {ctx.get('max_length')} символов"
    if kind == "string_too_short":
        return f"не меньше {ctx.get('min_length')} символов"
    if kind == "extra_forbidden":
        return "неизвестное поле"
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return "ожидается объект JSON"
    if kind == "list_type":
        return "ожидается список"
    if kind in {"literal_error", "enum"}:
        return f"допустимые значения: {ctx.get('expected')}"
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    return "недопустимое значение"


def describe_validation(errors: Sequence[Any]) -> tuple[str | None, str]:
    """The first problem's field and a Russian message covering up to three problems."""
    if not errors:
        return None, "Некорректный запрос"
    parts: list[str] = []
    first_field: str | None = None
    for i, error in enumerate(errors[:3]):
        if error.get("type") == "json_invalid":
            parts.append("тело запроса — некорректный JSON")
            continue
        field = _field_name(error.get("loc", ()))
        if i == 0:
            first_field = field
        if field is None:
            parts.append(f"тело запроса: {_problem(error)}")
        else:
            parts.append(f"поле «{field}»: {_problem(error)}")
    message = "; ".join(parts)
    return first_field, "Ошибка в запросе: " + message


# --- 404 and 405 before any route is chosen ---

_FALLBACK = "_wms_api_fallback"
Handler = Callable[[Request, Exception], Any]


def _is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def _dispatcher(fallback: Handler, routes: Sequence[BaseRoute]) -> Handler:
    async def dispatch(request: Request, error: Exception) -> Response:
        if _is_api(request):
            if isinstance(error, StarletteHTTPException) and error.status_code == 405:
                # Starlette names only the first matching route's methods; name them all.
                error.headers = {"Allow": ", ".join(_methods_at(routes, request.url.path))}
            return response_for(request, error)
        result = fallback(request, error)
        return await result if inspect.isawaitable(result) else result

    setattr(dispatch, _FALLBACK, fallback)
    return dispatch


def _methods_at(routes: Sequence[BaseRoute], path: str) -> list[str]:
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, APIRoute) and route.path_regex.match(path):
            methods |= route.methods
    return sorted(methods)


def install_handlers(app: FastAPI, routes: Sequence[BaseRoute]) -> None:
    """Answer /api paths with the error body; every other path keeps its handler.

    `routes`: the API's, for the Allow header of a 405. Idempotent: the app is built
    again for each test, and must not wrap itself twice.
    """
    for key in (404, StarletteHTTPException):
        current = app.exception_handlers.get(key, http_exception_handler)
        fallback = getattr(current, _FALLBACK, current)
        app.exception_handlers[key] = _dispatcher(fallback, routes)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI documentation of the error answers a route may give."""
    descriptions = {
        401: "Нет токена, токен недействителен или истёк",
        403: "Роли пользователя нельзя пользоваться API",
        404: "Не найдено",
        409: "Конфликт с текущим состоянием (остатки, повтор, уникальность)",
        413: "Слишком большой запрос",
        422: "Ошибка в данных запроса",
        503: "Недоступен принтер этикеток (`printer_unavailable`) или база данных",
    }
    return {s: {"model": ErrorBody, "description": descriptions[s]} for s in statuses}
