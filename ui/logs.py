"""Structured logs (structlog), configured once at start (main.py): every record — the code's
`logging.getLogger(...)` calls, uvicorn's, NiceGUI's — goes through one formatter on
stderr: JSON lines (WMS_LOG_FORMAT=json, for a log collector) or readable console lines
(`console`; `auto`, the default, picks console on a terminal), at WMS_LOG_LEVEL and up.

The code logs with the standard library; fields go in `extra={...}` (order_id, task_id…),
and whatever a unit of work binds with `structlog.contextvars` (`bound_contextvars`: the
API's path ids, a page handler's order or task, the order feed's entry, a callback's
event) is added to every line logged while it runs.

Levels: INFO for business events (an order placed, cancelled, shipped; a task's step; a
relay or feed resumed) and one line per API request; WARNING for outages and retries;
ERROR for a failure that needs a person (a bug, a dead letter, a refused callback).
Nothing is logged per scan above DEBUG.
"""

import logging
import sys
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor

from core.settings import Settings

# Attributes on a record that say nothing new: uvicorn's coloured copy of the message, and
# what another formatter (pytest's) may have set on the record before ours.
NOISE = ("color_message", "message", "asctime")
HANDLER_NAME = "wms"


def _drop_noise(_logger: Any, _name: str, event: EventDict) -> EventDict:
    for key in NOISE:
        event.pop(key, None)
    return event


def _shared() -> list[Processor]:
    """Applied to structlog's own calls and to the standard library's records alike."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def resolved_format(settings: Settings, stream: TextIO) -> str:
    if settings.log_format != "auto":
        return settings.log_format
    return "console" if stream.isatty() else "json"


def formatter(fmt: str) -> structlog.stdlib.ProcessorFormatter:
    renderer: list[Processor] = (
        [structlog.processors.format_exc_info,
         structlog.processors.JSONRenderer(ensure_ascii=False)]
        if fmt == "json"
        else [structlog.dev.ConsoleRenderer(colors=False)]
    )  # fmt: skip
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared(), structlog.stdlib.ExtraAdder(), _drop_noise],
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *renderer],
    )


def configure(settings: Settings, stream: TextIO | None = None) -> None:
    """The root logger writes through structlog's formatter (replacing an earlier call's
    handler, so a test may configure again); structlog's loggers go the same way."""
    out = stream or sys.stderr
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.set_name(HANDLER_NAME)
    handler.setFormatter(formatter(resolved_format(settings, out)))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # uvicorn's own handlers are not installed (main.py: log_config=None): its records
    # propagate here. Its access log is off: ui.api.latency writes the API's request lines.
    logging.getLogger("uvicorn.access").disabled = True
    # httpx logs every request at INFO; the callbacks say what they did in their own lines.
    logging.getLogger("httpx").setLevel(max(logging.WARNING, root.level))


def path_ids(path_params: dict[str, Any]) -> dict[str, int | str]:
    """A route's ids (`/orders/{order_id}` → order_id), as numbers when they are."""
    return {k: int(v) if isinstance(v, str) and v.isdigit() else v
            for k, v in path_params.items() if k.endswith("_id")}  # fmt: skip
