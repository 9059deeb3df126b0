"""Who may do what: the single table pages, navigation and the API read.

Each role has a set of actions; `can(role, action)` is the only question anyone asks.
A page (ui.session.protected_page), each of its handlers (guarded), a menu entry
(ui.layout) and an API route (ui.api) name the action they need, never a list of roles.
"""

from enum import StrEnum


class Action(StrEnum):
    # Everyone signed in (DESIGN.md §6: admins and managers may do what a worker may).
    CHANGE_OWN_PASSWORD = "change_own_password"
    FIND_PRODUCT = "find_product"  # the floor lookup: a product, its stock by location
    # The worker's home at "/" in the menu (managers and admins have the dashboard there).
    FLOOR_HOME = "floor_home"
    SEE_LOCATIONS = "see_locations"  # GET /api/v1/locations (a worker's token too)
    # Floor work: one's own missions on a tablet (start, record lines, complete) and the
    # floor's reads (missions, executors). A worker's executor is linked to their user.
    WORK_MISSIONS = "work_missions"
    PUT_AWAY = "put_away"  # the tablet's putaway: received stock from MAIN into a bin
    COUNT_BINS = "count_bins"  # the tablet's cycle count of a bin
    # Picking (DESIGN.md §6): take a picking task, pick, skip, complete — one's own task
    # (a worker) or anyone's (MANAGE_ORDERS); /picking on the tablet.
    PICK = "pick"
    # Packing and shipping (DESIGN.md §6): start a packing task, add packages, pack, ship —
    # one's own task (a worker) or anyone's (MANAGE_ORDERS).
    PACK = "pack"
    # Returns of shipped orders (issue 15): find the order of a returned parcel, scan and
    # inspect each unit, book it good or defective; /returns on the tablet.
    RETURN_ORDERS = "return_orders"
    # Quality control after picking (issue 15): scan and mark each unit, attach photos,
    # finish the check; /qc on the tablet.
    CHECK_QUALITY = "check_quality"
    # The floor board (/floor-board): active tasks by worker and zone, the oldest waiting
    # orders, on a large screen in the office or on the floor — managers and admins.
    SEE_FLOOR_BOARD = "see_floor_board"
    # The office.
    SEE_DASHBOARD = "see_dashboard"
    POST_MOVEMENTS = "post_movements"  # /operations
    SEE_BALANCES = "see_balances"
    SEE_ALERTS = "see_alerts"  # low stock and operational alerts: /alerts and the header bell
    KEEP_JOURNAL = "keep_journal"  # read the journal, reverse a movement
    MANAGE_PRODUCTS = "manage_products"  # the catalogue and product cards
    IMPORT_FILES = "import_files"
    EXPORT_FILES = "export_files"  # the pages' «Excel» buttons
    USE_API = "use_api"  # every /api/v1 route but the backup
    MANAGE_LOCATIONS = "manage_locations"  # the storage map: bins, stations, docks, labels
    # Create, edit, assign and cancel missions, act on anyone's; executors.
    MANAGE_MISSIONS = "manage_missions"
    # Orders (DESIGN.md §6): everyone on the floor reads them; the office creates,
    # confirms and cancels them (the orders page, POST /orders).
    SEE_ORDERS = "see_orders"
    MANAGE_ORDERS = "manage_orders"
    # Administration.
    MANAGE_REFERENCES = "manage_references"
    MANAGE_USERS = "manage_users"
    BACKUP = "backup"  # the page and GET /api/v1/backup


_EVERYONE = frozenset(
    {Action.CHANGE_OWN_PASSWORD, Action.FIND_PRODUCT, Action.SEE_LOCATIONS, Action.WORK_MISSIONS,
     Action.PUT_AWAY, Action.COUNT_BINS, Action.SEE_ORDERS, Action.PICK, Action.PACK,
     Action.RETURN_ORDERS, Action.CHECK_QUALITY}
)  # fmt: skip
_OFFICE = _EVERYONE | {
    Action.SEE_DASHBOARD, Action.POST_MOVEMENTS, Action.SEE_BALANCES, Action.SEE_ALERTS,
    Action.KEEP_JOURNAL, Action.MANAGE_PRODUCTS, Action.IMPORT_FILES, Action.EXPORT_FILES,
    Action.USE_API, Action.MANAGE_LOCATIONS, Action.MANAGE_MISSIONS, Action.MANAGE_ORDERS,
    Action.SEE_FLOOR_BOARD,
}  # fmt: skip

POLICY: dict[str, frozenset[Action]] = {
    "admin": _OFFICE | {Action.MANAGE_REFERENCES, Action.MANAGE_USERS, Action.BACKUP},
    "manager": _OFFICE,
    "worker": _EVERYONE | {Action.FLOOR_HOME},
}
ROLES: tuple[str, ...] = tuple(POLICY)  # admin, manager, worker


def can(role: str, action: Action) -> bool:
    """Whether `role` may do `action` (an unknown role may do nothing)."""
    return action in POLICY.get(role, frozenset())


def roles_that_can(action: Action) -> frozenset[str]:
    """The roles that may do `action` (for checks that take a set of roles)."""
    return frozenset(role for role, actions in POLICY.items() if action in actions)
