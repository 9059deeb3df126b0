"""A packing station's label printer (DESIGN.md §2b.4): `location.printer_address`,
`host` or `host:port` of a network printer taking raw ZPL; null where there is none (and
for every other kind of location).

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A nullable column without a default: PostgreSQL adds it without rewriting the table.
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "printer_address", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("location", schema=None) as batch_op:
        batch_op.drop_column("printer_address")
