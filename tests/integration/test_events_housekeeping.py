"""The daily job's events housekeeping (data.events.housekeeping) on SQLite and
PostgreSQL: old published events and old callback records below every watermark are
deleted; an unpublished event, a recent one and one a callback has not passed are kept."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from data.daily_job import _Folds
from data.database import Database
from data.events.housekeeping import prune_events
from data.models import UtcDateTime

NOW = datetime.now(UTC)
OLD = NOW - timedelta(days=40)
ADD_EVENT = sa.text(
    "INSERT INTO outbox_event (id, event_type, payload, created_at, published_at) "
    "VALUES (:id, 'movement.posted', '{}', :at, :published)"
).bindparams(sa.bindparam("at", type_=UtcDateTime()),
             sa.bindparam("published", type_=UtcDateTime()))  # fmt: skip
ADD_DELIVERY = sa.text(
    "INSERT INTO callback_delivery (consumer, outbox_id, outcome, detail, at) "
    "VALUES (:c, :id, 'delivered', '', :at)"
).bindparams(sa.bindparam("at", type_=UtcDateTime()))


def fill(db: Database) -> None:
    """Events 1–3 old and published, 4 old and unpublished, 5 published today; the
    `listings` consumer has passed event 2, so event 3 is still its to read."""
    with db.engine.begin() as conn:
        for id_, published in ((1, OLD), (2, OLD), (3, OLD), (4, None), (5, NOW)):
            conn.execute(ADD_EVENT, {"id": id_, "at": OLD, "published": published})
        conn.execute(sa.text("INSERT INTO callback_consumer (name, since_id) "
                             "VALUES ('listings', 2)"))  # fmt: skip
        for id_, at in ((1, OLD), (2, NOW), (3, OLD)):
            conn.execute(ADD_DELIVERY, {"c": "listings", "id": id_, "at": at})


def left(db: Database) -> tuple[list[int], list[int]]:
    with db.engine.connect() as conn:
        events = conn.execute(sa.text("SELECT id FROM outbox_event ORDER BY id")).scalars()
        records = conn.execute(sa.text("SELECT outbox_id FROM callback_delivery "
                                       "ORDER BY outbox_id")).scalars()  # fmt: skip
        return list(events), list(records)


def test_only_old_rows_nobody_reads_are_deleted(db: Database) -> None:
    fill(db)
    with db.engine.begin() as conn:
        assert prune_events(conn, NOW - timedelta(days=30)) == (1, 2)
    events, records = left(db)
    assert events == [3, 4, 5]  # 3: above the watermark; 4: unpublished; 5: recent
    assert records == [2, 3]  # 2: recent; 3: above the watermark


def test_without_callbacks_every_old_published_event_goes(db: Database) -> None:
    fill(db)
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM callback_delivery"))
        conn.execute(sa.text("DELETE FROM callback_consumer"))
        assert prune_events(conn, NOW - timedelta(days=30)) == (0, 3)
    assert left(db) == ([4, 5], [])


def test_the_daily_job_prunes_once_a_day(db: Database) -> None:
    fill(db)
    folds = _Folds()
    folds.run(db.engine, "Europe/Moscow", keep_days=30)
    assert left(db) == ([3, 4, 5], [2, 3])
    with db.engine.begin() as conn:  # another old published event the same day: kept
        conn.execute(ADD_EVENT, {"id": 6, "at": OLD, "published": OLD})
    folds.run(db.engine, "Europe/Moscow", keep_days=30)
    assert 6 in left(db)[0]
