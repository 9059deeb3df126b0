"""The app's logging (ui.logs) configured onto a buffer for a test, then put back."""

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from core.settings import Settings
from ui import logs


class Captured:
    def __init__(self) -> None:
        self.buffer = io.StringIO()

    def text(self) -> str:
        return self.buffer.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line parsed as JSON (a line that is not fails the test)."""
        return [json.loads(line) for line in self.text().splitlines() if line.strip()]

    def events(self, event: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["event"] == event]


@contextmanager
def logging_kept() -> Iterator[None]:
    """What ui.logs.configure changes (main.py calls it when a test starts the app), as it
    was: its handler gone, the levels back, so that no INFO line leaks into the next test."""
    root, httpx, access = (logging.getLogger(n) for n in ("", "httpx", "uvicorn.access"))
    handlers, levels, disabled = list(root.handlers), (root.level, httpx.level), access.disabled
    try:
        yield
    finally:
        for handler in [h for h in root.handlers if h.get_name() == logs.HANDLER_NAME]:
            if handler not in handlers:
                root.removeHandler(handler)
        for handler in handlers:
            if handler.get_name() == logs.HANDLER_NAME and handler not in root.handlers:
                root.addHandler(handler)
        root.setLevel(levels[0])
        httpx.setLevel(levels[1])
        access.disabled = disabled
        structlog.reset_defaults()


@contextmanager
def captured_logs(**settings: Any) -> Iterator[Captured]:
    found = Captured()
    with logging_kept():
        logs.configure(Settings(**{"log_format": "json", **settings}), found.buffer)
        yield found
