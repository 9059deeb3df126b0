"""Picking on the tablet (/picking): the queue — the worker's own tasks first, then the
free ones by priority and age — as big cards; «Взять» assigns a free task to the
executor linked to the worker and starts it, and the run page (/picking/{id},
ui.pages.floor.picking_run) leads item by item. New tasks appear without a reload."""

from nicegui import run

from core.orders.picking import assign_task, start_task
from core.orders.picking_ports import PickTask
from core.users.auth import Identity
from core.users.policy import Action
from data.picking.queries import queue
from ui.components.task_queue import QueueCard, QueueMarks, TaskQueue, queue_badge
from ui.context import AppContext
from ui.formatting import address_id
from ui.i18n import tr
from ui.layout import frame
from ui.pages.floor.mission_labels import priority_badge
from ui.pages.floor.picking_run import PickingRun
from ui.session import protected_page

PATH = "/picking"


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.PICK)
    def picking_page(user: Identity) -> None:
        with frame(user, tr("Сборка заказов", "Picking"), PATH):
            PickingQueue(ctx, user).build()

    @protected_page(ctx, PATH + "/{task_id}", Action.PICK)
    def picking_run_page(user: Identity, task_id: str) -> None:
        number = address_id(task_id)
        with frame(user, tr(f"Сборка №{number}", f"Picking {number}"), PATH):
            PickingRun(ctx, user, number).build()


class PickingQueue(TaskQueue[PickTask]):
    action = Action.PICK
    path = PATH
    marks = QueueMarks(queue="picking-queue", empty="no-picking", card="picking-task",
                       button="picking-take")  # fmt: skip
    taken_thing = "сборку"
    nothing_to_do = ("Заказов на сборку нет. Новые появятся здесь сами.",
                     "Nothing to pick. New orders appear here by themselves.")  # fmt: skip

    def load(self) -> list[PickTask]:
        return queue(self.ctx.db.engine, self.user.id)

    def card(self, t: PickTask, mine: bool) -> QueueCard:
        def badges() -> None:
            if t.zone:  # the wave split the order: this is one zone's part
                queue_badge(tr(f"Зона {t.zone}", f"Zone {t.zone}"), "teal").mark("picking-zone")
            priority_badge(t.priority)
            if mine:
                queue_badge(tr("Моё", "Mine"), "primary")

        units = sum(i.quantity_required for i in t.items)
        first = t.items[0].location_code if t.items else "—"
        return QueueCard(
            title=tr(f"Заказ {t.order_external_id}", f"Order {t.order_external_id}"),
            summary=tr(f"Позиций: {t.total_items}, штук: {units}; первая ячейка {first}",
                       f"Items: {t.total_items}, units: {units}; first bin {first}"),
            button=tr("Продолжить", "Continue") if mine else tr("Взять", "Take"),
            icon="shopping_cart",
            takes=not mine,
            badges=badges,
        )  # fmt: skip

    async def take(self, task_id: int, executor: int) -> None:
        await run.io_bound(assign_task, self.ctx.db.unit_of_work(), task_id, executor,
                           self.user.id)  # fmt: skip
        await run.io_bound(start_task, self.ctx.db.unit_of_work(), task_id, self.user.id)
