"""The shared frame of every manager page: navigation, the signed-in user, language and
dark-mode switches. Navigation shows only what the user's role may open; the pages
check the role again on the server (ui.session.protected_page)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nicegui import app, ui

from core.auth import Identity
from ui.i18n import language, set_language, tr

MANAGERS = frozenset({"admin", "manager"})
ADMINS = frozenset({"admin"})


@dataclass(frozen=True)
class NavItem:
    path: str
    ru: str
    en: str
    icon: str
    roles: frozenset[str]


NAVIGATION = (
    NavItem("/", "Дашборд", "Dashboard", "dashboard", MANAGERS),
    NavItem("/operations", "Операции", "Operations", "swap_horiz", MANAGERS),
    NavItem("/balances", "Остатки", "Balances", "inventory_2", MANAGERS),
    NavItem("/journal", "Журнал", "Journal", "receipt_long", MANAGERS),
    NavItem("/products", "Товары", "Products", "sell", MANAGERS),
    NavItem("/import", "Импорт", "Import", "upload_file", MANAGERS),
    NavItem("/references", "Справочники", "Reference data", "menu_book", ADMINS),
    NavItem("/users", "Пользователи", "Users", "group", ADMINS),
)

ROLE_LABELS = {
    "admin": ("Администратор", "Administrator"),
    "manager": ("Менеджер", "Manager"),
    "worker": ("Работник склада", "Warehouse worker"),
}


def role_label(role: str) -> str:
    ru, en = ROLE_LABELS.get(role, (role, role))
    return tr(ru, en)


@contextmanager
def frame(user: Identity, title: str, path: str) -> Iterator[ui.column]:
    """Header, navigation drawer and a content column for `path`'s page."""
    ui.page_title(f"{title} — {tr('Склад', 'Warehouse')}")
    dark = ui.dark_mode(app.storage.user.get("dark", False))
    with ui.header().classes("items-center gap-2 px-2 py-1"):
        ui.button(icon="menu", on_click=lambda: drawer.toggle()).props(
            "flat round color=white aria-label=Menu"
        )
        ui.label(title).classes("text-h6 ellipsis")
        ui.space()
        ui.label(f"{user.display_name} · {role_label(user.role)}").classes(
            "gt-xs text-body2 ellipsis"
        )
        settings = ui.button(icon="more_vert").props("flat round color=white aria-label=Settings")
        dark_label = (
            tr("Светлая тема", "Light mode") if dark.value else tr("Тёмная тема", "Dark mode")
        )
        with settings, ui.menu():
            ui.menu_item(
                "English" if language() == "ru" else "Русский",
                on_click=lambda: _switch_language(path),
            ).mark("language-switch")
            ui.menu_item(dark_label, on_click=lambda: _toggle_dark(dark, path)).mark("dark-switch")
            ui.menu_item(
                tr("Сменить пароль", "Change password"),
                on_click=lambda: ui.navigate.to("/password"),
            )
            ui.menu_item(tr("Выйти", "Sign out"), on_click=lambda: ui.navigate.to("/logout"))
    with ui.left_drawer(value=None).props("width=220 breakpoint=1000 bordered") as drawer:
        for item in NAVIGATION:
            if user.role not in item.roles:
                continue
            active = item.path == path
            with ui.link(target=item.path).classes(
                "flex items-center gap-3 px-3 py-3 rounded no-underline text-inherit "
                + ("bg-primary text-white" if active else "hover:bg-grey-3")
            ):
                ui.icon(item.icon)
                ui.label(tr(item.ru, item.en))
    with ui.column().classes("w-full p-4 gap-4") as content:
        yield content


def _switch_language(path: str) -> None:
    set_language("en" if language() == "ru" else "ru")
    ui.navigate.to(path)  # the page is built again in the new language


def _toggle_dark(dark: ui.dark_mode, path: str) -> None:
    app.storage.user["dark"] = not dark.value
    ui.navigate.to(path)
