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
def captured_logs(**settings: Any) -> Iterator[Captured]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    access = logging.getLogger("uvicorn.access").disabled
    found = Captured()
    logs.configure(Settings(**{"log_format": "json", **settings}), found.buffer)
    try:
        yield found
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        logging.getLogger("uvicorn.access").disabled = access
        structlog.reset_defaults()
