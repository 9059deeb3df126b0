"""What /metrics measures (ui.metrics serves it, data.metrics reads it) and the small pure
rules behind it. A measure with nothing to measure is None and is left out of the scrape,
never reported as a made-up zero.

- Picking and packing task durations: started → completed (picking) and started → packed
  (packing), over the tasks that finished in the last 24 h: p50, p90 and the mean.
- Items picked in the last hour: the units of the pick steps recorded in it.
- Shortage rate: of the pick items whose outcome was recorded in the last 24 h, the share
  short or skipped (core.dashboard.orders.shortage_rate, the dashboard's rule).
- Average package weight: of the packages made in the last 24 h that were weighed.
- Order to shipment: confirmation (the first «confirmed» step) → shipping, over the orders
  shipped in the last 24 h.
- Success rate: shipped ÷ (shipped + cancelled), over the orders that ended in the last 24 h.
- Outbox backlog and lag: unpublished events and the age of the oldest one (0 when none).
- Order feed (with Redis): the group's lag (entries not yet read) and pending entries.
"""

import ipaddress
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

WINDOW = timedelta(hours=24)  # durations, shortages, weights, lead times, success
PICK_RATE_WINDOW = timedelta(hours=1)  # items picked per hour

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Durations:
    """Seconds of the tasks (or orders) measured; the stats are None when there are none."""

    count: int
    p50: float | None
    p90: float | None
    mean: float | None


def durations(seconds: Sequence[float]) -> Durations:
    values = sorted(s for s in seconds if s >= 0)  # a clock step back is not a duration
    if not values:
        return Durations(0, None, None, None)
    return Durations(len(values), percentile(values, 0.5), percentile(values, 0.9),
                     statistics.fmean(values))  # fmt: skip


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values, interpolated between neighbours (numpy's default)."""
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def success_rate(shipped: int, cancelled: int) -> float | None:
    ended = shipped + cancelled
    return shipped / ended if ended else None


@dataclass(frozen=True)
class FloorFigures:
    """The database's part of a scrape (data.metrics.queries.floor_figures)."""

    picking: Durations
    packing: Durations
    picked_units_last_hour: int
    pick_outcomes: int
    pick_shortages: int
    packages_weighed: int
    package_weight_kg: float | None
    order_to_shipment: Durations
    orders_shipped: int
    orders_cancelled: int
    outbox_backlog: int
    outbox_lag_seconds: float


@dataclass(frozen=True)
class FeedFigures:
    """The order feed's group on Redis; None fields: the stream or group does not exist."""

    lag: int | None = None
    pending: int | None = None
    consumers: int | None = None
    reachable: bool = True


def parse_allow_list(text: str) -> tuple[Network, ...]:
    """`10.0.0.5, 192.168.1.0/24, ::1` → networks; a bad entry raises ValueError."""
    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )


def allowed(address: str | None, networks: Sequence[Network]) -> bool:
    if not address or not networks:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False  # a test client's or a socket's name, not an address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)
