"""The dashboard counts a shipped order, on SQLite and PostgreSQL, through the real use
cases (create → pick → pack → ship): its SHIPMENT_ORDER is «shipped» like a SHIPMENT_RC
(the KPI, the top SKUs, days of cover), the per-DC chart keeps to shipments that name a
DC, and the confirmation → shipped time has the `shipped` step shipping writes."""

from datetime import timedelta

import sqlalchemy as sa

from core.dashboard.kpis import SHIPPED, SHIPPED_TO_DC, Period
from core.stock.operations import OPERATIONS, OUTBOUND_SHIPMENTS
from data.dashboard import queries as dashboard
from data.dashboard.orders import order_kpis
from data.database import Database
from data.models import OrderHistory
from tests.conftest import make_product
from tests.flow_check import assert_aggregates_match_ledger
from tests.helpers import dc_id, post
from tests.packing import ready_to_ship, ship

HISTORY = OrderHistory.__table__  # type: ignore[attr-defined]


def test_outbound_shipments_are_those_leaving_for_buyers_or_dcs() -> None:
    assert set(OUTBOUND_SHIPMENTS) == {"SHIPMENT_RC", "SHIPMENT_ORDER"}
    assert SHIPPED == OUTBOUND_SHIPMENTS and SHIPPED_TO_DC == ("SHIPMENT_RC",)
    assert all(OPERATIONS[code].to_location in ("CUSTOMERS", "MARKETPLACE_DC") for code in SHIPPED)


def test_a_shipped_order_counts_as_shipped(db: Database) -> None:
    engine = db.engine
    ordered = make_product(db, sku="ORD-1", name="Заказной", min_stock=10)
    supplied = make_product(db, sku="DC-1", name="На РЦ")
    # 5 units in a bin, 3 of them picked, packed and shipped to a buyer.
    _, task_id = ready_to_ship(db, [(ordered, 3)], spare=2)
    ship(db, task_id)
    post(db, "RECEIPT", supplied, 4)
    post(db, "SHIPMENT_RC", supplied, 1, distribution_center_id=dc_id(db))
    today = Period.last_days(1, dashboard.today())
    values = {k.key: k.value for k in dashboard.kpis(engine, today)}
    assert values["shipped"] == 4  # 3 to the buyer + 1 to the DC
    top = [(r["product_id"], r["units"]) for r in dashboard.top_shipped(engine, today)]
    assert top == [(ordered, 3), (supplied, 1)]
    by_dc = [(r["distribution_center_id"], r["units"]) for r in dashboard.shipments_by_dc(
        engine, today)]  # fmt: skip
    assert by_dc == [(dc_id(db), 1)]  # the buyer's order names no DC
    # 2 left, minimum 10: an alert whose days of cover count the order's 3 units.
    (alert,) = [r for r in dashboard.low_stock(engine).items if r["product_id"] == ordered]
    assert (alert["available"], alert["avg_daily_shipped"]) == (2, 3 / 30)
    assert alert["days_of_cover"] == 20.0
    assert_aggregates_match_ledger(db)


def test_the_lead_time_of_an_order_shipped_by_the_use_cases(db: Database) -> None:
    product = make_product(db)
    order, task_id = ready_to_ship(db, [(product, 1)])
    today = Period.last_days(1, dashboard.today())
    assert order_kpis(db.engine, today).lead_time_hours is None  # packed is not shipped
    ship(db, task_id)
    h = HISTORY.c
    mine = sa.select(h.action, h.status, h.at).where(h.order_id == order.id)
    with db.engine.connect() as conn:
        steps = conn.execute(mine).all()
    (shipped,) = [(action, at) for action, status, at in steps if status == "shipped"]
    (confirmed,) = [at for action, _, at in steps if action == "confirmed"]
    assert shipped[0] == "packing_shipped"  # the step shipping writes
    seconds = (shipped[1] - confirmed).total_seconds()
    assert 0 < seconds < 600
    kpis = order_kpis(db.engine, today)
    assert kpis.shipped_orders == 1
    assert kpis.lead_time_hours == seconds / 3600
    # Confirmed two hours earlier: the figure is two hours longer.
    with db.engine.begin() as conn:
        conn.execute(
            HISTORY.update()
            .where(h.order_id == order.id, h.action == "confirmed")
            .values(at=confirmed - timedelta(hours=2))
        )
    moved = order_kpis(db.engine, today).lead_time_hours
    assert moved is not None and abs(moved - (2 + seconds / 3600)) < 1e-6
