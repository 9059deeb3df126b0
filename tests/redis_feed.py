"""The order feed's tests run against a real Redis (WMS_TEST_REDIS_URL, .ci/run starts the
machine's): each pytest-xdist worker on a database of its own (15 for gw0, 14 for gw1...),
flushed before each test."""

import json
import os
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from core.orders.feed import STREAM

REDIS_URL = os.environ.get("WMS_TEST_REDIS_URL", "")


def worker_redis_url() -> str:
    if not REDIS_URL:
        pytest.skip("WMS_TEST_REDIS_URL is not set")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker.removeprefix("gw") or 0)
    base, _, db = REDIS_URL.rpartition("/")
    return f"{base}/{int(db or 15) - index}"


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = worker_redis_url()
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    yield url


def confirmed(order_id: str, items: list[tuple[str, int]], source: str = "Wildberries",
              **extra: str) -> dict[str, str]:  # fmt: skip
    return {"type": "order.confirmed", "order_id": order_id, "source": source,
            "items": json.dumps([{"barcode": b, "quantity": q} for b, q in items]),
            **extra}  # fmt: skip


def cancelled(
    order_id: str, source: str = "Wildberries", reason: str = "Передумал"
) -> dict[str, str]:
    return {"type": "order.cancelled", "order_id": order_id, "source": source, "reason": reason}


def publish(client: "redis.Redis[Any]", *entries: dict[str, str]) -> list[str]:
    return [str(client.xadd(STREAM, e)) for e in entries]  # type: ignore[arg-type]
