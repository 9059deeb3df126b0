"""SQLModel tables, one module per area; every name is re-exported here so
`from data.models import X` works and importing this package registers every table
(one metadata for Alembic). The schema itself lives in Alembic migrations; a test keeps
them equal.

Quantities are integers. Times are stored in UTC and always come back timezone-aware.
"""

from data.models.aggregates import DayFlow, DayStock, ProductDayFlow, ProductMonthFlow
from data.models.base import UtcDateTime, utc_now
from data.models.catalog import DistributionCenter, Product, Source
from data.models.events import CallbackConsumer, CallbackDelivery, OutboxEvent
from data.models.floor import Executor, Mission, MissionHistory, MissionLine
from data.models.imports import ImportBatch
from data.models.ledger import LOCATIONS_DIFFER, Movement, Quant
from data.models.marking import MarkingCode
from data.models.orders import Carrier, OrderHistory, OrderLine, Reservation, SaleOrder
from data.models.packing import Package, PackageItem, PackingHistory, PackingTask
from data.models.picking import PickingHistory, PickingItem, PickingTask
from data.models.places import HandlingUnit, Location, Warehouse
from data.models.quality import QcDefect, QcHistory, QcItem, QcPhoto, QcTask
from data.models.returns import OrderReturn
from data.models.users import LoginThrottle, RequestKey, User
from data.models.waves import PickBatch, PickBatchPut, PickWave

__all__ = [
    "LOCATIONS_DIFFER",
    "CallbackConsumer",
    "CallbackDelivery",
    "Carrier",
    "DayFlow",
    "DayStock",
    "DistributionCenter",
    "Executor",
    "HandlingUnit",
    "ImportBatch",
    "Location",
    "LoginThrottle",
    "MarkingCode",
    "Mission",
    "MissionHistory",
    "MissionLine",
    "Movement",
    "OrderHistory",
    "OrderLine",
    "OrderReturn",
    "OutboxEvent",
    "Package",
    "PackageItem",
    "PackingHistory",
    "PackingTask",
    "PickBatch",
    "PickBatchPut",
    "PickWave",
    "PickingHistory",
    "PickingItem",
    "PickingTask",
    "Product",
    "ProductDayFlow",
    "ProductMonthFlow",
    "QcDefect",
    "QcHistory",
    "QcItem",
    "QcPhoto",
    "QcTask",
    "Quant",
    "RequestKey",
    "Reservation",
    "SaleOrder",
    "Source",
    "User",
    "UtcDateTime",
    "Warehouse",
    "utc_now",
]
