"""A picking task on the tablet (/picking/{id}), item by item in route order.

For each item the bin is shown in big letters with the product and the quantity; the
worker scans the bin, scans the product, and confirms the quantity (+/−). «Не хватает»
records a short pick of what they found (the rest is released), «Пропустить» skips the
item with a reason. A wrong scan is refused at once: red flash and a buzz
(ui.components.feedback), nothing recorded. Scanner first: the scan field has the focus,
a key typed anywhere goes to it. The checks that matter are core's (core.orders.picks):
the page only leads. One idempotency key per confirmation: a repeated tap picks once.
"""

import uuid
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.orders.picking import complete_task, start_task
from core.orders.picking_ports import PickItem, PickTask
from core.orders.picks import pick_item, skip_item
from core.users.auth import Identity
from core.users.policy import Action, can
from data.orders.quality import awaits_check
from data.picking.queries import executor_of, task
from ui.components.task_run import TaskRunLayout
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.session import guarded

SKIP_REASONS = ("Ячейка пуста", "Товар повреждён", "Нет доступа к ячейке")


class PickingRun:
    def __init__(self, ctx: AppContext, user: Identity, task_id: int) -> None:
        self.ctx = ctx
        self.user = user
        self.task_id = task_id
        self.task: PickTask | None = None
        self.item: PickItem | None = None
        self.step = 0  # 0: scan the bin, 1: scan the product, 2: the quantity
        self.barcode = ""
        self.key = ""

    def build(self) -> None:
        self.layout = TaskRunLayout(self.ctx, self.user, Action.PICK, "pick")
        self.feedback = self.layout.feedback
        with self.layout.stop_box("pick-item") as self.item_box:
            self.product = ui.label().classes("text-h6 leading-tight").mark("pick-product")
            self.need = ui.label().classes("text-h4 text-weight-medium").mark("pick-need")
            self.instruction = self.layout.instruction()
            self.scan = self.layout.scan_field(self._scanned)
            self.quantity = self.layout.quantity_row(
                tr("Взято, шт.", "Taken, units"),
                most=lambda: self.item.rest if self.item is not None else None,
            )
            self.quantity.field.on("keydown.enter", guarded(self.ctx, Action.PICK, self._confirm))
            with ui.row().classes("w-full gap-3 no-wrap"):
                self.confirm_button = self.layout.confirm_button(self._confirm)
            with ui.row().classes("w-full gap-3 no-wrap"):
                self.layout.short_button(self._short).classes("grow min-h-14")
                ui.button(tr("Пропустить", "Skip"), icon="skip_next",
                          on_click=lambda: self.skip_dialog.open(),
                          ).props("outline size=lg color=grey-8").classes(
                    "grow min-h-14").mark("pick-skip")  # fmt: skip
        self.footer = self.layout.footer()
        self._skip_dialog()
        self._load()

    # --- the task and its next item --------------------------------------------------------

    def _load(self, fresh: PickTask | None = None) -> None:
        self.task = fresh or task(self.ctx.db.engine, self.task_id)
        t = self.task
        self.footer.clear()
        pending = [i for i in t.items if i.status == "pending"] if t else []
        running = t is not None and t.status == "in_progress"
        self.item = pending[0] if running and pending else None
        self.item_box.set_visibility(self.item is not None)
        if t is None:
            self.layout.show_missing(tr("Задание не найдено", "Task not found"))
            return
        self.layout.show_head(
            tr(f"Заказ {t.order_external_id}", f"Order {t.order_external_id}"),
            tr(f"{t.picked_items} из {t.total_items}", f"{t.picked_items} of {t.total_items}"),
            t.picked_items / max(t.total_items, 1),
            zone=t.zone or "",
        )
        layout = self.layout
        with self.footer:
            if t.status in ("pending", "assigned") and self._may_act(t):
                layout.big_button(tr("Начать сборку", "Start picking"), "play_arrow",
                                  guarded(self.ctx, Action.PICK, self._start),
                                  "pick-start")  # fmt: skip
            if running and not pending:
                layout.all_done(tr(f"Всё собрано: несите на {t.station_code}",
                                   f"All picked: take it to {t.station_code}"))  # fmt: skip
                layout.big_button(tr("Завершить сборку", "Complete picking"), "done_all",
                                  guarded(self.ctx, Action.PICK, self._complete),
                                  "pick-complete")  # fmt: skip
            elif t.status in ("completed", "cancelled"):
                ui.label(tr("Задание закрыто", "The task is closed")).classes("text-h6")
            layout.back_button(tr("К списку сборки", "To the picking list"), "/picking")
        if self.item is not None:
            self._begin_item()

    def _may_act(self, t: PickTask) -> bool:
        if can(self.user.role, Action.MANAGE_ORDERS):
            return True
        mine = executor_of(self.ctx.db.engine, self.user.id)
        return mine is not None and t.executor_id in (None, mine)

    def _begin_item(self) -> None:
        item, t = self.item, self.task
        assert item is not None and t is not None
        self.layout.counter.set_text(tr(f"Позиция {item.sequence} из {t.total_items}",
                                        f"Item {item.sequence} of {t.total_items}"))  # fmt: skip
        self.layout.place.set_text(item.location_code)
        self.product.set_text(f"{item.product_name} · {item.sku} · {item.barcode}")
        self.need.set_text(tr(f"Взять: {quantity(item.rest)} шт.",
                              f"Take: {quantity(item.rest)} units"))  # fmt: skip
        self.step, self.barcode, self.key = 0, "", ""
        self._show_step()

    def _show_step(self) -> None:
        asking = self.step == 2
        self.scan.set_visibility(not asking)
        self.quantity.row.set_visibility(asking)
        self.confirm_button.set_visibility(asking)
        if self.step == 0:
            self.instruction.set_text(tr("Отсканируйте ячейку", "Scan the bin"))
            self.scan.props(f'label="{tr("Сканируйте ячейку", "Scan the bin")}"')
        elif self.step == 1:
            self.instruction.set_text(tr("Отсканируйте товар", "Scan the product"))
            self.scan.props(f'label="{tr("Сканируйте товар", "Scan the product")}"')
        else:
            assert self.item is not None
            self.instruction.set_text(tr("Сколько взяли?", "How many did you take?"))
            self.quantity.field.set_value(self.item.rest)
            self.key = self.key or uuid.uuid4().hex
            self.quantity.field.run_method("focus")
            return
        self.scan.run_method("focus")

    # --- scans -----------------------------------------------------------------------------

    def _scanned(self, _user: Identity, code: str) -> None:
        item = self.item
        if item is None or self.step == 2:
            return
        if self.step == 0:
            if not self.layout.is_the_bin(code, item.location_code):
                return
        elif code != item.barcode:
            self.feedback.error(tr(f"Не тот товар: нужен {item.sku or item.product_name}",
                                   f"Wrong product: {item.sku or item.product_name}"))  # fmt: skip
            return
        else:
            self.barcode = code
        self.feedback.done()
        self.step += 1
        self._show_step()

    # --- the outcomes ----------------------------------------------------------------------

    async def _confirm(self, _user: Identity, *_: Any) -> None:
        if self.item is None or self.step != 2:
            return
        await self._pick(self.quantity.amount())

    async def _short(self, _user: Identity, *_: Any) -> None:
        item = self.item
        if item is None:
            return
        amount = self.quantity.amount() if self.step == 2 else 0
        if not self.layout.is_short(amount, item.rest):
            return
        self.key = self.key or uuid.uuid4().hex
        await self._pick(amount)

    async def _pick(self, amount: Any) -> None:
        item = self.item
        assert item is not None
        try:
            done = await run.io_bound(
                pick_item, self.ctx.db.unit_of_work(), self.task_id, item.id, amount,
                self.user.id, barcode=self.barcode or None, idempotency_key=self.key,
            )  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            if refusal.field != "quantity":
                self._load()
            return
        if done is None:
            return
        where, need = item.location_code, quantity(item.rest)
        if amount < item.rest:  # short: the rest is released, say so
            took = quantity(amount)
            self.feedback.warn(tr(f"Недостача: взято {took} из {need} шт. в {where}",
                                  f"Short: took {took} of {need} in {where}"))  # fmt: skip
        else:
            self.feedback.done(tr(f"Взято {quantity(amount)} шт. из {where}",
                                  f"Took {quantity(amount)} units from {where}"))  # fmt: skip
        self._load(done.task)

    def _skip_dialog(self) -> None:
        with ui.dialog() as self.skip_dialog, ui.card().classes("w-[32rem] max-w-full gap-3"):
            ui.label(tr("Почему пропускаете?", "Why skip?")).classes("text-h6")
            self.reason = ui.select(list(SKIP_REASONS), value=SKIP_REASONS[0],
                                    new_value_mode="add-unique").props(
                "outlined").classes("w-full").mark("skip-reason")  # fmt: skip
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(tr("Отмена", "Cancel"), on_click=self.skip_dialog.close).props(
                    "flat size=lg")  # fmt: skip
                ui.button(tr("Пропустить", "Skip"),
                          on_click=guarded(self.ctx, Action.PICK, self._skip)).props(
                    "unelevated size=lg").mark("skip-confirm")  # fmt: skip

    async def _skip(self, _user: Identity, *_: Any) -> None:
        self.skip_dialog.close()
        item = self.item
        if item is None:
            return
        try:
            done = await run.io_bound(skip_item, self.ctx.db.unit_of_work(), self.task_id,
                                      item.id, self.reason.value, self.user.id,
                                      idempotency_key=uuid.uuid4().hex)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            self._load()
            return
        if done is not None:
            self.feedback.warn(tr(f"Пропущено: {item.location_code}",
                                  f"Skipped: {item.location_code}"))  # fmt: skip
            self._load(done.task)

    async def _start(self, _user: Identity, *_: Any) -> None:
        await self._step(start_task)

    async def _complete(self, _user: Identity, *_: Any) -> None:
        if await self._step(complete_task):
            done = tr("Сборка завершена: заказ — на упаковку", "Picked: the order goes to packing")
            if await run.io_bound(awaits_check, self.ctx.db.engine, self.task_id):
                done = tr("Сборка завершена: заказ — на контроль качества",
                          "Picked: the order goes to the quality check")  # fmt: skip
            ui.notify(done, type="positive", position="top")
            ui.navigate.to("/picking")

    async def _step(self, use_case: Any) -> bool:
        try:
            done = await run.io_bound(use_case, self.ctx.db.unit_of_work(), self.task_id,
                                      self.user.id)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            self._load()
            return False
        if done is not None:
            self._load(done.task)
        return done is not None
