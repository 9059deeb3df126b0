"""The periodic sweep of expired reservations (core.orders.expiry), started with the app
when WMS_RESERVATION_TTL_MINUTES is set and stopped on shutdown.

A plain task, not a ui.timer (it belongs to no page): every SWEEP_SECONDS it runs the use
case in a worker thread; a failure is logged and the next round tries again. Several
processes may sweep one database: each order is expired under its row's lock, so the
second sweep finds it no longer `reserved` and leaves it.
"""

import asyncio
import logging

from nicegui import app, background_tasks, run

from core.orders.expiry import expire_reservations
from ui.context import AppContext

log = logging.getLogger(__name__)

SWEEP_SECONDS = 60.0


async def sweep_once(ctx: AppContext) -> dict[str, int]:
    result = await run.io_bound(expire_reservations, ctx.db.unit_of_work)
    if result["expired"] or result["failed"]:
        log.info("reservation expiry: %s", result)
    return result


async def _sweep_forever(ctx: AppContext, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await sweep_once(ctx)
        except Exception:
            log.exception("the reservation expiry sweep failed")


def install(ctx: AppContext, every: float = SWEEP_SECONDS) -> None:
    """Called once per app by ui.app.build; nothing runs while the setting is unset."""
    if not ctx.settings.reservation_ttl_minutes:
        return
    tasks: list[asyncio.Task[None]] = []

    def start() -> None:
        tasks.append(background_tasks.create(_sweep_forever(ctx, every), name="expiry"))

    def stop() -> None:
        for task in tasks:
            task.cancel()

    app.on_startup(start)
    app.on_shutdown(stop)
