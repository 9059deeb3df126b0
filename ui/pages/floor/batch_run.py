"""A batch on the tablet (/batches/{id}): one stop per bin in route order.

At each stop the bin is shown in big letters; the worker scans the bin, then the product,
and puts each order's share into its slot on the cart: «В ячейку 2 — 3 шт.», confirmed
one order at a time (+/−; «Не хватает» records a short pick for that order only). Each
confirmation is that order's single-order pick (core.orders.batches.pick_in_batch), one
idempotency key per confirmation. When every stop is done, the cart goes to the packing
table's put wall (/put-wall/{id})."""

import uuid
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.orders.batches import Portion, Stop, StopProduct, pick_in_batch, stops, take_batch
from core.orders.wave_ports import Batch
from core.users.auth import Identity
from core.users.policy import Action, can
from data.picking.queries import executor_of
from data.waves.queries import batch as read_batch
from ui.components.task_run import TaskRunLayout
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.session import guarded


class BatchRun:
    def __init__(self, ctx: AppContext, user: Identity, batch_id: int) -> None:
        self.ctx = ctx
        self.user = user
        self.batch_id = batch_id
        self.stop: Stop | None = None
        self.product: StopProduct | None = None
        self.portion: Portion | None = None
        self.step = 0  # 0: scan the bin, 1: scan the product, 2: each order's share
        self.barcode = ""
        self.key = ""

    def build(self) -> None:
        self.layout = TaskRunLayout(self.ctx, self.user, Action.PICK, "batch")
        self.feedback = self.layout.feedback
        with self.layout.stop_box("batch-stop") as self.box:
            self.what = ui.label().classes("text-h6 leading-tight").mark("batch-product")
            self.shares = ui.column().classes("w-full gap-1").mark("batch-shares")
            self.instruction = self.layout.instruction()
            self.slot = (
                ui.label().classes("text-weight-bold text-primary leading-none")
                .style("font-size: clamp(2.5rem, 9vw, 4.5rem)").mark("batch-slot")
            )  # fmt: skip
            self.scan = self.layout.scan_field(self._scanned)
            self.quantity = self.layout.quantity_row(
                tr("Положено, шт.", "Put, units"),
                most=lambda: self.portion.quantity if self.portion is not None else None,
            )
            with ui.row().classes("w-full gap-3 no-wrap") as self.buttons:
                self.layout.confirm_button(self._confirm)
                self.layout.short_button(self._short).classes("min-h-16")
        self.footer = self.layout.footer()
        self._load()

    def _load(self, fresh: Batch | None = None) -> None:
        batch = fresh or read_batch(self.ctx.db.engine, self.batch_id)
        self.footer.clear()
        walk = stops(batch) if batch else []
        left = [s for s in walk if not s.done]
        self.executor = executor_of(self.ctx.db.engine, self.user.id)
        # A worker works in their own batch; managers in any (as for picking tasks).
        mine = batch is not None and (can(self.user.role, Action.MANAGE_ORDERS)
                                      or batch.executor_id in (None, self.executor))  # fmt: skip
        running = mine and batch is not None and any(
            x.task_status == "in_progress" for x in batch.lines)  # fmt: skip
        previous = self.stop.location_id if self.stop else None
        self.stop = left[0] if running and left else None
        self.box.set_visibility(self.stop is not None)
        if batch is None:
            self.layout.show_missing(tr("Партия не найдена", "Batch not found"))
            return
        done, orders = len(walk) - len(left), len(batch.task_ids)
        self.layout.show_head(tr(f"Заказов: {orders}", f"Orders: {orders}"),
                              tr(f"Остановок: {done} из {len(walk)}",
                                 f"Stops: {done} of {len(walk)}"),
                              done / max(len(walk), 1))  # fmt: skip
        layout = self.layout
        with self.footer:
            if left and not mine:
                ui.label(tr("Эта партия у другого сборщика", "Another picker has this batch")
                         ).classes("text-h5 text-negative").mark("batch-not-yours")  # fmt: skip
            elif left and not running:
                ui.label(tr("Партия ещё не взята", "Nobody has taken this batch yet")
                         ).classes("text-h5").mark("batch-not-taken")  # fmt: skip
                layout.big_button(tr("Взять партию", "Take the batch"), "shopping_basket",
                                  guarded(self.ctx, Action.PICK, self._take),
                                  "batch-take")  # fmt: skip
            elif not left:
                layout.all_done(tr("Всё собрано: везите тележку к столу упаковки — раскладка "
                                   "по заказам",
                                   "All picked: take the cart to the put wall"))  # fmt: skip
                layout.big_button(tr("Раскладка по заказам", "Put to orders"), "grid_view",
                                  lambda: ui.navigate.to(f"/put-wall/{self.batch_id}"),
                                  "batch-to-put-wall")  # fmt: skip
            layout.back_button(tr("К списку партий", "To the batches"), "/batches")
        if self.stop is None:
            return
        if self.stop.location_id != previous or self.step == 0:
            self._begin_stop(walk.index(self.stop) + 1, len(walk))
        else:
            self._next_share()

    async def _take(self, user: Identity, *_: Any) -> None:
        if self.executor is None:
            self.feedback.error(tr("Вы не привязаны к исполнителю", "No executor linked to you"))
            return
        try:
            batch = await run.io_bound(take_batch, self.ctx.db.unit_of_work, self.batch_id,
                                       self.executor, user.id)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            self._load()
            return
        self._load(batch)

    def _begin_stop(self, number: int, total: int) -> None:
        assert self.stop is not None
        self.layout.counter.set_text(tr(f"Остановка {number} из {total}",
                                        f"Stop {number} of {total}"))  # fmt: skip
        self.layout.place.set_text(self.stop.location_code)
        self.step, self.product, self.portion = 0, None, None
        self._show()

    def _next_share(self) -> None:
        """The next order's share of the scanned product, or the next product to scan."""
        assert self.stop is not None
        scanned = self.product.product_id if self.product is not None else None
        product = next((p for p in self.stop.products
                        if p.product_id == scanned and p.pending), None)  # fmt: skip
        if product is None:
            self.step, self.product, self.portion = 1, None, None
        else:
            self.step, self.product, self.portion = 2, product, product.pending[0]
            self.key = uuid.uuid4().hex
        self._show()

    def _show(self) -> None:
        stop = self.stop
        assert stop is not None
        pending = [p for p in stop.products if p.pending]
        self.shares.clear()
        with self.shares:
            for p in pending:
                parts = ", ".join(f"№{x.slot}: {quantity(x.quantity)}" for x in p.pending)
                ui.label(f"{p.name} · {p.sku} — {quantity(p.quantity)} шт. ({parts})").classes(
                    "text-body1").mark("batch-share")  # fmt: skip
        asking = self.step == 2 and self.portion is not None
        self.quantity.row.set_visibility(asking)
        self.buttons.set_visibility(asking)
        self.slot.set_visibility(asking)
        self.scan.set_visibility(not asking)
        if self.step == 0:
            self.what.set_text("")
            self.instruction.set_text(tr("Отсканируйте ячейку", "Scan the bin"))
        elif self.step == 1:
            self.what.set_text("")
            self.instruction.set_text(tr("Отсканируйте товар", "Scan the product"))
        elif self.portion is not None and self.product is not None:
            x = self.portion
            self.what.set_text(f"{self.product.name} · {self.product.sku}")
            self.instruction.set_text(tr(f"Заказ {x.order_external_id}",
                                         f"Order {x.order_external_id}"))  # fmt: skip
            self.slot.set_text(tr(f"В ячейку {x.slot} — {quantity(x.quantity)} шт.",
                                  f"Slot {x.slot}: {quantity(x.quantity)} units"))  # fmt: skip
            self.quantity.field.set_value(x.quantity)
            return
        self.scan.run_method("focus")

    def _scanned(self, _user: Identity, code: str) -> None:
        stop = self.stop
        if stop is None or self.step == 2:
            return
        if self.step == 0:
            if not self.layout.is_the_bin(code, stop.location_code):
                return
            self.feedback.done()
            self.step = 1
            self._show()
            return
        product = next((p for p in stop.products if p.barcode == code and p.pending), None)
        if product is None:
            self.feedback.error(tr("Этот товар здесь не нужен", "Not needed at this stop"))
            return
        self.feedback.done()
        self.barcode, self.product = code, product
        self._next_share()

    async def _confirm(self, _user: Identity, *_: Any) -> None:
        await self._pick(self.quantity.amount())

    async def _short(self, _user: Identity, *_: Any) -> None:
        x = self.portion
        value = self.quantity.amount()
        if x is None or not self.layout.is_short(value, x.quantity):
            return
        await self._pick(value)

    async def _pick(self, amount: Any) -> None:
        x = self.portion
        if x is None:
            return
        try:
            batch = await run.io_bound(
                pick_in_batch, self.ctx.db.unit_of_work, self.batch_id, x.item_id, amount,
                self.user.id, barcode=self.barcode or None, idempotency_key=self.key,
            )  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            if refusal.field != "quantity":
                self._load()
            return
        if isinstance(amount, int) and amount < x.quantity:
            self.feedback.warn(tr(f"Недостача у заказа {x.order_external_id}: {amount} из "
                                  f"{x.quantity} шт.",
                                  f"Short for {x.order_external_id}"))  # fmt: skip
        else:
            self.feedback.done(tr(f"В ячейку {x.slot}: {quantity(amount)} шт.",
                                  f"Slot {x.slot}: {quantity(amount)}"))  # fmt: skip
        self._load(batch)
