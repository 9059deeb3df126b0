"""The callbacks to the Listings and delivery services (data.events.callbacks), started
with the app when WMS_LISTINGS_URL or WMS_DELIVERY_URL is set and stopped on shutdown.

A daemon thread like the relay's (ui.event_relay): a slow or dead service must never
hold the event loop that serves the floor; it backs off and resumes by itself.
"""

import logging
import threading

from nicegui import app

from data.events.callbacks import Dispatcher, run_forever
from data.events.carriers import consumers
from data.events.services import register
from ui.context import AppContext

log = logging.getLogger(__name__)


def install(ctx: AppContext) -> None:
    """Called once per app by ui.app.build; nothing runs while both URLs are unset."""
    found, services = consumers(ctx.db.engine, ctx.settings)
    register(*services)  # none: an earlier app's are forgotten (the order feed reads them)
    if not found:
        return
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start() -> None:
        dispatcher = Dispatcher(ctx.db.engine, found)  # registers its consumers in a round
        thread = threading.Thread(target=run_forever, args=(dispatcher, stop), name="callbacks",
                                  daemon=True)  # fmt: skip
        thread.start()
        threads.append(thread)
        log.info("callbacks started: %s", ", ".join(c.name for c in found))

    def shutdown() -> None:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        for service in services:
            service.close()

    app.on_startup(start)
    app.on_shutdown(shutdown)
