"""Orders for managers (/orders): the list, newest first, one page at a time from the
server, with filters by status, kind, marketplace, period of creation and overdue, and a
search by the order's number (by its start; a scanner types it and Enter), all kept in
the address (ui.pages.orders.list_filters); overdue rows are marked. A row opens the
order's card (/orders/{id}). Live: reservations made when stock arrives show up as they happen."""

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from nicegui import run, ui

from core.orders.ports import Order
from core.orders.rules import is_overdue
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import sources
from data.orders.queries import OrderPage, order, orders
from ui import live
from ui.components.marking_codes import period_dialog
from ui.components.tables import PAGE_SIZES, load_page, server_table, take_pagination
from ui.context import AppContext
from ui.formatting import format_time, quantity
from ui.i18n import tr
from ui.layout import frame
from ui.pages.orders.labels import (
    kind_options,
    priority_label,
    short_kind,
    status_label,
    status_options,
)
from ui.pages.orders.list_filters import ListFilters
from ui.pages.orders.order_card import OrderCard
from ui.pages.orders.order_form import OrderForm
from ui.pages.stock.journal_filters import DATE_MASK, parse_day, show_day
from ui.session import guarded, protected_page

PATH = "/orders"
ALL = ""


@dataclass
class ListState:
    page: int = 1
    rows_per_page: int = PAGE_SIZES[1]
    request_no: int = 0  # only the newest answer is shown when requests overlap


def units(o: Order) -> str:
    reserved = sum(line.reserved for line in o.lines)
    return f"{quantity(reserved)} / {quantity(o.units)}"


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.MANAGE_ORDERS)
    def orders_page(
        user: Identity,
        status: str = ALL,
        kind: str = ALL,
        source_id: str = ALL,
        created_from: str = ALL,
        created_to: str = ALL,
        overdue: str = ALL,
        number: str = ALL,
    ) -> None:
        params = {
            "status": status, "kind": kind, "source_id": source_id, "overdue": overdue,
            "created_from": created_from, "created_to": created_to, "number": number,
        }  # fmt: skip
        with frame(user, tr("Заказы", "Orders"), PATH):
            OrderList(ctx, ListFilters.from_query(params)).build()

    @protected_page(ctx, "/orders/new", Action.MANAGE_ORDERS)  # before /orders/{id}
    def new_order_page(user: Identity) -> None:
        with frame(user, tr("Новый заказ", "New order"), PATH):
            OrderForm(ctx).build()

    @protected_page(ctx, "/orders/{order_id}", Action.MANAGE_ORDERS)
    def order_card_page(user: Identity, order_id: str) -> None:
        found = _order(ctx, order_id)
        title = tr(f"Заказ {found.external_id}", f"Order {found.external_id}") if found else ""
        with frame(user, title or tr("Заказ", "Order"), PATH):
            if found is None:
                ui.label(tr("Заказ не найден", "Order not found")).classes("text-h6").mark(
                    "not-found"
                )
                ui.link(tr("Все заказы", "All orders"), PATH)
            else:
                OrderCard(ctx, found.id).build()


def _order(ctx: AppContext, order_id: str) -> Order | None:
    if not order_id.isdigit() or len(order_id) > 9:
        return None
    return order(ctx.db.engine, int(order_id))


def _columns() -> list[dict[str, Any]]:
    def column(name: str, label: str, align: str = "left", **extra: Any) -> dict[str, Any]:
        return {"name": name, "label": label, "field": name, "align": align, **extra}

    wide = {"classes": "gt-sm", "headerClasses": "gt-sm"}  # not on a tablet: no room

    return [
        column("external_id", tr("Номер", "Number")),
        column("source", tr("Маркетплейс", "Marketplace")),
        column("kind", tr("Вид", "Kind")),
        column("status", tr("Статус", "Status")),
        column("priority", tr("Приоритет", "Priority")),
        column("lines", tr("Строк", "Lines"), "right", **wide),
        column("units", tr("Резерв / всего", "Held / total"), "right"),
        column("created", tr("Создан", "Created")),
    ]


def created_cell() -> str:
    """The creation time, with a red badge on an overdue order's row."""
    badge = tr("Просрочен", "Overdue")
    return (
        '<q-td :props="props">{{ props.value }}'
        f'<q-badge v-if="props.row.overdue" color="negative" class="q-ml-sm">{badge}</q-badge>'
        "</q-td>"
    )


class OrderList:
    def __init__(self, ctx: AppContext, filters: ListFilters) -> None:
        self.ctx = ctx
        self.state = ListState()
        self.filters = filters

    def build(self) -> None:
        f = self.filters
        with ui.row().classes("w-full items-center gap-3 flex-wrap"):
            self._select("status", {ALL: tr("Все статусы", "All statuses"), **status_options()},
                         tr("Статус", "Status"), f.status)  # fmt: skip
            self._select("kind", {ALL: tr("Все виды", "All kinds"), **kind_options()},
                         tr("Вид", "Kind"), f.kind)  # fmt: skip
            marketplaces = {ALL: tr("Все маркетплейсы", "All marketplaces")}
            marketplaces |= {s.id: s.name for s in sources(self.ctx.db.engine)}
            self._select("source_id", marketplaces, tr("Маркетплейс", "Marketplace"), f.source_id)
            self.created_from = self._date(tr("Создан с", "Created from"), f.created_from,
                                           "filter-created-from")  # fmt: skip
            self.created_to = self._date(tr("Создан по", "Created to"), f.created_to,
                                         "filter-created-to")  # fmt: skip
            overdue = ui.checkbox(tr("Просроченные", "Overdue"), value=f.overdue)
            overdue.mark("filter-overdue").on_value_change(
                lambda e: self._go(replace(self.filters, overdue=bool(e.value)))
            )
            self.number = ui.input(tr("Номер заказа", "Order number"), value=f.number or "")
            self.number.props("outlined clearable").classes("min-w-56").mark("filter-number")
            for event in ("keydown.enter", "blur", "clear"):
                self.number.on(event, self._number_done)
            ui.space()
            self.found = ui.label().classes("text-body1").mark("orders-found")
            codes = period_dialog(self.ctx)
            ui.button(tr("Коды маркировки", "Marking codes"), icon="qr_code_2",
                      on_click=codes.open).props("outline size=lg").mark(
                "codes-period")  # fmt: skip
            ui.button(tr("Новый заказ", "New order"), icon="add",
                      on_click=lambda: ui.navigate.to(f"{PATH}/new")).props(
                "unelevated size=lg").mark("new-order")  # fmt: skip
        self.table = server_table(
            _columns(), row_key="id", name="orders-table", rows_per_page=self.state.rows_per_page,
            empty_text=tr("Заказов нет", "No orders"),
        )  # fmt: skip
        self.table.add_slot("body-cell-created", created_cell())
        self.table.on("request", guarded(self.ctx, Action.MANAGE_ORDERS, self._on_request),
                      js_handler="(p) => emit(p.pagination)")  # fmt: skip
        self.table.on(
            "row-click",
            lambda e: ui.navigate.to(f"{PATH}/{int(e.args)}"),
            js_handler="(evt, row) => emit(row.id)",
        )
        live.refresh_on_ledger_change(self.ctx, self.reload, action=Action.MANAGE_ORDERS)
        self.show(self._read())

    def _select(self, name: str, options: dict[Any, str], label: str, value: Any) -> None:
        select = ui.select(options, value=value if value in options else ALL, label=label)
        select.props("outlined").classes("min-w-56").mark(f"filter-{name}")
        select.on_value_change(
            lambda e, n=name: self._go(replace(self.filters, **{n: e.value or None}))
        )

    def _date(self, label: str, value: date | None, marker: str) -> ui.date_input:
        field = ui.date_input(label, value=show_day(value)).props("outlined clearable")
        field.mark(marker).picker.props(f'mask="{DATE_MASK}"')
        field.props(f'error-message="{tr("Дата вида 22.11.2026", "A date like 22.11.2026")}"')
        # A picked or fully typed date applies at once; a wrong one is flagged when the
        # field is left or Enter pressed (not while the digits are still being typed).
        field.on_value_change(lambda: self._dates_done(flag=False))
        for event in ("blur", "keydown.enter", "clear"):
            field.on(event, lambda: self._dates_done(flag=True))
        return field

    def _dates_done(self, *, flag: bool) -> None:
        days = {}
        for name, field in (("created_from", self.created_from), ("created_to", self.created_to)):
            text = (field.value or "").strip()
            days[name] = parse_day(text) if text else None
            if text and days[name] is None:
                if not flag:
                    return  # still being typed
                field.props("error")
                return
            field.props(remove="error")
        self._go(replace(self.filters, **days))

    def _number_done(self) -> None:
        number = (self.number.value or "").strip() or None
        self._go(replace(self.filters, number=number))

    def _go(self, filters: ListFilters) -> None:
        if filters == self.filters:
            return
        query = filters.query()
        ui.navigate.to(PATH + (f"?{query}" if query else ""))

    def _read(self) -> OrderPage:
        size = self.state.rows_per_page
        settings = self.ctx.settings
        self.now = datetime.now(UTC)
        where = self.filters.arguments(settings.time_zone, settings.order_overdue_hours, self.now)
        offset = (self.state.page - 1) * size
        return orders(self.ctx.db.engine, **where, limit=size, offset=offset)

    async def _fetch(self) -> OrderPage | None:
        return await run.io_bound(self._read)

    async def reload(self) -> None:
        page = await load_page(self.state, self._fetch, lambda page: page.total)
        if page is not None:
            self.show(page)

    async def _on_request(self, _user: Identity, event: Any) -> None:
        take_pagination(self.state, event.args)
        await self.reload()

    def show(self, page: OrderPage) -> None:
        zone = self.ctx.settings.time_zone
        hours = self.ctx.settings.order_overdue_hours
        self.table.rows = [
            {
                "id": o.id,
                "external_id": o.external_id,
                "source": o.source_name or "—",
                "kind": short_kind(o.kind),
                "status": status_label(o.status),
                "priority": priority_label(o.priority),
                "lines": len(o.lines),
                "units": units(o),
                "created": format_time(o.created_at, zone),
                "overdue": is_overdue(o.status, o.created_at, self.now, hours),
            }
            for o in page.items
        ]
        self.table.pagination = {"page": self.state.page, "rowsPerPage": self.state.rows_per_page,
                                 "rowsNumber": page.total}  # fmt: skip
        self.found.text = tr("Заказов: ", "Orders: ") + quantity(page.total)
