"""The shared frame of every page: navigation, the signed-in user, language and
dark-mode switches, and for managers the count of products below their minimum stock
(live). Navigation shows only what the user's role may open; the pages check the role
again on the server (ui.session.protected_page)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nicegui import app, run, ui

from core.auth import Identity
from core.policy import Action, can, roles_that_can
from ui import live
from ui.context import AppContext
from ui.fresh_session import LOGOUT_PATH
from ui.i18n import language, number, set_language, tr
from ui.session import sign_out


@dataclass(frozen=True)
class NavItem:
    path: str
    ru: str
    en: str
    icon: str
    action: Action  # shown to the roles that may do it (core.policy)

    @property
    def roles(self) -> frozenset[str]:
        """The roles that see this entry (derived from the policy, never declared here)."""
        return roles_that_can(self.action)


# The office: what managers and admins work with.
OFFICE = (
    NavItem("/", "Дашборд", "Dashboard", "dashboard", Action.SEE_DASHBOARD),
    NavItem("/operations", "Операции", "Operations", "swap_horiz", Action.POST_MOVEMENTS),
    NavItem("/balances", "Остатки", "Balances", "inventory_2", Action.SEE_BALANCES),
    NavItem("/alerts", "Дефицит", "Low stock", "notification_important", Action.SEE_ALERTS),
    NavItem("/journal", "Журнал", "Journal", "receipt_long", Action.KEEP_JOURNAL),
    NavItem("/products", "Товары", "Products", "sell", Action.MANAGE_PRODUCTS),
    NavItem("/import", "Импорт", "Import", "upload_file", Action.IMPORT_FILES),
    NavItem("/references", "Справочники", "Reference data", "menu_book", Action.MANAGE_REFERENCES),
    NavItem("/users", "Пользователи", "Users", "group", Action.MANAGE_USERS),
    NavItem("/backup", "Резервная копия", "Backup", "backup", Action.BACKUP),
)

# The floor: a worker's whole menu. Floor pages (picking, packing and shipping, missions)
# are added here as they come; their `action` says who else sees them (DESIGN.md §6: admins
# and managers may do everything a worker may). ui/floor.py lists what is still to come.
FLOOR = (
    # "/" is the worker's home: the product lookup (managers get the dashboard there).
    NavItem("/", "Где товар", "Find a product", "qr_code_scanner", Action.FLOOR_HOME),
)

NAVIGATION = OFFICE + FLOOR

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
        ctx = live.app_context()
        if ctx is not None and can(user.role, Action.SEE_ALERTS):
            _low_stock_bell(ctx)
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
            ui.menu_item(tr("Выйти", "Sign out"), on_click=_sign_out).mark("sign-out")
    with ui.left_drawer(value=None).props("width=220 breakpoint=1000 bordered") as drawer:
        for item in NAVIGATION:
            if not can(user.role, item.action):
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


def _low_stock_bell(ctx: AppContext) -> None:
    """A bell with the number of products below their minimum (none at zero); it opens
    /alerts and follows every change to the stock (ui.live)."""
    with (
        ui.button(icon="notifications", on_click=lambda: ui.navigate.to("/alerts"))
        .props("flat round color=white")
        .mark("low-stock-bell") as bell
    ):
        badge = (
            ui.badge()
            .props("floating rounded color=negative")
            .style("top: 1px")  # Quasar's -4px would touch the header's top edge
            .mark("low-stock-count")
        )
        hint = ui.tooltip()

    def show(count: int) -> None:
        badge.set_text(number(count) if count < 1000 else "999+")
        badge.set_visibility(count > 0)
        text = (
            tr(f"Товаров ниже минимума: {count}", f"Products below minimum: {count}")
            if count
            else tr("Нет товаров ниже минимума", "No products below minimum")
        )
        hint.set_text(text)
        bell.props(f'aria-label="{text}"')

    shown: int | None = None

    def show_changed(count: int) -> None:
        nonlocal shown
        if count != shown:  # most refreshes change nothing here: send nothing then
            shown = count
            show(count)

    async def refresh() -> None:
        # Every open manager page asks after every change: one of them counts (off the
        # event loop), the others take the count it left without a thread hop.
        count = ctx.watch.cached_low_stock_count()
        if count is None:
            count = await run.io_bound(ctx.watch.low_stock_count)
        if count is not None:  # None: the app is stopping
            show_changed(count)

    # Before the first read: a change in between is caught by the first check.
    live.refresh_on_ledger_change(ctx, refresh, action=Action.SEE_ALERTS)
    show_changed(ctx.watch.low_stock_count())


def _switch_language(path: str) -> None:
    set_language("en" if language() == "ru" else "ru")
    ui.navigate.to(path)  # the page is built again in the new language


def _sign_out() -> None:
    # An event from the page itself, not a GET /logout another site could make a browser open.
    sign_out()
    ui.navigate.to(LOGOUT_PATH)  # a new session for the signed-out browser


def _toggle_dark(dark: ui.dark_mode, path: str) -> None:
    app.storage.user["dark"] = not dark.value
    ui.navigate.to(path)
