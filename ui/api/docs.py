"""/docs from the Swagger UI files shipped in a Python package (fastapi-offline's): FastAPI's
default page loads them from a CDN, and an office LAN may have no internet."""

from pathlib import Path

import fastapi_offline
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from nicegui import app

ASSETS = "/_docs"
SWAGGER_FILES = Path(fastapi_offline.__file__).parent / "static"


def add_docs(title: str, version: str) -> None:
    app.title, app.version = title, version
    app.openapi_url, app.docs_url, app.redoc_url = "/openapi.json", None, None
    app.setup()  # registers /openapi.json
    # A mount, not add_static_files: it stays out of the OpenAPI document.
    app.mount(ASSETS, StaticFiles(directory=SWAGGER_FILES), name="docs")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=title,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )
