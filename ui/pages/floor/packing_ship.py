"""The packing page's labels and shipping (ui.pages.floor.packing_run), once the task is
packed: «Печать этикеток» sends the ZPL of every package as one job to the station's
label printer (location.printer_address) — after the pack was committed, never inside a
transaction; a printer that cannot be reached is said in Russian and the downloads stay.
«Скачать ZPL» and «Скачать PDF» give the same labels (data.packing.queries.task_labels
builds them, as the API's /label route does). Then the carrier (active ones only) and the
tracking number, scanned or typed, and «Отгрузить» (core.orders.shipping.ship_task)."""

import re
import uuid
from collections.abc import Callable
from typing import Any

from nicegui import run, ui

from core.errors import DomainError
from core.labels.package import zpl_labels
from core.labels.printing import print_package_labels
from core.orders.packing_ports import PackTask
from core.orders.shipping import ship_task
from core.states import PackingStatus
from core.users.auth import Identity
from core.users.policy import Action
from data.files.labels import PDF_MEDIA_TYPE, ZPL_MEDIA_TYPE, package_labels_pdf
from data.orders.queries import carriers, order
from data.packing.queries import TaskLabels, task_labels
from data.printing.zebra import ZebraPrinter
from ui.components.downloads import offer_bytes
from ui.components.feedback import ScanFeedback
from ui.components.stickers import box_stickers_button
from ui.context import AppContext
from ui.i18n import tr
from ui.session import guarded


class ShipPanel:
    def __init__(self, ctx: AppContext, user: Identity, feedback: ScanFeedback,
                 reload: Callable[[PackTask | None], None]) -> None:  # fmt: skip
        self.ctx = ctx
        self.user = user
        self.feedback = feedback
        self.reload = reload
        self.key = ""
        self.box = ui.column().classes("w-full max-w-3xl gap-3").mark("ship-panel")

    def show(self, task: PackTask, may_act: bool) -> None:
        self.task = task
        self.box.clear()
        done = task.status in (PackingStatus.PACKED, PackingStatus.SHIPPED)
        self.box.set_visibility(done)
        if not done:
            return
        with self.box:
            ui.label(tr("Этикетки", "Labels")).classes("text-h6")
            with ui.row().classes("w-full gap-3"):
                ui.button(tr("Печать этикеток", "Print labels"), icon="print",
                          on_click=guarded(self.ctx, Action.PACK, self._print)).props(
                    "unelevated size=xl").classes("grow min-h-16").mark("labels-print")  # fmt: skip
                ui.button(tr("Скачать ZPL", "Download ZPL"), icon="download",
                          on_click=guarded(self.ctx, Action.PACK, self._zpl)).props(
                    "outline size=lg").classes("grow min-h-16").mark("labels-zpl")  # fmt: skip
                ui.button(tr("Скачать PDF", "Download PDF"), icon="picture_as_pdf",
                          on_click=guarded(self.ctx, Action.PACK, self._pdf)).props(
                    "outline size=lg").classes("grow min-h-16").mark("labels-pdf")  # fmt: skip
                if task.order_kind == "supply":  # FBO boxes: the supply's stickers, MP's PDF
                    sticker = box_stickers_button(self.ctx, task.id, Action.PACK)
                    sticker.props("outline size=lg").classes("grow min-h-16").mark("box-stickers")
            if task.status == PackingStatus.SHIPPED:
                ui.label(tr(f"Отгружено: {task.carrier}, трек {task.tracking_number}",
                            f"Shipped: {task.carrier}, tracking {task.tracking_number}")
                         ).classes("text-h5 text-positive").mark("ship-done")  # fmt: skip
            elif may_act:
                self._ship_form(task)

    def _ship_form(self, task: PackTask) -> None:
        active = {c.code: c.name for c in carriers(self.ctx.db.engine, active_only=True)}
        wanted = order(self.ctx.db.engine, task.order_id)
        preset = wanted.carrier if wanted and wanted.carrier in active else None
        ui.label(tr("Отгрузка", "Shipping")).classes("text-h6")
        self.carrier = (
            ui.select(active, value=preset or next(iter(active), None),
                      label=tr("Перевозчик", "Carrier"))
            .props("outlined input-class=text-h6").classes("w-full").mark("ship-carrier")
        )  # fmt: skip
        self.tracking = (
            ui.input(tr("Трек-номер: сканируйте или введите", "Tracking number: scan or type"))
            .props("outlined input-class=text-h5 maxlength=64 autocomplete=off")
            .classes("w-full").mark("ship-tracking")
        )  # fmt: skip
        self.tracking.on("keydown.enter", guarded(self.ctx, Action.PACK, self._ship))
        ui.button(tr("Отгрузить", "Ship"), icon="local_shipping",
                  on_click=guarded(self.ctx, Action.PACK, self._ship)).props(
            "unelevated size=xl").classes("w-full min-h-20").mark("ship-confirm")  # fmt: skip

    def scanned(self, code: str) -> None:
        """A scan while packed: the tracking number."""
        if getattr(self, "tracking", None) is not None and self.task.status == "packed":
            self.tracking.set_value(code)
            self.feedback.done(tr(f"Трек-номер: {code}", f"Tracking number: {code}"))

    async def _ship(self, _user: Identity, *_: Any) -> None:
        self.key = self.key or uuid.uuid4().hex
        try:
            done = await run.io_bound(ship_task, self.ctx.db.unit_of_work(), self.task.id,
                                      self.carrier.value, self.tracking.value or None,
                                      self.user.id, idempotency_key=self.key)  # fmt: skip
        except DomainError as refusal:
            self.key = ""
            self.feedback.error(refusal.message)
            return
        self.key = ""
        self.feedback.done(tr(f"Отгружено: трек {done.task.tracking_number}",
                              f"Shipped: tracking {done.task.tracking_number}"))  # fmt: skip
        self.reload(done.task)

    async def _labels(self) -> TaskLabels | None:
        found = await run.io_bound(task_labels, self.ctx.db.engine, self.task.id)
        if found is None or not found.labels:
            self.feedback.error(tr("У задания нет посылок", "The task has no packages"))
            return None
        return found

    async def _print(self, _user: Identity, *_: Any) -> None:
        found = await self._labels()
        if found is None:
            return
        printer = ZebraPrinter(self.ctx.settings.printer_timeout_seconds)
        try:
            await run.io_bound(print_package_labels, printer, found.printer_address,
                               found.labels)  # fmt: skip
        except DomainError as refusal:  # printer_unavailable, or a label that cannot print
            self.feedback.error(refusal.message)
            return
        count = len(found.labels)
        self.feedback.done(tr(f"Этикетки отправлены на принтер {found.printer_address}: {count}",
                              f"Labels sent to {found.printer_address}: {count}"))  # fmt: skip

    async def _zpl(self, user: Identity, *_: Any) -> None:
        found = await self._labels()
        if found is None:
            return
        try:
            payload = zpl_labels(found.labels).encode("utf-8")
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        offer_bytes(user, payload, f"{file_stem(found)}.zpl", ZPL_MEDIA_TYPE)

    async def _pdf(self, user: Identity, *_: Any) -> None:
        found = await self._labels()
        if found is None:
            return
        try:
            payload = await run.io_bound(package_labels_pdf, found.labels)
        except DomainError as refusal:
            self.feedback.error(refusal.message)
            return
        offer_bytes(user, payload, f"{file_stem(found)}.pdf", PDF_MEDIA_TYPE)


def file_stem(found: TaskLabels) -> str:
    """labels-<the order's external id>, kept to letters, digits, `.`, `-` and `_`."""
    return "labels-" + re.sub(r"[^\w.-]+", "_", found.task.order_external_id)[:80]
