"""Batch picking on the tablet (/batches): the worker's batches first, then free ones;
«Взять» takes a batch for the executor linked to the worker (its orders' tasks are
assigned and started) and the run page (/batches/{id}, ui.pages.floor.batch_run) leads
stop by stop. New batches appear without a reload."""

from nicegui import run

from core.orders.batches import take_batch
from core.users.auth import Identity
from core.users.policy import Action
from data.waves.queries import BatchSummary, queue
from ui.components.task_queue import QueueCard, QueueMarks, TaskQueue, queue_badge
from ui.context import AppContext
from ui.formatting import address_id
from ui.i18n import tr
from ui.layout import frame
from ui.pages.floor.batch_run import BatchRun
from ui.session import protected_page

PATH = "/batches"


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.PICK)
    def batches_page(user: Identity) -> None:
        with frame(user, tr("Сборка партиями", "Batch picking"), PATH):
            BatchQueue(ctx, user).build()

    @protected_page(ctx, PATH + "/{batch_id}", Action.PICK)
    def batch_run_page(user: Identity, batch_id: str) -> None:
        number = address_id(batch_id)
        with frame(user, tr(f"Партия №{number}", f"Batch {number}"), PATH):
            BatchRun(ctx, user, number).build()


class BatchQueue(TaskQueue[BatchSummary]):
    action = Action.PICK
    path = PATH
    marks = QueueMarks(queue="batch-queue", empty="no-batches", card="batch-card",
                       button="batch-take")  # fmt: skip
    taken_thing = "партию"
    nothing_to_do = ("Партий на сборку нет. Новые появятся здесь сами.",
                     "No batches to pick. New ones appear here by themselves.")  # fmt: skip

    def load(self) -> list[BatchSummary]:
        return queue(self.ctx.db.engine, self.user.id)

    def card(self, b: BatchSummary, mine: bool) -> QueueCard:
        def badges() -> None:
            if mine:
                queue_badge(tr("Моя", "Mine"), "primary")

        return QueueCard(
            title=tr(f"Партия №{b.id}", f"Batch {b.id}"),
            summary=tr(f"Заказов: {b.orders}, позиций: {b.items_total} (собрано {b.items_done})",
                       f"Orders: {b.orders}, items: {b.items_total} (done {b.items_done})"),
            button=tr("Продолжить", "Continue") if mine else tr("Взять", "Take"),
            icon="shopping_basket",
            takes=not mine,
            badges=badges,
        )  # fmt: skip

    async def take(self, batch_id: int, executor: int) -> None:
        await run.io_bound(take_batch, self.ctx.db.unit_of_work, batch_id, executor,
                           self.user.id)  # fmt: skip
