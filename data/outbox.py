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
# Events written together go in one multi-row INSERT of at most this many rows (in their
# order, so their ids keep it); one statement text per row count, made once.
_BATCH = 50
_INSERTS: dict[int, sa.TextClause] = {}


def insert_rows(n: int) -> sa.TextClause:
    statement = _INSERTS.get(n)
    if statement is None:
        rows = ", ".join(f"(:t{i}, :p{i}, :at{i})" for i in range(n))
        statement = sa.text(
            f"INSERT INTO outbox_event (event_type, payload, created_at) VALUES {rows}"
        ).bindparams(*(sa.bindparam(f"at{i}", type_=UtcDateTime()) for i in range(n)))
        _INSERTS[n] = statement
    return statement


def event_params(event: EventType, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {"t": str(event), "p": json.dumps(payload, ensure_ascii=False), "at": at}


class SqlOutbox:
    def __init__(self, tx: Transaction) -> None:
        self._tx = tx

    def add(self, event: EventType, payload: dict[str, Any]) -> None:
        at = datetime.fromisoformat(payload["created_at"])  # the fact's time
        self._tx.run(INSERT_EVENT, event_params(event, payload, at))

    def add_many(self, events: list[tuple[EventType, dict[str, Any]]]) -> None:
        for start in range(0, len(events), _BATCH):
            chunk = events[start : start + _BATCH]
            params: dict[str, Any] = {}
            for i, (event, payload) in enumerate(chunk):
                at = datetime.fromisoformat(payload["created_at"])
                params.update({f"{k}{i}": v for k, v in event_params(event, payload, at).items()})
            self._tx.run(insert_rows(len(chunk)), params)
