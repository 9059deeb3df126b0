"""Import memory has a ceiling across requests: three 2,000,000-row .xlsx files (about
37 MB each, twice the row limit) uploaded at once to a real app process keep it under
1 GB in total, each is answered `too_many_rows`, and the memory goes back afterwards.

The app runs as it ships (`main.py` in its own process, its own SQLite file); its
resident memory (VmRSS) is sampled every 20 ms while the uploads go in."""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.import_files import write_big_xlsx

# A memory ceiling and a timed run: alone under pytest-xdist (conftest).
pytestmark = pytest.mark.serial

ROOT = Path(__file__).resolve().parents[2]
ROWS = 2_000_000
CEILING = 1024**3  # the issue: three at once stay under 1 GB in total
GIVEN_BACK = 150 * 1024**2  # afterwards: at most this much above the idle process
PASSWORD = "memory-test-admin"
# Not pytest's (NiceGUI would take the app for its test harness), nor the tests' settings.
FOREIGN = ("PYTEST_", "NICEGUI_", "WMS_")


@pytest.fixture(scope="session")
def huge_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated once per session (a few seconds): twice the default row limit."""
    path = tmp_path_factory.mktemp("huge") / "receipt-2m.xlsx"
    write_big_xlsx(path, ROWS)
    return path


def rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


class Sampler(threading.Thread):
    """The highest VmRSS of a process while it runs."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, rss(self.pid))
            time.sleep(0.02)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[str, int]]:
    """`main.py` on a free port; its URL and process id."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {  # the defaults: WMS_IMPORT_MAX_PARALLEL=1, a million rows at most
        **{k: v for k, v in os.environ.items() if not k.startswith(FOREIGN)},
        "WMS_DATA_DIR": str(tmp_path / "data"),
        "WMS_HOST": "127.0.0.1",
        "WMS_PORT": str(port),
        "WMS_ADMIN_PASSWORD": PASSWORD,
        "NICEGUI_STORAGE_PATH": str(tmp_path / "nicegui"),
    }  # fmt: skip
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_three_parallel_2m_row_imports_stay_under_1_gb(
    app: tuple[str, int], huge_file: Path
) -> None:
    url, pid = app
    token = httpx.post(
        f"{url}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD}
    ).json()["access_token"]
    content = huge_file.read_bytes()
    headers = {"Authorization": f"Bearer {token}"}

    def upload(_: int) -> httpx.Response:
        return httpx.post(
            f"{url}/api/v1/imports", headers=headers, timeout=300,
            files={"file": ("receipt.xlsx", content, "application/octet-stream")},
            data={"kind": "movements", "operation_type": "RECEIPT"},
        )  # fmt: skip

    idle = rss(pid)
    sampler = Sampler(pid)
    sampler.start()
    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        responses = list(pool.map(upload, range(3)))
    elapsed = time.monotonic() - started
    sampler.done.set()
    sampler.join()
    for response in responses:
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == "too_many_rows"
    after = rss(pid)
    print(
        f"idle {idle / 2**20:.0f} MB, peak {sampler.peak / 2**20:.0f} MB, "
        f"after {after / 2**20:.0f} MB, {elapsed:.1f} s for three"
    )
    assert sampler.peak < CEILING
    assert after < idle + GIVEN_BACK
