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
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.session import guarded

BIG = "unelevated size=xl"
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
        self.head = ui.column().classes("w-full max-w-3xl gap-2").mark("pick-head")
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        with ui.column().classes("w-full max-w-3xl gap-3").mark("pick-item") as self.item_box:
            self.counter = ui.label().classes("text-subtitle1 text-grey-8").mark("pick-counter")
            self.place = (
                ui.label().classes("text-weight-bold leading-none")
                .style("font-size: clamp(3rem, 12vw, 6.5rem); letter-spacing: .04em")
                .mark("pick-place")
            )  # fmt: skip
            self.product = ui.label().classes("text-h6 leading-tight").mark("pick-product")
            self.need = ui.label().classes("text-h4 text-weight-medium").mark("pick-need")
            self.instruction = ui.label().classes("text-h5 text-primary").mark("pick-instruction")
            self.scan = (
                ScanField(tr("Сканируйте", "Scan"), guarded(self.ctx, Action.PICK, self._scanned))
                .classes("w-full")
                .mark("pick-scan")
            )
            with ui.row().classes("w-full items-center gap-3 no-wrap") as self.quantity_row:
                ui.button(icon="remove", on_click=lambda: self._bump(-1)).props(
                    "outline size=xl").classes("min-h-16 min-w-16").mark("pick-minus")  # fmt: skip
                self.quantity = (
                    ui.number(tr("Взято, шт.", "Taken, units"), min=0, step=1, precision=0)
                    .props("outlined input-class='text-h4 text-center'").classes("grow")
                    .mark("pick-quantity")
                )  # fmt: skip
                self.quantity.on("keydown.enter", guarded(self.ctx, Action.PICK, self._confirm))
                ui.button(icon="add", on_click=lambda: self._bump(1)).props(
                    "outline size=xl").classes("min-h-16 min-w-16").mark("pick-plus")  # fmt: skip
            with ui.row().classes("w-full gap-3 no-wrap"):
                self.confirm_button = ui.button(
                    tr("Подтвердить", "Confirm"), icon="check",
                    on_click=guarded(self.ctx, Action.PICK, self._confirm),
                ).props(BIG).classes("grow min-h-16").mark("pick-confirm")  # fmt: skip
            with ui.row().classes("w-full gap-3 no-wrap"):
                ui.button(tr("Не хватает", "Short"), icon="production_quantity_limits",
                          on_click=guarded(self.ctx, Action.PICK, self._short),
                          ).props("outline size=lg color=deep-orange-9").classes(
                    "grow min-h-14").mark("pick-short")  # fmt: skip
                ui.button(tr("Пропустить", "Skip"), icon="skip_next",
                          on_click=lambda: self.skip_dialog.open(),
                          ).props("outline size=lg color=grey-8").classes(
                    "grow min-h-14").mark("pick-skip")  # fmt: skip
        self.footer = ui.column().classes("w-full max-w-3xl gap-2").mark("pick-footer")
        self._skip_dialog()
        self._load()

    # --- the task and its next item --------------------------------------------------------

    def _load(self, fresh: PickTask | None = None) -> None:
        self.task = fresh or task(self.ctx.db.engine, self.task_id)
        t = self.task
        self.head.clear()
        self.footer.clear()
        pending = [i for i in t.items if i.status == "pending"] if t else []
        running = t is not None and t.status == "in_progress"
        self.item = pending[0] if running and pending else None
        self.item_box.set_visibility(self.item is not None)
        with self.head:
            if t is None:
                ui.label(tr("Задание не найдено", "Task not found")).classes("text-h5")
                return
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(tr(f"Заказ {t.order_external_id}", f"Order {t.order_external_id}")
                         ).classes("text-h5 grow")  # fmt: skip
                if t.zone:
                    ui.badge(tr(f"Зона {t.zone}", f"Zone {t.zone}"), color="teal").classes(
                        "text-h6 px-2 py-1").mark("pick-zone")  # fmt: skip
                ui.label(tr(f"{t.picked_items} из {t.total_items}",
                            f"{t.picked_items} of {t.total_items}")).classes("text-h6")  # fmt: skip
            ui.linear_progress(value=t.picked_items / max(t.total_items, 1), show_value=False,
                               size="14px", color="positive").mark("pick-progress")  # fmt: skip
        with self.footer:
            if t.status in ("pending", "assigned") and self._may_act(t):
                ui.button(tr("Начать сборку", "Start picking"), icon="play_arrow",
                          on_click=guarded(self.ctx, Action.PICK, self._start),
                          ).props(BIG).classes("w-full min-h-20").mark("pick-start")  # fmt: skip
            if running and not pending:
                ui.label(tr(f"Всё собрано: несите на {t.station_code}",
                            f"All picked: take it to {t.station_code}")
                         ).classes("text-h5 text-positive").mark("pick-all-done")  # fmt: skip
                ui.button(tr("Завершить сборку", "Complete picking"), icon="done_all",
                          on_click=guarded(self.ctx, Action.PICK, self._complete),
                          ).props(BIG).classes("w-full min-h-20").mark("pick-complete")  # fmt: skip
            elif t.status in ("completed", "cancelled"):
                ui.label(tr("Задание закрыто", "The task is closed")).classes("text-h6")
            ui.button(
                tr("К списку сборки", "To the picking list"), icon="arrow_back",
                on_click=lambda: ui.navigate.to("/picking"),
            ).props("flat size=lg")  # fmt: skip
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
        self.counter.set_text(tr(f"Позиция {item.sequence} из {t.total_items}",
                                 f"Item {item.sequence} of {t.total_items}"))  # fmt: skip
        self.place.set_text(item.location_code)
        self.product.set_text(f"{item.product_name} · {item.sku} · {item.barcode}")
        self.need.set_text(tr(f"Взять: {quantity(item.rest)} шт.",
                              f"Take: {quantity(item.rest)} units"))  # fmt: skip
        self.step, self.barcode, self.key = 0, "", ""
        self._show_step()

    def _show_step(self) -> None:
        asking = self.step == 2
        self.scan.set_visibility(not asking)
        self.quantity_row.set_visibility(asking)
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
            self.quantity.set_value(self.item.rest)
            self.key = self.key or uuid.uuid4().hex
            self.quantity.run_method("focus")
            return
        self.scan.run_method("focus")

    def _bump(self, by: int) -> None:
        if self.item is None:
            return
        value = int(self.quantity.value or 0) + by
        self.quantity.set_value(max(0, min(self.item.rest, value)))

    # --- scans -----------------------------------------------------------------------------

    def _scanned(self, _user: Identity, code: str) -> None:
        item = self.item
        if item is None or self.step == 2:
            return
        if self.step == 0:
            if code.upper() != item.location_code.upper():
                self.feedback.error(tr(f"Не та ячейка: нужна {item.location_code}",
                                       f"Wrong bin: {item.location_code} is needed"))  # fmt: skip
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

    def _amount(self) -> Any:
        value = self.quantity.value
        return int(value) if isinstance(value, float) and value.is_integer() else value

    async def _confirm(self, _user: Identity, *_: Any) -> None:
        if self.item is None or self.step != 2:
            return
        await self._pick(self._amount())

    async def _short(self, _user: Identity, *_: Any) -> None:
        item = self.item
        if item is None:
            return
        amount = self._amount() if self.step == 2 else 0
        if isinstance(amount, int) and amount >= item.rest:
            self.feedback.error(tr("Уменьшите количество: сколько нашли на самом деле",
                                   "Lower the quantity to what you found"))  # fmt: skip
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
