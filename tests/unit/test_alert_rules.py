"""The operational alerts' rule (core.dashboard.alerts) with a clock: which instants are
alerts for each kind, the thresholds from settings, and the outbox only when relayed."""

from datetime import UTC, datetime, timedelta

import pytest

from core.dashboard.alerts import AlertKind, AlertThresholds, BellCount, cutoffs, is_alert
from core.settings import Settings

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)
DEFAULTS = AlertThresholds()


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


@pytest.mark.parametrize(
    ("kind", "since", "alert"),
    [
        (AlertKind.PICKING, ago(hours=2, seconds=1), True),
        (AlertKind.PICKING, ago(hours=2), False),  # exactly at the limit: not yet
        (AlertKind.PICKING, ago(hours=1, minutes=59), False),
        (AlertKind.PACKING, ago(hours=1, seconds=1), True),
        (AlertKind.PACKING, ago(minutes=59), False),
        (AlertKind.RESERVATION, ago(minutes=6), True),  # the sweep had five minutes
        (AlertKind.RESERVATION, ago(minutes=4), False),
        (AlertKind.RESERVATION, NOW + timedelta(minutes=10), False),  # not expired yet
        (AlertKind.PICKING, None, False),  # never started
    ],
)
def test_each_kind_has_its_limit(kind: AlertKind, since: datetime | None, alert: bool) -> None:
    assert is_alert(kind, since, NOW, DEFAULTS) is alert


def test_the_outbox_is_watched_only_when_events_are_relayed() -> None:
    old = ago(hours=3)
    assert not is_alert(AlertKind.OUTBOX, old, NOW, DEFAULTS)  # no Redis: events wait
    assert cutoffs(NOW, DEFAULTS).outbox_created is None
    relayed = AlertThresholds(outbox_watched=True)
    assert is_alert(AlertKind.OUTBOX, ago(minutes=6), NOW, relayed)
    assert not is_alert(AlertKind.OUTBOX, ago(minutes=4), NOW, relayed)


def test_thresholds_come_from_settings() -> None:
    settings = Settings(alert_picking_minutes=30, alert_packing_minutes=15,
                        alert_reservation_minutes=2, alert_outbox_minutes=1,
                        redis_url="redis://127.0.0.1:6379/0")  # fmt: skip
    thresholds = AlertThresholds.from_settings(settings)
    assert thresholds == AlertThresholds(30, 15, 2, 1, outbox_watched=True)
    limits = cutoffs(NOW, thresholds)
    assert limits.picking_started == ago(minutes=30)
    assert limits.packing_started == ago(minutes=15)
    assert limits.reservation_expired == ago(minutes=2)
    assert limits.outbox_created == ago(minutes=1)
    assert is_alert(AlertKind.PICKING, ago(minutes=31), NOW, thresholds)


def test_default_settings_are_the_issues_limits() -> None:
    assert AlertThresholds.from_settings(Settings()) == AlertThresholds(120, 60, 5, 5, 5, False)


def test_the_bell_counts_both() -> None:
    assert BellCount(low_stock=3, operational=2).total == 5


def test_a_service_is_an_alert_once_it_has_failed_for_five_minutes() -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    limits = AlertThresholds()
    assert not is_alert(AlertKind.SERVICE, now - timedelta(minutes=4), now, limits)
    assert is_alert(AlertKind.SERVICE, now - timedelta(minutes=6), now, limits)
    assert not is_alert(AlertKind.SERVICE, None, now, limits)  # not failing
