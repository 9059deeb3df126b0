"""The orders' repositories on an import's own transaction (core.imports.ports.ImportStore.
orders_unit): an orders file places each order with the use case POST /orders runs
(core.orders.orders.place_order), and all of them commit with the import's history row in
the import's one transaction, or none do. The repositories are data.uow's, on the same
connection; the import store commits and rolls back, so this unit never does."""

from types import TracebackType
from typing import Self

from sqlalchemy.engine import Connection

from data.catalog.repository import SqlCatalogLookups
from data.orders.repository import SqlOrders
from data.outbox import SqlOutbox
from data.picking.repository import SqlPicking
from data.stock.ledger import SqlLedger
from data.stock.repository import LocationDirectory, SqlStock
from data.transaction import Transaction


class ImportOrdersUnit:
    """Implements core.orders.picking_ports.FulfillmentUnitOfWork inside an import."""

    def __init__(self, conn: Connection, locations: LocationDirectory) -> None:
        postgres = conn.dialect.name == "postgresql"
        self._tx = Transaction(conn)
        self.catalog = SqlCatalogLookups(self._tx, postgres=postgres)
        self.stock = SqlStock(self._tx, locations)
        self.ledger = SqlLedger(self._tx, locations)
        self.outbox = SqlOutbox(self._tx)
        self.orders = SqlOrders(self._tx, postgres=postgres)
        self.picking = SqlPicking(self._tx, postgres=postgres)

    def __enter__(self) -> Self:
        return self  # the import's transaction is open already

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass  # it ends with the import store's commit or rollback

    def commit(self) -> None:
        raise AssertionError("an import's orders commit with the import (SqlImportStore)")

    def close(self) -> None:
        self._tx.close()
