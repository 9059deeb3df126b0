"""REST API v1 (DESIGN.md §5) on NiceGUI's FastAPI app, documented at /docs."""

from fastapi import APIRouter
from nicegui import app

from core.policy import Action, roles_that_can
from ui.api import auth, errors, movements, products, references, stack, stock
from ui.api import backup as api_backup
from ui.api import exports as api_exports
from ui.api import imports as api_imports
from ui.api.docs import add_docs
from ui.context import AppContext

PREFIX = "/api/v1"


def register(ctx: AppContext) -> None:
    # Each requirement is an action of core.policy: the roles that may USE_API reach every
    # route (a worker's token is refused, as on the pages); BACKUP guards the backup.
    tokens = auth.Tokens.for_app(ctx)
    managers = auth.requirement(ctx.identities, tokens, roles_that_can(Action.USE_API))
    router = APIRouter(prefix=PREFIX, route_class=errors.ApiRoute)
    auth.add_routes(router, ctx, tokens)
    for module in (products, references, movements, stock):
        module.add_routes(router, ctx, managers)
    api_exports.add_routes(router, ctx, managers)  # GET /exports/… (.xlsx files)
    api_imports.add_routes(router, ctx, managers)  # POST /imports (.xlsx, .xls, .csv)
    admins = auth.requirement(ctx.identities, tokens, roles_that_can(Action.BACKUP))
    api_backup.add_routes(router, ctx, admins)  # GET /backup
    app.include_router(router)
    add_docs("Склад — REST API", "1")
    errors.install_handlers(app, router.routes)
    stack.install(app)  # /api skips the pages' middleware (sessions, gzip, NiceGUI's)
