"""Aggregates of the ledger (product_day_flow, product_month_flow, day_flow, day_stock)
and, on PostgreSQL, a NOTIFY on channel 'wms_ledger' after every statement that inserts
movements.

The aggregates are filled here from any ledger rows already there, so an existing
database gets dashboard figures equal to its ledger. Their `day` is the local date in
the configured time zone (settings.time_zone), computed in Python on SQLite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_VALUES = ("movements", "units", "good_delta", "defect_delta")


def _value_columns() -> list[sa.Column[int]]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in _VALUES]


def upgrade() -> None:
    op.create_table(
        "product_day_flow",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("operation_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("distribution_center_id", sa.Integer(), nullable=False),
        *_value_columns(),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_day_flow_product_id_product")
        ),
        sa.PrimaryKeyConstraint(
            "day", "product_id", "operation_type", "source_id", "distribution_center_id",
            name=op.f("pk_product_day_flow"),
        ),
    )  # fmt: skip
    with op.batch_alter_table("product_day_flow", schema=None) as batch_op:
        batch_op.create_index(
            "ix_product_day_flow_product_id_day", ["product_id", "day"], unique=False
        )
    op.create_table(
        "product_month_flow",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("operation_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        *_value_columns(),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_product_month_flow_product_id_product")
        ),
        sa.PrimaryKeyConstraint(
            "month", "operation_type", "product_id", name=op.f("pk_product_month_flow")
        ),
    )
    op.create_table(
        "day_flow",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("operation_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("distribution_center_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        *_value_columns(),
        sa.PrimaryKeyConstraint(
            "day", "operation_type", "source_id", "distribution_center_id", "shard",
            name=op.f("pk_day_flow"),
        ),
    )  # fmt: skip
    op.create_table(
        "day_stock",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("skus_in_stock", sa.Integer(), nullable=False),
        sa.Column("low_stock_skus", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_day_stock")),
    )
    _fill_from_ledger()  # day_stock stays empty: its counts are computed when missing
    if op.get_bind().dialect.name == "postgresql":
        # Statement level: one notification per INSERT, however many rows (an import's
        # COPY is one); PostgreSQL delivers it on commit only, and folds duplicates.
        op.execute(
            "CREATE FUNCTION movement_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN PERFORM pg_notify('wms_ledger', ''); RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER movement_notify AFTER INSERT ON movement "
            "FOR EACH STATEMENT EXECUTE FUNCTION movement_notify()"
        )


# The signed change of one warehouse's stock a ledger row made: +q in, −q out.
def _delta(code: str) -> str:
    return (
        f"CASE WHEN wt.code = '{code}' THEN m.quantity ELSE 0 END "
        f"- CASE WHEN wf.code = '{code}' THEN m.quantity ELSE 0 END"
    )


_LEDGER_ROWS = (
    "FROM movement m "
    "JOIN location lf ON lf.id = m.from_location_id "
    "LEFT JOIN warehouse wf ON wf.id = lf.warehouse_id "
    "JOIN location lt ON lt.id = m.to_location_id "
    "LEFT JOIN warehouse wt ON wt.id = lt.warehouse_id"
)
_SIGN = "CASE WHEN m.reversal_of IS NULL THEN 1 ELSE -1 END"


def _fill_from_ledger() -> None:
    """The aggregates of the ledger rows already stored (none in a new database): day =
    the local date in settings.time_zone, computed by PostgreSQL or, on SQLite, here."""
    from core.settings import get_settings

    bind = op.get_bind()
    if bind.execute(sa.text("SELECT count(*) FROM movement")).scalar_one() == 0:
        return
    zone = get_settings().time_zone
    key = "product_id, operation_type, source_id, distribution_center_id"
    columns = f"day, {key}, movements, units, good_delta, defect_delta"
    values = (
        f"sum({_SIGN}), sum({_SIGN} * m.quantity), sum({_delta('MAIN')}), sum({_delta('DEFECT')})"
    )
    if bind.dialect.name == "postgresql":
        op.execute(
            sa.text(
                f"INSERT INTO product_day_flow ({columns}) "
                "SELECT (m.created_at AT TIME ZONE :zone)::date, m.product_id, m.operation_type, "
                f"coalesce(m.source_id, 0), coalesce(m.distribution_center_id, 0), {values} "
                f"{_LEDGER_ROWS} GROUP BY 1, 2, 3, 4, 5"
            ).bindparams(zone=zone)
        )
    else:
        _fill_in_python(bind, zone, columns, values)
    sums = "sum(movements), sum(units), sum(good_delta), sum(defect_delta)"
    month = (
        "date_trunc('month', day)::date"
        if bind.dialect.name == "postgresql"
        else "substr(day, 1, 8) || '01'"
    )
    op.execute(
        "INSERT INTO product_month_flow (month, product_id, operation_type, movements, units, "
        f"good_delta, defect_delta) SELECT {month}, product_id, operation_type, {sums} "
        "FROM product_day_flow GROUP BY 1, 2, 3"
    )
    # Each product's all-time totals per operation: the row of month 0001-01-01.
    op.execute(
        "INSERT INTO product_month_flow (month, product_id, operation_type, movements, units, "
        f"good_delta, defect_delta) SELECT '0001-01-01', product_id, operation_type, {sums} "
        "FROM product_day_flow GROUP BY product_id, operation_type"
    )
    # All in shard 0: shards only matter while a day is today.
    op.execute(
        "INSERT INTO day_flow (day, operation_type, source_id, distribution_center_id, shard, "
        f"movements, units, good_delta, defect_delta) SELECT day, operation_type, source_id, "
        f"distribution_center_id, 0, {sums} FROM product_day_flow GROUP BY 1, 2, 3, 4"
    )


def _fill_in_python(bind: sa.Connection, zone: str, columns: str, values: str) -> None:
    """SQLite has no time zones: group by UTC minute in SQL (zone offsets are whole
    minutes, so a minute never spans two local dates), then fold minutes into dates here."""
    tz = ZoneInfo(zone)
    minute = "substr(m.created_at, 1, 16)"  # 'YYYY-MM-DD HH:MM' of the naive UTC text
    rows = bind.execute(
        sa.text(
            f"SELECT {minute}, m.product_id, m.operation_type, coalesce(m.source_id, 0), "
            f"coalesce(m.distribution_center_id, 0), {values} {_LEDGER_ROWS} "
            "GROUP BY 1, 2, 3, 4, 5"
        )
    ).all()
    totals: dict[tuple[Any, ...], list[int]] = {}
    for utc_minute, *rest in rows:
        at = datetime.strptime(utc_minute, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)
        key = (at.astimezone(tz).date().isoformat(), *rest[:4])
        sums = totals.setdefault(key, [0, 0, 0, 0])
        for i, value in enumerate(rest[4:]):
            sums[i] += value
    names = columns.split(", ")
    bind.execute(
        sa.text(f"INSERT INTO product_day_flow ({columns}) VALUES "
                f"({', '.join(':' + n for n in names)})"),
        [dict(zip(names, (*key, *sums), strict=True)) for key, sums in sorted(totals.items())],
    )  # fmt: skip


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER movement_notify ON movement")
        op.execute("DROP FUNCTION movement_notify()")
    op.drop_table("day_stock")
    op.drop_table("day_flow")
    op.drop_table("product_month_flow")
    with op.batch_alter_table("product_day_flow", schema=None) as batch_op:
        batch_op.drop_index("ix_product_day_flow_product_id_day")
    op.drop_table("product_day_flow")
