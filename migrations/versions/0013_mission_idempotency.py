"""Mission history names the idempotency key of the request that wrote it (unique per
user, as on movements: a retried assign, start, complete, cancel or recorded line is a
replay, not a second step) and the TRANSFER a recorded line posted.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013"
# 0012 is another branch's (the storage map): whoever merges second chains them.
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_mission_history_user_idempotency_key"


def upgrade() -> None:
    op.add_column(
        "mission_history",
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    )
    # The foreign key inline: SQLite adds the column without rebuilding the table.
    op.execute(
        "ALTER TABLE mission_history ADD COLUMN movement_id INTEGER "
        "CONSTRAINT fk_mission_history_movement_id_movement REFERENCES movement (id)"
    )
    op.execute(
        f"CREATE UNIQUE INDEX {INDEX} ON mission_history (coalesce(user_id, 0), idempotency_key)"
    )


def downgrade() -> None:
    op.drop_index(INDEX, table_name="mission_history")
    with op.batch_alter_table("mission_history") as batch:
        batch.drop_column("movement_id")
        batch.drop_column("idempotency_key")
