"""The list of checks waiting on the tablet (/qc): oldest first, the ones under way on
top; «Проверить» starts one as the executor linked to the worker."""

from nicegui import run, ui

from core.errors import DomainError
from core.orders.quality import QcStatus, start_check
from core.orders.quality_ports import QcTask
from core.users.auth import Identity
from core.users.policy import Action
from data.orders.quality import checks
from data.picking.queries import executor_of
from ui.context import AppContext
from ui.formatting import quantity
from ui.i18n import tr
from ui.session import guarded

PATH = "/qc"
ACTION = Action.CHECK_QUALITY
BIG_BUTTON = "unelevated size=xl"
POLL_SECONDS = 3.0
OPEN = ("pending", "in_progress")


class CheckQueue:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx, self.user = ctx, user
        self.shown: list[tuple[int, str]] = []

    def build(self) -> None:
        self.cards()
        ui.timer(POLL_SECONDS, guarded(self.ctx, ACTION, self._poll))

    def _waiting(self) -> list[QcTask]:
        found = checks(self.ctx.db.engine, statuses=OPEN, limit=50).items
        return sorted(found, key=lambda t: (t.status != "in_progress", t.created_at, t.id))

    async def _poll(self, _user: Identity) -> None:
        found = await run.io_bound(self._waiting)
        if found is not None and [(t.id, t.status) for t in found] != self.shown:
            self.cards.refresh(found)

    @ui.refreshable_method
    def cards(self, found: list[QcTask] | None = None) -> None:
        found = self._waiting() if found is None else found
        self.shown = [(t.id, t.status) for t in found]
        with ui.column().classes("w-full max-w-3xl gap-3").mark("qc-queue"):
            if not found:
                ui.label(tr("Проверять нечего. Новые заказы появятся здесь сами.",
                            "Nothing to check. New orders appear here by themselves.")
                         ).classes("text-h6 text-grey-7").mark("no-qc")  # fmt: skip
            for t in found:
                self._card(t)

    def _card(self, t: QcTask) -> None:
        with ui.card().classes("w-full q-pa-md gap-2").props("bordered").mark("qc-task"):
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(tr(f"Заказ {t.order_external_id}", f"Order {t.order_external_id}")
                         ).classes("text-h5 grow")  # fmt: skip
                if t.status == "in_progress":
                    ui.badge(QcStatus(t.status).label_ru, color="primary").classes("text-body2")
            ui.label(tr(f"Стол {t.station_code}; единиц: {quantity(t.total_units)}, "
                        f"проверено {quantity(t.checked_units)}",
                        f"Station {t.station_code}; units: {t.total_units}, "
                        f"checked {t.checked_units}")
                     ).classes("text-body1 text-grey-8")  # fmt: skip
            going = t.status == "in_progress"
            label = tr("Продолжить", "Continue") if going else tr("Проверить", "Check")
            ui.button(label, icon="verified",
                      on_click=guarded(self.ctx, ACTION, lambda _u, *_a, tid=t.id,
                                       st=t.status: self._take(tid, st)),
                      ).props(BIG_BUTTON).classes("w-full min-h-16").mark("qc-take")  # fmt: skip

    async def _take(self, task_id: int, status: str) -> None:
        if status == "pending":
            executor = await run.io_bound(executor_of, self.ctx.db.engine, self.user.id)
            try:
                await run.io_bound(start_check, self.ctx.db.unit_of_work(), task_id, executor,
                                   self.user.id)  # fmt: skip
            except DomainError as refusal:
                ui.notify(refusal.message, type="negative", position="top")
                self.cards.refresh()
                return
        ui.navigate.to(f"{PATH}/{task_id}")
