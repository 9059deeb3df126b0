"""Operational alerts (seed 004 §12.3): floor work stuck longer than it should be, and
things the app should have done by itself but has not. Shown on /alerts beside low stock
and counted in the header's bell.

The rule lives here once: which rows are alerts is "started (or due) before a cut-off",
and `cutoffs(now, thresholds)` gives those instants; data.dashboard.alerts reads the rows
and counts with them, so a page, the bell and a test all see the same alerts.

- picking: a picking task `in_progress` started more than WMS_ALERT_PICKING_MINUTES (120)
  ago;
- packing: a packing task `in_progress` started more than WMS_ALERT_PACKING_MINUTES (60)
  ago with a package not yet weighed and measured, or no package at all;
- reservation: an order still `reserved` more than WMS_ALERT_RESERVATION_MINUTES (5) after
  its reservation expired (`reserved_until`): the expiry sweep (core.orders.expiry, every
  minute) should have released it. Orders being picked keep their stock by design
  (core.orders.expiry), so they are no alert;
- outbox: with WMS_REDIS_URL set, an event still unpublished more than
  WMS_ALERT_OUTBOX_MINUTES (5) after it was written: events are not reaching Redis.
  Without Redis the events wait in the outbox by design: no alert.
- service: a callback service (Listings, delivery) failing without a success for more
  than WMS_ALERT_SERVICE_MINUTES (5): packed orders are not being reported or shipped.
  Its state is this process's (data.events.services), not a row.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from core.settings import Settings


class AlertKind(StrEnum):
    PICKING = "picking"
    PACKING = "packing"
    RESERVATION = "reservation"
    OUTBOX = "outbox"
    SERVICE = "service"


@dataclass(frozen=True)
class AlertThresholds:
    picking_minutes: int = 120
    packing_minutes: int = 60
    reservation_minutes: int = 5
    outbox_minutes: int = 5
    service_minutes: int = 5
    outbox_watched: bool = False  # events are relayed (WMS_REDIS_URL set)

    @classmethod
    def from_settings(cls, settings: Settings) -> "AlertThresholds":
        return cls(
            picking_minutes=settings.alert_picking_minutes,
            packing_minutes=settings.alert_packing_minutes,
            reservation_minutes=settings.alert_reservation_minutes,
            outbox_minutes=settings.alert_outbox_minutes,
            service_minutes=settings.alert_service_minutes,
            outbox_watched=bool(settings.redis_url),
        )


@dataclass(frozen=True)
class AlertCutoffs:
    """A row is an alert when its instant is before (<) the cut-off of its kind."""

    picking_started: datetime
    packing_started: datetime
    reservation_expired: datetime
    outbox_created: datetime | None  # None: the outbox is not watched
    service_failing: datetime  # a service failing since before this


def cutoffs(now: datetime, thresholds: AlertThresholds) -> AlertCutoffs:
    def ago(minutes: int) -> datetime:
        return now - timedelta(minutes=minutes)

    return AlertCutoffs(
        picking_started=ago(thresholds.picking_minutes),
        packing_started=ago(thresholds.packing_minutes),
        reservation_expired=ago(thresholds.reservation_minutes),
        outbox_created=ago(thresholds.outbox_minutes) if thresholds.outbox_watched else None,
        service_failing=ago(thresholds.service_minutes),
    )


def is_alert(kind: AlertKind, since: datetime | None, now: datetime,
             thresholds: AlertThresholds) -> bool:  # fmt: skip
    """Whether a row of `kind` whose clock started at `since` (a task's start, a
    reservation's expiry, an event's creation) is an alert at `now`; the other conditions
    of its kind (in progress, unmeasured, still reserved, unpublished) are the query's."""
    if since is None:
        return False
    limits = cutoffs(now, thresholds)
    cutoff = {
        AlertKind.PICKING: limits.picking_started,
        AlertKind.PACKING: limits.packing_started,
        AlertKind.RESERVATION: limits.reservation_expired,
        AlertKind.OUTBOX: limits.outbox_created,
        AlertKind.SERVICE: limits.service_failing,
    }[kind]
    return cutoff is not None and since < cutoff


@dataclass(frozen=True)
class BellCount:
    """What the header's bell counts: products below their minimum and operational alerts."""

    low_stock: int
    operational: int

    @property
    def total(self) -> int:
        return self.low_stock + self.operational
