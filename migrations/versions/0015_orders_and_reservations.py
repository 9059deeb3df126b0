"""Orders (DESIGN.md §2b, §6 "Orders"): carriers (seeded), orders with their lines,
reservations (invariant 6: a quant's `reserved` is the sum of its active reservations)
and each order's history, whose idempotency keys are unique per user.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# `manual`: tracking numbers typed or scanned; the others stay off until an admin turns
# them on (their services come with the events issue).
CARRIERS = [
    ("manual", "Вручную", True),
    ("cdek", "СДЭК", False),
    ("russian_post", "Почта России", False),
    ("boxberry", "Boxberry", False),
    ("yandex_delivery", "Яндекс Доставка", False),
    ("5post", "5Post", False),
    ("postexpress", "PostExpress", False),
    ("d_express", "D Express", False),
    ("acs", "ACS", False),
    ("bex", "Bex", False),
    ("yunexpress", "YunExpress", False),
]
ORDER_KEY = "uq_sale_order_source_external_id"
HISTORY_KEY = "uq_order_history_user_idempotency_key"


def upgrade() -> None:
    op.create_table(
        "carrier",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_carrier")),
    )
    op.create_table(
        "sale_order",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("carrier", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("distribution_center_id", sa.Integer(), nullable=True),
        sa.Column("ship_to", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("tracking_number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reserved_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint("kind IN ('customer', 'supply')", name=op.f("ck_sale_order_kind_known")),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')",
            name=op.f("ck_sale_order_priority_known"),
        ),
        sa.CheckConstraint(
            "status IN ('new', 'awaiting_stock', 'reserved', 'picking', 'packing', 'packed', 'shipped', 'cancelled')",
            name=op.f("ck_sale_order_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["carrier"], ["carrier.code"], name=op.f("fk_sale_order_carrier_carrier")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_sale_order_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["distribution_center_id"],
            ["distribution_center.id"],
            name=op.f("fk_sale_order_distribution_center_id_distribution_center"),
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["source.id"], name=op.f("fk_sale_order_source_id_source")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sale_order")),
    )
    with op.batch_alter_table("sale_order", schema=None) as batch_op:
        batch_op.create_index("ix_sale_order_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_sale_order_status_created_at", ["status", "created_at"], unique=False
        )

    op.create_table(
        "order_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("details", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sale_order.id"], name=op.f("fk_order_history_order_id_sale_order")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_order_history_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_history")),
    )
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_history_order_id"), ["order_id"], unique=False)

    op.create_table(
        "order_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("picked", sa.Integer(), nullable=False),
        sa.Column("packed", sa.Integer(), nullable=False),
        sa.Column("shipped", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "picked >= 0 AND packed >= 0 AND shipped >= 0 AND packed <= picked AND picked + shipped <= quantity",
            name=op.f("ck_order_line_buckets_within"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sale_order.id"], name=op.f("fk_order_line_order_id_sale_order")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_order_line_product_id_product")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line")),
    )
    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_order_line_order_id"), ["order_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_order_line_product_id"), ["product_id"], unique=False)

    op.create_table(
        "reservation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quant_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'released')", name=op.f("ck_reservation_status_known")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_reservation_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["sale_order.id"], name=op.f("fk_reservation_order_id_sale_order")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_line.id"],
            name=op.f("fk_reservation_order_line_id_order_line"),
        ),
        sa.ForeignKeyConstraint(
            ["quant_id"], ["quant.id"], name=op.f("fk_reservation_quant_id_quant")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservation")),
    )
    with op.batch_alter_table("reservation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reservation_order_id_status", ["order_id", "status"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reservation_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            "ix_reservation_quant_id_status", ["quant_id", "status"], unique=False
        )
    # Expression indexes (0 stands for "none", as on movements).
    op.execute(
        f"CREATE UNIQUE INDEX {ORDER_KEY} ON sale_order (coalesce(source_id, 0), external_id)"
    )
    op.execute(
        f"CREATE UNIQUE INDEX {HISTORY_KEY} ON order_history "
        "(coalesce(user_id, 0), idempotency_key)"
    )
    carrier = sa.table(
        "carrier", sa.column("code", sa.String), sa.column("name", sa.String),
        sa.column("is_active", sa.Boolean),
    )  # fmt: skip
    op.bulk_insert(carrier, [{"code": c, "name": n, "is_active": a} for c, n, a in CARRIERS])


def downgrade() -> None:
    op.drop_index(HISTORY_KEY, table_name="order_history")
    op.drop_index(ORDER_KEY, table_name="sale_order")
    with op.batch_alter_table("reservation", schema=None) as batch_op:
        batch_op.drop_index("ix_reservation_quant_id_status")
        batch_op.drop_index(batch_op.f("ix_reservation_order_line_id"))
        batch_op.drop_index("ix_reservation_order_id_status")

    op.drop_table("reservation")
    with op.batch_alter_table("order_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_line_product_id"))
        batch_op.drop_index(batch_op.f("ix_order_line_order_id"))

    op.drop_table("order_line")
    with op.batch_alter_table("order_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_history_order_id"))

    op.drop_table("order_history")
    with op.batch_alter_table("sale_order", schema=None) as batch_op:
        batch_op.drop_index("ix_sale_order_status_created_at")
        batch_op.drop_index("ix_sale_order_created_at")

    op.drop_table("sale_order")
    op.drop_table("carrier")
