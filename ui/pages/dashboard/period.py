"""The dashboard's period: from the address (?days=30, or ?start=…&end=…) and back, and
how its days read."""

from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from core.dashboard.kpis import Period

DAY_CHOICES = (1, 7, 30, 90, 365)
DEFAULT_DAYS = 30
# A custom range longer than this is cut to its last MAX_DAYS days (10 years of bars).
MAX_DAYS = 3660


# --- The period: from the address and back ----------------------------------------------


@dataclass(frozen=True)
class Choice:
    """The period as the address carries it: the last `days` days, or a custom range."""

    period: Period
    days: int | None = None  # None: a custom range

    def query(self) -> str:
        if self.days is not None:
            return urlencode({"days": self.days})
        return urlencode({"start": self.period.start.isoformat(), "end": self.period.end})


def iso_day(text: str | None) -> date | None:
    try:
        return date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def choose_period(
    days: str | None, start: str | None, end: str | None, local_today: date
) -> Choice:
    """Lenient: a range that does not parse falls back to `days`, then to the default."""
    first, last = iso_day(start), iso_day(end)
    if first is not None and last is not None:
        first, last = min(first, last), max(first, last)
        first = max(first, last - timedelta(days=MAX_DAYS - 1))
        return Choice(Period(first, last))
    wanted = int(days) if days and days.strip().isdigit() else DEFAULT_DAYS
    if wanted not in DAY_CHOICES:
        wanted = DEFAULT_DAYS
    return Choice(Period.last_days(wanted, local_today), wanted)


def show_day(day: date) -> str:
    return day.strftime("%d.%m.%Y")


def show_period(period: Period) -> str:
    if period.start == period.end:
        return show_day(period.start)
    return f"{show_day(period.start)} – {show_day(period.end)}"
