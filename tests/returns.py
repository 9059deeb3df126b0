"""Return helpers for tests: a shipped order, and a return booked in the domain's words."""

from typing import Any

from core.orders.ports import Order
from core.orders.returns import ReturnDone, ReturnRequest, book_return
from data.database import Database
from tests.orders import fresh
from tests.packing import ready_to_ship, ship

_numbers = iter(range(1, 10**9))


def shipped_order(db: Database, lines: list[tuple[int, int]], **kw: Any) -> Order:
    """A customer order packed and shipped with its own tracking number."""
    order, task_id = ready_to_ship(db, lines, **kw)
    ship(db, task_id, "manual", f"TRK-R{next(_numbers)}")
    return fresh(db, order.id)


def give_back(db: Database, order_id: int, product: int, condition: str = "good",
              quantity: int = 1, **kw: Any) -> ReturnDone:  # fmt: skip
    key = kw.pop("key", None)
    user = kw.pop("user_id", None)
    request = ReturnRequest(condition, quantity, product_id=product, **kw)
    return book_return(db.unit_of_work(), order_id, request, user, idempotency_key=key)
