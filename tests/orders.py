"""Order helpers for tests: orders in the domain's words."""

from typing import Any

from core.orders.orders import Done, LineRequest, OrderRequest, cancel_order, create_order
from core.orders.ports import Order
from data.database import Database
from data.orders.queries import order as read_order

_numbers = iter(range(1, 10**9))


def order_request(lines: list[tuple[int, int]], **kw: Any) -> OrderRequest:
    fields: dict[str, Any] = {"external_id": f"WB-{next(_numbers)}", "kind": "customer"}
    fields.update(kw)
    return OrderRequest(lines=[LineRequest(q, product_id=p) for p, q in lines], **fields)


def place(db: Database, lines: list[tuple[int, int]], **kw: Any) -> Order:
    """A new order, confirmed at once (as POST /orders does)."""
    key = kw.pop("idempotency_key", None)
    user = kw.pop("user_id", None)
    confirm = kw.pop("confirm", True)
    done: Done = create_order(db.unit_of_work(), order_request(lines, **kw), user,
                              confirm=confirm, idempotency_key=key)  # fmt: skip
    return done.order


def cancel(db: Database, order_id: int, reason: str = "Покупатель передумал") -> Order:
    return cancel_order(db.unit_of_work(), order_id, reason, None).order


def fresh(db: Database, order_id: int) -> Order:
    found = read_order(db.engine, order_id)
    assert found is not None
    return found


def held_at(order: Order) -> dict[str, int]:
    """Where the order's units are held: location code → quantity."""
    held: dict[str, int] = {}
    for r in order.reservations:
        held[r.location_code] = held.get(r.location_code, 0) + r.quantity
    return held
