"""`core.ports.Outbox` in a unit of work's transaction (data.uow): the outbox_event table,
from which a relay publishes to other systems what has committed."""

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.events import EventType
from data.models import UtcDateTime
from data.transaction import Transaction

INSERT_EVENT = sa.text(
    "INSERT INTO outbox_event (event_type, payload, created_at) VALUES (:t, :p, :at)"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))


def event_params(event: EventType, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {"t": str(event), "p": json.dumps(payload, ensure_ascii=False), "at": at}


class SqlOutbox:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, event: EventType, payload: dict[str, Any]) -> None:
        at = datetime.fromisoformat(payload["created_at"])  # the fact's time
        self._tx.run(INSERT_EVENT, event_params(event, payload, at))
