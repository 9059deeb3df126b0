"""The daily aggregates stay equal to the ledger whatever writes it: random operations
and reversals at random times around Moscow midnights, imports, a rolled-back posting."""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import Conflict, InsufficientStock
from core.stock.movements import post_movement, reverse_movement
from core.stock.operations import MANUAL_OPERATIONS, OPERATIONS, Requirement
from core.stock.requests import MovementRequest
from data.database import Database
from data.db import write_session
from data.migrate import upgrade
from data.models import Product, UtcDateTime
from tests.conftest import DatabaseFactory, make_product
from tests.flow_check import aggregates, assert_aggregates_match_ledger
from tests.helpers import dc_id, post, source_id
from tests.import_files import csv_file, ean, run, xlsx

# 20:00 UTC = 23:00 in Moscow: steps of up to two hours cross local midnights often.
START = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)

posting = st.tuples(
    st.just("post"),
    st.sampled_from(sorted(MANUAL_OPERATIONS)),
    st.integers(0, 2),  # product
    st.integers(1, 15),  # quantity
    st.sampled_from(["MAIN", "DEFECT"]),  # ADJUSTMENT warehouse / TRANSFER source
    st.booleans(),  # ADJUSTMENT gain?
    st.integers(0, 120),  # minutes after the previous step
)
reversal = st.tuples(st.just("reverse"), st.integers(0, 50), st.integers(0, 120))


Step = tuple[Any, ...]


def _request(step: Step, products: list[int], extra: dict[str, int]) -> MovementRequest:
    _, code, index, qty, warehouse, gain, _ = step
    fields: dict[str, object] = {}
    op = OPERATIONS[code]
    if code == "ADJUSTMENT":
        fields = {"warehouse": warehouse, "direction": "gain" if gain else "loss",
                  "notes": "пересчёт"}  # fmt: skip
    elif code == "TRANSFER":
        other = "DEFECT" if warehouse == "MAIN" else "MAIN"
        fields = {"from_location_id": extra[warehouse], "to_location_id": extra[other]}
    elif op.needs(Requirement.DISTRIBUTION_CENTER):
        fields = {"distribution_center_id": extra["dc"]}
    elif op.needs(Requirement.SOURCE):
        fields = {"source_id": extra["source"]}
    return MovementRequest(code, qty, product_id=products[index], **fields)  # type: ignore[arg-type]


def test_aggregates_equal_the_ledger_after_random_operations_and_reversals(
    databases: DatabaseFactory,
) -> None:
    @settings(
        max_examples=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    @given(st.lists(st.one_of(posting, posting, posting, reversal), min_size=1, max_size=40))
    def check(steps: list[Step]) -> None:
        db = databases.fresh()
        products = [make_product(db) for _ in range(3)]
        extra = {"dc": dc_id(db), "source": source_id(db)}
        with db.unit_of_work() as uow:
            extra.update(MAIN=uow.stock.location("MAIN").id, DEFECT=uow.stock.location("DEFECT").id)
        posted: list[int] = []
        at = START
        for step in steps:
            at += timedelta(minutes=step[-1])
            try:
                if step[0] == "post":
                    request = _request(step, products, extra)
                    movement = post_movement(db.unit_of_work(), request, user_id=None, at=at)
                    assert movement.movement.id is not None
                    posted.append(movement.movement.id)
                elif posted:
                    target = posted[step[1] % len(posted)]
                    reverse_movement(db.unit_of_work(), target, user_id=None, at=at)
            except (InsufficientStock, Conflict):
                pass  # refused: nothing written, the aggregates neither
        assert_aggregates_match_ledger(db)

    check()


def test_a_refused_posting_leaves_no_aggregate(db: Database) -> None:
    product = make_product(db)
    post(db, "RECEIPT", product, 3)
    before = aggregates(db)
    with pytest.raises(InsufficientStock):
        post(db, "SHIPMENT_RC", product, 4, distribution_center_id=dc_id(db))
    assert aggregates(db) == before
    assert_aggregates_match_ledger(db)


def test_imports_keep_the_aggregates_equal_to_the_ledger(db: Database) -> None:
    codes = [ean() for _ in range(3)]
    products = [make_product(db, barcode=code) for code in codes]
    post(db, "RECEIPT", products[0], 5)
    movements = xlsx(
        [
            ["Баркод", "Количество", "Операция", "Источник", "РЦ", "Склад", "Направление",
             "Комментарий"],
            [codes[0], 10, "Приёмка", None, None, None, None, None],
            [codes[1], 7, "Приёмка", None, None, None, None, None],
            [codes[1], 4, "Приёмка брака", None, None, None, None, None],
            [codes[0], 2, "Возврат с ПВЗ", "Ozon", None, None, None, None],
            [codes[0], 3, "Отгрузка на РЦ", "Wildberries", "WB Коледино", None, None, None],
            [codes[0], 3, "Отгрузка на РЦ", None, "WB Коледино", None, None, None],
            [codes[1], 1, "Списание в брак", None, None, None, None, None],
            [codes[1], 2, "Утилизация", None, None, None, None, None],
            [codes[2], 5, "ADJUSTMENT", None, None, "DEFECT", "gain", "Нашли на складе"],
        ]
    )  # fmt: skip
    report = run(db, movements, dry_run=False)
    assert report.applied, report.errors
    balances = csv_file(
        [
            ["Баркод", "Годный", "Брак"],
            [codes[0], "1", "0"],
            [codes[1], "20", "1"],
            [codes[2], "3", "5"],
        ]
    )
    report = run(db, balances, "opening_balances", name="остатки.csv", dry_run=False)
    assert report.applied, report.errors
    assert_aggregates_match_ledger(db)
    with db.engine.connect() as conn:
        shipped = conn.execute(
            sa.text(
                "SELECT sum(units), sum(movements) FROM product_day_flow "
                "WHERE operation_type = 'SHIPMENT_RC'"
            )
        ).one()
    assert tuple(shipped) == (6, 2)  # the two rows of one key summed into one upsert


def test_a_refused_import_leaves_no_aggregate(db: Database) -> None:
    code = ean()
    make_product(db, barcode=code)
    content = xlsx([["Баркод", "Количество"], [code, 3], ["4600000000000", 1]])
    report = run(db, content, operation_type="RECEIPT", dry_run=False)
    assert not report.applied
    assert aggregates(db) == ({}, {}, {})


def test_past_days_are_folded_into_one_shard(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    import data.stock.flows
    import data.uow

    def set_today(day: date) -> None:
        monkeypatch.setattr(data.uow, "local_today", lambda _zone: day)
        monkeypatch.setattr(data.stock.flows, "local_today", lambda _zone: day)

    moscow = ZoneInfo("Europe/Moscow")
    products = [make_product(db) for _ in range(6)]
    set_today(date(2026, 3, 7))
    for product in products:
        request = MovementRequest("RECEIPT", 5, product_id=product)
        post_movement(
            db.unit_of_work(), request, user_id=None, at=datetime(2026, 3, 7, 12, tzinfo=moscow)
        )
    backfill = MovementRequest("RECEIPT", 1, product_id=products[0])
    post_movement(
        db.unit_of_work(), backfill, user_id=None, at=datetime(2026, 3, 1, 9, tzinfo=moscow)
    )

    def shards() -> set[tuple[date, int]]:
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT day, shard FROM day_flow")).all()
        return {(date.fromisoformat(str(d)), s) for d, s in rows}

    # today's receipts spread over shards; the backfilled past day went to shard 0
    assert shards() == {(date(2026, 3, 7), p % 16) for p in products} | {(date(2026, 3, 1), 0)}
    assert_aggregates_match_ledger(db)

    set_today(date(2026, 3, 8))  # the first commit of the next day folds the 7th
    request = MovementRequest("RECEIPT", 2, product_id=products[1])
    post_movement(
        db.unit_of_work(), request, user_id=None, at=datetime(2026, 3, 8, 9, tzinfo=moscow)
    )
    assert shards() == {
        (date(2026, 3, 1), 0),
        (date(2026, 3, 7), 0),
        (date(2026, 3, 8), products[1] % 16),
    }
    assert_aggregates_match_ledger(db)


def test_the_migration_fills_the_aggregates_of_an_existing_ledger(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    from alembic import command

    from data.db import create_engine
    from data.migrate import alembic_config
    from tests.conftest import POSTGRES_URL

    if databases.backend == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'old.sqlite3'}", None
    else:
        base = sa.engine.make_url(POSTGRES_URL)
        name = f"{base.database}_migration"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = base.set(database=name).render_as_string(hide_password=False)

        def drop() -> None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()

    engine = create_engine(url)
    try:
        config = alembic_config()
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "0002")
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO warehouse (id, code, name) VALUES (1, 'MAIN', 'Годный'), "
                "(2, 'DEFECT', 'Брак')"
            )
            conn.exec_driver_sql(
                "INSERT INTO location (id, code, name, kind, warehouse_id, route_sequence, "
                "is_active) VALUES (1, 'MAIN', 'Годный', 'internal', 1, 0, true), "
                "(2, 'DEFECT', 'Брак', 'internal', 2, 0, true), "
                "(3, 'VENDOR', 'Поставщики', 'virtual', NULL, 0, true)"
            )
            conn.exec_driver_sql(
                "INSERT INTO product (id, sku, name, barcode, min_stock, is_deleted, created_at, "
                "updated_at) VALUES (1, 'A', 'A', '1', 0, false, '2026-01-01', '2026-01-01'), "
                "(2, 'B', 'B', '2', 0, false, '2026-01-01', '2026-01-01')"
            )
            # 20:59 and 21:00 UTC on 28 February: 23:59 on the 28th and 00:00 on 1 March
            # in Moscow; the last row reverses the write-off.
            for id_, product, qty, src, dst, at, reversal in (
                (1, 1, 5, 3, 1, "2026-02-28 20:59:00", None),
                (2, 1, 2, 1, 2, "2026-02-28 21:00:00", None),
                (3, 2, 7, 3, 2, "2026-03-01 10:00:00", None),
                (4, 1, 2, 2, 1, "2026-03-02 10:00:00", 2),
            ):
                op = {(3, 1): "RECEIPT", (1, 2): "WRITE_OFF", (3, 2): "RECEIPT_DEFECT",
                      (2, 1): "WRITE_OFF"}[(src, dst)]  # fmt: skip
                conn.execute(
                    sa.text(
                        "INSERT INTO movement (id, operation_type, product_id, quantity, "
                        "from_location_id, to_location_id, reversal_of, created_at) "
                        "VALUES (:id, :op, :p, :q, :src, :dst, :rev, :at)"
                    ).bindparams(sa.bindparam("at", type_=UtcDateTime())),
                    {"id": id_, "op": op, "p": product, "q": qty, "src": src, "dst": dst,
                     "rev": reversal, "at": datetime.fromisoformat(at).replace(tzinfo=UTC)},
                )  # fmt: skip
            conn.exec_driver_sql(
                "INSERT INTO quant (product_id, location_id, quantity, reserved, received_at) "
                "VALUES (1, 1, 5, 0, '2026-03-01'), (1, 2, 0, 0, '2026-03-01'), "
                "(2, 2, 7, 0, '2026-03-01')"
            )
        upgrade(engine)
        old = Database(engine)
        assert_aggregates_match_ledger(old)
        product, month, day = aggregates(old)
        assert day[(date(2026, 2, 28), "RECEIPT", 0, 0)] == (1, 5, 5, 0)
        assert day[(date(2026, 3, 1), "WRITE_OFF", 0, 0)] == (1, 2, -2, 2)
        assert day[(date(2026, 3, 2), "WRITE_OFF", 0, 0)] == (-1, -2, 2, -2)
        assert month[(date(2026, 3, 1), 1, "WRITE_OFF")] == (0, 0, 0, 0)
        assert month[(date(2026, 2, 1), 1, "RECEIPT")] == (1, 5, 5, 0)
    finally:
        engine.dispose()
        if drop is not None:
            drop()


def test_the_daily_job_keeps_counts_of_old_days_and_backfills_forget_them(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    import data.dashboard.queries
    import data.stock.flows
    import data.uow
    from core.dashboard.kpis import Period

    def set_today(day: date) -> None:
        monkeypatch.setattr(data.uow, "local_today", lambda _zone: day)
        monkeypatch.setattr(data.stock.flows, "local_today", lambda _zone: day)
        monkeypatch.setattr(data.dashboard.queries, "today", lambda: day)

    moscow = ZoneInfo("Europe/Moscow")

    def at(day: int, hour: int = 12) -> datetime:
        return datetime(2026, 3, day, hour, tzinfo=moscow)

    def receive(product: int, qty: int, day: int) -> None:
        request = MovementRequest("RECEIPT", qty, product_id=product)
        post_movement(db.unit_of_work(), request, user_id=None, at=at(day))

    def ship(product: int, qty: int, day: int) -> None:
        request = MovementRequest(
            "SHIPMENT_RC", qty, product_id=product, distribution_center_id=dc_id(db)
        )
        post_movement(db.unit_of_work(), request, user_id=None, at=at(day))

    def stored() -> dict[date, tuple[int, int]]:
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT day, skus_in_stock, low_stock_skus FROM day_stock"))
            return {date.fromisoformat(str(d)): (s, low) for d, s, low in rows}

    a, b = make_product(db, min_stock=10), make_product(db, min_stock=3)
    set_today(date(2026, 3, 3))
    receive(a, 20, 1)  # the first commit of the 3rd takes the counts at the end of the 1st
    receive(b, 2, 2)
    ship(a, 20, 3)  # a runs out on the 3rd
    assert stored() == {date(2026, 3, 1): (1, 1)}  # a in stock; b below its minimum
    set_today(date(2026, 3, 5))
    receive(b, 5, 5)
    # At the end of the 3rd: b in stock (a shipped out), both below their minimums.
    assert stored() == {date(2026, 3, 1): (1, 1), date(2026, 3, 3): (1, 2)}

    # The KPIs of the period ending on the 4th compare with the end of the 3rd... from
    # day_stock: a changed minimum does not change stored counts.
    with write_session(db.engine) as session:
        session.exec(sa.update(Product).where(Product.id == b).values(min_stock=0))  # type: ignore[call-overload]
        session.commit()
    kpis = {
        k.key: k
        for k in data.dashboard.queries.kpis(db.engine, Period(date(2026, 3, 4), date(2026, 3, 4)))
    }
    assert (kpis["skus_in_stock"].previous, kpis["low_stock_skus"].previous) == (1, 2)
    assert (kpis["good_units"].previous, kpis["good_units"].value) == (2, 2)
    assert kpis["low_stock_skus"].value == 1  # the 4th is computed now: only a is low

    # A posting booked on the 3rd changes the end of the 3rd and of every later day.
    receive(a, 1, 3)
    assert stored() == {date(2026, 3, 1): (1, 1)}
    kpis = {
        k.key: k
        for k in data.dashboard.queries.kpis(db.engine, Period(date(2026, 3, 4), date(2026, 3, 4)))
    }
    assert (kpis["skus_in_stock"].previous, kpis["good_units"].previous) == (2, 3)


def test_a_failing_aggregate_write_rolls_the_posting_back(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The aggregate upserts go to the driver together (a pipeline on psycopg): an error
    among them is still raised as SQLAlchemy's and nothing of the posting stays."""
    from data.stock.flows import ADD_DAY_FLOW
    from data.transaction import _driver_sql

    product = make_product(db)
    post(db, "RECEIPT", product, 3)
    driver = _driver_sql(db.engine.dialect)
    assert driver is not None
    monkeypatch.setitem(driver.sql, ADD_DAY_FLOW, "INSERT INTO no_such_table VALUES (1)")
    with pytest.raises(sa.exc.DBAPIError):
        post(db, "RECEIPT", product, 4)
    monkeypatch.undo()
    post(db, "RECEIPT", product, 5)  # the connection went back to the pool usable
    with db.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM movement")).scalar_one() == 2
    assert_aggregates_match_ledger(db)
