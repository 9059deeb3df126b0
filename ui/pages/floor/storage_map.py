"""The storage map (managers): every location of the warehouses — their default locations
("not put away"), bins, packing stations and outbound docks — one page at a time from the
server, with what lies in each. Bins are added one by one, a rack at a time from a
pattern, or from an Excel list; a location is renamed, renumbered, deactivated (not while
something lies there) and its label printed. Filters and search stay in the address;
the occupancy follows every movement (ui.live)."""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from nicegui import run, ui
from sqlalchemy.engine import Engine

from core.floor.locations import KIND_LABELS
from core.users.auth import Identity
from core.users.policy import Action
from data.files.labels import Label
from data.floor.locations import LOCATION_SORTS, LocationFilter, locations, zones
from data.reads import MAX_PAGE, Page
from ui.components.tables import (
    PAGE_SIZES,
    load_page,
    searched_for_note,
    server_table,
    take_pagination,
    take_search,
)
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.layout import frame
from ui.live import refresh_on_ledger_change
from ui.pages.floor.bin_import_dialog import import_form
from ui.pages.floor.location_dialogs import (
    kind_label,
    location_card,
    location_form,
    offer_labels,
    rack_form,
    warehouse_label,
)
from ui.session import guarded, protected_page

PATH = "/locations"
MANAGE = Action.MANAGE_LOCATIONS
SEARCH_DEBOUNCE_MS = 300
MAX_LABELS = 5000  # one print run: a whole hall of bins
ALL = ""
ACTIVE = {ALL: ("Все", "All"), "yes": ("Действующие", "Active"), "no": ("Отключённые", "Inactive")}
OCCUPIED = {ALL: ("Все", "All"), "yes": ("Занятые", "Occupied"), "no": ("Пустые", "Empty")}
_FLAG = {"yes": True, "no": False}


@dataclass
class MapState:
    q: str = ""
    zone: str = ALL
    kind: str = ALL
    active: str = "yes"
    occupied: str = ALL
    page: int = 1
    rows_per_page: int = PAGE_SIZES[1]
    sort_by: str = "route_sequence"
    descending: bool = False
    request_no: int = 0

    def filters(self) -> LocationFilter:
        return LocationFilter(
            q=self.q, kind=self.kind or None, zone=self.zone or None,
            active=_FLAG.get(self.active), occupied=_FLAG.get(self.occupied),
        )  # fmt: skip

    def address(self) -> str:
        defaults = MapState()
        params = {
            name: getattr(self, name)
            for name in ("q", "zone", "kind", "active", "occupied")
            if getattr(self, name) != getattr(defaults, name)
        }
        return f"{PATH}?{urlencode(params)}" if params else PATH


def fetch(engine: Engine, state: MapState) -> Page:
    return locations(
        engine, state.filters(), limit=state.rows_per_page,
        offset=(state.page - 1) * state.rows_per_page, sort=state.sort_by,
        descending=state.descending,
    )  # fmt: skip


def labels_for(engine: Engine, flt: LocationFilter) -> list[Label]:
    """Labels of every location the filters show, in route order (at most MAX_LABELS)."""
    found: list[Label] = []
    while len(found) < MAX_LABELS:
        page = locations(engine, flt, limit=MAX_PAGE, offset=len(found))
        found.extend(Label(row["code"], row["name"]) for row in page.items)
        if len(page.items) < MAX_PAGE:
            break
    return found[:MAX_LABELS]


def _row(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": item["id"],
        "code": item["code"],
        "name": item["name"],
        "kind": kind_label(item["kind"]),
        "warehouse": warehouse_label(item["warehouse"]),
        "zone": item["zone"] or "",
        "route_sequence": item["route_sequence"],
        "units": quantity(item["units"]) if item["units"] else "",
        "products": quantity(item["products"]) if item["products"] else "",
        "handling_units": quantity(item["handling_units"]) if item["handling_units"] else "",
        "inactive": not item["is_active"],
    }


def _columns() -> list[dict[str, Any]]:
    def column(name: str, label: str, align: str = "left", **extra: Any) -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": align,
                "sortable": name in LOCATION_SORTS, **extra}  # fmt: skip

    return [
        column("code", tr("Код", "Code")),
        column("name", tr("Название", "Name"), classes="location-name"),
        column("kind", tr("Тип", "Kind")),
        column("warehouse", tr("Склад", "Stock"), classes="gt-sm", headerClasses="gt-sm"),
        column("zone", tr("Зона", "Zone")),
        column("route_sequence", tr("Обход", "Route"), "right"),
        column("units", tr("Единиц", "Units"), "right"),
        column("products", tr("Товаров", "Products"), "right"),
        column("handling_units", tr("Паллет/кор.", "Units held"), "right", classes="gt-md",
               headerClasses="gt-md"),
    ]  # fmt: skip


# The code, and beside it a grey «отключено» for a location taken out of use.
CODE_SLOT = """
<q-td :props="props">
  <span class="text-weight-medium">{{ props.row.code }}</span>
  <q-badge v-if="props.row.inactive" color="grey-6" class="q-ml-sm" label="{inactive}" />
</q-td>
"""


CSS = """
.locations-table td.location-name { white-space: normal; min-width: 12rem; }
.locations-table tr.inactive td { color: var(--q-grey-7, #757575); font-style: italic; }
"""


def _options(choices: dict[str, tuple[str, str]]) -> dict[str, str]:
    return {key: tr(ru, en) for key, (ru, en) in choices.items()}


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, MANAGE)
    def storage_map(
        user: Identity, q: str = "", zone: str = "", kind: str = "", active: str = "yes",
        occupied: str = "",
    ) -> None:  # fmt: skip
        known_zones = zones(ctx.db.engine)
        kinds = {ALL: tr("Все типы", "All kinds")} | {
            k: tr(*labels) for k, labels in KIND_LABELS.items()
        }
        state = MapState(
            q=q.strip()[:64],
            zone=zone if zone in known_zones else ALL,
            kind=kind if kind in kinds else ALL,
            active=active if active in ACTIVE else "yes",
            occupied=occupied if occupied in OCCUPIED else ALL,
        )
        with frame(user, tr("Карта склада", "Storage map"), PATH):
            ui.add_css(CSS)
            with ui.row().classes("w-full items-center gap-2"):
                for marker, ru, en, icon, form in (
                    ("add-location", "Добавить место", "Add location", "add", location_form),
                    ("add-rack", "Стеллажи по шаблону", "Racks from a pattern", "view_module",
                     rack_form),
                    ("import-bins", "Из Excel", "From Excel", "upload_file", import_form),
                ):  # fmt: skip
                    opens = guarded(ctx, MANAGE, lambda _u, _e=None, f=form: f(ctx, reload_all))
                    button = ui.button(tr(ru, en), icon=icon, on_click=opens).mark(marker)
                    button.props("size=lg" if form is location_form else "size=lg outline")
                ui.space()
                with (
                    ui.dropdown_button(tr("Этикетки", "Labels"), icon="print")
                    .props("outline size=lg")
                    .mark("print-labels")
                ):
                    for form_name, ru, en in (
                        ("pdf", "PDF для принтера A4", "PDF for an A4 printer"),
                        ("zpl", "ZPL для термопринтера", "ZPL for a label printer"),
                    ):
                        prints = guarded(
                            ctx, MANAGE, lambda u, _e=None, f=form_name: print_labels(u, f)
                        )
                        ui.item(tr(ru, en), on_click=prints).mark(f"labels-{form_name}")
            with ui.row().classes("w-full items-center gap-3"):
                search = (
                    ui.input(tr("Код или название места", "Location code or name"), value=state.q)
                    .props(f"outlined clearable autofocus debounce={SEARCH_DEBOUNCE_MS}")
                    .classes("grow min-w-48")
                    .mark("location-search")
                )
                with search.add_slot("prepend"):
                    ui.icon("search")
                zone_options = {ALL: tr("Все зоны", "All zones")} | {z: z for z in known_zones}
                selects = {
                    "zone": ui.select(zone_options, value=state.zone, label=tr("Зона", "Zone")),
                    "kind": ui.select(kinds, value=state.kind, label=tr("Тип", "Kind")),
                    "active": ui.select(_options(ACTIVE), value=state.active,
                                        label=tr("Состояние", "State")),
                    "occupied": ui.select(_options(OCCUPIED), value=state.occupied,
                                          label=tr("Занятость", "Occupancy")),
                }  # fmt: skip
                for name, element in selects.items():
                    element.props("outlined").classes("min-w-40").mark(f"filter-{name}")
            with ui.row().classes("items-baseline gap-3"):
                found = ui.label().classes("text-body2 text-grey-7").mark("locations-found")
                searched_for = ui.label().classes("text-body2 text-weight-medium")
                ui.label(
                    tr("Обход: по возрастанию номера; стеллажи по шаблону — змейкой.",
                       "Route: by rising number; racks from a pattern snake along.")
                ).classes("text-body2 text-grey-7 gt-sm")  # fmt: skip
            table = server_table(
                _columns(), row_key="id", name="locations-table",
                rows_per_page=state.rows_per_page,
                empty_text=tr("Мест не найдено", "No locations found"),
                sort_by=state.sort_by, descending=state.descending,
            )  # fmt: skip
            table.props[":table-row-class-fn"] = "row => row.inactive ? 'inactive' : ''"
            table.add_slot(
                "body-cell-code", CODE_SLOT.replace("{inactive}", tr("отключено", "inactive"))
            )

        def show(page: Page) -> None:
            table.rows = [_row(item) for item in page.items]
            table.pagination = {
                "page": state.page, "rowsPerPage": state.rows_per_page,
                "sortBy": state.sort_by, "descending": state.descending,
                "rowsNumber": page.total,
            }  # fmt: skip
            found.text = tr("Мест: ", "Locations: ") + quantity(page.total)
            searched_for.set_text(searched_for_note(page.searched_for))
            searched_for.set_visibility(page.searched_for is not None)

        async def reload(*, filters_changed: bool = False) -> None:
            if filters_changed:
                ui.navigate.history.replace(state.address())

            async def answer() -> Page | None:
                return await run.io_bound(fetch, ctx.db.engine, state)

            page = await load_page(state, answer, lambda page: page.total)
            if page is not None:
                show(page)

        async def reload_all() -> None:
            """After a change on this page: new zones join the filter too."""
            options = {ALL: tr("Все зоны", "All zones")}
            options |= {z: z for z in await run.io_bound(zones, ctx.db.engine) or []}
            selects["zone"].set_options(options, value=state.zone if state.zone in options else ALL)
            await reload()

        async def on_request(_user: Identity, event: Any) -> None:
            pagination = take_pagination(state, event.args)
            sort_by = pagination.get("sortBy")
            state.sort_by = sort_by if sort_by in LOCATION_SORTS else "route_sequence"
            state.descending = bool(pagination.get("descending")) and sort_by in LOCATION_SORTS
            await reload()

        async def on_search(_user: Identity, event: Any) -> None:
            if take_search(state, event):
                await reload(filters_changed=True)

        async def on_filter(_user: Identity, name: str, value: Any) -> None:
            setattr(state, name, value or ALL)
            state.page = 1
            await reload(filters_changed=True)

        async def print_labels(user: Identity, form: str) -> None:
            labels = await run.io_bound(labels_for, ctx.db.engine, state.filters())
            if not labels:
                ui.notify(tr("Нет мест для печати", "No locations to print"), position="top")
                return
            offer_labels(user, labels, form, "labels")

        def open_card(_user: Identity, event: Any) -> None:
            location_card(ctx, int(event.args), reload_all)

        search.on_value_change(guarded(ctx, MANAGE, on_search))
        # A scanned bin label ends with Enter: search at once, typed in either layout.
        search.on(
            "keydown.enter", guarded(ctx, MANAGE, on_search),
            js_handler="(e) => emit(e.target.value)",
        )  # fmt: skip
        for name, element in selects.items():
            element.on_value_change(
                guarded(ctx, MANAGE, lambda _u, e, n=name: on_filter(_u, n, e.value))
            )
        table.on(
            "request", guarded(ctx, MANAGE, on_request), js_handler="(p) => emit(p.pagination)"
        )
        table.on("row-click", guarded(ctx, MANAGE, open_card),
                 js_handler="(evt, row) => emit(row.id)")  # fmt: skip
        refresh_on_ledger_change(ctx, reload, action=MANAGE)
        show(fetch(ctx.db.engine, state))
