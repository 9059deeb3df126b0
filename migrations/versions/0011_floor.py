"""The floor (DESIGN.md §2a): location kinds (default, bin, packing, outbound) with zones,
handling units that can be closed, a version on every quant, movements naming the handling
units they take from and put into, executors, missions with lines and their history.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD_KINDS = ("internal", "virtual")
NEW_KINDS = ("default", "bin", "packing", "outbound", "virtual")


def _location_kinds(
    old: tuple[str, ...], new: tuple[str, ...], old_internal: str, new_internal: str
) -> None:
    """Location kinds: the default location of each warehouse was `internal`; bins,
    packing stations and outbound docks join it (DESIGN.md §6, GET /locations)."""
    kinds = ", ".join(f"'{k}'" for k in new)
    with op.batch_alter_table("location") as batch:
        batch.drop_constraint(op.f("ck_location_kind_known"), type_="check")
        batch.drop_constraint(op.f("ck_location_internal_has_warehouse"), type_="check")
    op.execute(f"UPDATE location SET kind = '{new_internal}' WHERE kind = '{old_internal}'")
    with op.batch_alter_table("location") as batch:
        batch.create_check_constraint("kind_known", f"kind IN ({kinds})")
        batch.create_check_constraint(
            "internal_has_warehouse", "(kind <> 'virtual') = (warehouse_id IS NOT NULL)"
        )


def _sqlite_ledger_guard() -> None:
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS movement_no_{event.lower()} BEFORE {event} "
            "ON movement BEGIN SELECT RAISE(ABORT, 'the movement ledger is append-only'); END"
        )


def upgrade() -> None:
    op.create_table(
        "executor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_executor_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_executor")),
        sa.UniqueConstraint("code", name=op.f("uq_executor_code")),
        sa.UniqueConstraint("user_id", name=op.f("uq_executor_user_id")),
    )
    op.create_table(
        "mission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("executor_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.CheckConstraint(
            "kind IN ('putaway', 'move', 'replenishment')", name=op.f("ck_mission_kind_known")
        ),
        sa.CheckConstraint(
            "priority IN ('low', 'normal', 'high', 'urgent')",
            name=op.f("ck_mission_priority_known"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'assigned', 'in_progress', 'completed', 'cancelled')",
            name=op.f("ck_mission_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["app_user.id"], name=op.f("fk_mission_created_by_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["executor_id"], ["executor.id"], name=op.f("fk_mission_executor_id_executor")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission")),
    )
    op.create_index(
        "ix_mission_status_executor_id", "mission", ["status", "executor_id"], unique=False
    )
    op.create_table(
        "mission_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("details", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["mission.id"], name=op.f("fk_mission_history_mission_id_mission")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_mission_history_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_history")),
    )
    op.create_index(
        op.f("ix_mission_history_mission_id"), "mission_history", ["mission_id"], unique=False
    )
    op.create_table(
        "mission_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mission_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("done_quantity", sa.Integer(), nullable=False),
        sa.Column("from_location_id", sa.Integer(), nullable=False),
        sa.Column("to_location_id", sa.Integer(), nullable=False),
        sa.Column("handling_unit_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "done_quantity >= 0 AND done_quantity <= quantity",
            name=op.f("ck_mission_line_done_within"),
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_mission_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["location.id"],
            name=op.f("fk_mission_line_from_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["handling_unit_id"],
            ["handling_unit.id"],
            name=op.f("fk_mission_line_handling_unit_id_handling_unit"),
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"], ["mission.id"], name=op.f("fk_mission_line_mission_id_mission")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["product.id"], name=op.f("fk_mission_line_product_id_product")
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["location.id"],
            name=op.f("fk_mission_line_to_location_id_location"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_line")),
    )
    op.create_index(
        op.f("ix_mission_line_mission_id"), "mission_line", ["mission_id"], unique=False
    )
    op.add_column(
        "handling_unit",
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_handling_unit_parent_id", "handling_unit", ["parent_id"], unique=False)
    op.add_column(
        "location", sa.Column("zone", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
    )
    _location_kinds(OLD_KINDS, NEW_KINDS, "internal", "default")
    op.create_index(
        "ix_location_kind_route_sequence", "location", ["kind", "route_sequence"], unique=False
    )
    # ADD COLUMN with its foreign key inline: SQLite keeps the table (and the ledger's
    # append-only triggers) instead of rebuilding it.
    for column in ("from_handling_unit_id", "handling_unit_id"):
        op.execute(
            f"ALTER TABLE movement ADD COLUMN {column} INTEGER "
            f"CONSTRAINT fk_movement_{column}_handling_unit REFERENCES handling_unit (id)"
        )
    op.add_column("quant", sa.Column("version", sa.Integer(), server_default="0", nullable=False))
    op.create_index("ix_quant_handling_unit_id", "quant", ["handling_unit_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_quant_handling_unit_id", table_name="quant")
    op.drop_column("quant", "version")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column("movement", "handling_unit_id")
        op.drop_column("movement", "from_handling_unit_id")
    else:
        with op.batch_alter_table("movement", recreate="always") as batch:
            batch.drop_column("handling_unit_id")
            batch.drop_column("from_handling_unit_id")
        _sqlite_ledger_guard()
    op.drop_index("ix_location_kind_route_sequence", table_name="location")
    op.drop_column("location", "zone")
    op.execute("UPDATE location SET kind = 'default' WHERE kind IN ('bin', 'packing', 'outbound')")
    _location_kinds(NEW_KINDS, OLD_KINDS, "default", "internal")
    op.drop_index("ix_handling_unit_parent_id", table_name="handling_unit")
    op.drop_column("handling_unit", "closed_at")
    op.drop_index(op.f("ix_mission_line_mission_id"), table_name="mission_line")
    op.drop_table("mission_line")
    op.drop_index(op.f("ix_mission_history_mission_id"), table_name="mission_history")
    op.drop_table("mission_history")
    op.drop_index("ix_mission_status_executor_id", table_name="mission")
    op.drop_table("mission")
    op.drop_table("executor")
