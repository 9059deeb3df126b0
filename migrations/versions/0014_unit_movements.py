"""A TRANSFER may stay at one place when it puts stock into a handling unit or takes it
out of one (a pallet filled where the goods lie): the ledger's check becomes "another
place or another unit".

On SQLite changing a CHECK rebuilds `movement`, which drops its append-only triggers and
the expression index of idempotency keys: both are created again here (0001, 0009).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ck_movement_locations_differ"
OLD = "from_location_id <> to_location_id"
NEW = (
    "from_location_id <> to_location_id "
    "OR coalesce(from_handling_unit_id, 0) <> coalesce(handling_unit_id, 0)"
)
KEYS = "uq_movement_user_idempotency_key"


def _sqlite_ledger_guard() -> None:
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS movement_no_{event.lower()} BEFORE {event} "
            "ON movement BEGIN SELECT RAISE(ABORT, 'the movement ledger is append-only'); END"
        )
    op.execute(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {KEYS} "
        "ON movement (coalesce(user_id, 0), idempotency_key)"
    )


def _replace(condition: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER TABLE movement DROP CONSTRAINT {NAME}")
        op.execute(f"ALTER TABLE movement ADD CONSTRAINT {NAME} CHECK ({condition})")
        return
    with op.batch_alter_table("movement", recreate="always") as batch:
        batch.drop_constraint(op.f(NAME), type_="check")
        batch.create_check_constraint(op.f(NAME), condition)
    _sqlite_ledger_guard()


def upgrade() -> None:
    _replace(NEW)


def downgrade() -> None:
    # Fails while the ledger holds a movement into or out of a unit at one place.
    _replace(OLD)
