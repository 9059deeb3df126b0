"""A mission line may name a whole handling unit instead of a product and a quantity:
`mission_line.whole_unit`, `product_id` nullable, and a check that a line is one or the
other (a unit line counts one unit). A recorded step names its line
(`mission_history.line_id`): a retried recording of a unit line, which may post no
TRANSFER at all (an empty unit), is found by it.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = "ck_mission_line_unit_or_product"
KEYS = "uq_mission_history_user_idempotency_key"  # 0013's expression index
UNIT_OR_PRODUCT = (
    "(NOT whole_unit AND product_id IS NOT NULL) OR (whole_unit AND product_id IS NULL "
    "AND handling_unit_id IS NOT NULL AND quantity = 1)"
)


def upgrade() -> None:
    with op.batch_alter_table("mission_line") as batch:
        batch.add_column(
            sa.Column("whole_unit", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.alter_column("product_id", existing_type=sa.Integer(), nullable=True)
        batch.create_check_constraint(op.f(CHECK), UNIT_OR_PRODUCT)
    # Added in place (no table rebuild, which would lose 0013's expression index on SQLite).
    op.add_column("mission_history", sa.Column("line_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    # Fails while a mission holds a whole-unit line: its product is not known.
    with op.batch_alter_table("mission_history") as batch:
        batch.drop_column("line_id")
    # SQLite rebuilt the table without the expression index it cannot reflect: again.
    op.execute(
        f"CREATE UNIQUE INDEX IF NOT EXISTS {KEYS} "
        "ON mission_history (coalesce(user_id, 0), idempotency_key)"
    )
    with op.batch_alter_table("mission_line") as batch:
        batch.drop_constraint(op.f(CHECK), type_="check")
        batch.alter_column("product_id", existing_type=sa.Integer(), nullable=False)
        batch.drop_column("whole_unit")
