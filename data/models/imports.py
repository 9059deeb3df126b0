"""Imports of files: one row per confirmed import."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import created_at_column, utc_now


class ImportBatch(SQLModel, table=True):
    """One confirmed import of a file (applied, refused for its errors, or failed). Its
    movements carry document = "import:<id>"."""

    __tablename__ = "import_batch"
    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('products', 'movements', 'opening_balances', 'orders')", name="kind_known"
        ),
        sa.CheckConstraint("status IN ('applied', 'refused', 'failed')", name="status_known"),
        sa.Index("ix_import_batch_created_at", "created_at"),
        sa.Index("ix_import_batch_file_sha256", "file_sha256"),
    )

    id: int | None = Field(default=None, primary_key=True)
    file_name: str = Field(max_length=255)
    file_sha256: str = Field(max_length=64)
    kind: str = Field(max_length=32)
    operation_type: str | None = Field(default=None, max_length=32)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
    rows_total: int = Field(default=0)
    rows_ok: int = Field(default=0)
    applied: bool = Field(default=False)
    error_count: int = Field(default=0)
    # applied | refused (the file has errors) | failed (the confirmation failed: `reason`)
    status: str = Field(
        default="applied", max_length=16, sa_column_kwargs={"server_default": "applied"}
    )
    reason: str | None = Field(default=None, max_length=500)
