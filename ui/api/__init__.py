"""REST API v1 (DESIGN.md §5) on NiceGUI's FastAPI app, documented at /docs."""

from fastapi import APIRouter
from nicegui import app

from core.users.policy import Action, roles_that_can
from ui.api import alerts as api_alerts
from ui.api import (
    auth,
    errors,
    handling_units,
    inventory,
    locations,
    movements,
    products,
    references,
    stack,
    stickers,
    stock,
)
from ui.api import backup as api_backup
from ui.api import executors as api_executors
from ui.api import exports as api_exports
from ui.api import imports as api_imports
from ui.api import marking as api_marking
from ui.api import missions as api_missions
from ui.api import order_returns as api_returns
from ui.api import orders as api_orders
from ui.api import packing as api_packing
from ui.api import picking as api_picking
from ui.api import quality as api_quality
from ui.api import waves as api_waves
from ui.api.docs import add_docs
from ui.context import AppContext

PREFIX = "/api/v1"


def register(ctx: AppContext) -> None:
    # Each requirement is an action of core.users.policy: the roles that may USE_API reach every
    # route (a worker's token is refused, as on the pages); BACKUP guards the backup.
    tokens = auth.Tokens.for_app(ctx)
    managers = auth.requirement(ctx.identities, tokens, roles_that_can(Action.USE_API))
    router = APIRouter(prefix=PREFIX, route_class=errors.ApiRoute)
    auth.add_routes(router, ctx, tokens)
    for module in (products, references, movements, stock):
        module.add_routes(router, ctx, managers)
    # Positions are read on the floor too: whoever may look a product's stock up reads them.
    finders = auth.requirement(ctx.identities, tokens, roles_that_can(Action.FIND_PRODUCT))
    inventory.add_routes(router, ctx, managers, finders)  # /inventory/positions, adjustments
    api_exports.add_routes(router, ctx, managers)  # GET /exports/… (.xlsx files)
    api_alerts.add_routes(router, ctx, managers)  # GET /alerts (as /alerts and the bell)
    api_imports.add_routes(router, ctx, managers)  # POST /imports (.xlsx, .xls, .csv)
    # DESIGN.md §6: every role reads the floor (a worker's token too); managers write.
    readers = auth.requirement(ctx.identities, tokens, roles_that_can(Action.SEE_LOCATIONS))
    writers = auth.requirement(
        ctx.identities, tokens, roles_that_can(Action.MANAGE_LOCATIONS),
        refusal="Менять места хранения могут администратор и менеджер",
    )  # fmt: skip
    locations.add_routes(router, ctx, readers, writers)  # /locations
    handling_units.add_routes(router, ctx, readers, writers)  # /handling-units
    # The floor (DESIGN.md §6): workers too — reads, and their own missions' steps; each
    # route that needs more asks for its action (ui.api.executors.acting).
    floor = auth.requirement(ctx.identities, tokens, roles_that_can(Action.WORK_MISSIONS))
    api_executors.add_routes(router, ctx, floor)  # /executors, /operators
    api_missions.add_routes(router, ctx, floor)  # /missions
    # Orders (DESIGN.md §6): everyone reads; MANAGE_ORDERS writes (ui.api.orders).
    order_readers = auth.requirement(ctx.identities, tokens, roles_that_can(Action.SEE_ORDERS))
    api_orders.add_routes(router, ctx, order_readers)  # /orders, /carriers
    api_returns.add_routes(router, ctx, order_readers)  # /orders/{id}/returns (RETURN_ORDERS)
    api_picking.add_routes(router, ctx, floor)  # /picking-tasks (workers pick: Action.PICK)
    api_packing.add_routes(router, ctx, floor)  # /packing-tasks (workers pack: Action.PACK)
    stickers.add_routes(router, ctx, managers, floor)  # product and supply box stickers
    api_quality.add_routes(router, ctx, floor)  # /qc-tasks (Action.CHECK_QUALITY)
    api_marking.add_routes(router, ctx, floor)  # marking codes (Честный ЗНАК), as packing
    api_waves.add_routes(router, ctx, floor)  # /waves, /pick-batches (issue 15)
    admins = auth.requirement(ctx.identities, tokens, roles_that_can(Action.BACKUP))
    api_backup.add_routes(router, ctx, admins)  # GET /backup
    app.include_router(router)
    add_docs("Склад — REST API", "1")
    errors.install_handlers(app, router.routes)
    stack.install(app)  # /api skips the pages' middleware (sessions, gzip, NiceGUI's)
