"""Users, their sign-in throttle and API idempotency keys."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime, created_at_column, utc_now


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL
    __table_args__ = (
        sa.CheckConstraint("role IN ('admin', 'manager', 'worker')", name="role_known"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    full_name: str = Field(default="", max_length=200)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=255)
    is_active: bool = Field(default=True)
    # Raised by every password change: sessions and API tokens given before it stop working.
    credentials_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins counted per name at an address, per address (any name) and per name
    (any address); `username` or `address` is '' for "any". Names are counted whether or not
    such a user exists, so a lock says nothing about who exists (core/users/auth.py)."""

    __tablename__ = "login_throttle"

    username: str = Field(max_length=64, primary_key=True)
    address: str = Field(max_length=64, primary_key=True)
    failures: int = Field(default=0)
    # Below the limit: when the count starts over; at the limit: the end of the lock.
    until: datetime = Field(sa_type=UtcDateTime)


class RequestKey(SQLModel, table=True):
    """An API request's Idempotency-Key where no ledger row carries one (a new location):
    the same key again, from the same user, returns what the first request created. The
    key is written in the same transaction as what it created, so a retry never sees one
    without the other; `fingerprint` tells a retry from another request under that key."""

    __tablename__ = "request_key"

    user_id: int = Field(primary_key=True, foreign_key="app_user.id")
    scope: str = Field(primary_key=True, max_length=32)  # e.g. "locations"
    idempotency_key: str = Field(primary_key=True, max_length=128)
    fingerprint: str = Field(max_length=64)
    resource_id: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utc_now, sa_column=created_at_column())
