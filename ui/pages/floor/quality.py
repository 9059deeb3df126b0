"""Quality control on the tablet (/qc, /qc/{id}; issue 15, core.orders.quality).

/qc lists the checks waiting, oldest first; «Проверить» starts one as the executor linked
to the worker. The run page: scan each unit → tap «Годный», or «Брак» and a reason (big
buttons) → the count goes up; a photo from the tablet's camera may be attached at any
time; «Завершить проверку» appears once every unit is counted. A pass sends the order to
packing; a defect is written off and re-picked from another bin, or shorted — the page
says which. A wrong scan is refused at once with a red flash and a buzz.
"""

import uuid
from typing import Any

from nicegui import events, run, ui

from core.errors import DomainError
from core.orders.qc_photos import attach_photo, photo_too_large
from core.orders.quality import (
    DEFECT_REASONS,
    QcStatus,
    UnitRequest,
    check_own,
    finish_check,
    record_unit,
)
from core.orders.quality_ports import QcTask
from core.users.auth import Identity
from core.users.policy import Action, can
from data.catalog.queries import product_by_code
from data.files.photos import PhotoFiles
from data.orders.quality import check, ownership
from ui.components.feedback import ScanFeedback
from ui.components.qc_photos import photo_strip, register_photo_route
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import address_id, quantity
from ui.i18n import tr
from ui.layout import frame
from ui.middleware import UPLOAD_PATHS
from ui.pages.floor.qc_queue import ACTION, BIG_BUTTON, PATH, CheckQueue
from ui.session import guarded, protected_page


def register(ctx: AppContext) -> None:
    register_photo_route(ctx)

    @protected_page(ctx, PATH, ACTION)
    def qc_page(user: Identity) -> None:
        with frame(user, tr("Контроль качества", "Quality control"), PATH):
            CheckQueue(ctx, user).build()

    @protected_page(ctx, PATH + "/{task_id}", ACTION)
    def qc_run_page(user: Identity, task_id: str) -> None:
        number = address_id(task_id)
        with frame(user, tr(f"Проверка №{number}", f"Check {number}"), PATH):
            CheckRun(ctx, user, number).build()


class CheckRun:
    def __init__(self, ctx: AppContext, user: Identity, task_id: int) -> None:
        self.ctx, self.user, self.task_id = ctx, user, task_id
        self.task: QcTask | None = None
        self.product: Any = None  # the scanned unit awaiting its condition
        self.key = ""  # one per unit: a repeated tap counts once
        self.store = PhotoFiles(ctx.settings.data_dir)

    def build(self) -> None:
        self.task = check(self.ctx.db.engine, self.task_id)
        if self.task is None:
            ui.label(tr("Проверка не найдена", "Check not found")).classes("text-h6").mark(
                "qc-missing")  # fmt: skip
            return
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        with ui.column().classes("w-full max-w-3xl gap-3").mark("qc-run"):
            self.head = ui.column().classes("w-full gap-1")
            self.instruction = ui.label().classes("text-h5").mark("qc-instruction")
            self.scan = (
                ScanField(tr("Штрихкод товара", "Product barcode"),
                          guarded(self.ctx, ACTION, self._scanned))
                .classes("w-full").mark("qc-scan")
            )  # fmt: skip
            self.inspect = ui.column().classes("w-full gap-3").mark("qc-inspect")
            self.finish = ui.button(
                tr("Завершить проверку", "Finish the check"), icon="task_alt",
                on_click=guarded(self.ctx, ACTION, self._finish),
            ).props(BIG_BUTTON + " color=positive").classes("w-full min-h-16").mark(
                "qc-finish")  # fmt: skip
            self.items = ui.column().classes("w-full gap-1").mark("qc-items")
            with ui.card().classes("w-full q-pa-md gap-2").props("flat bordered"):
                ui.label(tr("Фото", "Photos")).classes("text-h6")
                self.photos = ui.row().classes("w-full gap-2").mark("qc-photos")
                self._upload()
        self._show()

    def _upload(self) -> None:
        limit = self.ctx.settings.qc_photo_max_bytes
        upload = (
            ui.upload(label=tr("Сфотографировать", "Take a photo"), auto_upload=True,
                      max_file_size=limit)
            .props('accept="image/jpeg,image/png" capture=environment flat bordered')
            .classes("w-full").mark("qc-upload")
        )  # fmt: skip
        # The camera's input: a phone or tablet opens its back camera straight away.
        upload.props('input-props="{\\"capture\\": \\"environment\\"}"')
        url = str(upload.props["url"])
        UPLOAD_PATHS.add(url)  # the server cuts an oversized body off while it arrives
        upload.client.on_delete(lambda: UPLOAD_PATHS.discard(url))
        upload.on_upload(guarded(self.ctx, ACTION, self._photo))
        self.upload = upload

    async def _photo(self, user: Identity, event: events.UploadEventArguments) -> None:
        if event.file.size() > self.ctx.settings.qc_photo_max_bytes:
            self.feedback.error(photo_too_large().message)  # not even read
            self.upload.reset()
            return
        content = await event.file.read()
        try:
            await run.io_bound(attach_photo, self.ctx.db.unit_of_work(), self.store,
                               self.task_id, content, user.id)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
        else:
            self.feedback.done(tr("Фото сохранено", "Photo saved"))
        self.upload.reset()
        await self._reload()

    def _refusal(self) -> DomainError | None:
        """Someone else's check: the worker may look but not count or finish it."""
        if can(self.user.role, Action.MANAGE_ORDERS):
            return None
        held = ownership(self.ctx.db.engine, self.task_id, self.user.id)
        try:
            check_own(held.executor_id if held else None, held.mine if held else None)
        except DomainError as refusal:
            return refusal
        return None

    # --- what the page shows -------------------------------------------------------------

    def _show(self) -> None:
        t = self.task
        assert t is not None
        self.head.clear()
        with self.head:
            ui.label(tr(f"Заказ {t.order_external_id}", f"Order {t.order_external_id}")).classes(
                "text-h4 text-weight-bold").mark("qc-order")  # fmt: skip
            ui.label(tr(f"Проверено {quantity(t.checked_units)} из {quantity(t.total_units)}; "
                        f"брак {quantity(t.defect_units)}",
                        f"Checked {t.checked_units} of {t.total_units}; "
                        f"defective {t.defect_units}")
                     ).classes("text-h6").mark("qc-count")  # fmt: skip
        self.photos.clear()
        with self.photos:
            photo_strip(t.photos)
        refusal = self._refusal() if t.status == QcStatus.IN_PROGRESS else None
        self._draw_items(refusal is None and t.status == QcStatus.IN_PROGRESS)
        open_ = t.status == QcStatus.IN_PROGRESS and refusal is None
        done = t.checked_units == t.total_units
        self.finish.set_visibility(open_ and done)
        self.inspect.set_visibility(False)
        if refusal is not None:
            self.scan.set_visibility(False)
            who = f": {t.executor_name}" if t.executor_name else ""
            self.instruction.set_text(refusal.message + who)
        elif t.status == QcStatus.PENDING:
            self.scan.set_visibility(False)
            self.instruction.set_text(tr("Проверка ещё не начата: возьмите её в списке",
                                         "Not started yet: take it on the list"))  # fmt: skip
        elif not open_:
            self.scan.set_visibility(False)
            self._result()
        elif done:
            self.scan.set_visibility(False)
            self.instruction.set_text(tr("Все единицы проверены: завершите проверку",
                                         "Every unit is checked: finish the check"))  # fmt: skip
        else:
            self.product, self.key = None, ""
            self.instruction.set_text(tr("Отсканируйте товар", "Scan a unit"))
            self.scan.set_visibility(True)
            self.scan.ask(tr("Штрихкод товара", "Product barcode"))

    def _draw_items(self, working: bool) -> None:
        """Each line's count; while counting, «Нет в наличии» for a unit not on the station
        (it cannot be scanned)."""
        t = self.task
        assert t is not None
        self.items.clear()
        with self.items:
            for i in t.items:
                full = i.checked == i.quantity
                with ui.row().classes("w-full items-center no-wrap gap-3 q-py-xs").mark(
                    "qc-item"):  # fmt: skip
                    ui.icon("task_alt" if full else "radio_button_unchecked", size="md",
                            color="positive" if full else "grey-6")  # fmt: skip
                    with ui.column().classes("grow min-w-0 gap-0 overflow-hidden"):
                        ui.label(f"{i.product_name} · {i.sku}").classes(
                            "w-full text-h6 leading-tight ellipsis")  # fmt: skip
                        ui.label(tr(f"из ячейки {i.location_code}", f"from {i.location_code}")
                                 ).classes("text-body2 text-grey-7")  # fmt: skip
                    text = f"{quantity(i.checked)} / {quantity(i.quantity)}"
                    if i.defect:
                        text += tr(f" · брак {i.defect}", f" · defect {i.defect}")
                    ui.label(text).classes("text-h6 whitespace-nowrap shrink-0").mark(
                        "qc-item-count")  # fmt: skip
                if working and i.left > 0:
                    ui.button(tr("Нет в наличии", "Missing"), icon="help_outline",
                              on_click=guarded(self.ctx, ACTION, self._absent(i.product_id)),
                              ).props("outline size=lg color=warning").classes(
                        "w-full min-h-12").mark("qc-absent")  # fmt: skip

    def _result(self) -> None:
        t = self.task
        assert t is not None
        passed = t.status == QcStatus.PASSED
        self.instruction.set_text(QcStatus(t.status).label_ru)
        self.inspect.clear()
        self.inspect.set_visibility(True)
        with self.inspect:
            if passed:
                ui.label(tr("Проверка пройдена: заказ передан на упаковку",
                            "Passed: the order goes to packing")).classes(
                    "text-h5 text-positive").mark("qc-result")  # fmt: skip
            for d in t.defects:
                outcome = (
                    tr(
                        f"пересборка из {d.repick_location_code}",
                        f"re-picked from {d.repick_location_code}",
                    )
                    if d.outcome == "repicked"
                    else tr("недостача: другого товара нет", "shorted: no other stock")
                )
                said = (tr(f"{d.sku}: нет в наличии, недостача на контроле; {outcome}",
                           f"{d.sku}: missing, booked as a loss; {outcome}")
                        if d.missing else
                        tr(f"{d.sku}: брак «{d.reason}», списан в брак; {outcome}",
                           f"{d.sku}: defect “{d.reason}”, written off; {outcome}"))  # fmt: skip
                ui.label(said).classes("text-h6 text-negative").mark("qc-result")
            ui.button(tr("К списку проверок", "Back to the list"), icon="arrow_back",
                      on_click=lambda: ui.navigate.to(PATH)).props("flat size=lg")  # fmt: skip

    async def _reload(self) -> None:
        found = await run.io_bound(check, self.ctx.db.engine, self.task_id)
        if found is not None:
            self.task = found
            self._show()

    # --- scans and marks -----------------------------------------------------------------

    async def _scanned(self, _user: Identity, code: str) -> None:
        t = self.task
        if t is None or not self.scan.visible:
            return
        product = await run.io_bound(product_by_code, self.ctx.db.engine, code)
        if product is None:
            self.feedback.not_found(code)
            return
        items = [i for i in t.items if i.product_id == product["id"]]
        if not items:
            self.feedback.error(tr(f"«{product['name']}» нет в этом заказе: не тот товар",
                                   f"“{product['name']}” is not in this order"))  # fmt: skip
            return
        if all(i.left == 0 for i in items):
            self.feedback.error(tr(f"«{product['name']}»: лишняя единица, все уже проверены",
                                   f"“{product['name']}”: one too many"))  # fmt: skip
            return
        self.product, self.key = product, uuid.uuid4().hex
        self.feedback.done()
        self._ask_condition()

    def _ask_condition(self) -> None:
        product = self.product
        self.instruction.set_text(tr("Осмотрите товар", "Inspect the unit"))
        self.scan.set_visibility(False)
        self.inspect.clear()
        self.inspect.set_visibility(True)
        with self.inspect:
            ui.label(f"{product['name']} · {product['sku']}").classes(
                "text-h4 text-weight-bold leading-tight").mark("qc-product")  # fmt: skip
            with ui.row().classes("w-full gap-3 no-wrap"):
                ui.button(tr("Годный", "Good"), icon="check_circle", color="positive",
                          on_click=guarded(self.ctx, ACTION, self._good),
                          ).props(BIG_BUTTON).classes("grow min-h-24 text-h5").mark(
                    "qc-good")  # fmt: skip
                ui.button(tr("Брак", "Defect"), icon="report", color="negative",
                          on_click=lambda: self._ask_reason(),
                          ).props(BIG_BUTTON).classes("grow min-h-24 text-h5").mark(
                    "qc-defect")  # fmt: skip

    def _ask_reason(self) -> None:
        self.instruction.set_text(tr("Причина брака", "Why is it defective"))
        self.inspect.clear()
        with self.inspect:
            with ui.grid().classes("w-full gap-3 grid-cols-1 sm:grid-cols-2"):
                for reason in DEFECT_REASONS:
                    ui.button(reason, on_click=guarded(self.ctx, ACTION, self._defect(reason)),
                              ).props("unelevated size=lg color=negative").classes(
                        "min-h-16 text-h6").mark("qc-reason")  # fmt: skip
            ui.button(tr("Назад", "Back"), icon="arrow_back",
                      on_click=lambda: self._ask_condition()).props("flat size=lg")  # fmt: skip

    def _absent(self, product_id: int) -> Any:
        async def mark(user: Identity, *_: Any) -> None:
            t = self.task
            item = next((i for i in t.items if i.product_id == product_id), None) if t else None
            if item is not None:  # one tap, one unit: a fresh key each tap
                self.product, self.key = (
                    {"id": product_id, "name": item.product_name},
                    uuid.uuid4().hex,
                )
                await self._mark(user, "missing", None)

        return mark

    async def _good(self, user: Identity, *_: Any) -> None:
        await self._mark(user, "good", None)

    def _defect(self, reason: str) -> Any:
        async def mark(user: Identity, *_: Any) -> None:
            await self._mark(user, "defect", reason)

        return mark

    async def _mark(self, user: Identity, condition: str, reason: str | None) -> None:
        product = self.product
        if product is None:
            return
        request = UnitRequest(condition, product_id=product["id"], reason=reason)
        try:
            await self._own()
            done = await run.io_bound(record_unit, self.ctx.db.unit_of_work(), self.task_id,
                                      request, user.id, idempotency_key=self.key)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            await self._reload()
            return
        if done is None:  # the app is stopping
            return
        self.task = done.task
        said = {
            "good": tr(f"«{product['name']}»: годный", "Good"),
            "missing": tr(f"«{product['name']}»: нет в наличии", "Missing"),
        }
        self.feedback.done(said.get(condition) or tr(f"«{product['name']}»: брак ({reason})",
                                                     f"Defect ({reason})"))  # fmt: skip
        self._show()

    async def _own(self) -> None:
        if (refusal := await run.io_bound(self._refusal)) is not None:
            raise refusal

    async def _finish(self, user: Identity, *_: Any) -> None:
        try:
            await self._own()
            done = await run.io_bound(finish_check, self.ctx.db.unit_of_work(), self.task_id,
                                      user.id)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            await self._reload()
            return
        if done is None:
            return
        self.task = done.task
        self._show()
