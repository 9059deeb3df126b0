"""NiceGUI's own routes act only for signed-in browsers; the sign-in page keeps working;
responses carry security headers."""

import asyncio
import inspect
import re
from collections.abc import Callable
from urllib.parse import unquote

import httpx
import pytest
from nicegui import app, core, ui
from nicegui.testing import User
from starlette.routing import Route

from core.users.accounts import update_user
from core.users.auth import identity
from core.users.policy import ROLES, Action, can, roles_that_can
from data.database import Database
from data.users.store import SqlUserAdminStore, SqlUserStore
from tests.conftest import ADMIN_PASSWORD, add_user, another_browser, arrived, open_page, sign_in
from tests.helpers import eventually
from ui.fresh_session import DONE_PATH
from ui.pages.users.login import safe_next
from ui.security import SECURITY_HEADERS, is_internal_action

CSV = {"file": ("остатки.csv", "Баркод;Количество\n4600000000012;5\n".encode(), "text/csv")}


def upload_probe() -> list[str]:
    """A page with a file upload, as an import page would have; returns what arrived."""
    received: list[str] = []

    @ui.page("/upload-probe")
    def probe() -> None:
        ui.upload(on_upload=lambda e: received.append(e.file.name), auto_upload=True)

    return received


def upload_url(user: User) -> str:
    upload = user.find(kind=ui.upload).elements.pop()
    return str(upload.props["url"])


async def test_anonymous_upload_is_refused(visitor: User) -> None:
    received = upload_probe()
    await open_page(visitor, "/upload-probe")
    url = upload_url(visitor)
    assert re.fullmatch(r"/_nicegui/client/[0-9a-f-]+/upload/\d+", url)

    response = await visitor.http_client.post(url, files=CSV)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert received == []


async def test_anonymous_request_to_a_guessed_upload_route_is_refused(visitor: User) -> None:
    response = await visitor.http_client.post("/_nicegui/client/abc/upload/1", files=CSV)
    assert response.status_code == 401


async def test_signed_in_upload_still_works(admin: User) -> None:
    received = upload_probe()
    await open_page(admin, "/upload-probe")

    response = await admin.http_client.post(upload_url(admin), files=CSV)

    assert response.status_code == 200
    assert received == ["остатки.csv"]


async def test_upload_of_a_user_deactivated_meanwhile_is_refused(
    worker: User, app_database: Database
) -> None:
    received = upload_probe()
    await open_page(worker, "/upload-probe")
    users = SqlUserStore(app_database.engine)
    chief = identity(users, add_user(app_database, "chief", "admin"), 0)
    me = users.find("worker")
    assert chief is not None and me is not None
    update_user(SqlUserAdminStore(app_database.engine), chief, me.id, is_active=False)

    response = await worker.http_client.post(upload_url(worker), files=CSV)

    assert response.status_code == 401
    assert received == []


async def test_an_upload_to_another_browsers_page_is_refused_and_leaves_that_page_alone(
    manager: User, create_user: Callable[[], User], app_database: Database
) -> None:
    """A signed-in worker who learnt the upload address of a manager's import page: refused
    before the page's handlers run, so the manager sees no notice and stays on the page."""
    await open_page(manager, "/import")
    await manager.should_see(marker="import-upload")
    url = upload_url(manager)
    add_user(app_database, "worker", "worker")
    tablet = await another_browser(create_user, "worker")
    histories = (list(manager.back_history), list(tablet.back_history))

    response = await tablet.http_client.post(url, files=CSV)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    await asyncio.sleep(0.3)  # a navigation or a notice would have been sent by now
    # No refusal was shown and nobody was sent anywhere: the simulation records notices
    # and navigations on whichever browser acted last, so both are checked.
    assert manager.notify.messages == [] and tablet.notify.messages == []
    assert manager.back_history[-1] == "/import"
    assert (manager.back_history, tablet.back_history) == histories
    await manager.should_see(marker="import-upload")
    # The manager's own upload still works.
    assert (await manager.http_client.post(url, files=CSV)).status_code == 200


async def test_an_admin_cannot_post_to_another_browsers_page_either(
    admin: User, create_user: Callable[[], User], app_database: Database
) -> None:
    """Whose page it is, not which role: an action of a page belongs to its browser."""
    received = upload_probe()
    add_user(app_database, "manager", "manager")
    office = await another_browser(create_user, "manager")
    await open_page(office, "/upload-probe")

    response = await admin.http_client.post(upload_url(office), files=CSV)

    assert response.status_code == 403
    assert received == []


async def test_a_page_event_from_another_socket_is_dropped(manager: User) -> None:
    """NiceGUI would run the handler of any page whose id a socket message names, with the
    session of the browser that opened that page: a worker could act as the manager."""
    clicked: list[str] = []

    @ui.page("/click-probe")
    def probe() -> None:
        ui.button("Провести", on_click=lambda: clicked.append("clicked")).mark("probe")

    await open_page(manager, "/click-probe")
    button = manager.find(marker="probe").elements.pop()
    assert manager.client is not None
    message = {
        "client_id": manager.client.id,
        "id": button.id,
        "type": "click",
        "listener_id": next(iter(button._event_listeners)),
        "args": [],
    }

    async def send(sid: str) -> None:  # as python-socketio calls the handler
        result = core.sio.handlers["/"]["event"](sid, dict(message))
        if inspect.isawaitable(result):
            await result

    await send("a-workers-socket")
    await asyncio.sleep(0.2)
    assert clicked == []

    # The page's own socket (the one NiceGUI put in the page's room at its handshake).
    core.sio.manager.rooms.setdefault("/", {}).setdefault(manager.client.id, {})["own"] = "own"
    try:
        await send("own")
        await eventually(lambda: clicked == ["clicked"])
    finally:
        del core.sio.manager.rooms["/"][manager.client.id]["own"]


async def test_no_internal_route_acts_for_an_anonymous_browser(visitor: User) -> None:
    """Every route NiceGUI serves under /_nicegui that is not a plain read is refused."""
    upload_probe()
    await open_page(visitor, "/upload-probe")
    acting = [
        (method, route.path.replace("{key:path}", "x").replace("{path:path}", "x"))
        for route in app.routes
        if isinstance(route, Route) and route.path.startswith("/_nicegui")
        for method in route.methods or ()
        if method not in {"GET", "HEAD"}
    ]
    assert acting, "the probe page's upload route should be listed"
    for method, path in acting:
        response = await visitor.http_client.request(method, path)
        assert response.status_code == 401, (method, path)


async def test_sign_in_page_and_its_assets_stay_open(visitor: User) -> None:
    page = await visitor.http_client.get("/login")
    assert page.status_code == 200
    asset = re.search(r'"(/_nicegui/[\d.]+/static/[^"]+\.js)"', page.text)
    assert asset is not None
    assert (await visitor.http_client.get(asset.group(1))).status_code == 200
    # socket.io's long-polling handshake, the first thing the page does
    socket = await visitor.http_client.get("/_nicegui_ws/socket.io/?EIO=4&transport=polling")
    assert socket.status_code == 200
    assert (await visitor.http_client.get("/favicon.ico")).status_code == 200


async def test_responses_carry_security_headers(visitor: User) -> None:
    for path in ("/login", "/healthz"):
        response = await visitor.http_client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value, (path, name)
    refused = await visitor.http_client.post("/_nicegui/client/abc/upload/1")
    assert refused.headers["X-Frame-Options"] == "DENY"


def test_only_state_changing_internal_requests_are_checked() -> None:
    assert is_internal_action("POST", "/_nicegui/client/c/upload/5")
    assert is_internal_action("delete", "/_nicegui/anything")
    assert not is_internal_action("GET", "/_nicegui/3.18.0/static/nicegui.js")
    assert not is_internal_action("POST", "/_nicegui_ws/socket.io/")  # the sign-in page needs it
    assert not is_internal_action("POST", "/api/v1/movements")  # the API has its own tokens


# --- sign-in: where it leads, which session it signs in, the cookie -----------------------

HOSTILE_NEXT = [
    "/%5C127.0.0.2:18999/x",  # /\host: browsers read the backslash as a slash
    "/%09/127.0.0.2:18999/x",  # browsers drop the tab: //host
    "/%5C%5C127.0.0.2/x",
    "//127.0.0.2/x",
    "https://127.0.0.2/x",
    "/%0D%0A/127.0.0.2",
    "javascript:alert(1)",
]


def test_next_accepts_only_paths_of_this_app() -> None:
    assert safe_next("/products?q=кружка&page=2") == "/products?q=кружка&page=2"
    assert safe_next("/movements/5") == "/movements/5"
    for target in [unquote(t) for t in HOSTILE_NEXT] + ["", None, "products", "/\\x"]:
        assert safe_next(target) == "/", target


async def test_sign_in_never_leads_to_another_host(admin: User) -> None:
    for target in HOSTILE_NEXT:
        response = await admin.http_client.get(f"/login?next={target}", follow_redirects=False)
        assert response.status_code in (302, 303, 307), target
        assert response.headers["location"] == "/", target


async def test_a_hostile_next_after_the_form_lands_on_the_dashboard(visitor: User) -> None:
    await visitor.open("/login?next=/%5C127.0.0.2:18999/x")
    visitor.find("Имя пользователя").type("admin")
    visitor.find("Пароль").type(ADMIN_PASSWORD)
    visitor.find("Войти").click()
    await arrived(visitor, "/")


def browser_with(cookie: str) -> httpx.AsyncClient:
    """Someone else's browser holding a copy of a session cookie."""
    transport = httpx.ASGITransport(core.app)
    return httpx.AsyncClient(
        transport=transport, base_url="http://test", cookies={"session": cookie}
    )


async def test_a_session_cookie_taken_before_sign_in_is_useless_after_it(visitor: User) -> None:
    """Session fixation: a cookie planted in the browser, or copied from a sign-in form left
    open on a shared computer, must not become signed in when the victim signs in."""
    await visitor.open("/login")
    taken = visitor.http_client.cookies["session"]
    await sign_in(visitor, "admin", ADMIN_PASSWORD)
    await arrived(visitor, "/")
    assert visitor.http_client.cookies["session"] != taken
    async with browser_with(taken) as attacker:
        response = await attacker.get("/", follow_redirects=False)
    assert response.status_code == 307
    assert response.headers["location"].startswith("/login")
    await open_page(visitor, "/password")  # the victim stays signed in
    await visitor.should_see("Текущий пароль")


async def test_a_sign_in_ticket_is_no_use_in_another_browser(visitor: User) -> None:
    await visitor.open("/login?next=/password")
    visitor.find("Имя пользователя").type("admin")
    visitor.find("Пароль").type(ADMIN_PASSWORD)
    navigations: list[str] = []
    visitor.navigate.to = navigations.append  # type: ignore[method-assign]  # keep the link
    visitor.find("Войти").click()
    await eventually(lambda: bool(navigations))
    assert navigations[0].startswith(DONE_PATH)
    async with browser_with("") as stranger:
        await stranger.get("/login")  # a session of its own
        response = await stranger.get(navigations[0], follow_redirects=False)
        assert response.headers["location"] == "/login"
        assert (await stranger.get("/", follow_redirects=False)).status_code == 307


async def test_sign_out_gives_the_browser_a_new_session(admin: User) -> None:
    signed_in = admin.http_client.cookies["session"]
    admin.find(marker="sign-out").click()
    await admin.should_see("Войти")
    await eventually(lambda: admin.http_client.cookies.get("session") != signed_in)
    async with browser_with(signed_in) as copy:
        assert (await copy.get("/", follow_redirects=False)).status_code == 307


async def test_over_plain_http_the_cookie_is_not_secure_and_no_hsts(visitor: User) -> None:
    response = await visitor.http_client.get("/login")
    assert "secure" not in response.headers["set-cookie"].lower()
    assert "Strict-Transport-Security" not in response.headers


@pytest.fixture
def served_over_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WMS_HTTPS", "true")


async def test_over_https_the_cookie_is_secure_and_hsts_is_sent(
    served_over_https: None, visitor: User
) -> None:
    response = await visitor.http_client.get("/login")
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_the_policy_gives_the_office_to_managers_and_administration_to_admins_only() -> None:
    office = (Action.SEE_DASHBOARD, Action.POST_MOVEMENTS, Action.USE_API, Action.EXPORT_FILES,
              Action.MANAGE_MISSIONS)  # fmt: skip
    for action in office:
        assert roles_that_can(action) == {"admin", "manager"}, action
    for action in (Action.MANAGE_USERS, Action.MANAGE_REFERENCES, Action.BACKUP):
        assert roles_that_can(action) == {"admin"}, action
    assert roles_that_can(Action.CHANGE_OWN_PASSWORD) == set(ROLES)
    assert roles_that_can(Action.FLOOR_HOME) == {"worker"}
    assert roles_that_can(Action.WORK_MISSIONS) == set(ROLES)  # managers may do a worker's work
    assert not any(can("intruder", action) for action in Action)
