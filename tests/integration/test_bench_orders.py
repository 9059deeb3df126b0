"""bench/orders.py in its tiniest run, so that it keeps working as the code moves: the
use case and the raw transaction both place orders, and the reservations it leaves match
the quants. PostgreSQL only (the bench is); its database is one of its own next to the
test database, created and dropped by the run."""

import pytest
import sqlalchemy as sa

from bench import orders
from tests.conftest import POSTGRES_URL

TINY = ["--products", "60", "--bins", "10", "--positions", "240", "--orders", "3",
        "--workers", "2", "--duration", "0.2", "--repeat", "1"]  # fmt: skip


def test_the_orders_bench_places_orders_both_ways_and_leaves_them_consistent(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not POSTGRES_URL:
        pytest.skip("WMS_TEST_POSTGRES_URL is not set")
    url = sa.make_url(POSTGRES_URL)
    own = url.set(database=f"{url.database}_bench_orders").render_as_string(hide_password=False)
    assert orders.main([*TINY, "--postgres-url", own]) == 0
    out = capsys.readouterr().out
    assert "reservations = quants' reserved, one task item each: ok" in out
    assert "1 worker, 3 orders each way" in out and "2 workers" in out
