"""Local days and UTC instants: the one place that converts between them.

Stored times are UTC; people speak of days in the warehouse's time zone. `local_day`
goes from an instant to its local day, `day_start` from a local day to the UTC instant
it begins at; whole local days [first, last] are the instants [day_start(first),
day_start(last + 1 day)). The journal page and GET /api/v1/movements both read them so.
"""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def _zone(zone: ZoneInfo | str) -> ZoneInfo:
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def local_day(at: datetime, zone: ZoneInfo | str) -> date:
    """The local calendar date of an aware time in `zone` (e.g. Europe/Moscow)."""
    if at.tzinfo is None:
        raise ValueError("naive datetime: give times with tzinfo")
    return at.astimezone(_zone(zone)).date()


def today(zone: ZoneInfo | str, now: datetime | None = None) -> date:
    """Today's local date in `zone` (or the date of `now` there)."""
    return local_day(now or datetime.now(UTC), zone)


def day_start(day: date, zone: ZoneInfo | str) -> datetime:
    """The UTC instant the local `day` begins at (its midnight in `zone`)."""
    return datetime.combine(day, time.min, _zone(zone)).astimezone(UTC)


def now_utc() -> datetime:
    """The current instant; the one clock use cases read (tests may replace it)."""
    return datetime.now(UTC)
