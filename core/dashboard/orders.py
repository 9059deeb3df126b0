"""Order measures of the dashboard (DESIGN.md §2b): what each counts, and the small pure
rules the queries and the page share. A measure with nothing to measure is None — the
page says «нет данных», never a made-up zero.

- Orders per day by status: the orders created on each local day, by the status they are
  in now (of Monday's orders, how many are shipped, cancelled, still waiting…).
- Backlog: the open orders right now, by status (new up to packed).
- Shortage rate: of the pick items whose outcome was recorded in the period (picked in
  full, short, skipped), the share short or skipped.
- Lead time: the median time from an order's confirmation (its first «confirmed» step,
  reserved or waiting) to its shipping (the step that made it `shipped`), over the orders
  shipped in the period.
"""

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from core.orders.rules import Status

# Open orders, in the order of their way through the warehouse.
BACKLOG_STATUSES = (
    Status.NEW, Status.AWAITING_STOCK, Status.RESERVED, Status.PICKING, Status.PACKING,
    Status.PACKED,
)  # fmt: skip
# Every status, in the same order, for the per-day chart's stacks.
STATUS_ORDER = (*BACKLOG_STATUSES, Status.SHIPPED, Status.CANCELLED)
# Pick item outcomes: all recorded ones, and those that are a shortage.
PICK_OUTCOMES = ("picked", "short", "skipped")
SHORTAGES = ("short", "skipped")


def shortage_rate(short: int, outcomes: int) -> float | None:
    """Short or skipped items ÷ items with an outcome; None when nothing was picked."""
    return short / outcomes if outcomes > 0 else None


def median_hours(seconds: Sequence[float]) -> float | None:
    """The median of durations in seconds, in hours; None when there is none."""
    return statistics.median(seconds) / 3600 if seconds else None


@dataclass(frozen=True)
class OrderKpis:
    """The period's two order measures and the previous period's (None: no data)."""

    shortage_rate: float | None
    shortage_rate_before: float | None
    lead_time_hours: float | None
    lead_time_hours_before: float | None
    picked_items: int = 0  # items with an outcome in the period (what the rate is over)
    shipped_orders: int = 0  # orders shipped in the period (what the median is over)
