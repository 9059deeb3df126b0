"""An app process's relay, alone in a process of its own, for the SIGKILL test
(tests/integration/test_event_relay.py): python -m tests.relay_process DB_URL REDIS_URL.

Small batches, each held a moment after its XADDs and before its rows are marked: the
window in which a killed process leaves entries sent and rows unmarked."""

import sys
import threading
import time

from data.database import Database
from data.events.relay import Relay, connect, run_forever


def main(db_url: str, redis_url: str) -> None:
    db = Database.from_url(db_url)
    relay = Relay(db.engine, connect(redis_url), batch=10)
    relay.after_send = lambda: time.sleep(0.02)
    print("relaying", flush=True)
    run_forever(relay, threading.Event(), idle=0.01)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
