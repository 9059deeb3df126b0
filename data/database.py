"""One object per database: its engine, the location directory, units of work, and the
daily job every writer runs after it commits."""

import logging

from sqlalchemy.engine import Engine

from core.orders.orders import retry_waiting
from core.settings import get_settings
from data.daily_job import FOLDS
from data.db import create_engine
from data.stock.repository import LocationDirectory
from data.uow import SqlUnitOfWork

log = logging.getLogger(__name__)


class Database:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.locations = LocationDirectory(engine)

    @classmethod
    def from_url(cls, url: str, *, sqlite_synchronous: str = "FULL") -> "Database":
        return cls(create_engine(url, sqlite_synchronous=sqlite_synchronous))

    def unit_of_work(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.engine, self.locations, after_commit=self.run_daily_job)

    def run_daily_job(self) -> None:
        """The first commit of a local day (in this process) folds the past days' day_flow
        shards, takes day_stock and prunes old events (data.daily_job); later ones return at
        once. It runs in transactions of its own, after the writer's, and logs its failures."""
        settings = get_settings()
        FOLDS.run(self.engine, settings.time_zone, settings.events_keep_days)

    def after_import(self) -> None:
        """After an import commits: the daily job, then the orders waiting for stock are
        tried again (an import may have received any product; a unit of work knows which
        ones and retries only theirs, data.uow)."""
        self.run_daily_job()
        try:
            retry_waiting(self.unit_of_work)
        except Exception:
            log.exception("retrying the orders waiting for stock failed")

    def dispose(self) -> None:
        self.engine.dispose()
