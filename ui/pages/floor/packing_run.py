"""A packing task on the tablet at the packing table (/packing/{id}).

What to pack is listed product by product (name, SKU, barcode, how many to pack, how many
are packed); each product scan puts one unit into the open box and is counted at once —
a product not in the order, or one already all packed, is refused with a red flash and a
buzz (ui.components.feedback) and nothing is counted. A unit of a marked product is counted
by its DataMatrix (read offline by core.marking; a plain barcode scan of it is refused):
the box's codes go to core with it, which checks them again. The box is built up on the page and
sent to core as one package when it is closed (ui.pages.floor.packing_box: its type as
big buttons, then weight and dimensions); «Новая коробка» closes the open one first.
«Упаковано» asks core to pack (its refusals, not_all_packed and dimensions_missing, are
shown as core says them), then labels and shipping (ui.pages.floor.packing_ship). Scanner
first: a key typed anywhere goes to the scan field. One idempotency key a box, a pack
and a ship: a repeated tap does it once."""

import uuid
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.marking.codes import ScannedCode, looks_like_marking
from core.orders.packing import ItemRequest, PackageRequest, add_package, pack_task, start_task
from core.orders.packing_ports import PackItem, PackTask
from core.states import PackingStatus
from core.users.auth import Identity
from core.users.policy import Action, can
from data.packing.queries import task
from data.picking.queries import executor_of
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import language, tr
from ui.pages.floor.packing_box import MeasureDialog, kg, type_buttons, type_label
from ui.pages.floor.packing_codes import PackingCodes
from ui.pages.floor.packing_ship import ShipPanel
from ui.session import guarded

BIG = "unelevated size=xl"
MARKING_SCAN = "Сканируйте код маркировки (DataMatrix)"


class PackingRun:
    def __init__(self, ctx: AppContext, user: Identity, task_id: int) -> None:
        self.ctx = ctx
        self.user = user
        self.task_id = task_id
        self.task: PackTask | None = None
        self.box: dict[int, int] = {}  # product id → units scanned into the open box
        self.box_open = False
        self.kind = "box"
        self.box_key = uuid.uuid4().hex
        self.pack_key = ""
        self.then_new = False  # «Новая коробка»: open the next box once this one is sent
        # What a scan changes, updated in place (a scan writes nothing; no rebuild, no read):
        self.lines: dict[int, tuple[ui.card, ui.label]] = {}  # product → its card, its count
        self.progress: tuple[ui.label, ui.linear_progress] | None = None
        self.box_state: ui.label | None = None
        self.box_lines: ui.column | None = None

    def build(self) -> None:
        self.head = ui.column().classes("w-full max-w-3xl gap-2").mark("pack-head")
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        self.marking = PackingCodes(self.ctx, self.user, self.task_id, self.feedback,
                                    self._take_unit, self._load)  # fmt: skip
        self.scan = (
            ScanField(
                tr("Сканируйте товар", "Scan a product"),
                guarded(self.ctx, Action.PACK, self._scanned),
            )
            .classes("w-full max-w-3xl")
            .mark("pack-scan")
        )
        self.work = ui.column().classes("w-full max-w-3xl gap-3").mark("pack-work")
        self.ship = ShipPanel(self.ctx, self.user, self.feedback, self._load)
        self.footer = ui.column().classes("w-full max-w-3xl gap-2").mark("pack-footer")
        self.measures = MeasureDialog(self.ctx, self._send_box)
        self._load()

    # --- the task ----------------------------------------------------------------------

    def _load(self, fresh: PackTask | None = None) -> None:
        self.task = fresh or task(self.ctx.db.engine, self.task_id)
        t = self.task
        self.marking.load(t)
        self.head.clear()
        self.footer.clear()
        running = t is not None and t.status == PackingStatus.IN_PROGRESS
        may_act = t is not None and self._may_act(t)
        self.scan.set_visibility(
            t is not None and may_act and t.status in ("in_progress", "packed")
        )
        self.scan.props(f'label="{self._scan_label(t)}"')
        if self.scan.visible:
            self.scan.run_method("focus")  # the scanner goes on after a button
        with self.head:
            if t is None:
                ui.label(tr("Задание не найдено", "Task not found")).classes("text-h5")
                self.work.clear()
                return
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(tr(f"Заказ {t.order_external_id}", f"Order {t.order_external_id}")
                         ).classes("text-h5 grow")  # fmt: skip
                ui.badge(PackingStatus(t.status).label(language())).classes(
                    "text-body1 px-2 py-1").mark("pack-status")  # fmt: skip
            words, share = self._progress(t)
            self.progress = (
                ui.label(words).classes("text-h6").mark("pack-progress"),
                ui.linear_progress(value=share, show_value=False, size="14px", color="positive"),
            )
        self._work(running and may_act)
        self.ship.show(t, may_act)
        with self.footer:
            if t.status == PackingStatus.PENDING and may_act:
                ui.button(tr("Начать упаковку", "Start packing"), icon="play_arrow",
                          on_click=guarded(self.ctx, Action.PACK, self._start),
                          ).props(BIG).classes("w-full min-h-20").mark("pack-start")  # fmt: skip
            elif not may_act and t.status in ("pending", "in_progress", "packed"):
                ui.label(tr("Это задание упаковывает другой исполнитель",
                            "Another executor packs this task")).classes("text-h6")  # fmt: skip
            ui.button(
                tr("К списку упаковки", "To the packing list"),
                icon="arrow_back",
                on_click=lambda: ui.navigate.to("/packing"),
            ).props("flat size=lg")

    def _scan_label(self, t: PackTask | None) -> str:
        if t is not None and t.status == PackingStatus.PACKED:
            return tr("Сканируйте трек-номер", "Scan the tracking number")
        return tr("Сканируйте товар", "Scan a product")

    def _may_act(self, t: PackTask) -> bool:
        if can(self.user.role, Action.MANAGE_ORDERS):
            return True
        mine = executor_of(self.ctx.db.engine, self.user.id)
        return mine is not None and t.executor_id in (None, mine)

    def _progress(self, t: PackTask) -> tuple[str, float]:
        total = sum(i.quantity for i in t.items)
        packed = sum(i.packed_quantity for i in t.items) + sum(self.box.values())
        return (tr(f"Стол {t.station_code} · упаковано {packed} из {total} шт.",
                   f"Table {t.station_code} · packed {packed} of {total}"),
                packed / max(total, 1))  # fmt: skip

    def _left(self, item: PackItem) -> int:
        return item.quantity - item.packed_quantity - self.box.get(item.product_id, 0)

    def _work(self, running: bool) -> None:
        t = self.task
        assert t is not None
        self.work.clear()
        self.lines, self.box_state, self.box_lines = {}, None, None
        with self.work:
            if running:
                self._items(t)
                self._box_panel(t)
            if t.packages:
                self._packages(t, running)
            if running:
                ui.button(tr("Упаковано", "Packed"), icon="done_all",
                          on_click=guarded(self.ctx, Action.PACK, self._pack)).props(BIG).classes(
                    "w-full min-h-20").mark("pack-done")  # fmt: skip

    def _items(self, t: PackTask) -> None:
        with ui.column().classes("w-full gap-2").mark("pack-items"):
            for item in t.items:
                left = self._left(item)  # and no unit of it in a box without its code:
                done = left == 0 and self.marking.uncoded(t, item.product_id) is None
                colour = "bg-green-1" if done else ""
                card = ui.card().classes(f"w-full q-pa-sm gap-1 {colour}").props("bordered flat")
                with card.mark("pack-item", f"pack-item-{item.product_id}"):
                    ui.label(item.product_name).classes("text-h6 leading-tight")
                    ui.label(f"{item.sku} · {item.barcode}").classes("text-body1 text-grey-8")
                    if item.requires_marking:
                        marked = ui.label(self.marking.note(t, item.product_id))
                        marked.classes("text-body1 text-deep-orange-9")
                        marked.mark(f"pack-marked-{item.product_id}")
                    count = ui.label(self._count(item)).classes("text-h6 text-weight-medium")
                    count.mark(f"pack-left-{item.product_id}")
                self.lines[item.product_id] = (card, count)

    def _count(self, item: PackItem) -> str:
        left, box, done = self._left(item), self.box.get(item.product_id, 0), item.packed_quantity
        return tr(
            f"Упаковать: {quantity(left)} шт. · упаковано {quantity(done)}"
            f" · в коробке {quantity(box)} · всего {quantity(item.quantity)}",
            f"To pack: {quantity(left)} · packed {quantity(done)}"
            f" · in the box {quantity(box)} · of {quantity(item.quantity)}",
        )

    def _box_panel(self, t: PackTask) -> None:
        with ui.card().classes("w-full q-pa-md gap-2 bg-blue-1").props("flat bordered").mark(
            "pack-box"
        ):  # fmt: skip
            self.box_state = ui.label(self._box_words(t)).classes("text-h5").mark(
                "pack-box-state")  # fmt: skip
            self.box_lines = ui.column().classes("w-full gap-0")
            self._fill_box_lines(t)
            type_buttons(self.kind, self._choose)
            with ui.row().classes("w-full gap-3 no-wrap"):
                ui.button(tr("Закрыть коробку", "Close the box"), icon="inventory",
                          on_click=guarded(self.ctx, Action.PACK, self._close)).props(
                    "unelevated size=lg color=teal-8").classes("grow min-h-16").mark(
                    "pack-close-box")  # fmt: skip
                ui.button(tr("Новая коробка", "New box"), icon="add_box",
                          on_click=guarded(self.ctx, Action.PACK, self._new_box)).props(
                    "outline size=lg").classes("grow min-h-16").mark("pack-new-box")  # fmt: skip

    def _box_words(self, t: PackTask) -> str:
        number, units = len(t.packages) + 1, sum(self.box.values())
        return (tr(f"{type_label(self.kind)} {number}: {units} шт.",
                   f"{type_label(self.kind)} {number}: {units} units")
                if self.box_open else tr("Коробка не открыта: отсканируйте товар",
                                         "No open box: scan a product"))  # fmt: skip

    def _fill_box_lines(self, t: PackTask) -> None:
        assert self.box_lines is not None
        names = {i.product_id: i.sku or i.product_name for i in t.items}
        self.box_lines.clear()
        with self.box_lines:
            for pid, count in self.box.items():
                ui.label(f"{names.get(pid, pid)} — {quantity(count)} шт.").classes("text-body1")
            self.marking.box_codes()

    def _counted(self, t: PackTask, item: PackItem) -> None:
        """A scan counted: only its product's line, the box summary and the progress change
        (no read, no rebuild of the work area); without them on screen, the work area."""
        line = self.lines.get(item.product_id)
        if line is None or self.box_state is None or self.progress is None:
            self._work(True)
            return
        card, count = line
        count.set_text(self._count(item))
        if self._left(item) == 0 and self.marking.uncoded(t, item.product_id) is None:
            card.classes("bg-green-1")
        self.box_state.set_text(self._box_words(t))
        self._fill_box_lines(t)
        words, share = self._progress(t)
        self.progress[0].set_text(words)
        self.progress[1].set_value(share)

    def _packages(self, t: PackTask, running: bool) -> None:
        ui.label(tr("Посылки", "Packages")).classes("text-h6")
        with ui.column().classes("w-full gap-1").mark("pack-packages"):
            for p in t.packages:
                size = (f"{kg(p.length_cm)}×{kg(p.width_cm)}×{kg(p.height_cm)} см"
                        if p.length_cm else "")  # fmt: skip
                ui.label(
                    f"{p.sequence_number}. {type_label(p.packaging_type)} · "
                    f"{sum(i.quantity for i in p.items)} шт. · {kg(p.weight_kg)} кг · {size} · "
                    f"{tr('расчётный', 'chargeable')} {kg(p.chargeable_weight_kg)} кг · {p.barcode}"
                ).classes("text-body1").mark(f"pack-package-{p.sequence_number}")
                self.marking.package_codes(t, p, running)

    # --- scans and the box -------------------------------------------------------------

    async def _scanned(self, _user: Identity, code: str) -> None:
        t = self.task
        if t is None:
            return
        if t.status == PackingStatus.PACKED:
            self.ship.scanned(code)
            return
        if t.status != PackingStatus.IN_PROGRESS:
            return
        read: ScannedCode | None = None
        if looks_like_marking(code):
            found = await self.marking.scanned(t, code, self.box)
            if found is None:  # refused, or its code went to a closed box
                return
            item, read = found
        else:
            item = next((i for i in t.items if i.barcode == code), None)
            if item is None:
                self.feedback.error(tr(f"Этого товара нет в заказе: «{code}»",
                                       f"Not in this order: “{code}”"))  # fmt: skip
                return
            if item.requires_marking:
                self.feedback.error(tr(f"{item.sku}: {MARKING_SCAN}",
                                       f"{item.sku}: scan the DataMatrix"))  # fmt: skip
                return
        if self._left(item) <= 0:
            self.feedback.error(tr(f"{item.sku or item.product_name}: всё уже упаковано",
                                   f"{item.sku or item.product_name}: all packed"))  # fmt: skip
            return
        if read is not None:
            self.marking.keep(read, item)
        self.box_open = True
        self.box[item.product_id] = self.box.get(item.product_id, 0) + 1
        number = len(t.packages) + 1
        self.feedback.done(
            tr(
                f"+1 {item.sku} в коробку {number}: {self.box[item.product_id]} шт.",
                f"+1 {item.sku} into box {number}: {self.box[item.product_id]}",
            )
        )
        self._counted(t, item)
        self.scan.run_method("focus")

    def _take_unit(self, product_id: int) -> None:
        """A code taken out of the open box: its unit (counted by it) goes out too."""
        if self.box.get(product_id, 0) > 1:
            self.box[product_id] -= 1
        else:
            self.box.pop(product_id, None)
        if self.task is not None:
            self._work(True)

    def _choose(self, kind: str) -> None:
        self.kind = kind
        if self.task is not None:
            self._work(True)

    def _close(self, _user: Identity, *_: Any) -> None:
        t = self.task
        units = sum(self.box.values())
        if t is None or not units:
            self.feedback.error(tr("Коробка пуста: сначала отсканируйте товар",
                                   "The box is empty: scan a product first"))  # fmt: skip
            return
        self.measures.open(len(t.packages) + 1, self.kind, units)

    def _new_box(self, user: Identity, *_: Any) -> None:
        if self.box:
            self.then_new = True
            self._close(user)
            return
        self.box_open = True
        if self.task is not None:
            self._work(True)

    async def _send_box(self, measures: dict[str, float]) -> None:
        request = PackageRequest(
            self.kind, [ItemRequest(q, product_id=pid) for pid, q in self.box.items()],
            measures["weight"], measures["length"], measures["width"], measures["height"],
            marking_codes=self.marking.sent(),
        )  # fmt: skip
        try:
            done = await run.io_bound(
                add_package, self.ctx.db.unit_of_work(), self.task_id, request, self.user.id,
                idempotency_key=self.box_key,
            )  # fmt: skip
        except DomainError as refusal:
            self.then_new = False
            self.feedback.error(refusal.message)
            if refusal.field is None:  # the task changed (cancelled, packed elsewhere)
                self._load()
            return
        assert done.package is not None
        self.box, self.marking.box, self.box_key = {}, {}, uuid.uuid4().hex
        self.box_open, self.then_new = self.then_new, False
        p = done.package
        self.feedback.done(tr(f"{type_label(p.packaging_type)} {p.sequence_number} закрыта: "
                              f"{sum(i.quantity for i in p.items)} шт.",
                              f"Package {p.sequence_number} closed"))  # fmt: skip
        self._load(done.task)

    # --- start and pack ----------------------------------------------------------------

    async def _start(self, _user: Identity, *_: Any) -> None:
        executor = executor_of(self.ctx.db.engine, self.user.id)
        if executor is None:
            self.feedback.error(tr("Вы не привязаны к исполнителю", "You have no executor"))
            return
        try:
            done = await run.io_bound(start_task, self.ctx.db.unit_of_work(), self.task_id,
                                      executor, self.user.id)  # fmt: skip
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            self._load()
            return
        self._load(done.task)

    async def _pack(self, _user: Identity, *_: Any) -> None:
        self.pack_key = self.pack_key or uuid.uuid4().hex
        try:
            done = await run.io_bound(pack_task, self.ctx.db.unit_of_work(), self.task_id,
                                      self.user.id, idempotency_key=self.pack_key)  # fmt: skip
        except DomainError as refusal:
            self.pack_key = ""
            self.feedback.error(refusal.message)
            if refusal.code == "marking_codes_missing":  # show which boxes lack codes
                self._load()
            return
        self.pack_key = ""
        self.feedback.done(tr("Упаковано: печатайте этикетки и отгружайте",
                              "Packed: print the labels and ship"))  # fmt: skip
        self._load(done.task)
