"""import_batch.status and .reason: a confirmation that failed (stock changed meanwhile,
the same file booked by someone else a moment before, a database error) is recorded too.

status: applied | refused (the file has errors) | failed (the confirmation failed; the
reason says why). Existing rows: applied or refused, from `applied`.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_batch") as batch:
        batch.add_column(
            sa.Column("status", sa.String(length=16), server_default="applied", nullable=False)
        )
        batch.add_column(sa.Column("reason", sa.String(length=500), nullable=True))
    op.execute("UPDATE import_batch SET status = 'refused' WHERE NOT applied")
    with op.batch_alter_table("import_batch") as batch:
        batch.create_check_constraint(
            op.f("ck_import_batch_status_known"), "status IN ('applied', 'refused', 'failed')"
        )


def downgrade() -> None:
    with op.batch_alter_table("import_batch") as batch:
        batch.drop_constraint("ck_import_batch_status_known", type_="check")
        batch.drop_column("reason")
        batch.drop_column("status")
