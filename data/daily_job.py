"""The daily job: the first commit of a local day folds the past days' day_flow shards
into shard 0 (data.stock.flows) and takes the day_stock counts of the day SNAPSHOT_LAG days back
(data.dashboard.day_stock.take_day_stock); then, in a transaction of its own, deletes the
events nobody reads any more (data.events.housekeeping). Its own module, so that neither
of the first two imports the other: this one imports both. Writers run it after they commit, as
`data.database.Database.run_daily_job` (units of work and import stores get it from there).

`flows.local_today` is read through the module on purpose: one clock for the writers
and the job (tests set it there).
"""

import logging
from datetime import UTC, date, datetime, timedelta
from threading import Lock
from typing import Any
from weakref import WeakKeyDictionary

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from data.dashboard.day_stock import take_day_stock
from data.db import write_connection
from data.events.housekeeping import prune_events
from data.stock import flows

log = logging.getLogger(__name__)

_DAY_VALUES = ", ".join(flows.VALUES)
_TAKE_SHARDS = (
    sa.text(
        "DELETE FROM day_flow WHERE day < :today AND shard <> 0 "
        f"RETURNING day, operation_type, source_id, distribution_center_id, {_DAY_VALUES}"
    )
    .bindparams(sa.bindparam("today", type_=sa.Date()))
    .columns(day=sa.Date())
)


def fold_past_days(conn: Connection, today: date) -> int:
    """Merge the shards of every day before `today` into shard 0, in the caller's
    transaction (the sums stay the same). Returns the number of rows merged."""
    flows.lock_past_days(conn)
    merged: dict[tuple[Any, ...], list[int]] = {}
    rows = conn.execute(_TAKE_SHARDS, {"today": today}).all()
    for d, op, source, dc, *sums in rows:
        flows.sum_into(merged, (d, op, source, dc, 0), sums)
    if merged:
        conn.execute(flows.ADD_DAY_FLOW, flows.upsert_params(flows.DAY_KEY, merged))
    return len(rows)


class _Folds:
    """Per engine, the local day the daily job last ran for: the first commit of a new
    day folds yesterday's shards and takes the counts of the day before yesterday (once
    per process and day; any process may, the work is done once)."""

    def __init__(self) -> None:
        self._done: WeakKeyDictionary[Engine, date] = WeakKeyDictionary()
        self._lock = Lock()

    def run(self, engine: Engine, zone: str, keep_days: int = 30) -> None:
        day = flows.local_today(zone)
        if self._done.get(engine) == day:
            return
        with self._lock:
            if self._done.get(engine) == day:
                return
            self._done[engine] = day  # one attempt per day, even if it fails
        try:
            with write_connection(engine) as conn, conn.begin():
                merged = fold_past_days(conn, day)
                taken = take_day_stock(conn, day - timedelta(days=flows.SNAPSHOT_LAG))
            log.info("folded %d day_flow shard rows before %s; day_stock taken: %s", merged,
                     day, taken)  # fmt: skip
        except sa.exc.SQLAlchemyError:
            # The movement is committed; without the job the reads only do more work.
            log.warning("the daily aggregate job failed; it runs again tomorrow", exc_info=True)
        try:
            with write_connection(engine) as conn, conn.begin():
                cut = datetime.now(UTC) - timedelta(days=keep_days)
                deliveries, events = prune_events(conn, cut)
            log.info("deleted %d callback records and %d published events older than %s",
                     deliveries, events, cut)  # fmt: skip
        except sa.exc.SQLAlchemyError:
            log.warning("pruning old events failed; it runs again tomorrow", exc_info=True)


FOLDS = _Folds()
