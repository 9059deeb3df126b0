"""Demo data (`uv run main.py --demo`): a believable center, booked consistently, only
into an empty database."""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from core.catalog.products import gtin_check_digit_ok
from core.errors import Conflict
from core.stock.operations import MANUAL_OPERATIONS
from data.database import Database
from data.demo.load import existing_data, fill
from data.demo.orders import STAGES, Stage, plan_orders
from data.demo.plan import DEMO_DAYS, DEMO_PRODUCTS, PlannedMovement, PlannedReversal, build_plan
from data.demo.storage import ZONES
from data.models import Movement, Product, User
from data.seed import DISTRIBUTION_CENTERS, SOURCES
from data.stock.balances import balances
from data.stock.ledger_checks import ledger_discrepancies
from tests.conftest import make_product
from tests.flow_check import assert_aggregates_match_ledger
from tests.order_checks import check_reservations

ROOT = Path(__file__).resolve().parents[2]
MOSCOW = ZoneInfo("Europe/Moscow")
NOW = datetime(2025, 3, 14, 15, 30, tzinfo=MOSCOW)  # a Friday afternoon
MARKETPLACES = {name: list(DISTRIBUTION_CENTERS.get(name, ())) for name in SOURCES}
# TRANSFER moves stock between storage places inside one warehouse; a fresh database has
# one place per warehouse, so the demo has nothing to transfer.
DEMO_OPERATIONS = set(MANUAL_OPERATIONS) - {"TRANSFER"}  # shipping posts SHIPMENT_ORDER


def kinds(steps: tuple[object, ...]) -> Counter[str]:
    return Counter(
        s.operation_type if isinstance(s, PlannedMovement) else "REVERSAL" for s in steps
    )


# Days of the week and times of day that move the edges: a Sunday night, a Monday morning.
@pytest.mark.parametrize(
    "now",
    [
        NOW,
        datetime(2025, 6, 1, 2, 0, tzinfo=MOSCOW),
        datetime(2025, 12, 29, 9, 5, tzinfo=MOSCOW),
        datetime(2026, 2, 18, 23, 59, tzinfo=MOSCOW),
    ],
)
def test_plan_has_every_operation_in_working_hours_and_never_oversells(now: datetime) -> None:
    plan = build_plan(MARKETPLACES, now=now)
    counts = kinds(plan.steps)
    assert set(counts) == DEMO_OPERATIONS | {"REVERSAL"}
    assert 3 <= counts["REVERSAL"] <= 12
    assert 8_000 < len(plan.steps) < 16_000
    first_day = now.date() - timedelta(days=DEMO_DAYS - 1)
    times = [s.at for s in plan.steps]
    assert times == sorted(times)
    assert times[-1] <= now
    local = [t.astimezone(MOSCOW) for t in times]
    assert local[0].date() == first_day
    assert all(8 <= t.hour < 21 for t in local)  # the shifts' hours
    # Replaying the plan from nothing: no balance ever negative, and it ends as promised.
    good = [0] * len(plan.products)
    defect = [0] * len(plan.products)
    effect = {"RECEIPT": (1, 0), "RECEIPT_DEFECT": (0, 1), "RETURN_PICKUP": (1, 0),
              "RETURN_DEFECT": (0, 1), "SELF_PURCHASE": (1, 0), "SHIPMENT_RC": (-1, 0),
              "WRITE_OFF": (-1, 1), "RESTORATION": (1, -1), "UTILIZATION": (0, -1)}  # fmt: skip
    reversed_targets: set[int] = set()
    for step in plan.steps:
        sign = 1
        if isinstance(step, PlannedReversal):
            assert step.target not in reversed_targets
            reversed_targets.add(step.target)
            target = plan.steps[step.target]
            assert isinstance(target, PlannedMovement) and step.at >= target.at
            step, sign = target, -1
        if step.operation_type == "ADJUSTMENT":
            change = 1 if step.direction == "gain" else -1
            dg, dd = (change, 0) if step.warehouse == "MAIN" else (0, change)
        else:
            dg, dd = effect[step.operation_type]
        good[step.product] += sign * dg * step.quantity
        defect[step.product] += sign * dd * step.quantity
        assert good[step.product] >= 0 and defect[step.product] >= 0
    assert (tuple(good), tuple(defect)) == (plan.good, plan.defect)
    # Sundays are quieter: fewer units go out than on an average weekday.
    shipped = Counter[int]()
    for s, t in zip(plan.steps, local, strict=True):
        if isinstance(s, PlannedMovement) and s.operation_type == "SHIPMENT_RC":
            shipped[t.weekday()] += s.quantity
    assert shipped[6] < sum(shipped.values()) / 7 / 3


def test_plan_is_reproducible_and_its_catalogue_looks_real() -> None:
    plan = build_plan(MARKETPLACES, now=NOW)
    assert build_plan(MARKETPLACES, now=NOW) == plan
    assert build_plan(MARKETPLACES, now=NOW, seed=7) != plan
    products = plan.products
    assert len(products) == DEMO_PRODUCTS
    codes = [p.barcode for p in products] + [p.gtin for p in products if p.gtin]
    assert len(set(codes)) == len(codes)
    assert len({p.sku for p in products}) == len(products)
    for code in codes:
        assert len(code) == 13 and gtin_check_digit_ok(code)
        assert code[:3] in {f"46{d}" for d in range(10)} | {"200"}
    barcodes = Counter(p.barcode[:2] for p in products)
    assert barcodes["46"] > 150 and barcodes["20"] > 30  # GS1 Russia and WB's own
    assert all(any("а" <= ch <= "я" for ch in p.name.lower()) for p in products)
    assert sum(p.min_stock > 0 for p in products) > 0.8 * len(products)
    assert all(p.weight_g and p.length_mm and p.width_mm and p.height_mm for p in products)
    low = [p for p, g in zip(products, plan.good, strict=True) if g < p.min_stock]
    assert 5 <= len(low) <= 60  # alerts that mean something, not a sea of red
    # The dashboard's defect rate: defect inflow ÷ all inflow, a few percent.
    units = Counter[str]()
    for s in plan.steps:
        if isinstance(s, PlannedMovement):
            units[s.operation_type] += s.quantity
    inflow = sum(units[k] for k in ("RECEIPT", "RECEIPT_DEFECT", "RETURN_PICKUP",
                                    "RETURN_DEFECT", "SELF_PURCHASE"))  # fmt: skip
    rate = (units["RECEIPT_DEFECT"] + units["RETURN_DEFECT"] + units["WRITE_OFF"]) / inflow
    assert 0.01 < rate < 0.06


def test_plan_does_not_depend_on_the_order_of_reference_data() -> None:
    shuffled = {name: dcs[::-1] for name, dcs in reversed(MARKETPLACES.items())}
    assert build_plan(shuffled, now=NOW) == build_plan(MARKETPLACES, now=NOW)


def test_plan_uses_only_the_distribution_centers_it_is_given() -> None:
    plan = build_plan({"Wildberries": ["WB Коледино", "Мой склад"], "Ozon": []}, now=NOW)
    dcs = {s.distribution_center for s in plan.steps if isinstance(s, PlannedMovement)}
    assert dcs == {None, "WB Коледино", "Мой склад"}
    assert {s.source for s in plan.steps if isinstance(s, PlannedMovement)} <= {
        None, "Wildberries"}  # fmt: skip
    with pytest.raises(Conflict) as refused:
        build_plan({"Ozon": []}, now=NOW)
    assert refused.value.code == "no_distribution_centers"


def test_demo_orders_reach_every_stage_on_the_stock_there_is() -> None:
    plan = build_plan(MARKETPLACES, now=NOW)
    orders = plan_orders(plan.good, MARKETPLACES, seed=1)
    assert orders == plan_orders(plan.good, MARKETPLACES, seed=1)
    assert orders != plan_orders(plan.good, MARKETPLACES, seed=2)
    assert Counter(o.stage for o in orders) == {s: c + n for s, c, n in STAGES}
    assert len({(o.source, o.external_id) for o in orders}) == len(orders) == 40
    asked = Counter[int]()
    for order in orders:
        assert 1 <= len(order.lines) <= 4
        assert len({p for p, _ in order.lines}) == len(order.lines)
        for p, q in order.lines:
            assert q > 0
            if order.stage == Stage.AWAITING_STOCK:
                assert q > plan.good[p]  # more than there is: it keeps waiting
            else:
                asked[p] += q
    assert all(q <= plan.good[p] for p, q in asked.items())
    waiting = {p for o in orders if o.stage == Stage.AWAITING_STOCK for p, _ in o.lines}
    assert not waiting & set(asked)  # a cancelled order's units never wake a waiting one


def counts(db: Database) -> tuple[int, int, int]:
    with db.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in (Product, Movement, User)
        )


def test_demo_fills_an_empty_database_consistently_and_refuses_a_second_time(
    db: Database,
) -> None:
    assert existing_data(db.engine) == (0, 0)
    report = fill(db, time_zone="Europe/Moscow", now=NOW.astimezone(UTC))
    plan = build_plan(MARKETPLACES, now=NOW)
    loaded = report.loaded
    assert loaded.products == DEMO_PRODUCTS
    assert loaded.movements == len(plan.steps)
    assert set(loaded.by_operation) == DEMO_OPERATIONS
    assert loaded.reversals == kinds(plan.steps)["REVERSAL"] > 0
    assert set(report.passwords) == {"manager", "worker", "picker", "packer"}

    assert ledger_discrepancies(db.engine) == []  # the ledger equals the quants
    check_reservations(db)  # invariant 6, after every order's steps
    assert_aggregates_match_ledger(db)  # the dashboard's daily aggregates, day by Moscow day
    with db.engine.connect() as conn:
        negative = conn.execute(sa.text("SELECT count(*) FROM quant WHERE quantity < 0"))
        assert negative.scalar_one() == 0
        by_type = dict(
            conn.execute(
                sa.text("SELECT operation_type, count(*) FROM movement GROUP BY operation_type")
            ).all()
        )
        ledger = Movement.__table__.c
        at, of_orders = ledger.created_at, ledger.document.like("order:%")
        first, last = conn.execute(
            sa.select(sa.func.min(at), sa.func.max(at)).where(sa.not_(of_orders))
        ).one()
        by_order_type = dict(conn.execute(
            sa.select(ledger.operation_type, sa.func.count()).where(of_orders)
            .group_by(ledger.operation_type)).all())  # fmt: skip
        orders = conn.execute(sa.text(
            "SELECT o.kind, o.status, o.external_id, o.carrier, o.tracking_number, s.name, "
            "o.distribution_center_id FROM sale_order o JOIN source s ON s.id = o.source_id"
        )).all()  # fmt: skip
        shipped_units = dict(conn.execute(sa.text(
            "SELECT p.barcode, sum(l.shipped) FROM order_line l JOIN product p "
            "ON p.id = l.product_id GROUP BY p.barcode")).all())  # fmt: skip
        roles = dict(conn.execute(sa.text("SELECT username, role FROM app_user")).all())
        bins = conn.execute(sa.text(
            "SELECT count(DISTINCT m.to_location_id) FROM movement m JOIN location l "
            "ON l.id = m.to_location_id WHERE l.kind = 'bin' AND l.zone IN ('A', 'B') "
            "AND m.notes = 'Размещение в ячейку'")).scalar_one()  # fmt: skip
        anonymous = conn.execute(sa.text("SELECT count(*) FROM movement WHERE user_id IS NULL"))
        assert anonymous.scalar_one() == 0
    # The orders' movements: picks to the packing station, customer orders and supplies out.
    assert set(by_order_type) == {"TRANSFER", "SHIPMENT_ORDER", "SHIPMENT_RC"}
    assert set(by_type) == DEMO_OPERATIONS | set(by_order_type)
    # …and the putaways into the storage map's bins (data.demo.storage): one per bin.
    assert report.putaways == sum(p.size for p in ZONES) == bins
    assert sum(by_type.values()) == loaded.movements + sum(by_order_type.values()) + bins
    assert roles == {"manager": "manager", "worker": "worker", "picker": "worker",
                     "packer": "worker"}  # fmt: skip
    assert first.astimezone(MOSCOW).date() == NOW.date() - timedelta(days=DEMO_DAYS - 1)
    assert last <= NOW

    # Every product ends with exactly the stock the plan kept track of.
    stock: dict[str, tuple[int, int]] = {}
    for offset in range(0, DEMO_PRODUCTS, 100):
        for row in balances(db.engine, limit=100, offset=offset).items:
            stock[row["barcode"]] = (row["good"], row["defect"])
    expected = {
        p.barcode: (g - shipped_units.get(p.barcode, 0), d)
        for p, g, d in zip(plan.products, plan.good, plan.defect, strict=True)
    }
    assert stock == expected

    # The orders, at every stage, as the marketplaces number them.
    statuses = Counter(o.status for o in orders)
    assert statuses == report.orders
    assert statuses == {"shipped": 15, "packed": 5, "packing": 3, "picking": 5, "reserved": 8,
                        "awaiting_stock": 2, "cancelled": 2}  # fmt: skip
    assert {o.name for o in orders} == {"Wildberries", "Ozon", "Яндекс Маркет"}
    for kind, status, number, carrier, tracking, source, dc in orders:
        assert (kind == "supply") == (dc is not None)
        if status == "shipped":
            assert carrier == "manual" and tracking
        if kind == "customer" and source == "Wildberries":
            assert re.fullmatch(r"\d{10}", number)
        if kind == "customer" and source == "Ozon":
            assert re.fullmatch(r"\d{8}-\d{4}-1", number)
    assert {(o.kind, o.status) for o in orders} >= {("supply", "shipped"), ("supply", "reserved")}
    assert balances(db.engine, low_only=True, limit=1).total > 0

    before = counts(db)
    with pytest.raises(Conflict) as refused:
        fill(db, time_zone="Europe/Moscow", now=NOW.astimezone(UTC))
    assert refused.value.code == "database_not_empty"
    assert "уже есть данные" in refused.value.message
    assert counts(db) == before


def test_demo_refuses_a_database_with_only_a_product(db: Database) -> None:
    make_product(db)
    with pytest.raises(Conflict):
        fill(db, time_zone="Europe/Moscow", now=NOW.astimezone(UTC))
    assert counts(db) == (1, 0, 0)


def run_main(args: list[str], tmp_path: Path, database: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NICEGUI_"))},
        "WMS_DATA_DIR": str(tmp_path),
        "WMS_DATABASE_URL": f"sqlite:///{database}",
        "WMS_HOST": "127.0.0.1",
        "WMS_PORT": "1",  # never reached: the demo refuses before the server starts
    }
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_main_demo_refuses_a_database_with_data(tmp_path: Path, sqlite_template: Path) -> None:
    path = tmp_path / "wms.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database.from_url(f"sqlite:///{path}")
    try:
        make_product(db)
        before = counts(db)
        result = run_main(["--demo"], tmp_path, path)
        assert result.returncode != 0
        assert "В базе уже есть данные (товаров: 1, операций: 0)" in result.stderr
        assert "Traceback" not in result.stderr
        assert counts(db) == before == (1, 0, 0)  # not even the admin was created
    finally:
        db.dispose()
