"""The unit of work behind core's ports: one database transaction, one repository per area.

`catalog` (data.catalog.repository), `stock` and `ledger` (data.stock.repository,
data.stock.ledger) and `outbox` (data.outbox) share the unit's connection and transaction
(data.transaction). On commit the unit writes what the ledger's new rows add to the daily
aggregates, commits, then runs the `after_commit` step its maker gave it
(data.database.Database gives the daily job). When the transaction put good stock in
(data.stock.ledger `arrived`) or released reservations (data.orders `freed`), the orders
waiting for those products are tried again after the commit (core.orders.orders).
"""

import copy
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Self

from sqlalchemy.engine import Engine

from core.orders.orders import retry_waiting
from core.settings import get_settings
from data.catalog.repository import SqlCatalogLookups
from data.db import read_connection, write_connection
from data.marking.repository import SqlMarking
from data.orders.quality import SqlQuality
from data.orders.repository import SqlOrders, any_waiting
from data.orders.returns import SqlReturns
from data.outbox import SqlOutbox
from data.packing.repository import SqlPacking
from data.picking.repository import SqlPicking
from data.stock.flows import local_today, write_totals
from data.stock.ledger import SqlLedger
from data.stock.repository import LocationDirectory, SqlStock
from data.transaction import Transaction
from data.waves.repository import SqlWaves

log = logging.getLogger(__name__)


def _nothing() -> None:
    pass


class SqlUnitOfWork:
    """Implements core.stock.ports.StockUnitOfWork (and so core.ports.UnitOfWork)."""

    catalog: SqlCatalogLookups
    stock: SqlStock
    ledger: SqlLedger
    outbox: SqlOutbox
    orders: SqlOrders
    picking: SqlPicking
    packing: SqlPacking
    returns: SqlReturns
    quality: SqlQuality
    marking: SqlMarking
    waves: SqlWaves

    def __init__(
        self,
        engine: Engine,
        locations: LocationDirectory,
        *,
        after_commit: Callable[[], None] = _nothing,
    ) -> None:
        self._engine = engine
        self._locations = locations
        self._after_commit = after_commit

    def __enter__(self) -> Self:
        self._connection_cm = write_connection(self._engine)
        self.conn = self._connection_cm.__enter__()
        self._transaction = self.conn.begin()
        self._tx = Transaction(self.conn)
        postgres = self._engine.dialect.name == "postgresql"
        self.catalog = SqlCatalogLookups(self._tx, postgres=postgres)
        self.stock = SqlStock(self._tx, self._locations)
        self.ledger = SqlLedger(self._tx, self._locations)
        self.outbox = SqlOutbox(self._tx)
        self.orders = SqlOrders(self._tx, postgres=postgres)
        self.picking = SqlPicking(self._tx, postgres=postgres)
        self.packing = SqlPacking(self._tx, postgres=postgres)
        self.returns = SqlReturns(self._tx)
        self.quality = SqlQuality(self._tx, postgres=postgres)
        self.marking = SqlMarking(self._tx)
        self.waves = SqlWaves(self._tx, postgres=postgres)
        self._committed = False
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            try:
                self._tx.close()
                if self._transaction.is_active:
                    self._transaction.rollback()
            finally:
                self._connection_cm.__exit__(exc_type, exc, tb)
        except Exception:
            if not self._committed:
                raise
            # The work is committed: a connection lost now must not turn into an error
            # that tells the caller it was not done.
            log.warning("releasing a connection after a commit failed", exc_info=True)

    def wait_for_locks(self, ms: int) -> None:
        """For the rest of the transaction a lock another one holds is waited for at most
        `ms`, then the statement fails (PostgreSQL; SQLite's writers take turns)."""
        if self._engine.dialect.name == "postgresql":
            self.conn.exec_driver_sql(f"SET LOCAL lock_timeout = {int(ms)}")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Work that raises inside is rolled back to a savepoint and the transaction goes
        on (the order feed places a batch of orders, each in one). What the unit keeps
        for its commit (the ledger's flows, the products stock arrived for or was freed
        of) is put back as it was too."""
        flows = copy.deepcopy(self.ledger.flows)
        arrived, freed = set(self.ledger.arrived), set(self.orders.freed)
        try:
            with self._tx.savepoint():
                yield
        except BaseException:
            self.ledger.flows, self.ledger.arrived, self.orders.freed = flows, arrived, freed
            raise

    def commit(self) -> None:
        """Once this returns, the work is durable and nothing else this unit does raises."""
        flows = self.ledger.flows
        if flows:
            # The aggregates of the movements, last: every writer locks quants before
            # aggregates (and aggregates in table and key order), so none can deadlock.
            today = local_today(get_settings().time_zone)
            write_totals(self.conn, flows, today, self._tx.run_each)
        self._transaction.commit()
        self._committed = True
        try:
            self._after_commit()
        except Exception:  # the work is done: whatever follows it only logs
            log.exception("a step after a commit failed")
        # Stock arrived (a receipt, a transfer, a return) or was released (a cancel):
        # orders waiting for those products are tried again, each in its own transaction.
        freed = sorted(self.ledger.arrived | self.orders.freed)
        if freed:
            try:
                with read_connection(self._engine) as conn:
                    waiting = any_waiting(conn, freed)
                if waiting:
                    retry_waiting(self._sibling, freed)
            except Exception:
                log.exception("retrying the orders waiting for stock failed")

    def _sibling(self) -> "SqlUnitOfWork":
        return SqlUnitOfWork(self._engine, self._locations)
