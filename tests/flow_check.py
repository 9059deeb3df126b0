"""The aggregates recomputed from the ledger in plain Python, for the tests to compare
with what the writers kept (an independent GROUP BY: no code of data.stock.flows). day_flow is
compared summed over its shards: how a day's rows are spread is a storage detail."""

from collections import Counter
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from data.database import Database
from data.models import DayFlow, Movement, ProductDayFlow, ProductMonthFlow

VALUES = ("movements", "units", "good_delta", "defect_delta")
Groups = dict[tuple[Any, ...], tuple[int, ...]]


def _ledger_groups(db: Database, zone: str) -> tuple[Groups, Groups, Groups]:
    tz = ZoneInfo(zone)
    m = Movement.__table__.c
    with db.engine.connect() as conn:
        warehouse = dict(
            conn.execute(
                sa.text(
                    "SELECT l.id, w.code FROM location l "
                    "LEFT JOIN warehouse w ON w.id = l.warehouse_id"
                )
            ).all()
        )
        rows = conn.execute(
            sa.select(
                m.operation_type, m.product_id, m.quantity, m.from_location_id,
                m.to_location_id, m.source_id, m.distribution_center_id, m.reversal_of,
                m.created_at,
            )
        ).all()  # fmt: skip
    product: dict[tuple[Any, ...], Counter[str]] = {}
    month: dict[tuple[Any, ...], Counter[str]] = {}
    day: dict[tuple[Any, ...], Counter[str]] = {}
    for op, pid, qty, src, dst, source, dc, reversal_of, created_at in rows:
        sign = -1 if reversal_of is not None else 1
        local = created_at.astimezone(tz).date()
        values = Counter(
            movements=sign,
            units=sign * qty,
            good_delta=(qty if warehouse[dst] == "MAIN" else 0)
            - (qty if warehouse[src] == "MAIN" else 0),
            defect_delta=(qty if warehouse[dst] == "DEFECT" else 0)
            - (qty if warehouse[src] == "DEFECT" else 0),
        )
        product.setdefault((local, pid, op, source or 0, dc or 0), Counter()).update(values)
        month.setdefault((local.replace(day=1), pid, op), Counter()).update(values)
        month.setdefault((date(1, 1, 1), pid, op), Counter()).update(values)  # all-time
        day.setdefault((local, op, source or 0, dc or 0), Counter()).update(values)

    def as_tuples(groups: dict[tuple[Any, ...], Counter[str]]) -> Groups:
        return {key: tuple(c[v] for v in VALUES) for key, c in groups.items()}

    return as_tuples(product), as_tuples(month), as_tuples(day)


def _table(db: Database, table: sa.Table, key: tuple[str, ...]) -> Groups:
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(*(table.c[k] for k in (*key, *VALUES)))).all()
    return {tuple(r[: len(key)]): tuple(r[len(key) :]) for r in rows}


def aggregates(db: Database) -> tuple[Groups, Groups, Groups]:
    """(product_day_flow, product_month_flow, day_flow summed over shards)."""
    product = _table(
        db, ProductDayFlow.__table__,
        ("day", "product_id", "operation_type", "source_id", "distribution_center_id"),
    )  # fmt: skip
    month = _table(db, ProductMonthFlow.__table__, ("month", "product_id", "operation_type"))
    shards = _table(
        db, DayFlow.__table__,
        ("day", "operation_type", "source_id", "distribution_center_id", "shard"),
    )  # fmt: skip
    day: dict[tuple[Any, ...], list[int]] = {}
    for key, values in shards.items():
        total = day.setdefault(key[:-1], [0] * len(VALUES))
        for i, value in enumerate(values):
            total[i] += value
    return product, month, {k: tuple(v) for k, v in day.items()}


def assert_aggregates_match_ledger(db: Database, zone: str = "Europe/Moscow") -> None:
    """Both tables equal the GROUP BY of the ledger, and Σ deltas per product = its stock."""
    expected_product, expected_month, expected_day = _ledger_groups(db, zone)
    product, month, day = aggregates(db)
    assert product == expected_product
    assert month == expected_month
    assert day == expected_day
    with db.engine.connect() as conn:
        stock = conn.execute(
            sa.text(
                "SELECT q.product_id, w.code, sum(q.quantity) FROM quant q "
                "JOIN location l ON l.id = q.location_id "
                "JOIN warehouse w ON w.id = l.warehouse_id GROUP BY q.product_id, w.code"
            )
        ).all()
    good: Counter[int] = Counter()
    defect: Counter[int] = Counter()
    for (_, pid, *_), (_, _, g, d) in product.items():
        good[pid] += g
        defect[pid] += d
    in_quants = {(pid, code): int(qty) for pid, code, qty in stock}
    for pid in {p for p, _ in in_quants} | set(good) | set(defect):
        assert good[pid] == in_quants.get((pid, "MAIN"), 0), pid
        assert defect[pid] == in_quants.get((pid, "DEFECT"), 0), pid
