"""The app as a service behind an HTTPS reverse proxy (docs/deploy): with WMS_HTTPS the
browser's session cookie is Secure, so it never travels over plain HTTP."""

import http.client
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_e2e_browser import ROOT, free_port, wait_healthy


@pytest.fixture
def https_app(tmp_path: Path) -> Iterator[int]:
    """main.py in its own process with WMS_HTTPS=true, listening on loopback; its port."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NICEGUI_"))},
        "WMS_DATA_DIR": str(tmp_path / "data"),
        "WMS_DATABASE_URL": "",
        "WMS_HOST": "127.0.0.1",
        "WMS_PORT": str(port),
        "WMS_HTTPS": "true",
        "WMS_ADMIN_PASSWORD": "proxy-admin-password",
        "NICEGUI_STORAGE_PATH": str(tmp_path / "nicegui"),
    }
    env.pop("WMS_STORAGE_SECRET", None)
    log = tmp_path / "app.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "main.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_healthy(f"http://127.0.0.1:{port}", process, log)
            yield port
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def test_with_wms_https_the_session_cookie_is_secure(https_app: int) -> None:
    # As the proxy asks: the original Host and scheme in the forwarded headers.
    connection = http.client.HTTPConnection("127.0.0.1", https_app, timeout=10)
    connection.request(
        "GET",
        "/login",
        headers={
            "Host": "wms.office.lan",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "10.0.0.7",
        },
    )
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    cookies = [value for name, value in response.getheaders() if name.lower() == "set-cookie"]
    session = [c for c in cookies if c.startswith("session=")]
    assert session, cookies
    assert "secure" in session[0].lower().split("; ")
