"""Idempotency keys belong to their user: unique per (user, key), no longer per key alone,
so another user's equal key is a new request instead of a replay of someone else's movement.
`coalesce(user_id, 0)`: keyed movements written without a user (scripts, benchmarks) still
collide with each other, which a NULL in a unique index would not.

On SQLite dropping the old UNIQUE constraint rebuilds `movement`, which drops its
append-only triggers: they are created again here (0001 describes them).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = "uq_movement_idempotency_key"
NEW = "uq_movement_user_idempotency_key"


def _sqlite_ledger_guard() -> None:
    for event in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER IF NOT EXISTS movement_no_{event.lower()} BEFORE {event} "
            "ON movement BEGIN SELECT RAISE(ABORT, 'the movement ledger is append-only'); END"
        )


def upgrade() -> None:
    # One transaction: no moment without a uniqueness rule on the keys.
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(OLD, "movement", type_="unique")
    else:
        # The rebuild does not carry expression indexes over: the new one comes after it.
        with op.batch_alter_table("movement", recreate="always") as batch:
            batch.drop_constraint(OLD, type_="unique")
        _sqlite_ledger_guard()
    op.execute(f"CREATE UNIQUE INDEX {NEW} ON movement (coalesce(user_id, 0), idempotency_key)")


def downgrade() -> None:
    # Fails if two users have used the same key since: which movement keeps it is not ours
    # to decide.
    if op.get_bind().dialect.name == "postgresql":
        op.create_unique_constraint(OLD, "movement", ["idempotency_key"])
    else:
        with op.batch_alter_table("movement", recreate="always") as batch:
            batch.create_unique_constraint(OLD, ["idempotency_key"])
        _sqlite_ledger_guard()
    op.execute(f"DROP INDEX IF EXISTS {NEW}")  # (the SQLite rebuild has dropped it already)
