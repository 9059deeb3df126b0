"""Dashboard reads over a small known ledger: exact KPI values and chart series, with
movements at 23:30 and 00:30 Moscow time on both sides of period boundaries."""

from collections import Counter
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from core.dashboard.kpis import Period, days_of_cover, defect_rate
from core.errors import InsufficientStock
from core.periods import local_day
from core.stock.movements import post_movement, reverse_movement
from core.stock.requests import MovementRequest
from data.dashboard import queries as dashboard
from data.database import Database
from data.db import write_session
from data.models import Product
from tests.conftest import make_product
from tests.flow_check import assert_aggregates_match_ledger
from tests.helpers import dc_id, source_id

MSK = ZoneInfo("Europe/Moscow")
TODAY = date(2026, 3, 7)
WEEK = Period(date(2026, 3, 1), TODAY)


def msk(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


class Ledger:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.a = make_product(db, sku="A-1", name="Альфа", barcode="4600000000001", min_stock=80)
        self.b = make_product(db, sku="B-1", name="Бета", barcode="4600000000002", min_stock=30)
        self.c = make_product(db, sku="C-1", name="Вега", barcode="4600000000003", min_stock=5)
        self.d = make_product(db, sku="D-1", name="Гамма", barcode="4600000000004")  # min 0
        self.e = make_product(db, sku="E-1", name="Дельта", barcode="4600000000005", min_stock=9)
        with write_session(db.engine) as session:
            deleted = session.get(Product, self.e)
            assert deleted is not None
            deleted.is_deleted = True  # no stock, below its minimum, but deleted: no alert
            session.commit()
        self.wb, self.ozon = source_id(db, "Wildberries"), source_id(db, "Ozon")
        self.koledino, self.khorugvino = dc_id(db, "WB Коледино"), dc_id(db, "Ozon Хоругвино")

    def post(self, op: str, product: int, qty: int, at: datetime, **kw: object) -> int:
        request = MovementRequest(op, qty, product_id=product, **kw)  # type: ignore[arg-type]
        movement = post_movement(self.db.unit_of_work(), request, user_id=None, at=at).movement
        assert movement.id is not None
        return movement.id

    def fill(self) -> None:
        a, b, c = self.a, self.b, self.c
        # the previous week (22–28 February)
        self.post("RECEIPT", a, 100, msk(25, 10, month=2))
        self.post("RECEIPT_DEFECT", a, 4, msk(25, 11, month=2))
        self.post("RECEIPT", b, 50, msk(28, 23, 30, month=2))  # 20:30 UTC: still 28 February
        # this week (1–7 March)
        self.post(  # 00:30 Moscow = 21:30 UTC on 28 February: already 1 March
            "SHIPMENT_RC", b, 20, msk(1, 0, 30), distribution_center_id=self.koledino
        )
        self.post("SHIPMENT_RC", a, 30, msk(2, 12), distribution_center_id=self.khorugvino)
        self.post("WRITE_OFF", a, 5, msk(2, 13))
        self.post("RETURN_PICKUP", a, 2, msk(3, 9), source_id=self.wb)
        self.post("RETURN_DEFECT", b, 1, msk(3, 9, 30), source_id=self.ozon)
        self.post("UTILIZATION", a, 3, msk(4, 10))
        wrong = self.post("RECEIPT", c, 10, msk(4, 11))
        self.post("RECEIPT", a, 20, msk(4, 12))
        reverse_movement(self.db.unit_of_work(), wrong, user_id=None, at=msk(5, 10))
        self.post("SELF_PURCHASE", a, 1, msk(5, 15), source_id=self.wb)
        self.post("SHIPMENT_RC", a, 10, msk(6, 23, 30), distribution_center_id=self.khorugvino)
        self.post(  # 21:30 UTC on 6 March: the 7th in Moscow
            "SHIPMENT_RC", b, 5, msk(7, 0, 30), distribution_center_id=self.koledino
        )


@pytest.fixture
def ledger(db: Database, monkeypatch: pytest.MonkeyPatch) -> Ledger:
    monkeypatch.setattr(dashboard, "today", lambda: TODAY)
    book = Ledger(db)
    book.fill()
    return book


def kpi_values(db: Database, period: Period) -> dict[str, tuple[float, float]]:
    return {k.key: (k.value, k.previous) for k in dashboard.kpis(db.engine, period)}


def test_period_arithmetic() -> None:
    assert Period.last_days(1, TODAY) == Period(TODAY, TODAY)
    assert Period.last_days(7, TODAY) == WEEK and WEEK.days == 7
    assert WEEK.previous() == Period(date(2026, 2, 22), date(2026, 2, 28))
    assert Period(date(2026, 3, 1), date(2026, 3, 31)).previous() == Period(
        date(2026, 1, 29), date(2026, 2, 28)
    )
    with pytest.raises(ValueError):
        Period(TODAY, date(2026, 3, 6))
    assert local_day(msk(1, 0, 30), "Europe/Moscow") == date(2026, 3, 1)
    assert local_day(msk(1, 0, 30), "UTC") == date(2026, 2, 28)
    assert defect_rate(0, 0) == 0.0 and defect_rate(6, 24) == 0.25
    assert days_of_cover(78, 40) == 58.5 and days_of_cover(5, 0) is None


def test_kpis_of_a_week_against_the_week_before(ledger: Ledger) -> None:
    assert kpi_values(ledger.db, WEEK) == {
        "good_units": (103, 150),
        "defect_units": (7, 4),
        "skus_in_stock": (2, 2),
        "low_stock_skus": (3, 1),  # now A, B, C; at the end of February only C
        "received": (20, 154),  # C's 10 was reversed
        "shipped": (65, 0),
        "returned": (3, 0),
        "written_off": (8, 0),
        "defect_rate": (1 / 24, 4 / 154),  # the 5 written off came in last week
    }
    assert [k.key for k in dashboard.kpis(ledger.db.engine, WEEK)] == [
        "good_units", "defect_units", "skus_in_stock", "low_stock_skus", "received", "shipped",
        "returned", "written_off", "defect_rate",
    ]  # fmt: skip


def test_kpis_of_a_past_period_take_stock_at_its_end(ledger: Ledger) -> None:
    # Ends on 3 March (stock counted back from today) and compares with 26–28 February
    # (stock counted forward from the start: fewer changes that way).
    values = kpi_values(ledger.db, Period(date(2026, 3, 1), date(2026, 3, 3)))
    assert values["good_units"] == (97, 150)
    assert values["defect_units"] == (10, 4)
    assert values["skus_in_stock"] == (2, 2)
    assert values["low_stock_skus"] == (2, 1)  # A 67 < 80 and C; B 30 is not below 30
    assert values["received"] == (0, 50)  # 25 February is outside 26–28
    assert values["shipped"] == (50, 0)


def test_the_boundary_between_days_is_midnight_in_moscow(ledger: Ledger) -> None:
    engine = ledger.db.engine
    today = Period(TODAY, TODAY)
    assert kpi_values(ledger.db, today)["shipped"] == (5, 10)  # 00:30 today, 23:30 yesterday
    assert dashboard.movements_per_day(engine, Period(date(2026, 2, 28), date(2026, 3, 1))) == [
        {"day": date(2026, 2, 28), "operation_type": "RECEIPT", "units": 50, "movements": 1},
        {"day": date(2026, 3, 1), "operation_type": "SHIPMENT_RC", "units": 20, "movements": 1},
    ]


def test_chart_series_of_the_week(ledger: Ledger) -> None:
    engine = ledger.db.engine

    def day(n: int) -> date:
        return date(2026, 3, n)

    assert dashboard.movements_per_day(engine, WEEK) == [
        {"day": day(1), "operation_type": "SHIPMENT_RC", "units": 20, "movements": 1},
        {"day": day(2), "operation_type": "SHIPMENT_RC", "units": 30, "movements": 1},
        {"day": day(2), "operation_type": "WRITE_OFF", "units": 5, "movements": 1},
        {"day": day(3), "operation_type": "RETURN_DEFECT", "units": 1, "movements": 1},
        {"day": day(3), "operation_type": "RETURN_PICKUP", "units": 2, "movements": 1},
        {"day": day(4), "operation_type": "RECEIPT", "units": 30, "movements": 2},
        {"day": day(4), "operation_type": "UTILIZATION", "units": 3, "movements": 1},
        {"day": day(5), "operation_type": "RECEIPT", "units": -10, "movements": -1},
        {"day": day(5), "operation_type": "SELF_PURCHASE", "units": 1, "movements": 1},
        {"day": day(6), "operation_type": "SHIPMENT_RC", "units": 10, "movements": 1},
        {"day": day(7), "operation_type": "SHIPMENT_RC", "units": 5, "movements": 1},
    ]
    assert dashboard.stock_per_day(engine, WEEK) == [
        {"day": day(1), "good": 130, "defect": 4},
        {"day": day(2), "good": 95, "defect": 9},
        {"day": day(3), "good": 97, "defect": 10},
        {"day": day(4), "good": 127, "defect": 7},
        {"day": day(5), "good": 118, "defect": 7},
        {"day": day(6), "good": 108, "defect": 7},
        {"day": day(7), "good": 103, "defect": 7},
    ]
    february = Period(date(2026, 2, 24), date(2026, 2, 26))
    assert dashboard.stock_per_day(engine, february) == [
        {"day": date(2026, 2, 24), "good": 0, "defect": 0},
        {"day": date(2026, 2, 25), "good": 100, "defect": 4},
        {"day": date(2026, 2, 26), "good": 100, "defect": 4},
    ]
    assert dashboard.top_shipped(engine, WEEK) == [
        {"product_id": ledger.a, "sku": "A-1", "name": "Альфа", "barcode": "4600000000001",
         "units": 40},
        {"product_id": ledger.b, "sku": "B-1", "name": "Бета", "barcode": "4600000000002",
         "units": 25},
    ]  # fmt: skip
    assert [r["product_id"] for r in dashboard.top_shipped(engine, WEEK, limit=1)] == [ledger.a]
    assert dashboard.shipments_by_dc(engine, WEEK) == [
        {"marketplace": "Ozon", "source_id": ledger.ozon,
         "distribution_center_id": ledger.khorugvino, "distribution_center": "Ozon Хоругвино",
         "units": 40},
        {"marketplace": "Wildberries", "source_id": ledger.wb,
         "distribution_center_id": ledger.koledino, "distribution_center": "WB Коледино",
         "units": 25},
    ]  # fmt: skip
    assert dashboard.returns_by_source(engine, WEEK) == [
        {"source_id": ledger.ozon, "source": "Ozon", "operation_type": "RETURN_DEFECT",
         "units": 1},
        {"source_id": ledger.wb, "source": "Wildberries", "operation_type": "RETURN_PICKUP",
         "units": 2},
        {"source_id": ledger.wb, "source": "Wildberries", "operation_type": "SELF_PURCHASE",
         "units": 1},
    ]  # fmt: skip
    assert dashboard.writeoffs_per_day(engine, WEEK) == [
        {"day": day(2), "operation_type": "WRITE_OFF", "units": 5},
        {"day": day(4), "operation_type": "UTILIZATION", "units": 3},
    ]
    assert_aggregates_match_ledger(ledger.db)


def test_low_stock_alerts_with_days_of_cover(ledger: Ledger) -> None:
    engine = ledger.db.engine
    page = dashboard.low_stock(engine, limit=50, offset=0)
    assert page.total == 3 == dashboard.low_stock_count(engine)
    assert page.items == [
        # 25 available, 25 shipped in 30 days: 25 ÷ (25/30) = 30 days
        {"product_id": ledger.b, "sku": "B-1", "name": "Бета", "barcode": "4600000000002",
         "min_stock": 30, "available": 25, "avg_daily_shipped": 25 / 30, "days_of_cover": 30.0},
        {"product_id": ledger.a, "sku": "A-1", "name": "Альфа", "barcode": "4600000000001",
         "min_stock": 80, "available": 78, "avg_daily_shipped": 40 / 30, "days_of_cover": 58.5},
        # never shipped: no rate, no days of cover
        {"product_id": ledger.c, "sku": "C-1", "name": "Вега", "barcode": "4600000000003",
         "min_stock": 5, "available": 0, "avg_daily_shipped": 0.0, "days_of_cover": None},
    ]  # fmt: skip
    second = dashboard.low_stock(engine, limit=2, offset=2)
    assert (second.total, [r["product_id"] for r in second.items]) == (3, [ledger.c])
    assert dashboard.low_stock(engine, limit=2, offset=9) == dashboard.Page([], 3)


def test_shipments_older_than_30_days_do_not_count_for_cover(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dashboard, "today", lambda: TODAY)
    book = Ledger(db)
    book.post("RECEIPT", book.b, 40, msk(1, 9, month=1))
    book.post("SHIPMENT_RC", book.b, 30, msk(5, 12, month=2), distribution_center_id=book.koledino)
    book.post("SHIPMENT_RC", book.b, 6, msk(6, 12, month=2), distribution_center_id=book.koledino)
    # 30 days up to 7 March start on 6 February: only the 6 units count
    [alert] = [r for r in dashboard.low_stock(db.engine).items if r["product_id"] == book.b]
    assert (alert["available"], alert["avg_daily_shipped"]) == (4, 6 / 30)
    assert alert["days_of_cover"] == pytest.approx(20.0)


def test_an_empty_database_has_zero_kpis_and_flat_series(db: Database) -> None:
    period = Period.last_days(30, dashboard.today())
    assert all(k.value == 0 and k.previous == 0 for k in dashboard.kpis(db.engine, period))
    assert dashboard.movements_per_day(db.engine, period) == []
    series = dashboard.stock_per_day(db.engine, period)
    assert len(series) == 30 and {(r["good"], r["defect"]) for r in series} == {(0, 0)}
    assert dashboard.top_shipped(db.engine, period) == []
    assert dashboard.low_stock(db.engine) == dashboard.Page([], 0)


@given(
    start=st.dates(date(2025, 12, 1), date(2026, 6, 30)),
    length=st.integers(1, 200),
    today_offset=st.integers(-30, 230),
    first_offset=st.integers(-100, 100),
    month_cost=st.floats(1, 40),
)
def test_a_plan_covers_each_day_of_the_period_once(
    start: date, length: int, today_offset: int, first_offset: int, month_cost: float
) -> None:
    period = Period(start, start + timedelta(days=length - 1))
    today = start + timedelta(days=today_offset)
    first = start + timedelta(days=first_offset)
    assume(first <= today)
    plan = dashboard._plan(period, dashboard._Reading(first, today, month_cost))
    covered: Counter[date] = Counter()
    for day in Period(first, today).each_day():
        covered[day] += plan.all_time
    for month, sign in plan.months:
        day = month
        while day.month == month.month:
            covered[day] += sign
            day += timedelta(days=1)
    for span, sign in plan.days:
        for day in span.each_day():
            covered[day] += sign

    # Every day with data counted once; days before the first or after the last hold no
    # rows, so they may go either way.
    def has_data(d: date) -> bool:
        return first <= d <= today

    assert {d: n for d, n in covered.items() if has_data(d) and n} == {
        d: 1 for d in period.each_day() if has_data(d)
    }


def test_sums_from_months_and_days_equal_the_ledger(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random shipments and receipts over three months; every period's top list and
    end-of-period stock equal a brute-force sum, whichever mix of months and days is read."""
    import random

    rng = random.Random(5)
    today = date(2026, 4, 20)
    monkeypatch.setattr(dashboard, "today", lambda: today)
    products = [make_product(db) for _ in range(6)]
    dc = dc_id(db)
    ledger: list[tuple[date, int, str, int]] = []
    day = date(2026, 1, 25)
    while day <= today:
        for _ in range(rng.randint(0, 2)):
            product = rng.choice(products)
            at = datetime.combine(day, datetime.min.time(), MSK) + timedelta(
                hours=rng.randint(0, 23)
            )
            if rng.random() < 0.5:
                qty = rng.randint(1, 9)
                post_movement(
                    db.unit_of_work(),
                    MovementRequest("RECEIPT", qty, product_id=product),
                    user_id=None,
                    at=at,
                )
                ledger.append((day, product, "RECEIPT", qty))
            else:
                qty = 1
                request = MovementRequest(
                    "SHIPMENT_RC", qty, product_id=product, distribution_center_id=dc
                )
                try:
                    post_movement(db.unit_of_work(), request, user_id=None, at=at)
                except InsufficientStock:
                    continue
                ledger.append((day, product, "SHIPMENT_RC", qty))
        day += timedelta(days=1)
    periods = [
        Period(date(2026, 2, 10), today),  # all-time less the days before
        Period(date(2026, 1, 1), date(2026, 4, 10)),  # all-time less the days after
        Period(date(2026, 2, 10), date(2026, 4, 10)),  # less both
        Period.last_days(365, today),
    ]
    for _ in range(25):
        start = date(2026, 1, 20) + timedelta(days=rng.randint(0, 92))
        end = min(start + timedelta(days=rng.randint(0, 80)), today + timedelta(days=3))
        periods.append(Period(start, end))
    for period in periods:
        shipped: Counter[int] = Counter()
        for d, product, op, qty in ledger:
            if op == "SHIPMENT_RC" and period.start <= d <= period.end:
                shipped[product] += qty
        expected = sorted(
            ((-n, p) for p, n in shipped.items() if n),
        )
        got = [
            (-r["units"], r["product_id"])
            for r in dashboard.top_shipped(db.engine, period, limit=50)
        ]
        assert got == expected, period
        good = sum((q if op == "RECEIPT" else -q) for d, _, op, q in ledger if d <= period.end)
        skus = sum(
            1
            for p in products
            if sum(
                (q if op == "RECEIPT" else -q)
                for d, pp, op, q in ledger
                if pp == p and d <= period.end
            )
            > 0
        )
        values = kpi_values(db, period)
        assert (values["good_units"][0], values["skus_in_stock"][0]) == (good, skus), period
