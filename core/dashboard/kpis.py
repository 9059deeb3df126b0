"""Dashboard measures: which operations each KPI counts, periods of local days, and the
small pure rules (defect rate, days of cover) the queries and the page share.

The operations table (core.stock.operations) stays the one source of operation codes and
labels; this module only groups them into measures.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from core.stock.operations import OPERATIONS, OUTBOUND_SHIPMENTS


def _codes(*codes: str) -> tuple[str, ...]:
    unknown = [code for code in codes if code not in OPERATIONS]
    assert not unknown, f"not in the operations table: {unknown}"
    return codes


# Measure → the operations whose units it sums.
RECEIVED = _codes("RECEIPT", "RECEIPT_DEFECT")
# Everything that left the warehouse: to DCs and to buyers (core.stock.operations says which).
SHIPPED = _codes(*OUTBOUND_SHIPMENTS)
# The «by marketplace and DC» chart: the shipments that name a DC.
SHIPPED_TO_DC = _codes("SHIPMENT_RC")
RETURNED = _codes("RETURN_PICKUP", "RETURN_DEFECT")  # a self-purchase is not a return
WRITTEN_OFF = _codes("WRITE_OFF", "UTILIZATION")
# Units entering the fulfillment center from outside, and the part of them that came in
# defective. Stock found defective inside (WRITE_OFF) came in earlier and is not inflow:
# counted here it could push the rate past 100 % (the «written off» card shows it).
INFLOW = _codes("RECEIPT", "RECEIPT_DEFECT", "RETURN_PICKUP", "RETURN_DEFECT", "SELF_PURCHASE")
DEFECT_INFLOW = _codes("RECEIPT_DEFECT", "RETURN_DEFECT")
# The «returns by source» chart: everything that comes back from a marketplace's buyers.
RETURNS_BY_SOURCE = _codes("RETURN_PICKUP", "RETURN_DEFECT", "SELF_PURCHASE")

FLOW_MEASURES: dict[str, tuple[str, ...]] = {
    "received": RECEIVED,
    "shipped": SHIPPED,
    "returned": RETURNED,
    "written_off": WRITTEN_OFF,
}
# KPI keys in the order the page shows them.
KPI_KEYS = (
    "good_units", "defect_units", "skus_in_stock", "low_stock_skus", "received", "shipped",
    "returned", "written_off", "defect_rate",
)  # fmt: skip

# Average daily shipments for days of cover are taken over this many days up to today.
COVER_DAYS = 30


@dataclass(frozen=True)
class Period:
    """Local calendar days from `start` to `end`, both inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The same number of days right before `start`."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    @classmethod
    def last_days(cls, days: int, today: date) -> "Period":
        """`days` days ending with `today`: 1 is today alone, 7 is today and the 6 before."""
        if days < 1:
            raise ValueError("a period has at least one day")
        return cls(today - timedelta(days=days - 1), today)

    def each_day(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range(self.days)]


@dataclass(frozen=True)
class Kpi:
    key: str  # one of KPI_KEYS
    value: float  # units, a count, or a fraction 0..1 for defect_rate
    previous: float  # the same for period.previous() (stock measures: at its end)


def defect_rate(defect_inflow: float, inflow: float) -> float:
    """Defect inflow ÷ all inflow; 0 when nothing came in."""
    return defect_inflow / inflow if inflow > 0 else 0.0


def days_of_cover(available: int, shipped_units: int, days: int = COVER_DAYS) -> float | None:
    """How many days the available stock lasts at the average daily shipments of the last
    `days` days; None when nothing was shipped (no rate to divide by)."""
    if shipped_units <= 0:
        return None
    return max(available, 0) / (shipped_units / days)
