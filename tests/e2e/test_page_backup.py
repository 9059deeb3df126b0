"""/backup: an admin downloads a consistent copy of the database and it restores to the
same balances; nobody else may; on PostgreSQL the copy is a pg_dump archive."""

import subprocess
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from nicegui.testing import User

from core.errors import DomainError
from core.users.accounts import update_user
from core.users.auth import Identity
from data.backup import make_backup
from data.database import Database
from data.db import is_sqlite
from data.stock.balances import balances
from data.stock.journal import journal
from data.users.store import SqlUserAdminStore, SqlUserStore
from tests.api_client import Api, assert_error
from tests.api_client import signed_in as signed_in_api
from tests.conftest import add_user, another_browser, arrived, make_product, open_page, sign_in
from tests.helpers import post, source_id

NOW = datetime(2026, 12, 6, 14, 30)


def stocked(db: Database) -> None:
    mug = make_product(db, sku="MUG-350", name="Кружка 350 мл")
    tee = make_product(db, sku="TEE-M", name="Футболка M")
    post(db, "RECEIPT", mug, 120)
    post(db, "RECEIPT_DEFECT", mug, 3)
    post(db, "RECEIPT", tee, 40)
    post(db, "RETURN_PICKUP", tee, 2, source_id=source_id(db))
    post(db, "WRITE_OFF", mug, 5)


def everything(db: Database) -> tuple[list[dict[str, object]], int]:
    rows = balances(db.engine, limit=100).items
    return rows, journal(db.engine, limit=1).total


async def test_admin_downloads_a_backup_that_restores_to_the_same_balances(
    admin: User, app_database: Database, tmp_path: Path
) -> None:
    stocked(app_database)
    await open_page(admin, "/backup")
    admin.find(marker="backup-download").click()
    response = await admin.download.next(timeout=20)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.sqlite3"
    assert "wms-" in response.headers["content-disposition"]

    restored_path = tmp_path / "restored.sqlite3"
    restored_path.write_bytes(response.content)
    restored = Database.from_url(f"sqlite:///{restored_path}")
    try:
        rows, movements = everything(restored)
        assert (rows, movements) == everything(app_database)
        assert movements == 5
        assert {r["sku"]: (r["good"], r["defect"]) for r in rows} == {
            "MUG-350": (115, 8),  # a write-off moves good units to defect
            "TEE-M": (42, 0),
        }
    finally:
        restored.dispose()


async def test_the_backup_is_offered_once(admin: User, app_database: Database) -> None:
    await open_page(admin, "/backup")
    admin.find(marker="backup-download").click()
    first = await admin.download.next(timeout=20)
    assert first.status_code == 200
    again = await admin.http_client.get(str(first.url))
    assert again.status_code == 404


@pytest.mark.parametrize("role", ["manager", "worker"])
async def test_only_admins_may_open_the_backup_page(
    role: str, visitor: User, app_database: Database
) -> None:
    add_user(app_database, "someone", role)
    await sign_in(visitor, "someone", "password-123")
    await arrived(visitor, "/")  # signed in: the home page, not the form (slow on a busy machine)
    await visitor.should_not_see("Войти")
    await open_page(visitor, "/backup")
    await visitor.should_see("Нет доступа")
    await visitor.should_not_see("Скачать резервную копию")
    await visitor.should_not_see("Резервная копия")  # not in the menu either


async def test_an_admin_demoted_meanwhile_gets_no_backup(
    admin: User, app_database: Database, create_user: Callable[[], User]
) -> None:
    chief = add_user(app_database, "chief", "admin")
    other = await another_browser(create_user, "chief")
    await open_page(other, "/backup")
    actor = SqlUserStore(app_database.engine).find("admin")
    assert actor is not None
    update_user(
        SqlUserAdminStore(app_database.engine),
        Identity(actor.id, actor.username, "", actor.role),
        chief,
        role="manager",
    )
    other.find(marker="backup-download").click()
    await other.should_see("нет прав")
    with pytest.raises(TimeoutError):
        await other.download.next(timeout=1)


# --- the same copy from the REST API (admins) -----------------------------------------------


async def test_an_admins_token_downloads_the_backup_from_the_api(
    visitor: User, app_database: Database, tmp_path: Path
) -> None:
    stocked(app_database)
    api = await signed_in_api(visitor.http_client, app_database)
    response = await api.get("/backup")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/vnd.sqlite3"
    assert response.headers["cache-control"] == "no-store"
    path = tmp_path / "from-api.sqlite3"
    path.write_bytes(response.content)
    restored = Database.from_url(f"sqlite:///{path}")
    try:
        assert everything(restored) == everything(app_database)
    finally:
        restored.dispose()


async def test_a_managers_token_gets_no_backup(visitor: User, app_database: Database) -> None:
    api = await signed_in_api(visitor.http_client, app_database, "manager")
    assert_error(await api.get("/backup"), 403, "forbidden")
    assert_error(await Api(visitor.http_client).get("/backup"), 401, "not_authenticated")


# --- the copy itself, on both backends ----------------------------------------------------


def test_the_copy_holds_the_same_data(db: Database, tmp_path: Path) -> None:
    stocked(db)
    backup = make_backup(db.engine, tmp_path, NOW)
    assert backup.path.stat().st_size > 0
    if is_sqlite(db.engine):
        assert backup.file_name == "wms-2026-12-06-1430.sqlite3"
        copy = Database.from_url(f"sqlite:///{backup.path}")
        try:
            assert everything(copy) == everything(db)
        finally:
            copy.dispose()
    else:
        assert backup.file_name == "wms-2026-12-06-1430.dump"
        listing = subprocess.run(
            ["pg_restore", "--list", str(backup.path)], capture_output=True, text=True, check=True
        ).stdout
        for table in ("quant", "movement", "product", "app_user"):
            assert f"TABLE DATA public {table} " in listing


def test_without_pg_dump_postgresql_gets_a_clear_message(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if is_sqlite(db.engine):
        pytest.skip("SQLite needs no outside program")
    monkeypatch.setenv("PATH", str(tmp_path))  # pg_dump is nowhere
    with pytest.raises(DomainError) as refused:
        make_backup(db.engine, tmp_path, NOW)
    assert refused.value.code == "backup_unavailable"
    assert "pg_dump" in refused.value.message
    assert list(tmp_path.iterdir()) == []
