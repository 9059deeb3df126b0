"""ui.logs: JSON lines or console lines, the level from settings, the standard library's
records and structlog's through one formatter, bound context on every line."""

import json
import logging

import pytest
import structlog
from pydantic import ValidationError
from structlog.contextvars import bound_contextvars

from core.settings import Settings
from tests.log_capture import captured_logs

log = logging.getLogger("wms.test")


def test_json_lines_carry_level_logger_time_extra_and_bound_ids() -> None:
    with captured_logs(log_level="info") as out:
        with bound_contextvars(order_id=7):
            log.info("order placed", extra={"task_id": 3, "external_id": "WB-1"})
        structlog.get_logger("wms.native").warning("relay paused", event_id="0000000001")
        try:
            raise RuntimeError("disk on fire")
        except RuntimeError:
            log.exception("a step failed")
        log.info("outside")
    placed, paused, failed, outside = out.lines()
    assert placed["event"] == "order placed" and placed["level"] == "info"
    assert placed["logger"] == "wms.test" and placed["timestamp"].endswith("Z")
    assert (placed["order_id"], placed["task_id"], placed["external_id"]) == (7, 3, "WB-1")
    assert paused["level"] == "warning" and paused["event_id"] == "0000000001"
    assert failed["level"] == "error" and "RuntimeError: disk on fire" in failed["exception"]
    assert "order_id" not in outside  # the binding ended with its block


def test_the_level_comes_from_settings() -> None:
    with captured_logs(log_level="WARNING") as out:
        log.info("order placed")
        log.debug("scan looked up")
        log.warning("feed paused")
        log.error("dead letter")
    assert [line["event"] for line in out.lines()] == ["feed paused", "dead letter"]


def test_console_format_is_for_a_person() -> None:
    with captured_logs(log_format="console") as out:
        log.info("order cancelled", extra={"order_id": 42})
    text = out.text()
    assert "order cancelled" in text and "order_id=42" in text and "info" in text
    with pytest.raises(json.JSONDecodeError):
        json.loads(text.splitlines()[0])


def test_auto_is_json_off_a_terminal_and_bad_values_are_refused() -> None:
    assert Settings(log_format="AUTO").log_format == "auto"
    with captured_logs(log_format="auto") as out:  # a buffer is no terminal
        log.warning("x")
    assert out.lines()[0]["event"] == "x"
    with pytest.raises(ValidationError):
        Settings(log_format="xml")
    with pytest.raises(ValidationError):
        Settings(log_level="loud")
