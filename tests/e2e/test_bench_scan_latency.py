"""bench/scan_latency.py in its tiniest run, so that it keeps working as the pages move:
a worker's scans on the picking run page and the packing page in headless Chromium, each
timed until the page shows the next step. PostgreSQL only (the bench is); its database is
one of its own next to the test database, created and dropped by the run."""

import pytest
import sqlalchemy as sa

from bench import scan_latency
from tests.conftest import POSTGRES_URL
from tests.integration.test_bench_order_life import free_port

pytestmark = pytest.mark.e2e

TINY = ["--products", "60", "--bins", "10", "--positions", "240", "--lines", "2",
        "--rounds", "1", "--warmup", "0"]  # fmt: skip


def test_the_scan_bench_times_every_scan_on_both_pages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not POSTGRES_URL:
        pytest.skip("WMS_TEST_POSTGRES_URL is not set")
    url = sa.make_url(POSTGRES_URL)
    own = url.set(database=f"{url.database}_bench_scans").render_as_string(hide_password=False)
    assert scan_latency.main([*TINY, "--postgres-url", own, "--port", str(free_port())]) == 0
    out = capsys.readouterr().out
    assert "picking run /picking/{id}: 6 scans in 1 round(s)" in out
    assert "packing /packing/{id}: " in out and "median of rounds: p50" in out
