"""/docs works on a LAN without internet: Swagger UI's files are served by the app."""

from nicegui.testing import User


async def test_docs_page_uses_local_swagger_files(visitor: User) -> None:
    page = await visitor.http_client.get("/docs")
    assert page.status_code == 200
    assert "/_docs/swagger-ui-bundle.js" in page.text
    assert "cdn." not in page.text
    for asset in ("/_docs/swagger-ui-bundle.js", "/_docs/swagger-ui.css"):
        assert (await visitor.http_client.get(asset)).status_code == 200


async def test_openapi_lists_the_api_and_not_nicegui_internals(visitor: User) -> None:
    schema = (await visitor.http_client.get("/openapi.json")).json()
    paths = set(schema["paths"])
    assert "/api/v1/movements" in paths and "/api/v1/stock/balances" in paths
    assert all(p.startswith("/api/v1/") or p == "/healthz" for p in paths)
