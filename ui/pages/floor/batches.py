"""Batch picking on the tablet (/batches): the worker's batches first, then free ones;
«Взять» takes a batch for the executor linked to the worker (its orders' tasks are
assigned and started) and the run page (/batches/{id}, ui.pages.floor.batch_run) leads
stop by stop. New batches appear without a reload."""

from nicegui import run, ui

from core.errors import DomainError
from core.orders.batches import take_batch
from core.users.auth import Identity
from core.users.policy import Action
from data.picking.queries import executor_of
from data.waves.queries import BatchSummary, queue
from ui.context import AppContext
from ui.i18n import tr
from ui.layout import frame
from ui.pages.floor.batch_run import BatchRun
from ui.session import guarded, protected_page

PATH = "/batches"
POLL_SECONDS = 3.0


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.PICK)
    def batches_page(user: Identity) -> None:
        with frame(user, tr("Сборка партиями", "Batch picking"), PATH):
            BatchQueue(ctx, user).build()

    @protected_page(ctx, PATH + "/{batch_id}", Action.PICK)
    def batch_run_page(user: Identity, batch_id: str) -> None:
        number = int(batch_id) if batch_id.isdigit() and len(batch_id) < 10 else 0
        with frame(user, tr(f"Партия №{number}", f"Batch {number}"), PATH):
            BatchRun(ctx, user, number).build()


class BatchQueue:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.shown: list[tuple[int, str, int | None]] = []

    def build(self) -> None:
        self.executor = executor_of(self.ctx.db.engine, self.user.id)
        if self.executor is None:
            ui.label(tr("Вы не привязаны к исполнителю: взять партию нельзя. Попросите "
                        "менеджера привязать вас на странице «Исполнители».",
                        "You are not linked to an active executor. Ask a manager to link you.")
                     ).classes("text-h6 text-negative max-w-3xl").mark("no-executor")  # fmt: skip
        self.cards()
        ui.timer(POLL_SECONDS, guarded(self.ctx, Action.PICK, self._poll))

    async def _poll(self, _user: Identity) -> None:
        found = await run.io_bound(queue, self.ctx.db.engine, self.user.id)
        if _seen(found) != self.shown:
            self.cards.refresh(found)

    @ui.refreshable_method
    def cards(self, found: list[BatchSummary] | None = None) -> None:
        found = queue(self.ctx.db.engine, self.user.id) if found is None else found
        self.shown = _seen(found)
        with ui.column().classes("w-full max-w-3xl gap-3").mark("batch-queue"):
            if not found:
                ui.label(tr("Партий на сборку нет. Новые появятся здесь сами.",
                            "No batches to pick. New ones appear here by themselves.")
                         ).classes("text-h6 text-grey-7").mark("no-batches")  # fmt: skip
            for batch in found:
                self._card(batch)

    def _card(self, b: BatchSummary) -> None:
        mine = b.executor_id is not None and b.executor_id == self.executor
        with ui.card().classes("w-full q-pa-md gap-2").props("bordered").mark(
                "batch-card", f"batch-card-{b.id}"):  # fmt: skip
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(tr(f"Партия №{b.id}", f"Batch {b.id}")).classes("text-h5 grow")
                if mine:
                    ui.badge(tr("Моя", "Mine"), color="primary").classes("text-body2 px-2 py-1")
            ui.label(tr(f"Заказов: {b.orders}, позиций: {b.items_total} "
                        f"(собрано {b.items_done})",
                        f"Orders: {b.orders}, items: {b.items_total} (done {b.items_done})")
                     ).classes("text-body1 text-grey-8")  # fmt: skip
            label = tr("Продолжить", "Continue") if mine else tr("Взять", "Take")
            act = self._open if mine else self._take
            handler = guarded(self.ctx, Action.PICK, lambda _u, *_a, bid=b.id: act(bid))
            ui.button(label, icon="shopping_basket", on_click=handler).props(
                "unelevated size=xl").classes("w-full min-h-16").mark("batch-take")  # fmt: skip

    async def _open(self, batch_id: int) -> None:
        ui.navigate.to(f"{PATH}/{batch_id}")

    async def _take(self, batch_id: int) -> None:
        if self.executor is None:
            ui.notify(tr("Нет исполнителя", "No executor"), type="negative")
            return
        try:
            await run.io_bound(take_batch, self.ctx.db.unit_of_work, batch_id, self.executor,
                               self.user.id)  # fmt: skip
        except DomainError as refusal:
            ui.notify(refusal.message, type="negative", position="top")
            self.cards.refresh()
            return
        await self._open(batch_id)


def _seen(found: list[BatchSummary]) -> list[tuple[int, str, int | None]]:
    return [(b.id, b.status, b.executor_id) for b in found]
