"""GET /alerts: what /alerts and the header's bell show, for a program — products below
their minimum (how many; the list is GET /stock/balances?low_only=true) and the
operational alerts (core.dashboard.alerts), each kind's count and oldest rows."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import Field

from core.dashboard.alerts import AlertKind, AlertThresholds
from data.dashboard.alerts import MAX_LISTED, operational_alerts
from data.dashboard.queries import low_stock_count
from ui.api.errors import responses
from ui.api.schemas import Model
from ui.context import AppContext


class TaskAlertOut(Model):
    task_id: int
    order_id: int
    external_id: str
    started_at: datetime = Field(description="ISO 8601, UTC")
    executor: str | None
    packages: int = Field(description="Упаковка: коробок создано")
    unmeasured: int = Field(description="Упаковка: из них без веса или размеров")


class ReservationAlertOut(Model):
    order_id: int
    external_id: str
    reserved_until: datetime = Field(description="ISO 8601, UTC: когда резерв истёк")


class OutboxBacklogOut(Model):
    waiting: int = Field(description="Событий ждут отправки в Redis")
    oldest_at: datetime = Field(description="ISO 8601, UTC: время самого старого")


class AlertCounts(Model):
    picking: int = Field(description="Сборка в работе дольше WMS_ALERT_PICKING_MINUTES")
    packing: int = Field(description="Упаковка без веса/размеров дольше WMS_ALERT_PACKING_MINUTES")
    reservation: int = Field(description="Резерв истёк и не снят за WMS_ALERT_RESERVATION_MINUTES")
    outbox: int = Field(description="1, если события не уходят в Redis (задан WMS_REDIS_URL)")


class Alerts(Model):
    low_stock: int = Field(description="Товаров ниже минимального остатка")
    counts: AlertCounts
    picking: list[TaskAlertOut] = Field(description=f"Самые старые, до {MAX_LISTED}")
    packing: list[TaskAlertOut] = Field(description=f"Самые старые, до {MAX_LISTED}")
    reservations: list[ReservationAlertOut] = Field(description=f"До {MAX_LISTED}")
    outbox: OutboxBacklogOut | None


def add_routes(router: APIRouter, ctx: AppContext, managers: Callable[..., Any]) -> None:
    thresholds = AlertThresholds.from_settings(ctx.settings)

    @router.get(
        "/alerts", response_model=Alerts, tags=["stock"], dependencies=[Depends(managers)],
        responses=responses(401, 403),
    )  # fmt: skip
    def alerts() -> Alerts:
        """Предупреждения: дефицит и зависшая работа склада (как на странице /alerts)."""
        found = operational_alerts(ctx.db.engine, thresholds)
        counts = {str(kind): found.counts.get(kind, 0) for kind in AlertKind}
        return Alerts(
            low_stock=low_stock_count(ctx.db.engine),
            counts=AlertCounts(**counts),
            picking=[TaskAlertOut.model_validate(dict(r)) for r in found.picking],
            packing=[TaskAlertOut.model_validate(dict(r)) for r in found.packing],
            reservations=[ReservationAlertOut.model_validate(dict(r)) for r in found.reservations],
            outbox=OutboxBacklogOut.model_validate(found.outbox) if found.outbox else None,
        )
