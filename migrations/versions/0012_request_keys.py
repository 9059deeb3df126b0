"""Idempotency keys of API requests that write no ledger row (POST /locations, DESIGN.md
§6): the key, its user, what was asked (a fingerprint) and what it created.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "request_key",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scope", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False
        ),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_request_key_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("user_id", "scope", "idempotency_key", name=op.f("pk_request_key")),
    )


def downgrade() -> None:
    op.drop_table("request_key")
