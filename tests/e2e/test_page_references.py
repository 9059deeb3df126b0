"""Reference data page: the admin keeps the list of marketplaces and their distribution
centers; nobody else may see or change it."""

from typing import Any

import pytest
from nicegui import ElementFilter, ui
from nicegui.testing import User

from core.catalog.references import create_reference
from core.errors import ValidationError
from core.users.accounts import update_user
from core.users.auth import identity
from data.catalog.queries import distribution_centers, sources
from data.catalog.store import SqlReferenceStore
from data.database import Database
from data.users.store import SqlUserAdminStore, SqlUserStore
from tests.conftest import add_user, open_page
from tests.helpers import dc_id, eventually, source_id


def source_names(db: Database, *, active_only: bool = False) -> list[str]:
    return [s["name"] for s in sources(db.engine, active_only=active_only)]


def dc(db: Database, name: str) -> dict[str, Any]:
    return next(d for d in distribution_centers(db.engine) if d["name"] == name)


def click_in_row(user: User, row: str, button: str) -> None:
    with user.scope(marker=row):
        user.find(marker=button).click()


def texts_in(user: User, marker: str) -> list[str]:
    """Every text shown inside the elements marked `marker` (none if there are none)."""
    with user.client:  # type: ignore[union-attr]
        found = list(ElementFilter(marker=marker, local_scope=False))
    return [getattr(e, "text", "") for f in found for e in f.descendants(include_self=True)]


async def open_editor(user: User, row: str) -> None:
    """Click a row's edit button and wait until its dialog is open and filled."""
    click_in_row(user, row, "edit")
    await eventually(lambda: any(d.value for d in user.find(kind=ui.dialog).elements))


def offered_marketplaces(user: User, marker: str = "dc-source") -> list[str]:
    select = user.find(marker=marker).elements.pop()
    assert isinstance(select, ui.select)
    return list(select.options.values())  # type: ignore[union-attr]


def choose(user: User, marker: str, value: int) -> None:
    select = user.find(marker=marker).elements.pop()
    assert isinstance(select, ui.select)
    select.set_value(value)


# --- who may open it -----------------------------------------------------------------


async def test_signed_out_visitor_is_sent_to_sign_in(visitor: User) -> None:
    await open_page(visitor, "/references")
    await visitor.should_see("Войти")
    await visitor.should_not_see("Wildberries")


async def test_manager_is_refused_and_sees_no_reference_data(manager: User) -> None:
    await open_page(manager, "/references")
    await manager.should_see("Нет доступа")
    await manager.should_not_see("Wildberries")
    await manager.should_not_see("WB Коледино")
    await manager.should_not_see("Новый маркетплейс")


async def test_worker_is_refused_and_sees_no_reference_data(worker: User) -> None:
    await open_page(worker, "/references")
    await worker.should_see("Нет доступа")
    await worker.should_not_see("Wildberries")
    await worker.should_not_see("WB Коледино")


async def test_admin_sees_marketplaces_and_distribution_centers(admin: User) -> None:
    await open_page(admin, "/references")
    with admin.scope(marker="source-list"):
        await admin.should_see("Wildberries")
        await admin.should_see("Ozon")
    with admin.scope(marker="dc-list"):
        await admin.should_see("WB Коледино")


# --- marketplaces ----------------------------------------------------------------------


async def test_admin_adds_a_marketplace(admin: User, app_database: Database) -> None:
    await open_page(admin, "/references")
    admin.find(marker="source-name").type("  Lamoda ")
    admin.find(marker="source-add").click()
    await admin.should_see("Маркетплейс «Lamoda» добавлен")
    assert "Lamoda" in source_names(app_database, active_only=True)
    await eventually(lambda: "Lamoda" in texts_in(admin, "source-list"))
    # offered at once for a new distribution center, without reloading the page
    assert "Lamoda" in offered_marketplaces(admin)


async def test_taken_name_is_refused_next_to_the_form(admin: User, app_database: Database) -> None:
    await open_page(admin, "/references")
    admin.find(marker="source-name").type("wildberries")
    admin.find(marker="source-add").click()
    await admin.should_see("Источник «wildberries» уже есть")
    assert "Источник «wildberries» уже есть" in texts_in(admin, "source-error")
    assert source_names(app_database).count("Wildberries") == 1
    assert "wildberries" not in source_names(app_database)


async def test_empty_name_is_refused(admin: User, app_database: Database) -> None:
    before = source_names(app_database)
    await open_page(admin, "/references")
    admin.find(marker="source-add").click()
    await admin.should_see("Укажите название")
    assert "Укажите название" in texts_in(admin, "source-error")
    assert source_names(app_database) == before


async def test_too_long_marketplace_name_is_refused_not_crashed(
    admin: User, app_database: Database
) -> None:
    before = source_names(app_database)
    await open_page(admin, "/references")
    # typed past the field's own limit, as a pasted text or a hand-made request could be
    admin.find(marker="source-name").elements.pop().set_value("М" * 101)
    admin.find(marker="source-add").click()
    await admin.should_see("Название: не больше 100 символов")
    assert "Название: не больше 100 символов" in texts_in(admin, "source-error")
    assert source_names(app_database) == before


async def test_admin_renames_a_marketplace(admin: User, app_database: Database) -> None:
    ozon = source_id(app_database, "Ozon")
    await open_page(admin, "/references")
    await open_editor(admin, f"source-{ozon}")
    admin.find(marker="source-edit-name").clear().type("Ozon Global")
    admin.find(marker="source-save").click()
    await admin.should_see("Сохранено")
    assert source_id(app_database, "Ozon Global") == ozon
    await eventually(lambda: "Ozon Global" in texts_in(admin, "source-list"))
    # its distribution centers follow the new name
    assert "Ozon Global" in {d["source_name"] for d in distribution_centers(app_database.engine)}


async def test_rename_to_a_taken_name_is_refused_in_the_dialog(
    admin: User, app_database: Database
) -> None:
    ozon = source_id(app_database, "Ozon")
    await open_page(admin, "/references")
    await open_editor(admin, f"source-{ozon}")
    admin.find(marker="source-edit-name").clear().type("Wildberries")
    admin.find(marker="source-save").click()
    await admin.should_see("Источник «Wildberries» уже есть")
    assert "Источник «Wildberries» уже есть" in texts_in(admin, "source-edit-error")
    assert "Ozon" in source_names(app_database)


async def test_deactivated_marketplace_is_kept_but_not_offered(
    admin: User, app_database: Database
) -> None:
    ozon = source_id(app_database, "Ozon")
    await open_page(admin, "/references")
    click_in_row(admin, f"source-{ozon}", "deactivate")
    await eventually(lambda: "Отключён" in texts_in(admin, f"source-{ozon}"))
    assert "Ozon" in source_names(app_database)
    assert "Ozon" not in source_names(app_database, active_only=True)
    assert "Ozon" not in offered_marketplaces(admin)

    click_in_row(admin, f"source-{ozon}", "activate")
    await eventually(lambda: "Активен" in texts_in(admin, f"source-{ozon}"))
    assert "Ozon" in source_names(app_database, active_only=True)
    assert "Ozon" in offered_marketplaces(admin)


# --- distribution centers --------------------------------------------------------------


async def test_admin_adds_a_distribution_center_to_a_marketplace(
    admin: User, app_database: Database
) -> None:
    await open_page(admin, "/references")
    admin.find(marker="dc-tab").click()
    admin.find(marker="dc-name").type("Ozon Тверь")
    choose(admin, "dc-source", source_id(app_database, "Ozon"))
    admin.find(marker="dc-add").click()
    await admin.should_see("РЦ «Ozon Тверь» добавлен")
    created = dc(app_database, "Ozon Тверь")
    assert created["source_name"] == "Ozon" and created["is_active"]
    row = f"distribution_center-{created['id']}"
    await eventually(lambda: {"Ozon Тверь", "Ozon"} <= set(texts_in(admin, row)))


async def test_distribution_center_needs_a_marketplace(admin: User, app_database: Database) -> None:
    await open_page(admin, "/references")
    admin.find(marker="dc-name").type("РЦ без хозяина")
    admin.find(marker="dc-add").click()
    await admin.should_see("Укажите маркетплейс, которому принадлежит РЦ")
    assert "Укажите маркетплейс, которому принадлежит РЦ" in texts_in(admin, "dc-error")
    assert all(d["name"] != "РЦ без хозяина" for d in distribution_centers(app_database.engine))


async def test_taken_distribution_center_name_is_refused(
    admin: User, app_database: Database
) -> None:
    before = len(distribution_centers(app_database.engine))
    await open_page(admin, "/references")
    admin.find(marker="dc-name").type("WB Коледино")
    choose(admin, "dc-source", source_id(app_database, "Wildberries"))
    admin.find(marker="dc-add").click()
    await admin.should_see("РЦ «WB Коледино» уже есть")
    assert "РЦ «WB Коледино» уже есть" in texts_in(admin, "dc-error")
    assert len(distribution_centers(app_database.engine)) == before


async def test_admin_moves_a_distribution_center_to_another_marketplace(
    admin: User, app_database: Database
) -> None:
    koledino = dc_id(app_database, "WB Коледино")
    await open_page(admin, "/references")
    admin.find(marker="dc-tab").click()
    await open_editor(admin, f"distribution_center-{koledino}")
    assert "Ozon" in offered_marketplaces(admin, "dc-edit-source")
    choose(admin, "dc-edit-source", source_id(app_database, "Ozon"))
    admin.find(marker="distribution_center-edit-name").clear().type("Коледино")
    admin.find(marker="distribution_center-save").click()
    await admin.should_see("Сохранено")
    moved = dc(app_database, "Коледино")
    assert moved["id"] == koledino and moved["source_name"] == "Ozon"


async def test_admin_deactivates_and_activates_a_distribution_center(
    admin: User, app_database: Database
) -> None:
    koledino = dc_id(app_database, "WB Коледино")
    await open_page(admin, "/references")
    click_in_row(admin, f"distribution_center-{koledino}", "deactivate")
    await eventually(lambda: "Отключён" in texts_in(admin, f"distribution_center-{koledino}"))
    assert not dc(app_database, "WB Коледино")["is_active"]  # kept, never deleted

    click_in_row(admin, f"distribution_center-{koledino}", "activate")
    await eventually(lambda: "Активен" in texts_in(admin, f"distribution_center-{koledino}"))
    assert dc(app_database, "WB Коледино")["is_active"]


# --- the role is checked on every action -----------------------------------------------


async def test_admin_demoted_while_the_page_is_open_can_no_longer_act(
    admin: User, app_database: Database
) -> None:
    await open_page(admin, "/references")
    other_admin = identity(
        SqlUserStore(app_database.engine), add_user(app_database, "a2", "admin"), 0
    )
    assert other_admin is not None
    me = SqlUserStore(app_database.engine).find("admin")
    assert me is not None
    update_user(SqlUserAdminStore(app_database.engine), other_admin, me.id, role="manager")

    admin.find(marker="source-name").type("Lamoda")
    admin.find(marker="source-add").click()
    await admin.should_see("Сессия истекла или нет прав на это действие")
    assert "Lamoda" not in source_names(app_database)


def test_name_limits_follow_the_columns_on_every_backend(db: Database) -> None:
    """A marketplace name fits VARCHAR(100): a longer one is refused, not a database error."""
    store = SqlReferenceStore(db.engine)
    longest = create_reference(store, "source", "М" * 100)
    assert longest.name == "М" * 100
    with pytest.raises(ValidationError) as refused:
        create_reference(store, "source", "М" * 101)
    assert refused.value.code == "name_too_long"
    center = create_reference(store, "distribution_center", "Р" * 200, longest.id)
    assert len(center.name) == 200
