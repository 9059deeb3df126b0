"""Events for other systems: the outbox and its callback consumers' progress."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from data.models.base import UtcDateTime


class OutboxEvent(SQLModel, table=True):
    """Events for other systems, written in the same transaction as their cause."""

    __tablename__ = "outbox_event"
    __table_args__ = (
        sa.Index("ix_outbox_event_unpublished", "published_at", "id"),
        sa.Index("ix_outbox_event_type_id", "event_type", "id"),  # a callback's kinds
    )

    id: int | None = Field(default=None, primary_key=True)
    event_type: str = Field(max_length=64)
    payload: str  # JSON
    created_at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
    published_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class CallbackConsumer(SQLModel, table=True):
    """A callback consumer (data.events.callbacks): outbox events up to `since_id` are all
    handled or older than it was first started (history is not called back)."""

    __tablename__ = "callback_consumer"

    name: str = Field(primary_key=True, max_length=32)
    since_id: int


class CallbackDelivery(SQLModel, table=True):
    """One outbox event handled by one consumer: recorded only after the service
    answered (delivered), refused it for good (rejected) or it did not concern it."""

    __tablename__ = "callback_delivery"
    __table_args__ = (
        sa.CheckConstraint("outcome IN ('delivered', 'rejected', 'skipped')", name="outcome_known"),
    )

    consumer: str = Field(primary_key=True, max_length=32)
    outbox_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    outcome: str = Field(max_length=16)
    detail: str = Field(default="", max_length=500)
    at: datetime = Field(sa_column=sa.Column(UtcDateTime(), nullable=False))
