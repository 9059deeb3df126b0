"""The two callbacks of a packed order (issue 14, seed 004 §6), outbox consumers of
`packing.completed` run by data.events.callbacks:

- `listings`: POST {WMS_LISTINGS_URL}/api/v1/orders/{order_id}/status
  {"status": "ready_for_shipment", "order_id", "task_id", "timestamp", "event_id"};
- `delivery`: for a customer order whose carrier the delivery service serves
  (Settings.delivery_serves), POST {WMS_DELIVERY_URL}/api/v1/shipments
  {"event_id", "order_id", "carrier", "from": {"address"}, "to": ship_to,
  "packages": [{"barcode", "packaging_type", "weight_kg", "length_cm", "width_cm",
  "height_cm"}]} → {"tracking_number", "label_url"?}. The tracking number (and label)
  go on the order and its packing task, with a step in the order's history, unless the
  order was shipped meanwhile (a person typed the number while the service was down).

Every request carries the event's id (`Idempotency-Key`, `X-Event-Id`, body `event_id`):
a repeat after a crash is the receiver's to ignore.
"""

import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from core.events import EventType
from core.settings import Settings
from data.events.callbacks import Consumer, Event, Outcome
from data.events.services import Rejected, Service
from data.models import UtcDateTime

LISTINGS = "listings"
DELIVERY = "delivery"
MAX_TRACKING = 64  # sale_order.tracking_number
MAX_LABEL = 1000

ORDER_OF_TASK = sa.text(
    "SELECT o.id, o.external_id, o.kind, o.status, o.carrier, o.ship_to, o.tracking_number "
    "FROM packing_task t JOIN sale_order o ON o.id = t.order_id WHERE t.id = :t"
)
PACKAGES = sa.text(
    "SELECT barcode, packaging_type, weight_kg, length_cm, width_cm, height_cm FROM package "
    "WHERE packing_task_id = :t ORDER BY sequence_number"
)
STORE_ORDER = sa.text(
    "UPDATE sale_order SET tracking_number = :t, shipping_label_url = :l "
    "WHERE id = :o AND tracking_number IS NULL AND status = 'packed'"
)
STORE_TASK = sa.text(
    "UPDATE packing_task SET tracking_number = :t WHERE id = :task AND tracking_number IS NULL"
)
STEP = sa.text(
    "INSERT INTO order_history (order_id, at, action, status, details) "
    "VALUES (:o, :at, :action, 'packed', :d)"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))
SHIPMENT_STEP = "carrier_shipment"
REFUSED_STEP = "carrier_refused"
STILL_WAITING = sa.text(
    "SELECT 1 FROM sale_order WHERE id = :o AND tracking_number IS NULL AND status = 'packed'"
)


def listings_consumer(service: Service) -> Consumer:
    def handle(event: Event) -> Outcome:
        order_id = event.payload.get("order_id", "")
        body = {"status": "ready_for_shipment", "order_id": order_id,
                "task_id": event.payload.get("task_id", ""),
                "timestamp": event.created_at.isoformat()}  # fmt: skip
        service.call("POST", f"/api/v1/orders/{quote(order_id, safe='')}/status", body,
                     event.event_id)  # fmt: skip
        return Outcome("delivered", "ready_for_shipment")

    return Consumer(LISTINGS, (EventType.PACKING_COMPLETED,), handle)


def delivery_consumer(engine: Engine, service: Service, settings: Settings) -> Consumer:
    def handle(event: Event) -> Outcome:
        task_id = int(event.payload.get("task_id") or 0)
        with engine.connect() as conn:
            order = conn.execute(ORDER_OF_TASK, {"t": task_id}).first()
            packages = conn.execute(PACKAGES, {"t": task_id}).mappings().all()
        if order is None:
            return Outcome("skipped", "задание на упаковку не найдено")
        if order.kind != "customer" or not settings.delivery_serves(order.carrier):
            return Outcome("skipped", f"перевозчик {order.carrier or '—'} не у службы доставки")
        if order.tracking_number or order.status != "packed":
            return Outcome("skipped", f"заказ уже {order.status}, трек {order.tracking_number}")
        body = {"order_id": order.external_id, "carrier": order.carrier,
                "from": {"address": settings.warehouse_address},
                "to": json.loads(order.ship_to) if order.ship_to else {},
                "packages": [dict(p) for p in packages]}  # fmt: skip
        try:
            answer = service.call("POST", "/api/v1/shipments", body, event.event_id)
            tracking, label = _shipment(answer.json())
        except Rejected as exc:  # for good: the order must not wait for it forever
            said = f"Служба доставки отказала: {exc}"[:500]
            return Outcome("rejected", str(exc), _refused(order.id, said))
        return Outcome("delivered", f"трек {tracking}", _store(order.id, task_id, tracking, label))

    return Consumer(DELIVERY, (EventType.PACKING_COMPLETED,), handle)


def _shipment(answer: Any) -> tuple[str, str | None]:
    """The tracking number and label URL of the service's answer; Rejected without one."""
    if not isinstance(answer, dict):
        raise Rejected("ответ службы доставки не объект JSON")
    tracking = str(answer.get("tracking_number") or "").strip()
    if not tracking or len(tracking) > MAX_TRACKING:
        raise Rejected(f"ответ службы доставки без трек-номера: {str(answer)[:200]}")
    label = str(answer.get("label_url") or "").strip() or None
    return tracking, label if label is None or len(label) <= MAX_LABEL else None


def _store(order_id: int, task_id: int, tracking: str, label: str | None) -> Any:
    def apply(conn: Connection) -> None:
        if conn.execute(STORE_ORDER, {"t": tracking, "l": label, "o": order_id}).rowcount:
            conn.execute(STORE_TASK, {"t": tracking, "task": task_id})
            said = f"Служба доставки создала отправление, трек {tracking}"
            conn.execute(STEP, {"o": order_id, "at": datetime.now(UTC),
                                "action": SHIPMENT_STEP, "d": said})  # fmt: skip

    return apply


def _refused(order_id: int, said: str) -> Any:
    def apply(conn: Connection) -> None:
        if conn.execute(STILL_WAITING, {"o": order_id}).first():
            conn.execute(STEP, {"o": order_id, "at": datetime.now(UTC),
                                "action": REFUSED_STEP, "d": said})  # fmt: skip

    return apply


def shipping_label_url(engine: Engine, order_id: int) -> str | None:
    """The label the delivery service gave for the order's shipment, if any."""
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT shipping_label_url FROM sale_order WHERE id = :o"),
                            {"o": order_id}).scalar()  # fmt: skip


def consumers(engine: Engine, settings: Settings) -> tuple[list[Consumer], list[Service]]:
    """The callbacks whose URL is set (none: the callbacks are off)."""

    def service(name: str, url: str) -> Service:
        return Service(name, url, timeout=settings.callback_timeout_seconds,
                       attempts=settings.callback_attempts,
                       fail_max=settings.callback_breaker_failures,
                       reset_timeout=settings.callback_breaker_reset_seconds)  # fmt: skip

    found: list[Consumer] = []
    services: list[Service] = []
    if settings.listings_url:
        services.append(service(LISTINGS, settings.listings_url))
        found.append(listings_consumer(services[-1]))
    if settings.delivery_url:
        services.append(service(DELIVERY, settings.delivery_url))
        found.append(delivery_consumer(engine, services[-1], settings))
    return found, services
