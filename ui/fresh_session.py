"""A new session for the browser at sign-in and at sign-out (no session fixation).

NiceGUI keys `app.storage.user` by an id in the signed session cookie. A session someone
else knows (a cookie planted in the browser, a sign-in form left open on a shared computer)
must never become signed in. Sign-in runs in a websocket event, which cannot set a cookie:
it leaves a one-time ticket and sends the browser to /login/done, whose answer gives the
browser a new id, signs that one in, and empties the old one.
"""

import secrets
import time
import uuid
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import RedirectResponse
from nicegui import app, ui

from core.users.auth import Identity, identity
from ui.context import AppContext
from ui.session import current_user, sign_in

DONE_PATH = "/login/done"
LOGOUT_PATH = "/logout"
TICKET_SECONDS = 60.0
PREFERENCES = ("language", "dark")  # all a browser keeps from one session to the next


@dataclass(frozen=True)
class _Pending:
    user: Identity
    target: str
    session_id: str  # the browser that signed in: a ticket is no use in another one
    expires: float  # time.monotonic()


_pending: dict[str, _Pending] = {}


def finish_url(user: Identity, target: str) -> str:
    """In the sign-in event: where to send the browser to be signed in (and then to `target`,
    a checked path of this app)."""
    now = time.monotonic()
    for ticket in [t for t, p in _pending.items() if p.expires < now]:
        _pending.pop(ticket, None)
    ticket = secrets.token_urlsafe(32)
    session_id = str(ui.context.client.request.session.get("id", ""))
    _pending[ticket] = _Pending(user, target, session_id, now + TICKET_SECONDS)
    return f"{DONE_PATH}?ticket={ticket}"


async def _renew(request: Request) -> None:
    """Give the browser of `request` a new session id (a new cookie in this answer); it keeps
    only its preferences, and the old id's storage is emptied."""
    old = app.storage.user
    kept = {key: old[key] for key in PREFERENCES if key in old}
    old.clear()
    new_id = str(uuid.uuid4())
    request.session["id"] = new_id
    # What NiceGUI's RequestTrackingMiddleware does for a browser it has not seen before;
    # there is no public call for it (tests/e2e/test_security.py would catch a change).
    await app.storage._create_user_storage(new_id)
    app.storage.user.update(kept)


def register(ctx: AppContext) -> None:
    @app.get(DONE_PATH, include_in_schema=False)
    async def finish_sign_in(request: Request, ticket: str = "") -> RedirectResponse:
        pending = _pending.pop(ticket, None)
        if (
            pending is None
            or pending.expires < time.monotonic()
            or not secrets.compare_digest(pending.session_id, str(request.session.get("id")))
        ):
            return RedirectResponse("/login", status_code=303)
        user = pending.user
        if identity(ctx.users, user.id, user.credentials_version) is None:
            return RedirectResponse("/login", status_code=303)  # deactivated meanwhile
        await _renew(request)
        sign_in(user)
        return RedirectResponse(pending.target, status_code=303)

    @app.get(LOGOUT_PATH, include_in_schema=False)
    async def after_sign_out(request: Request) -> RedirectResponse:
        # Signing out happens in the page's own event: a GET that another site can make a
        # browser open must not sign anyone out. This only renews a signed-out session.
        if current_user(ctx) is None:
            await _renew(request)
        return RedirectResponse("/login", status_code=303)
