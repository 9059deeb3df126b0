"""Picking on the tablet (/picking): the queue — the worker's own tasks first, then the
free ones by priority and age — as big cards; «Взять» assigns a free task to the
executor linked to the worker and starts it, and the run page (/picking/{id},
ui.pages.floor.picking_run) leads item by item. New tasks appear without a reload."""

from nicegui import run, ui

from core.errors import DomainError
from core.orders.picking import assign_task, start_task
from core.orders.picking_ports import PickTask
from core.users.auth import Identity
from core.users.policy import Action
from data.picking.queries import executor_of, queue
from ui.context import AppContext
from ui.i18n import tr
from ui.layout import frame
from ui.pages.floor.mission_labels import priority_badge
from ui.pages.floor.picking_run import PickingRun
from ui.session import guarded, protected_page

PATH = "/picking"
POLL_SECONDS = 3.0


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.PICK)
    def picking_page(user: Identity) -> None:
        with frame(user, tr("Сборка заказов", "Picking"), PATH):
            PickingQueue(ctx, user).build()

    @protected_page(ctx, PATH + "/{task_id}", Action.PICK)
    def picking_run_page(user: Identity, task_id: str) -> None:
        number = int(task_id) if task_id.isdigit() and len(task_id) < 10 else 0
        with frame(user, tr(f"Сборка №{number}", f"Picking {number}"), PATH):
            PickingRun(ctx, user, number).build()


class PickingQueue:
    def __init__(self, ctx: AppContext, user: Identity) -> None:
        self.ctx = ctx
        self.user = user
        self.shown: list[tuple[int, str, int | None]] = []

    def build(self) -> None:
        self.executor = executor_of(self.ctx.db.engine, self.user.id)
        if self.executor is None:
            ui.label(
                tr("Вы не привязаны к исполнителю: взять сборку нельзя. Попросите менеджера "
                   "привязать вас на странице «Исполнители».",
                   "You are not linked to an active executor. Ask a manager to link you.")
            ).classes("text-h6 text-negative max-w-3xl").mark("no-executor")  # fmt: skip
        self.cards()
        ui.timer(POLL_SECONDS, guarded(self.ctx, Action.PICK, self._poll))

    async def _poll(self, _user: Identity) -> None:
        found = await run.io_bound(queue, self.ctx.db.engine, self.user.id)
        if found is not None and _seen(found) != self.shown:
            self.cards.refresh(found)

    @ui.refreshable_method
    def cards(self, found: list[PickTask] | None = None) -> None:
        found = queue(self.ctx.db.engine, self.user.id) if found is None else found
        self.shown = _seen(found)
        with ui.column().classes("w-full max-w-3xl gap-3").mark("picking-queue"):
            if not found:
                ui.label(tr("Заказов на сборку нет. Новые появятся здесь сами.",
                            "Nothing to pick. New orders appear here by themselves.")
                         ).classes("text-h6 text-grey-7").mark("no-picking")  # fmt: skip
            for task in found:
                self._card(task)

    def _card(self, t: PickTask) -> None:
        mine = t.executor_id is not None and t.executor_id == self.executor
        with (
            ui.card()
            .classes("w-full q-pa-md gap-2")
            .props("bordered")
            .mark("picking-task", f"picking-task-{t.id}")
        ):
            with ui.row().classes("w-full items-center gap-2"):
                ui.label(tr(f"Заказ {t.order_external_id}", f"Order {t.order_external_id}")
                         ).classes("text-h5 grow")  # fmt: skip
                if t.zone:  # the wave split the order: this is one zone's part
                    ui.badge(tr(f"Зона {t.zone}", f"Zone {t.zone}"), color="teal").classes(
                        "text-body2 px-2 py-1").mark("picking-zone")  # fmt: skip
                priority_badge(t.priority)
                if mine:
                    ui.badge(tr("Моё", "Mine"), color="primary").classes("text-body2 px-2 py-1")
            units = sum(i.quantity_required for i in t.items)
            first = t.items[0].location_code if t.items else "—"
            ui.label(tr(f"Позиций: {t.total_items}, штук: {units}; первая ячейка {first}",
                        f"Items: {t.total_items}, units: {units}; first bin {first}")
                     ).classes("text-body1 text-grey-8")  # fmt: skip
            if mine:
                label = tr("Продолжить", "Continue")
                handler = guarded(self.ctx, Action.PICK, lambda _u, *_a, tid=t.id: self._open(tid))
            else:
                label = tr("Взять", "Take")
                handler = guarded(self.ctx, Action.PICK, lambda _u, *_a, tid=t.id: self._take(tid))
            ui.button(label, icon="shopping_cart", on_click=handler).props(
                "unelevated size=xl"
            ).classes("w-full min-h-16").mark("picking-take")

    def _open(self, task_id: int) -> None:
        ui.navigate.to(f"{PATH}/{task_id}")

    async def _take(self, task_id: int) -> None:
        if self.executor is None:
            ui.notify(tr("Нет исполнителя", "No executor"), type="negative")
            return
        try:
            await run.io_bound(assign_task, self.ctx.db.unit_of_work(), task_id, self.executor,
                               self.user.id)  # fmt: skip
            await run.io_bound(start_task, self.ctx.db.unit_of_work(), task_id, self.user.id)
        except DomainError as refusal:
            ui.notify(refusal.message, type="negative", position="top")
            self.cards.refresh()
            return
        self._open(task_id)


def _seen(found: list[PickTask]) -> list[tuple[int, str, int | None]]:
    return [(t.id, t.status, t.executor_id) for t in found]
