"""Orders files (core.imports.orders): an import's kind may be `orders`.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_KINDS = ("products", "movements", "opening_balances")
NEW_KINDS = (*OLD_KINDS, "orders")


def _kinds(kinds: tuple[str, ...]) -> None:
    listed = ", ".join(f"'{k}'" for k in kinds)
    with op.batch_alter_table("import_batch") as batch:
        batch.drop_constraint(op.f("ck_import_batch_kind_known"), type_="check")
        batch.create_check_constraint("kind_known", f"kind IN ({listed})")


def upgrade() -> None:
    _kinds(NEW_KINDS)


def downgrade() -> None:
    op.execute("DELETE FROM import_batch WHERE kind = 'orders'")
    _kinds(OLD_KINDS)
