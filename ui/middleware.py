"""ASGI middleware of the pages: the import upload's size, enforced on the server while the
body arrives (not only by the browser's check). ui.security has the pages' guard."""

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f}"


UPLOAD_PATHS: set[str] = set()  # the upload routes of open import pages (ui.pages.imports.page)


class BodyTooLarge(Exception):
    pass


class UploadLimit:
    """Pure ASGI middleware: an import upload larger than `file_limit` bytes plus the
    multipart `envelope` around it is answered 413 from its Content-Length, or cut off as
    soon as more than that has arrived."""

    def __init__(self, app: ASGIApp, file_limit: int, envelope: int) -> None:
        self.app = app
        self.file_limit = file_limit
        self.limit = file_limit + envelope

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in UPLOAD_PATHS:
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"Файл больше {megabytes(self.file_limit)} МБ: разделите его на части"
        body = {"error": {"code": "file_too_large", "message": message}}
        await JSONResponse(body, status_code=413)(scope, receive, send)
