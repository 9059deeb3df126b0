"""The dashboard's order figures (data.dashboard.orders) over a known set of orders, on
SQLite and PostgreSQL: orders per local day by status (orders at 23:30 and 00:30 Moscow
time on either side of midnight), the backlog by status, the shortage rate of picking
and the median time from confirmation to shipping — «no data» (None) when there is none.

Orders are made by the use cases; the times are then moved into a known week with SQL
(the use cases stamp the clock's time), and, as shipping is not built yet, two orders are
shipped by writing what the shipping step will write: the status and its history row.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from core.dashboard.kpis import Period
from core.dashboard.orders import median_hours, shortage_rate
from core.orders.picks import pick_item, skip_item
from data.dashboard.orders import order_backlog, order_kpis, orders_per_day
from data.database import Database
from tests.conftest import make_product
from tests.helpers import post
from tests.orders import cancel, place
from tests.picking import started_task

MSK = ZoneInfo("Europe/Moscow")
WEEK = Period(date(2026, 3, 1), date(2026, 3, 7))


def msk(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MSK)


def run(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def created(db: Database, order_id: int, at: datetime) -> None:
    run(db, "UPDATE sale_order SET created_at = :at WHERE id = :id", at=_naive(db, at), id=order_id)


def _naive(db: Database, at: datetime) -> datetime:
    """As the column stores it: aware on PostgreSQL, naive UTC on SQLite."""
    utc = at.astimezone(ZoneInfo("UTC"))
    return utc.replace(tzinfo=None) if db.engine.dialect.name == "sqlite" else utc


def shipped(db: Database, order_id: int, confirmed: datetime, at: datetime) -> None:
    """What the shipping step records: the status and the step that made it."""
    run(db, "UPDATE sale_order SET status = 'shipped' WHERE id = :id", id=order_id)
    run(db, "UPDATE order_history SET at = :at WHERE order_id = :id AND action = 'confirmed'",
        at=_naive(db, confirmed), id=order_id)  # fmt: skip
    run(db, "INSERT INTO order_history (order_id, at, action, status, details) "
        "VALUES (:id, :at, 'shipped', 'shipped', '')", id=order_id, at=_naive(db, at))  # fmt: skip


def test_no_orders_is_no_data_not_zero(db: Database) -> None:
    assert orders_per_day(db.engine, WEEK) == []
    assert order_backlog(db.engine) == []
    kpis = order_kpis(db.engine, WEEK)
    assert kpis.shortage_rate is None and kpis.lead_time_hours is None
    assert kpis.shortage_rate_before is None and kpis.lead_time_hours_before is None
    assert shortage_rate(0, 0) is None and median_hours([]) is None


def test_orders_per_day_by_status_and_the_backlog(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 10)
    late = place(db, [(product, 2)])  # reserved
    after_midnight = place(db, [(product, 50)])  # awaiting stock
    morning = place(db, [(product, 1)])
    cancel(db, morning.id)
    before_week = place(db, [(product, 1)])  # reserved, made the week before
    draft = place(db, [(product, 1)], confirm=False)  # new
    created(db, late.id, msk(1, 23, 30))  # 20:30 UTC: still 1 March in Moscow
    created(db, after_midnight.id, msk(2, 0, 30))  # 21:30 UTC on 1 March: 2 March here
    created(db, morning.id, msk(2, 10))
    created(db, before_week.id, msk(28, 12, month=2))
    created(db, draft.id, msk(7, 23, 59))
    rows = {(r.day, r.status): r.orders for r in orders_per_day(db.engine, WEEK)}
    assert rows == {
        (date(2026, 3, 1), "reserved"): 1,
        (date(2026, 3, 2), "awaiting_stock"): 1,
        (date(2026, 3, 2), "cancelled"): 1,
        (date(2026, 3, 7), "new"): 1,
    }
    one_day = {(r.day, r.status) for r in orders_per_day(db.engine, Period(WEEK.start, WEEK.start))}
    assert one_day == {(date(2026, 3, 1), "reserved")}
    # Open orders now, whenever made, in the order of their way; cancelled ones are not.
    assert [(r.status, r.orders) for r in order_backlog(db.engine)] == [
        ("new", 1), ("awaiting_stock", 1), ("reserved", 2),
    ]  # fmt: skip


def test_the_shortage_rate_counts_short_and_skipped_items_of_the_period(db: Database) -> None:
    products = [make_product(db) for _ in range(4)]
    for product in products:
        post(db, "RECEIPT", product, 5)
    order = place(db, [(p, 2) for p in products])
    assert order.picking_task_id is not None
    task = started_task(db, order.picking_task_id)
    full, short, skipped, earlier = [item.id for item in task.items]
    tid = task.id
    pick_item(db.unit_of_work(), tid, full, 2, None)
    pick_item(db.unit_of_work(), tid, short, 1, None)
    skip_item(db.unit_of_work(), tid, skipped, "Нет в ячейке", None)
    pick_item(db.unit_of_work(), tid, earlier, 2, None)
    at = {
        full: msk(3, 10),
        short: msk(3, 11),
        skipped: msk(7, 23, 50),
        earlier: msk(27, 9, month=2),
    }
    for item_id, when in at.items():
        run(db, "UPDATE picking_history SET at = :at WHERE item_id = :i",
            at=_naive(db, when), i=item_id)  # fmt: skip
    kpis = order_kpis(db.engine, WEEK)
    assert kpis.picked_items == 3
    assert kpis.shortage_rate == 2 / 3
    assert kpis.shortage_rate_before == 0.0  # the one item of the week before was picked in full


def test_the_median_lead_time_over_the_orders_shipped_in_the_period(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 20)
    orders = [place(db, [(product, 1)]) for _ in range(5)]
    # Confirmed → shipped: 2 h, 5 h, 30 h in the week; 10 h the week before; one not shipped.
    shipped(db, orders[0].id, msk(2, 9), msk(2, 11))
    shipped(db, orders[1].id, msk(3, 9), msk(3, 14))
    shipped(db, orders[2].id, msk(6, 17, 59), msk(7, 23, 59))  # the week's last minute
    shipped(db, orders[3].id, msk(27, 8, month=2), msk(27, 18, month=2))
    kpis = order_kpis(db.engine, WEEK)
    assert kpis.shipped_orders == 3
    assert kpis.lead_time_hours == 5.0
    assert kpis.lead_time_hours_before == 10.0
    even = order_kpis(db.engine, Period(date(2026, 3, 2), date(2026, 3, 3)))
    assert even.lead_time_hours == 3.5  # the median of 2 h and 5 h
    assert (
        order_kpis(db.engine, Period(date(2026, 3, 9), date(2026, 3, 15))).lead_time_hours is None
    )
