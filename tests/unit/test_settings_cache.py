"""`get_settings()`: read once; settings read by another thread across a `cache_clear()`
(the environment changed meanwhile, as between two tests) are not kept."""

import threading

import pytest

import core.settings
from core.settings import Settings, get_settings


def test_settings_are_read_once_until_cleared(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("WMS_PORT", "8111")
    first = get_settings()
    monkeypatch.setenv("WMS_PORT", "8112")
    assert get_settings() is first and first.port == 8111
    get_settings.cache_clear()
    assert get_settings().port == 8112
    get_settings.cache_clear()


def test_a_read_that_spans_a_clear_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    get_settings.cache_clear()
    monkeypatch.setenv("WMS_PORT", "8121")
    reading, go_on = threading.Event(), threading.Event()

    class SlowSettings(Settings):
        def __init__(self) -> None:
            super().__init__()
            if threading.current_thread().name == "slow":
                reading.set()
                go_on.wait(5)

    monkeypatch.setattr(core.settings, "Settings", SlowSettings)
    seen: list[Settings] = []
    slow = threading.Thread(target=lambda: seen.append(get_settings()), name="slow")
    slow.start()
    assert reading.wait(5)  # the old environment is read
    monkeypatch.setenv("WMS_PORT", "8122")  # a new test's environment, and its clear
    get_settings.cache_clear()
    go_on.set()
    slow.join(5)
    assert seen[0].port == 8121  # the slow reader gets what it read…
    assert get_settings().port == 8122  # …but it is not what the others get
    get_settings.cache_clear()
