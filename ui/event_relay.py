"""The outbox relay (data.events.relay), started with the app when WMS_REDIS_URL is set
and stopped on shutdown.

A daemon thread, not a page timer: it belongs to no page, and a slow or absent Redis
must never hold the event loop that serves the floor. Several app processes may run it:
one relays at a time (the relay's advisory lock), the others skip their rounds.
"""

import logging
import threading

from nicegui import app

from data.events.relay import Relay, connect, run_forever
from ui.context import AppContext

log = logging.getLogger(__name__)


def install(ctx: AppContext) -> None:
    """Called once per app by ui.app.build; nothing runs while the setting is unset."""
    url = ctx.settings.redis_url
    if not url:
        return
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def start() -> None:
        relay = Relay(ctx.db.engine, connect(url))
        thread = threading.Thread(target=run_forever, args=(relay, stop), name="event-relay",
                                  daemon=True)  # fmt: skip
        thread.start()
        threads.append(thread)
        log.info("event relay started")

    def shutdown() -> None:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)

    app.on_startup(start)
    app.on_shutdown(shutdown)
