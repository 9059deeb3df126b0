"""The shared frame of every page: navigation, the signed-in user, language and
dark-mode switches, and for managers the count of products below their minimum stock
(live). Navigation shows only what the user's role may open; the pages check the role
again on the server (ui.session.protected_page)."""

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from nicegui import app, background_tasks, ui

from core.dashboard.alerts import BellCount
from core.users.auth import Identity
from core.users.policy import Action, can, roles_that_can
from ui import live
from ui.context import AppContext
from ui.fresh_session import LOGOUT_PATH
from ui.i18n import language, number, set_language, tr
from ui.session import guarded, sign_out

BELL_CHECK_SECONDS = 0.5  # how often an open page's bell looks at the watch's count
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NavItem:
    path: str
    ru: str
    en: str
    icon: str
    action: Action  # shown to the roles that may do it (core.users.policy)

    @property
    def roles(self) -> frozenset[str]:
        """The roles that see this entry (derived from the policy, never declared here)."""
        return roles_that_can(self.action)


# The office: what managers and admins work with.
OFFICE = (
    NavItem("/", "Дашборд", "Dashboard", "dashboard", Action.SEE_DASHBOARD),
    NavItem("/operations", "Операции", "Operations", "swap_horiz", Action.POST_MOVEMENTS),
    NavItem("/balances", "Остатки", "Balances", "inventory_2", Action.SEE_BALANCES),
    NavItem("/locations", "Карта склада", "Storage map", "grid_view", Action.MANAGE_LOCATIONS),
    NavItem(
        "/putaway/waiting",
        "Ждёт размещения",
        "Awaiting putaway",
        "pending_actions",
        Action.MANAGE_LOCATIONS,
    ),
    NavItem("/handling-units", "Паллеты", "Pallets", "inventory", Action.MANAGE_LOCATIONS),
    NavItem("/alerts", "Предупреждения", "Alerts", "notification_important", Action.SEE_ALERTS),
    NavItem("/journal", "Журнал", "Journal", "receipt_long", Action.KEEP_JOURNAL),
    NavItem("/products", "Товары", "Products", "sell", Action.MANAGE_PRODUCTS),
    NavItem("/import", "Импорт", "Import", "upload_file", Action.IMPORT_FILES),
    NavItem("/orders", "Заказы", "Orders", "shopping_cart", Action.MANAGE_ORDERS),
    NavItem("/floor-board", "Табло склада", "Floor board", "tv", Action.SEE_FLOOR_BOARD),
    NavItem("/waves", "Волны сборки", "Picking waves", "waves", Action.MANAGE_ORDERS),
    NavItem("/events", "События", "Events", "cell_tower", Action.MANAGE_ORDERS),
    NavItem("/events/dead-letters", "Ошибки ленты", "Feed errors", "report", Action.MANAGE_ORDERS),
    NavItem("/missions", "Задания", "Missions", "assignment", Action.MANAGE_MISSIONS),
    NavItem("/executors", "Исполнители", "Executors", "badge", Action.MANAGE_MISSIONS),
    NavItem("/references", "Справочники", "Reference data", "menu_book", Action.MANAGE_REFERENCES),
    NavItem("/users", "Пользователи", "Users", "group", Action.MANAGE_USERS),
    NavItem("/backup", "Резервная копия", "Backup", "backup", Action.BACKUP),
)

# The floor: a worker's whole menu. Floor pages (picking, packing and shipping, missions)
# are added here as they come; their `action` says who else sees them (DESIGN.md §6: admins
# and managers may do everything a worker may). ui/pages/floor/home.py lists what is still to come.
FLOOR = (
    # "/" is the worker's home: the product lookup (managers get the dashboard there).
    NavItem("/", "Где товар", "Find a product", "qr_code_scanner", Action.FLOOR_HOME),
    NavItem("/my-missions", "Мои задания", "My missions", "checklist", Action.WORK_MISSIONS),
    NavItem("/picking", "Сборка заказов", "Picking", "shopping_cart", Action.PICK),
    NavItem("/qc", "Контроль качества", "Quality control", "verified", Action.CHECK_QUALITY),
    NavItem("/batches", "Сборка партиями", "Batch picking", "shopping_basket", Action.PICK),
    NavItem("/put-wall", "Раскладка по заказам", "Put to orders", "grid_view", Action.PACK),
    NavItem("/packing", "Упаковка и отгрузка", "Packing and shipping", "inventory_2", Action.PACK),
    NavItem("/putaway", "Размещение", "Putaway", "move_to_inbox", Action.PUT_AWAY),
    NavItem("/returns", "Возвраты", "Returns", "assignment_return", Action.RETURN_ORDERS),
    NavItem("/count", "Пересчёт ячейки", "Bin count", "fact_check", Action.COUNT_BINS),
    NavItem("/unit-move", "Перемещение", "Move a pallet", "open_with", Action.WORK_MISSIONS),
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
    # Docked at 1000 px and wider, hidden below: Quasar decides on the page (show-if-above)
    # and tells the server. NiceGUI's own way (value=None) asks the browser with a 1 s
    # timeout, which a busy server misses and logs as an error.
    drawer = ui.left_drawer(value=False).props("show-if-above width=220 breakpoint=1000 bordered")
    with drawer:
        for item in NAVIGATION:
            if not can(user.role, item.action):
                continue
            active = item.path == path
            with ui.link(target=item.path).classes(
                "flex no-wrap items-center gap-3 px-3 py-3 rounded no-underline text-inherit "
                + ("bg-primary text-white" if active else "hover:bg-grey-3")
            ):
                ui.icon(item.icon)
                ui.label(tr(item.ru, item.en))
    with ui.column().classes("w-full p-4 gap-4") as content:
        yield content


def _low_stock_bell(ctx: AppContext) -> None:
    """A bell with the number of products below their minimum and operational alerts
    (none at zero); it opens /alerts and follows the number the ledger watch counts after
    every change and every minute (ui.context: data.dashboard.alerts.bell_count)."""
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

    def show(count: BellCount) -> None:
        total = count.total
        badge.set_text(number(total) if total < 1000 else "999+")
        badge.set_visibility(total > 0)
        parts = []
        if count.low_stock:
            parts.append(tr(f"Товаров ниже минимума: {count.low_stock}",
                            f"Products below minimum: {count.low_stock}"))  # fmt: skip
        if count.operational:
            parts.append(tr(f"Предупреждений о работе склада: {count.operational}",
                            f"Operational alerts: {count.operational}"))  # fmt: skip
        text = "; ".join(parts) or tr("Нет предупреждений", "No alerts")
        hint.set_text(text)
        bell.props(f'aria-label="{text}"')

    shown: BellCount | None = None

    def show_changed(count: BellCount) -> None:
        nonlocal shown
        if count != shown:  # most refreshes change nothing here: send nothing then
            shown = count
            show(count)

    def show_to(_user: Identity, count: BellCount) -> None:
        show_changed(count)

    show_checked = guarded(ctx, Action.SEE_ALERTS, show_to)

    client = ui.context.client

    async def follow() -> None:
        # The watch counts once per change and publishes the number (data.ledger_watch):
        # reading it costs no query and no thread hop, and the session is checked again
        # only when there is a new number to show. A plain task, not a ui.timer: a
        # timer's tick makes a task and enters the page's slot, and 300 open tablets
        # made 600 of them a second to read one number.
        while not (client.is_deleted or bell.is_deleted or app.is_stopping or app.is_stopped):
            await asyncio.sleep(BELL_CHECK_SECONDS)
            count = ctx.watch.low_stock
            if count is None or count == shown or client.is_deleted:
                continue
            try:
                with client:  # what the session check may say goes to this page
                    await show_checked(count)
            except Exception:  # the next change tries again; the page stays
                log.exception("the low-stock bell could not be updated")

    background_tasks.create(follow(), name="low-stock bell")
    count = ctx.watch.low_stock  # None until the watch has counted: the task shows it
    if count is not None:
        show_changed(count)


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
