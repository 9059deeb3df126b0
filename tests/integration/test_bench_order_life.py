"""bench/order_life.py in its tiniest run, so that it keeps working as the code moves: two
clients take orders through their whole life over the REST API of the app run as a server,
every order ends shipped and the reservations and the ledger match the quants. PostgreSQL
only (the bench is); its database is one of its own next to the test database, created and
dropped by the run."""

import socket

import pytest
import sqlalchemy as sa

from bench import order_life
from tests.conftest import POSTGRES_URL

TINY = ["--products", "60", "--bins", "10", "--positions", "240", "--clients", "2",
        "--duration", "0.5", "--repeat", "1"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_order_life_bench_ships_every_order_it_places(
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not POSTGRES_URL:
        pytest.skip("WMS_TEST_POSTGRES_URL is not set")
    url = sa.make_url(POSTGRES_URL)
    own = url.set(database=f"{url.database}_bench_life").render_as_string(hide_password=False)
    assert order_life.main([*TINY, "--postgres-url", own, "--port", str(free_port())]) == 0
    out = capsys.readouterr().out
    assert "every order shipped, reservations = quants' reserved, ledger = quants: ok" in out
    for step in order_life.STEPS:
        assert f"\n{step} " in out, step
