"""A dropped database connection, said in one place (ui/failures.py): the API answers 503
with its code, a page and an event handler notify in words, never with a traceback."""

import asyncio
import importlib

import pytest
from nicegui import background_tasks
from nicegui.testing import User
from sqlalchemy import exc

import data.stock.queries
from data.database import Database
from tests.api_client import assert_error, signed_in
from ui.failures import failure_of

DROPPED = exc.OperationalError("SELECT 1", {}, Exception("server closed the connection"))


def dropped(*_args: object, **_kwargs: object) -> None:
    raise DROPPED


def test_each_database_failure_has_one_status_code_and_message() -> None:
    read = failure_of(DROPPED)
    assert read is not None and (read.status, read.code) == (503, "database_unavailable")
    assert read.message == "База данных недоступна, повторите позже"
    write = failure_of(DROPPED, writing=True)
    assert write is not None and (write.status, write.code) == (503, "database_unavailable")
    assert "Idempotency-Key" in write.message  # the COMMIT may have happened
    invalidated = exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True)
    assert failure_of(invalidated) == read
    assert failure_of(exc.InterfaceError("SELECT 1", {}, Exception("closed"))) == read
    clash = failure_of(exc.IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert clash is not None and (clash.status, clash.code) == (409, "conflict")
    other = failure_of(exc.ProgrammingError("SELEC", {}, Exception("syntax")))
    assert other is not None and (other.status, other.code) == (500, "internal_error")
    assert other.is_bug and not read.is_bug
    assert failure_of(RuntimeError("a bug of ours")) is None
    assert read.text(("Не удалось выгрузить", "Export failed")) == (
        "Не удалось выгрузить: база данных недоступна. Повторите."
    )


async def test_a_dropped_connection_is_503_with_the_code_on_reads_and_writes(
    visitor: User,
    app_database: Database,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = await signed_in(visitor.http_client, app_database)
    monkeypatch.setattr(data.stock.queries, "summary", dropped)
    response = await api.get("/stock/summary")
    assert_error(response, 503, "database_unavailable")
    assert "server closed" not in response.text and "Traceback" not in response.text
    health = await visitor.http_client.get("/healthz")
    assert health.status_code == 200  # the route's own connection is fine
    caplog.clear()


async def test_healthz_says_the_database_is_unavailable(
    visitor: User, app_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise DROPPED

    monkeypatch.setattr(type(app_database.engine), "connect", refuse)
    response = await visitor.http_client.get("/healthz")
    assert_error(response, 503, "database_unavailable")


async def test_a_page_whose_reads_fail_says_so_instead_of_a_traceback(
    manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The module as the running app loaded it (the simulation reloads the app per test).
    journal_page = importlib.import_module("ui.pages.stock.journal")
    monkeypatch.setattr(journal_page, "sources", dropped)
    await manager.open("/journal")
    await manager.should_see("Не удалось открыть страницу: база данных недоступна. Повторите.")
    await manager.should_see(marker="page-reload")
    await manager.should_not_see(marker="journal")
    await manager.should_not_see("Traceback")


async def test_an_event_handler_whose_database_fails_notifies_in_words(
    manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    downloads = importlib.import_module("ui.components.downloads")
    monkeypatch.setitem(downloads.EXPORTERS, "journal", dropped)
    await manager.open("/journal")
    await manager.should_see(marker="journal")
    before = set(background_tasks.running_tasks)
    manager.find(marker="export-journal").click()
    await asyncio.gather(*(set(background_tasks.running_tasks) - before))
    await manager.should_see("Не удалось выгрузить: база данных недоступна. Повторите.")
    # The export is ready again: the failure released its busy state.
    monkeypatch.undo()
    manager.find(marker="export-journal").click()
    await manager.should_see("Выгружено строк: 0", retries=50)
