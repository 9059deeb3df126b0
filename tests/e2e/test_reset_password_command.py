"""`uv run main.py reset-password USER`: a lost password (the only admin's too) is replaced
from the server's console, as a real process on a real database."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.users.auth import AuthError, authenticate, identity
from data.database import Database
from data.users.store import SqlUserStore
from tests.conftest import add_user

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = re.compile(r"Новый пароль пользователя chief: (\S+)")


def run_main(args: list[str], db: Database, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NICEGUI_"))},
        "WMS_DATA_DIR": str(tmp_path),
        "WMS_DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
        "WMS_PORT": "1",  # never reached: the command does not start the server
    }
    return subprocess.run(
        [sys.executable, "main.py", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def sign_in(store: SqlUserStore, username: str, password: str) -> bool:
    try:
        authenticate(store, username, password, datetime.now(UTC))
    except AuthError:
        return False
    return True


def test_reset_password_sets_a_new_one_ends_sessions_and_lifts_the_lockout(
    db: Database, tmp_path: Path
) -> None:
    user_id = add_user(db, "chief", "admin", "forgotten-1")
    store = SqlUserStore(db.engine)
    for _ in range(5):  # someone guessed: the account is locked
        assert not sign_in(store, "chief", "wrong guess")
    before = store.get(user_id)
    assert before is not None
    assert not sign_in(store, "chief", "forgotten-1")  # locked: even the right one is refused
    assert identity(store, user_id, before.credentials_version) is not None

    result = run_main(["reset-password", "chief"], db, tmp_path)

    assert result.returncode == 0, result.stderr
    found = NEW_PASSWORD.search(result.stdout)
    assert found, result.stdout
    password = found.group(1)
    assert result.stdout.count(password) == 1  # printed once
    # A session or an API token given before the reset carries the old version: it ends.
    assert identity(store, user_id, before.credentials_version) is None
    assert sign_in(store, "chief", password)  # the lockout is gone too
    assert not sign_in(store, "chief", "forgotten-1")
    after = store.get(user_id)
    assert after is not None and after.password_hash != before.password_hash


def test_reset_password_of_an_unknown_user_changes_nothing(db: Database, tmp_path: Path) -> None:
    user_id = add_user(db, "chief", "admin", "kept-password")
    store = SqlUserStore(db.engine)
    version = store.get(user_id).credentials_version  # type: ignore[union-attr]

    result = run_main(["reset-password", "nobody"], db, tmp_path)

    assert result.returncode == 1
    assert "Пользователь «nobody» не найден" in result.stderr
    assert "Traceback" not in result.stderr
    assert "пароль" not in result.stdout.lower()
    assert identity(store, user_id, version) is not None
    assert sign_in(store, "chief", "kept-password")


@pytest.mark.parametrize("args", [["reset-password"], ["reset-password", "a", "b"]])
def test_reset_password_needs_exactly_one_user(
    args: list[str], db: Database, tmp_path: Path
) -> None:
    result = run_main(args, db, tmp_path)
    assert result.returncode == 2  # argparse's usage error, before the database is touched
    assert "usage" in result.stderr
