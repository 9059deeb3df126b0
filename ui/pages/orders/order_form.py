"""A new order typed in by a manager (/orders/new): its number, marketplace, kind and
priority, a DC for a supply or the recipient for a customer order, and its lines — a
scanner adds a product by its barcode (again: one more unit), or the picker finds it by
name. «Сохранить» keeps it `new` (reserved later from its card); «Создать и
зарезервировать» reserves at once, as POST /orders does. core.orders checks everything;
a refusal is shown with its message and nothing is written."""

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from nicegui import run, ui

from core.errors import DomainError
from core.orders.orders import LineRequest, OrderRequest, create_order
from core.orders.ports import ShipTo
from core.users.auth import Identity
from core.users.policy import Action
from data.catalog.queries import distribution_centers, product_by_code, sources
from data.orders.queries import product_row
from ui.components.feedback import show_error
from ui.components.product_picker import ProductPicker
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.pages.orders.labels import kind_options, priority_label
from ui.session import guarded


@dataclass
class Line:
    product_id: int
    label: str
    quantity: int


class OrderForm:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.lines: list[Line] = []
        self.key = uuid4().hex  # a double click creates one order

    def build(self) -> None:
        engine = self.ctx.db.engine
        with ui.row().classes("w-full items-start gap-3 flex-wrap"):
            self.external_id = (
                ui.input(tr("Номер заказа", "Order number"))
                .props("outlined maxlength=128")
                .classes("min-w-56")
                .mark("order-external-id")
            )
            markets = {s["id"]: s["name"] for s in sources(engine, active_only=True)}
            self.source = ui.select({None: "—", **markets}, value=None,
                                    label=tr("Маркетплейс", "Marketplace")).props(
                "outlined").classes("min-w-56").mark("order-source")  # fmt: skip
            self.kind = (
                ui.select(kind_options(), value="customer", label=tr("Вид", "Kind"))
                .props("outlined")
                .classes("min-w-64")
                .mark("order-kind")
            )
            priorities = {p: priority_label(p) for p in ("low", "normal", "high", "urgent")}
            self.priority = ui.select(priorities, value="normal",
                                      label=tr("Приоритет", "Priority")).props(
                "outlined").classes("min-w-40").mark("order-priority")  # fmt: skip
        dcs = {d["id"]: f"{d['source_name']} · {d['name']}"
               for d in distribution_centers(engine, active_only=True)}  # fmt: skip
        self.dc = (
            ui.select(dcs, value=None, label=tr("РЦ поставки", "Destination DC"))
            .props("outlined")
            .classes("min-w-80")
            .mark("order-dc")
        )
        self.dc.bind_visibility_from(self.kind, "value", value="supply")
        with ui.row().classes("w-full items-start gap-3 flex-wrap") as recipient:
            self.ship_name = ui.input(tr("Получатель", "Recipient")).props("outlined")
            self.ship_phone = ui.input(tr("Телефон", "Phone")).props("outlined")
            self.ship_address = (
                ui.input(tr("Адрес", "Address")).props("outlined").classes("min-w-80")
            )
            self.ship_city = ui.input(tr("Город", "City")).props("outlined")
        recipient.bind_visibility_from(self.kind, "value", value="customer")

        ui.label(tr("Строки", "Lines")).classes("text-subtitle1")
        with ui.row().classes("w-full items-center gap-3 flex-wrap"):
            self.scan = (
                ScanField(tr("Сканируйте штрихкод", "Scan a barcode"),
                          guarded(self.ctx, Action.MANAGE_ORDERS, self._scanned), route_keys=False)
                .props(remove="input-class").props("clearable").classes("min-w-64")
                .mark("order-scan")
            )  # fmt: skip
            self.picker = ProductPicker(self.ctx, Action.MANAGE_ORDERS,
                                        label=tr("или найдите товар", "or find a product"),
                                        on_pick=self._picked)  # fmt: skip
        self.table()
        with ui.row().classes("w-full justify-end gap-2"):
            ui.button(tr("Сохранить", "Save"), icon="save",
                      on_click=guarded(self.ctx, Action.MANAGE_ORDERS, self._save)).props(
                "outline size=lg").mark("order-save")  # fmt: skip
            ui.button(tr("Создать и зарезервировать", "Create and reserve"), icon="lock",
                      on_click=guarded(self.ctx, Action.MANAGE_ORDERS, self._save_reserved),
                      ).props("unelevated size=lg").mark("order-create")  # fmt: skip

    @ui.refreshable_method
    def table(self) -> None:
        if not self.lines:
            ui.label(tr("Строк пока нет: отсканируйте товар", "No lines yet: scan a product"))
            return
        with ui.column().classes("w-full gap-1").mark("order-form-lines"):
            for line in self.lines:
                with ui.row().classes("w-full items-center gap-3"):
                    ui.label(line.label).classes("grow min-w-0")
                    ui.number(value=line.quantity, min=1, step=1, precision=0,
                              on_change=lambda e, x=line: self._quantity(x, e.value)).props(
                        "outlined dense").classes("w-28")  # fmt: skip
                    ui.button(icon="delete", on_click=lambda x=line: self._remove(x)).props(
                        f'flat round aria-label="{tr("Удалить строку", "Remove the line")}"'
                    )

    def _add(self, product: dict[str, Any]) -> None:
        for line in self.lines:
            if line.product_id == product["id"]:
                line.quantity += 1
                break
        else:
            label = f"{product['name']} · {product['sku']} · {product['barcode']}"
            self.lines.append(Line(product["id"], label, 1))
        self.table.refresh()

    async def _scanned(self, _user: Identity, code: str) -> None:
        product = await run.io_bound(product_by_code, self.ctx.db.engine, code)
        if product is None:
            ui.notify(tr(f"Товар {code} не найден", f"No product {code}"), type="negative",
                      position="top")  # fmt: skip
            return
        self._add(product)

    def _picked(self, product_id: int | None) -> None:
        if product_id is None:
            return
        row = product_row(self.ctx.db.engine, product_id)
        if row is not None:
            self._add(row)

    def _quantity(self, line: Line, value: Any) -> None:
        line.quantity = int(value) if value else 0

    def _remove(self, line: Line) -> None:
        self.lines.remove(line)
        self.table.refresh()

    def _request(self) -> OrderRequest:
        customer = self.kind.value == "customer"
        ship_to = ShipTo(name=self.ship_name.value or None, phone=self.ship_phone.value or None,
                         address=self.ship_address.value or None,
                         city=self.ship_city.value or None) if customer else None  # fmt: skip
        return OrderRequest(
            self.external_id.value, self.kind.value,
            [LineRequest(x.quantity, product_id=x.product_id) for x in self.lines],
            source_id=self.source.value, priority=self.priority.value, ship_to=ship_to,
            distribution_center_id=None if customer else self.dc.value,
        )  # fmt: skip

    async def _create(self, user: Identity, confirm: bool) -> None:
        request = self._request()
        try:
            done = await run.io_bound(
                lambda: create_order(
                    self.ctx.db.unit_of_work(),
                    request,
                    user.id,
                    confirm=confirm,
                    idempotency_key=self.key,
                )
            )
        except DomainError as failure:
            show_error(failure)
            return
        units = quantity(done.order.units)
        ui.notify(tr(f"Заказ {done.order.external_id} создан: {units} шт.",
                     f"Order {done.order.external_id} created: {units} units"),
                  type="positive", position="top")  # fmt: skip
        ui.navigate.to(f"/orders/{done.order.id}")

    async def _save(self, user: Identity, *_: Any) -> None:
        await self._create(user, confirm=False)

    async def _save_reserved(self, user: Identity, *_: Any) -> None:
        await self._create(user, confirm=True)
