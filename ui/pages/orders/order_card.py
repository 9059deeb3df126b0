"""An order's card for managers (/orders/{id}): what it is, its lines with what is held,
its reservations by bin (in the order a picker walks), what came back after shipping
(returns, /returns), its Честный ЗНАК codes with their files, its timeline (every step,
who and when), and the steps its state allows — reserve now (a new or waiting order)
and cancel with a reason. core.orders decides; a refusal is shown with its message."""

from typing import Any, NamedTuple

from nicegui import run, ui

from core.errors import DomainError
from core.orders.orders import cancel_order, confirm_order
from core.orders.packing_ports import PackTask
from core.orders.picking_ports import PickTask
from core.orders.ports import Order
from core.orders.quality_ports import QcTask
from core.orders.return_ports import ReturnedUnits
from core.orders.rules import Status
from core.states import ORDER, PickingStatus
from core.users.auth import Identity
from core.users.policy import Action
from data.events.carriers import REFUSED_STEP, shipping_label_url
from data.marking.queries import CodeRow, order_codes
from data.orders.quality import order_checks
from data.orders.queries import carriers, history, order
from data.orders.returns import order_returns
from data.packing.queries import task as packing_task
from data.picking.queries import latest_picking
from ui.components.feedback import show_done, show_error
from ui.components.marking_codes import codes_table
from ui.components.order_checks import checks_section
from ui.components.order_returns import returns_table
from ui.components.tables import clamp_names
from ui.context import AppContext
from ui.formatting import format_time, quantity
from ui.i18n import language, tr
from ui.live import refresh_on_ledger_change
from ui.pages.orders.labels import kind_label, priority_badge, status_badge, step_label
from ui.pages.orders.order_packing import packages_table, packing_summary
from ui.session import guarded

POLL_SECONDS = 5.0  # steps that move no stock (a reservation, a cancel) made elsewhere


class CardData(NamedTuple):
    order: Order | None
    picking: tuple[PickTask, ...]  # its latest picking: one task, or one per zone
    packing: PackTask | None
    history: tuple[Any, ...]
    label_url: str | None = None  # the delivery service's label (data.events.carriers)
    returns: tuple[ReturnedUnits, ...] = ()  # what came back after shipping (/returns)
    checks: tuple[QcTask, ...] = ()  # its quality checks, with photos (/qc)
    codes: tuple[CodeRow, ...] = ()  # its Честный ЗНАК codes (ui.components.marking_codes)


class OrderCard:
    def __init__(self, ctx: AppContext, order_id: int) -> None:
        self.ctx = ctx
        self.order_id = order_id
        self.zone = ctx.settings.time_zone

    def build(self) -> None:
        self.carriers = {c.code: c.name for c in carriers(self.ctx.db.engine)}
        self.shown = self._read()
        self.body()
        self._cancel_dialog()
        refresh_on_ledger_change(self.ctx, self.reload, action=Action.MANAGE_ORDERS)
        ui.timer(POLL_SECONDS, guarded(self.ctx, Action.MANAGE_ORDERS, self._poll))

    def _read(self) -> CardData:
        """Everything the card shows, read in one go (off the event loop once drawn)."""
        found = order(self.ctx.db.engine, self.order_id)
        if found is None:
            return CardData(None, (), None, ())
        picking = latest_picking(self.ctx.db.engine, found.picking_task_id)
        packing = packing_task(self.ctx.db.engine, found.packing_task_id) \
            if found.packing_task_id else None  # fmt: skip
        steps = tuple(history(self.ctx.db.engine, self.order_id))
        label = shipping_label_url(self.ctx.db.engine, self.order_id)
        back = tuple(order_returns(self.ctx.db.engine, self.order_id))
        checks = tuple(order_checks(self.ctx.db.engine, self.order_id))
        codes = tuple(order_codes(self.ctx.db.engine, self.order_id))
        return CardData(found, picking, packing, steps, label, back, checks, codes)

    async def _poll(self, _user: Identity) -> None:
        await self.reload()

    async def reload(self, *, always: bool = False) -> None:
        """Drawn again only when something it shows changed: a redraw under the manager's
        finger would swallow a click (the button it landed on is gone)."""
        fresh = await run.io_bound(self._read)
        if always or fresh != self.shown:
            self.shown = fresh
            self.body.refresh()

    @ui.refreshable_method
    def body(self) -> None:
        found = self.shown.order
        if found is None:
            ui.label(tr("Заказ не найден", "Order not found")).classes("text-h6")
            return
        self.packing = self.shown.packing
        self._header(found)
        self._actions(found)
        self._lines(found)
        returns_table(self.shown.returns, self.zone)
        checks_section(self.shown.checks, self.zone)
        packages_table(self.ctx, self.packing)
        codes_table(self.ctx, self.order_id, self.shown.codes, self.zone)
        self._reservations(found)
        self._history()

    @staticmethod
    def _task_line(found: PickTask) -> str:
        """A picking task: number, zone, status, items done, its wave and batch."""
        state = PickingStatus(found.status).label(language())
        zone = tr(f" (зона {found.zone})", f" (zone {found.zone})") if found.zone else ""
        text = f"№{found.id}{zone} · {state} · {found.picked_items}/{found.total_items}"
        if found.wave_id:
            text += tr(f" · волна №{found.wave_id}", f" · wave {found.wave_id}")
        if found.batch_id:
            text += tr(f" · партия №{found.batch_id}, ячейка {found.batch_slot}",
                       f" · batch {found.batch_id}, slot {found.batch_slot}")  # fmt: skip
        return text

    def _picking(self, _o: Order) -> str:
        """The order's picking task; its zones' tasks get a block of their own."""
        tasks = self.shown.picking
        return self._task_line(tasks[0]) if len(tasks) == 1 else ""

    def _zone_tasks(self) -> None:
        """A wave split the order per zone: a line per zone's task."""
        if len(self.shown.picking) < 2:
            return
        with ui.column().classes("gap-0").mark("order-zone-tasks"):
            ui.label(tr("Сборка по зонам", "Picking by zone")).classes("text-caption text-grey-7")
            for found in self.shown.picking:
                ui.label(self._task_line(found)).classes("text-body1")

    def _until(self, o: Order) -> str:
        """When the reservation expires (WMS_RESERVATION_TTL_MINUTES); once picking has
        begun it no longer does (core.orders.expiry)."""
        return format_time(o.reserved_until, self.zone) if o.status == "reserved" else ""

    def _header(self, o: Order) -> None:
        with ui.row().classes("w-full items-center gap-3 flex-wrap").mark("order-header"):
            ui.label(f"{kind_label(o.kind)} {o.external_id}").classes("text-h5")
            status_badge(o.status).mark("order-status")
            priority_badge(o.priority)
        address = ", ".join(
            v for v in (o.ship_to.__dict__.values() if o.ship_to else ()) if v
        )  # name, phone, address, city, postal code, country as given
        facts = [
            (tr("Маркетплейс", "Marketplace"), o.source_name or ""),
            (tr("Перевозчик", "Carrier"), self.carriers.get(o.carrier or "", o.carrier or "")),
            (tr("Получатель", "Ship to"), address),
            (tr("Трек-номер", "Tracking number"), o.tracking_number or ""),
            (tr("Создан", "Created"), format_time(o.created_at, self.zone)),
            (tr("Зарезервирован", "Reserved"), format_time(o.confirmed_at, self.zone)),
            (tr("Резерв до", "Reserved until"), self._until(o)),
            (tr("Отменён", "Cancelled"), format_time(o.cancelled_at, self.zone)),
            (tr("Причина отмены", "Cancel reason"), o.cancel_reason or ""),
            (tr("Сборка", "Picking"), self._picking(o)),
            (tr("Упаковка", "Packing"), packing_summary(self.packing)),
        ]
        with (
            ui.element("div")
            .classes("w-full grid gap-x-6 gap-y-1")
            .style("grid-template-columns: repeat(auto-fill, minmax(220px, 1fr))")
        ):
            for label, value in facts:
                if value:
                    with ui.column().classes("gap-0"):
                        ui.label(label).classes("text-caption text-grey-7")
                        ui.label(value).classes("text-body1")
        self._zone_tasks()
        self._delivery(o)
        if o.status == Status.AWAITING_STOCK:
            ui.label(tr(
                "Товара не хватает: ничего не зарезервировано. Заказ зарезервируется сам, "
                "когда товар поступит.",
                "Not enough stock: nothing is held. The order is reserved by itself when "
                "stock arrives.",
            )).classes("text-body1 text-orange-9").mark("order-waiting")  # fmt: skip

    def _delivery(self, o: Order) -> None:
        """An order whose shipment the delivery service creates once packed: waiting for
        it (the floor may still ship with a typed number), or its label."""
        if o.kind != "customer" or not self.ctx.settings.delivery_serves(o.carrier):
            return
        refused = next((row.step for row in reversed(self.shown.history)
                        if row.step.action == REFUSED_STEP), None)  # fmt: skip
        if o.status == Status.PACKED and not o.tracking_number and refused is not None:
            said = tr(f"{refused.details}. Введите трек-номер при отгрузке.",
                      f"{refused.details}. Type the tracking number when shipping.")  # fmt: skip
            ui.label(said).classes("text-body1 text-negative").mark("order-carrier-refused")
        elif o.status == Status.PACKED and not o.tracking_number:
            ui.label(tr("Ожидает перевозчика: служба доставки ещё не выдала трек-номер",
                        "Waiting for the carrier: the delivery service has not issued the "
                        "tracking number yet")).classes("text-body1 text-orange-9").mark(
                "order-waiting-carrier")  # fmt: skip
        elif self.shown.label_url:
            ui.link(tr("Этикетка перевозчика", "Carrier's label"), self.shown.label_url,
                    new_tab=True).classes("text-body1").mark("order-carrier-label")  # fmt: skip

    def _actions(self, o: Order) -> None:
        allowed = ORDER.allowed(o.status)
        with ui.row().classes("w-full items-center gap-2 flex-wrap").mark("order-actions"):
            if o.status in (Status.NEW, Status.AWAITING_STOCK):
                text = (tr("Зарезервировать", "Reserve") if o.status == Status.NEW
                        else tr("Проверить остаток сейчас", "Try to reserve now"))  # fmt: skip
                ui.button(text, icon="lock", on_click=self._step(self._confirm)).props(
                    "unelevated size=lg"
                ).mark("order-confirm")
            if Status.CANCELLED in allowed:
                ui.button(
                    tr("Отменить заказ", "Cancel the order"), icon="block",
                    on_click=lambda: self.cancel_dialog.open(),
                ).props("flat color=negative size=lg").mark("order-cancel")  # fmt: skip

    def _step(self, action: Any, after: Any = None) -> Any:
        """A button's handler: `action(user)` off the event loop, its refusal shown, the
        card read again; `after()` when it was done."""

        async def run_step(user: Identity, *_: Any) -> None:
            try:
                message = await run.io_bound(action, user)
            except DomainError as failure:
                show_error(failure)
            else:
                show_done(message)
                if after is not None:
                    after()
            await self.reload(always=True)

        return guarded(self.ctx, Action.MANAGE_ORDERS, run_step,
                       ids=lambda: {"order_id": self.order_id})  # fmt: skip

    def _confirm(self, user: Identity) -> str:
        done = confirm_order(self.ctx.db.unit_of_work(), self.order_id, user.id)
        if done.order.status == Status.RESERVED:
            return tr("Товар зарезервирован", "Stock reserved")
        return tr("Товара не хватает: заказ ждёт поступления", "Not enough stock: the order waits")

    def _cancel_dialog(self) -> None:
        with ui.dialog() as self.cancel_dialog, ui.card().classes("w-[30rem] max-w-full gap-3"):
            ui.label(tr("Отменить заказ?", "Cancel the order?")).classes("text-h6")
            ui.label(tr("Весь резерв заказа будет снят.",
                        "Everything held for the order is released.")).classes(
                "text-body2 text-grey-8"
            )  # fmt: skip
            reason = (
                ui.input(tr("Причина", "Reason"))
                .props("outlined maxlength=500")
                .classes("w-full")
                .mark("cancel-reason")
            )

            def cancel_it(user: Identity) -> str:
                cancel_order(self.ctx.db.unit_of_work(), self.order_id, reason.value, user.id)
                return tr("Заказ отменён", "Order cancelled")

            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Не отменять", "Keep it"), on_click=self.cancel_dialog.close).props(
                    "flat size=lg"
                )
                ui.button(
                    tr("Отменить заказ", "Cancel the order"),
                    on_click=self._step(cancel_it, self.cancel_dialog.close),
                ).props("unelevated color=negative size=lg").mark("cancel-confirm")

    def _lines(self, o: Order) -> None:
        def column(name: str, label: str, align: str = "right", **extra: Any) -> dict[str, Any]:
            return {"name": name, "label": label, "field": name, "align": align, **extra}

        columns = [
            column("sequence", "№", "left"), column("product", tr("Товар", "Product"), "left"),
            column("barcode", tr("Штрихкод", "Barcode"), "left", classes="gt-sm",
                   headerClasses="gt-sm"),  # a tablet has no room for it
            column("quantity", tr("Заказано", "Ordered")),
            column("reserved", tr("В резерве", "Reserved")),
            column("picked", tr("Собрано", "Picked")), column("packed", tr("Упаковано", "Packed")),
            column("shipped", tr("Отгружено", "Shipped")),
        ]  # fmt: skip
        rows = [
            {
                "id": line.id,
                "sequence": line.sequence,
                "product": f"{line.product_name} · {line.sku}",
                "barcode": line.barcode,
                "quantity": quantity(line.quantity),
                "reserved": quantity(line.reserved),
                "picked": quantity(line.picked),
                "packed": quantity(line.packed),
                "shipped": quantity(line.shipped),
            }
            for line in o.lines
        ]
        ui.label(tr("Строки", "Lines")).classes("text-subtitle1")
        table = ui.table(columns=columns, rows=rows, row_key="id").props("flat bordered")
        table.classes("w-full").mark("order-lines")
        table.props[":dense"] = "window.innerWidth < 1024"
        clamp_names(table, "product")  # long names: two lines, whole on hover

    def _reservations(self, o: Order) -> None:
        names = {line.id: f"{line.product_name} · {line.sku}" for line in o.lines}
        columns = [
            {"name": "location", "label": tr("Место", "Location"), "field": "location",
             "align": "left"},
            {"name": "product", "label": tr("Товар", "Product"), "field": "product",
             "align": "left"},
            {"name": "quantity", "label": tr("Шт.", "Units"), "field": "quantity"},
        ]  # fmt: skip
        rows = [
            {
                "id": r.id,
                "location": r.location_code,
                "product": names.get(r.order_line_id, ""),
                "quantity": quantity(r.quantity),
            }
            for r in o.reservations
        ]
        ui.label(tr("Резерв по местам", "Held by location")).classes("text-subtitle1")
        table = ui.table(columns=columns, rows=rows, row_key="id").props("flat bordered")
        table.props["no-data-label"] = tr("Ничего не зарезервировано", "Nothing is held")
        table.classes("w-full").mark("order-reservations")

    def _history(self) -> None:
        ui.label(tr("История", "History")).classes("text-subtitle1")
        with ui.column().classes("w-full gap-1").mark("order-history"):
            for row in self.shown.history:
                step = row.step
                with ui.row().classes("w-full items-baseline gap-x-3 gap-y-0").mark("history-step"):
                    ui.label(format_time(step.at, self.zone)).classes(
                        "text-body2 text-grey-7 w-36 shrink-0"
                    )
                    ui.label(step_label(step.action)).classes(
                        "text-body1 text-weight-medium w-48 shrink-0"
                    )
                    ui.label(step.details or "").classes("text-body1 grow min-w-0")
                    ui.label(row.username or tr("система", "system")).classes(
                        "text-body2 text-grey-8"
                    )
