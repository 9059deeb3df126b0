"""core.orders.feed.OrderDetails over the Listings and delivery services (seed 004 §6):
an `order.confirmed` entry without items is completed from
GET {WMS_LISTINGS_URL}/api/v1/orders/{id} (`items`: [{barcode | listing_id, quantity}]),
and a customer order's address, when the entry carries none, from
GET {WMS_DELIVERY_URL}/api/v1/delivery/addresses/order/{id} (a 404: no address).
Both through the callbacks' services (data.events.services): the same breaker, retries;
a service that fails raises Transient and the entry waits (the feed's outage)."""

import json
from typing import Any
from urllib.parse import quote

from data.events.services import Rejected, Service


class ServiceDetails:
    def __init__(self, listings: Service | None, delivery: Service | None) -> None:
        self.listings, self.delivery = listings, delivery

    def items(self, external_id: str) -> str | None:
        if self.listings is None:
            return None
        answer = _json(self.listings.get(f"/api/v1/orders/{quote(external_id, safe='')}"))
        items = answer.get("items")
        if not isinstance(items, list):
            raise Rejected(f"Listings: в заказе {external_id} нет списка items")
        lines = [{"barcode": i.get("barcode") or i.get("listing_id"), "quantity": i.get("quantity")}
                 for i in items if isinstance(i, dict)]  # fmt: skip
        return json.dumps(lines, ensure_ascii=False)

    def ship_to(self, external_id: str) -> str | None:
        if self.delivery is None:
            return None
        path = f"/api/v1/delivery/addresses/order/{quote(external_id, safe='')}"
        try:
            answer = _json(self.delivery.get(path))
        except Rejected as error:
            if str(error).startswith("HTTP 404"):
                return None
            raise
        return json.dumps(answer, ensure_ascii=False)


def _json(answer: Any) -> dict[str, Any]:
    try:
        found = answer.json()
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise Rejected("ответ сервиса не объект JSON")
    return found
