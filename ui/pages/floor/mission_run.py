"""A mission on the tablet, line by line (/my-missions/{id}).

For each line the worker is sent to a place in big letters, scans it, scans the product,
(for a move, also scans where it goes) and confirms the quantity — the rest of the line
unless they type less. The confirmation records the line: the TRANSFER is posted and the
next line comes. A scan of the wrong place or product is refused at once with a red flash
and a buzz (ui.components.feedback), and nothing is recorded. Scanner first: the scan field
has the focus, a USB scanner types the code and Enter, and a key typed anywhere else goes
to the field. The checks themselves are core's (core.floor.recording).

A whole-unit line walks the unit's bin, the unit's code (SSCC or internal) and the target
bin; the confirmation (Enter or the button) moves the unit with everything in it.
"""

import uuid
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.floor.locations import LocationKind
from core.floor.mission_rules import Actor, Status
from core.floor.missions import complete, start
from core.floor.ports import Mission, MissionLine
from core.floor.recording import (
    RecordRequest,
    check_location_scan,
    check_product_scan,
    record_line,
)
from core.floor.unit_codes import human_readable
from core.floor.unit_recording import check_unit_scan, is_unit_scan, unit_name
from core.users.auth import Identity
from core.users.policy import Action
from data.floor.mission_queries import mission
from data.floor.missions import mission_work
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.pages.floor.mission_labels import kind_label, status_label
from ui.pages.floor.mission_steps import Scan, steps_of
from ui.session import guarded

BIG_BUTTON = "unelevated size=xl"


class MissionRun:
    def __init__(self, ctx: AppContext, user: Identity, mission_id: int) -> None:
        self.ctx = ctx
        self.user = user
        self.mission_id = mission_id
        self.actor = Actor.of(user.id, user.role)
        self.mission: Mission | None = None
        self.line: MissionLine | None = None
        self.steps: list[Scan] = []
        self.step = 0
        self.barcode = ""  # the product (or a whole unit) as scanned, sent with the recording
        self.key = ""  # one per confirmation: a repeated tap records once

    def build(self) -> None:
        self.head = ui.column().classes("w-full max-w-3xl gap-2").mark("run-head")
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        with ui.column().classes("w-full max-w-3xl gap-3").mark("run-line") as self.line_box:
            self.counter = ui.label().classes("text-subtitle1 text-grey-8").mark("run-counter")
            self.product = ui.label().classes("text-h6 leading-tight").mark("run-product")
            self.need = ui.label().classes("text-h5 text-weight-medium").mark("run-need")
            self.progress = ui.row().classes("w-full items-center gap-1").mark("run-steps")
            self.instruction = ui.label().classes("text-h5").mark("run-instruction")
            self.place = (
                ui.label()
                .classes("wms-run-place text-weight-bold leading-none")
                .style("font-size: clamp(3rem, 11vw, 6rem); letter-spacing: .04em")
                .mark("run-place")
            )
            self.hint = ui.label().classes("text-body1 text-grey-8").mark("run-hint")
            self.scan = (
                ScanField(
                    tr("Сканируйте", "Scan"), guarded(self.ctx, Action.WORK_MISSIONS, self._scanned)
                )
                .classes("w-full")
                .mark("run-scan")
            )
            with ui.row().classes("w-full items-center gap-3 no-wrap") as self.quantity_row:
                self.quantity = (
                    ui.number(tr("Количество, шт.", "Quantity, units"), min=1, step=1, precision=0)
                    .props("outlined input-class=text-h5")
                    .classes("grow")
                    .mark("run-quantity")
                )
                self.quantity.on(
                    "keydown.enter", guarded(self.ctx, Action.WORK_MISSIONS, self._confirm)
                )
                self.confirm = (
                    ui.button(
                        tr("Подтвердить", "Confirm"),
                        icon="check",
                        on_click=guarded(self.ctx, Action.WORK_MISSIONS, self._confirm),
                    )
                    .props(BIG_BUTTON)
                    .classes("min-h-16 min-w-48")
                    .mark("run-confirm")
                )
            ui.button(
                tr("Сканировать строку заново", "Scan this line again"),
                icon="replay",
                on_click=lambda: self._begin_line(),
            ).props("flat size=lg").mark("run-restart")
        self.footer = ui.column().classes("w-full max-w-3xl gap-2").mark("run-footer")
        self._finish_dialog()
        self._load()

    # --- the mission and its next line ---------------------------------------------------

    def _load(self, fresh: Mission | None = None) -> None:
        self.mission = fresh or mission(self.ctx.db.engine, self.mission_id)
        self.head.clear()
        self.footer.clear()
        m = self.mission
        with self.head:
            if m is None:
                ui.label(tr("Задание не найдено", "Mission not found")).classes("text-h5")
            else:
                with ui.row().classes("w-full items-center gap-2"):
                    ui.label(f"{kind_label(m.kind)} №{m.id}").classes("text-h5 grow")
                    ui.label(status_label(m.status)).classes("text-h6").mark("run-status")
        pending = [x for x in m.lines if x.rest > 0] if m else []
        running = m is not None and m.status == Status.IN_PROGRESS
        self.line = pending[0] if running and pending else None
        self.line_box.set_visibility(self.line is not None)
        with self.footer:
            if m is not None and m.status == Status.ASSIGNED:
                ui.button(
                    tr("Начать задание", "Start the mission"),
                    icon="play_arrow",
                    on_click=guarded(self.ctx, Action.WORK_MISSIONS, self._start),
                ).props(BIG_BUTTON).classes("w-full min-h-20").mark("run-start")
            elif running and not pending:
                ui.label(tr("Все строки выполнены", "Every line is done")).classes(
                    "text-h5 text-positive"
                ).mark("run-all-done")
            elif m is not None and m.status in (Status.COMPLETED, Status.CANCELLED):
                ui.label(tr("Задание закрыто", "The mission is closed")).classes("text-h6")
            if running:
                ui.button(
                    tr("Завершить задание", "Complete the mission"),
                    icon="done_all",
                    on_click=lambda: self._ask_finish(len(pending)),
                ).props(BIG_BUTTON if not pending else "outline size=lg").classes(
                    "w-full min-h-16"
                ).mark("run-complete")
            ui.button(
                tr("К моим заданиям", "To my missions"),
                icon="arrow_back",
                on_click=lambda: ui.navigate.to("/my-missions"),
            ).props("flat size=lg").mark("run-back")
        if self.line is not None:
            self.counter.set_text(
                tr(
                    f"Строка {self.line.sequence} из {len(m.lines)}",
                    f"Line {self.line.sequence} of {len(m.lines)}",
                )
            )
            self._begin_line()

    def _begin_line(self) -> None:
        line = self.line
        if line is None:
            return
        if line.whole_unit:
            whole = tr("целиком, со всем содержимым", "whole, with everything in it")
            self.product.set_text(f"{unit_name(line, capital=True)} — {whole}")
        else:
            self.product.set_text(f"{line.product_name} · {line.sku} · {line.barcode}")
        self.steps = steps_of(line)
        self.step = 0
        self.barcode = ""
        self.key = ""
        self._show_step()

    def _show_step(self) -> None:
        line, current = self.line, self.steps[self.step]
        assert line is not None
        self.need.set_text(
            tr(f"Нужно: {quantity(line.rest)} шт.", f"Needed: {quantity(line.rest)} units")
        )
        self.need.set_visibility(not line.whole_unit)
        self._show_progress()
        asking_quantity = current.quantity
        self.scan.set_visibility(not asking_quantity)
        self.quantity_row.set_visibility(asking_quantity)
        self.quantity.set_visibility(not line.whole_unit)
        if current.stop is not None:
            went = (
                tr("Положите в ячейку", "Put it into")
                if current.stop.put
                else tr("Возьмите из ячейки", "Take it from")
            )
            self.instruction.set_text(went)
            self.place.set_text(current.stop.code)
            taken = line.from_kind == LocationKind.DEFAULT and current.stop.put and not self.step
            zone = tr(
                f"Товар — в зоне приёмки {line.from_code}. ",
                f"The goods are in the receiving zone {line.from_code}. ",
            )
            self.hint.set_text(
                (zone if taken else "") + tr("Отсканируйте ячейку.", "Scan the bin.")
            )
            self.scan.props(f'label="{tr("Сканируйте ячейку", "Scan the bin")}"')
        elif current.unit:
            self.instruction.set_text(tr("Отсканируйте паллету или коробку", "Scan the unit"))
            self.place.set_text(human_readable(line.unit_code))
            self.hint.set_text(tr("Код на её этикетке (SSCC или HU-…).",
                                  "The code on its label (SSCC or HU-…)."))  # fmt: skip
            self.scan.props(f'label="{tr("Сканируйте паллету или коробку", "Scan the unit")}"')
        elif line.whole_unit:  # confirm: the unit goes as it is, nothing to count
            self.instruction.set_text(tr("Переместить целиком?", "Move it whole?"))
            self.place.set_text(line.to_code)
            self.hint.set_text(tr("Enter или «Подтвердить».", "Enter or «Confirm»."))
            self.key = self.key or uuid.uuid4().hex
            # Enter on the focused button confirms: the scanner's hand stays on it.
            ui.run_javascript(f"getElement({self.confirm.id})?.$el?.focus()")
            return
        elif not asking_quantity:
            self.instruction.set_text(tr("Отсканируйте товар", "Scan the product"))
            self.hint.set_text(tr("Штрихкод или GTIN товара.", "The product's barcode or GTIN."))
            self.scan.props(f'label="{tr("Сканируйте товар", "Scan the product")}"')
        else:
            self.instruction.set_text(tr("Сколько положили?", "How many did you put?"))
            self.hint.set_text(
                tr("Всё нужное — просто Enter; меньше — введите число.",
                   "All of it: just Enter; fewer: type the number.")
            )  # fmt: skip
            self.quantity.set_value(line.rest)
            self.key = self.key or uuid.uuid4().hex
            self.quantity.run_method("focus")
            self.quantity.run_method("select")
            return
        self.scan.run_method("focus")

    def _show_progress(self) -> None:
        """The line's steps as chips: done ones ticked, the current one filled."""
        self.progress.clear()
        with self.progress:
            for index, step in enumerate(self.steps):
                if step.quantity:
                    label = tr("Количество", "Quantity")
                    if self.line is not None and self.line.whole_unit:
                        label = tr("Подтвердить", "Confirm")
                elif step.unit:
                    label = tr("Упаковка", "Unit")
                elif step.stop is not None:
                    label = step.stop.code
                else:
                    label = tr("Товар", "Product")
                done, here = index < self.step, index == self.step
                ui.chip(
                    label,
                    icon="check" if done else None,
                    color="positive" if done else ("primary" if here else "grey-4"),
                    text_color="white" if done or here else "grey-9",
                ).props("square").classes("text-body1")

    # --- scans ---------------------------------------------------------------------------

    def _scanned(self, _user: Identity, code: str) -> None:
        line = self.line
        if line is None or self.steps[self.step].quantity:
            return
        current = self.steps[self.step]
        try:
            if current.stop is not None:
                if code in {line.barcode, line.gtin} or is_unit_scan(line, code):
                    self.feedback.error(
                        tr(
                            f"Сначала отсканируйте ячейку {current.stop.code}",
                            f"Scan the bin {current.stop.code} first",
                        )
                    )
                    return
                check_location_scan(current.stop.code, code)
            elif current.unit:
                check_unit_scan(line, code)
                self.barcode = code
            else:
                check_product_scan(line, code)
                self.barcode = code
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        self.feedback.done()  # the chirp: right place, right product
        self.step += 1
        self._show_step()

    # --- the confirmation ------------------------------------------------------------------

    async def _confirm(self, _user: Identity, *_: Any) -> None:
        line = self.line
        if line is None or not self.steps or not self.steps[self.step].quantity:
            return
        value = None if line.whole_unit else self.quantity.value
        amount = int(value) if isinstance(value, float) and value.is_integer() else value
        request = RecordRequest(
            line.id,
            amount,
            location_code=line.to_code,
            barcode=None if line.whole_unit else self.barcode,
            idempotency_key=self.key,
            unit_code=self.barcode if line.whole_unit else None,
        )
        try:
            recorded = await run.io_bound(
                record_line, mission_work(self.ctx.db), self.mission_id, request, self.actor
            )
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            if refusal.code not in ("invalid_quantity", "quantity_exceeds_rest"):
                self._load()  # the mission changed under the tablet: show it as it is
            return
        if recorded is None:  # the app is stopping
            return
        if line.whole_unit:
            inside = quantity(sum(m.quantity for m in recorded.movements))
            self.feedback.done(
                tr(f"{unit_name(line, capital=True)} ({inside} шт.) перемещена в {line.to_code}",
                   f"{unit_name(line, capital=True)} ({inside} units) moved to {line.to_code}")
            )  # fmt: skip
            self._load(recorded.mission)
            return
        assert recorded.movement is not None
        self.feedback.done(
            tr(
                f"Перемещено {quantity(recorded.movement.quantity)} шт. в {line.to_code}",
                f"Moved {quantity(recorded.movement.quantity)} units to {line.to_code}",
            )
        )
        self._load(recorded.mission)

    # --- start and finish ----------------------------------------------------------------

    async def _start(self, _user: Identity, *_: Any) -> None:
        try:
            done = await run.io_bound(start, mission_work(self.ctx.db), self.mission_id, self.actor)
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            self._load()
            return
        if done is not None:
            self._load(done.mission)

    def _finish_dialog(self) -> None:
        with ui.dialog() as self.finish_dialog, ui.card().classes("w-[32rem] max-w-full gap-3"):
            self.finish_text = ui.label().classes("text-h6").mark("finish-text")
            with ui.row().classes("w-full justify-end gap-2"):
                ui.button(
                    tr("Продолжить работу", "Keep working"), on_click=self.finish_dialog.close
                ).props("flat size=lg")
                ui.button(
                    tr("Завершить", "Complete"),
                    on_click=guarded(self.ctx, Action.WORK_MISSIONS, self._finish),
                ).props("unelevated size=lg").mark("finish-confirm")

    def _ask_finish(self, pending_lines: int) -> None:
        if pending_lines:
            left = sum(x.rest for x in self.mission.lines) if self.mission else 0
            self.finish_text.set_text(
                tr(
                    f"Не выполнено {quantity(left)} шт. по строкам: {pending_lines}. Завершить "
                    "задание всё равно?",
                    f"{quantity(left)} units on {pending_lines} lines are not done. Complete "
                    "the mission anyway?",
                )
            )
        else:
            self.finish_text.set_text(tr("Завершить задание?", "Complete the mission?"))
        self.finish_dialog.open()

    async def _finish(self, _user: Identity, *_: Any) -> None:
        self.finish_dialog.close()
        try:
            await run.io_bound(complete, mission_work(self.ctx.db), self.mission_id, self.actor)
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            self._load()
            return
        ui.notify(tr("Задание завершено", "Mission completed"), type="positive", position="top")
        ui.navigate.to("/my-missions")
