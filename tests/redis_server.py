"""Redis for the event tests: the machine's (WMS_TEST_REDIS_URL, .ci/run sets it; the
tests skip without it) or a redis-server of the test's own on a free port, which a fault
test can stop and start again."""

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import redis

from tests.redis_feed import worker_redis_url

STREAMS = ("wms:events:picking", "wms:events:packing", "wms:events:shipment",
           "wms:events:inventory")  # fmt: skip


def event_redis() -> redis.Redis:
    """The machine's Redis, one logical database per xdist worker, emptied of the §7
    streams; skips the test when WMS_TEST_REDIS_URL is not set."""
    # The order feed's per-worker database (tests.redis_feed): two runs with different
    # WMS_TEST_REDIS_URL databases (CI and a developer's) never touch each other's streams.
    client = redis.Redis.from_url(worker_redis_url(), decode_responses=True)
    client.delete(*STREAMS)
    return client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class OwnRedis:
    """A redis-server process on a port of its own: start, stop (SIGTERM), start again."""

    def __init__(self, directory: str) -> None:
        self.directory = directory  # its append-only file: a restart keeps the streams
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--dir", self.directory],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        """SIGTERM: the server closes its clients and exits (its file keeps the streams)."""
        if self.process is not None:
            self.process.terminate()
            self.process.wait()
            self.process = None


@contextmanager
def own_redis(directory: str) -> Iterator[OwnRedis]:
    if subprocess.run(["which", "redis-server"], capture_output=True).returncode:
        pytest.skip("redis-server is not installed")
    server = OwnRedis(directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
