"""The journal's filters as the address carries them, and the days they take."""

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from core.periods import day_start
from core.stock.operations import OPERATIONS
from data.stock.journal import JournalFilter
from ui.formatting import zone

DATE_MASK = "DD.MM.YYYY"  # what the date fields show; the address uses ISO dates


@dataclass(frozen=True)
class Filters:
    """The journal's filters as the address carries them (ids as ints, days as dates)."""

    operation_type: str | None = None
    product_id: int | None = None
    user_id: int | None = None
    source_id: int | None = None
    distribution_center_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, params: dict[str, str | None]) -> "Filters":
        """Lenient: a value that does not parse is ignored, never an error page."""
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = (params.get(f.name) or "").strip()
            if not raw:
                continue
            if f.name == "operation_type":
                values[f.name] = raw if raw in OPERATIONS else None
            elif f.name.startswith("date_"):
                values[f.name] = parse_day(raw)
            else:
                values[f.name] = int(raw) if raw.isdigit() else None
        return cls(**values)

    def query(self) -> str:
        params = {
            f.name: value.isoformat() if isinstance(value, date) else value
            for f in fields(self)
            if (value := getattr(self, f.name)) is not None
        }
        return urlencode(params)

    def journal_filter(self, tz_name: str) -> JournalFilter:
        """Whole local days: `date_to` includes all of its day (up to the next midnight)."""
        tz = zone(tz_name)
        start = day_start(self.date_from, tz) if self.date_from else None
        end = day_start(self.date_to + timedelta(days=1), tz) if self.date_to else None
        return JournalFilter(
            operation_type=self.operation_type,
            product_id=self.product_id,
            user_id=self.user_id,
            source_id=self.source_id,
            distribution_center_id=self.distribution_center_id,
            date_from=start,
            date_to=end,
        )


def parse_day(text: str) -> date | None:
    """'22.11.2026' (as typed or picked) or '2026-11-22' (as linked); None if neither."""
    for form in ("%d.%m.%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    return None


def show_day(day: date | None) -> str:
    return day.strftime("%d.%m.%Y") if day else ""
