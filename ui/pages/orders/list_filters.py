"""The orders list's filters as the address carries them (/orders?status=…&source_id=…
&created_from=2026-12-01&created_to=…&overdue=1&number=WB-1), and what they ask of
data.orders.queries.orders. Lenient: a value that does not parse is dropped."""

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from core.orders.rules import MAX_EXTERNAL_ID, overdue_since
from core.periods import day_start
from ui.formatting import zone
from ui.pages.orders.labels import kind_options, status_options
from ui.pages.stock.journal_filters import parse_day


@dataclass(frozen=True)
class ListFilters:
    status: str | None = None
    kind: str | None = None
    source_id: int | None = None
    created_from: date | None = None  # whole local days, both ends included
    created_to: date | None = None
    overdue: bool = False
    number: str | None = None  # the start of the external id

    @classmethod
    def from_query(cls, params: dict[str, str | None]) -> "ListFilters":
        raw = {f.name: (params.get(f.name) or "").strip() for f in fields(cls)}
        source = raw["source_id"]
        return cls(
            status=raw["status"] if raw["status"] in status_options() else None,
            kind=raw["kind"] if raw["kind"] in kind_options() else None,
            source_id=int(source) if source.isdigit() and len(source) < 10 else None,
            created_from=parse_day(raw["created_from"]) if raw["created_from"] else None,
            created_to=parse_day(raw["created_to"]) if raw["created_to"] else None,
            overdue=raw["overdue"] in ("1", "true"),
            number=raw["number"][:MAX_EXTERNAL_ID] or None,
        )

    def query(self) -> str:
        params: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or value is False:
                continue
            params[f.name] = value.isoformat() if isinstance(value, date) else value
        if self.overdue:
            params["overdue"] = 1
        return urlencode(params)

    def arguments(self, tz_name: str, overdue_hours: int, now: datetime) -> dict[str, Any]:
        """Keyword arguments of data.orders.queries.orders (without the page)."""
        tz = zone(tz_name)
        return {
            "statuses": [self.status] if self.status else [],
            "kind": self.kind,
            "source_id": self.source_id,
            "number_prefix": self.number,
            "created_from": day_start(self.created_from, tz) if self.created_from else None,
            "created_to": (
                day_start(self.created_to + timedelta(days=1), tz) if self.created_to else None
            ),
            "overdue_since": overdue_since(now, overdue_hours) if self.overdue else None,
        }
