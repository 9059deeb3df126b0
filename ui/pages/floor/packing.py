"""Packing on the tablet at the packing table (/packing): the queue — the worker's own
tasks first, then the others, oldest first — as big cards; «Взять» starts a pending task
as the executor linked to the worker and opens the run page (/packing/{id},
ui.pages.floor.packing_run). Scanning an order's external id or a task's number opens
that task. New tasks appear without a reload."""

from nicegui import run

from core.orders.packing import start_task
from core.orders.packing_ports import PackTask
from core.states import PackingStatus
from core.users.auth import Identity
from core.users.policy import Action
from data.packing.queries import find_task, queue
from ui.components.feedback import ScanFeedback
from ui.components.scan_field import ScanField
from ui.components.task_queue import QueueCard, QueueMarks, TaskQueue, queue_badge
from ui.context import AppContext
from ui.formatting import address_id
from ui.i18n import language, tr
from ui.layout import frame
from ui.pages.floor.packing_run import PackingRun
from ui.session import guarded, protected_page

PATH = "/packing"


def register(ctx: AppContext) -> None:
    @protected_page(ctx, PATH, Action.PACK)
    def packing_page(user: Identity) -> None:
        with frame(user, tr("Упаковка и отгрузка", "Packing and shipping"), PATH):
            PackingQueue(ctx, user).build()

    @protected_page(ctx, PATH + "/{task_id}", Action.PACK)
    def packing_run_page(user: Identity, task_id: str) -> None:
        number = address_id(task_id)
        with frame(user, tr(f"Упаковка №{number}", f"Packing {number}"), PATH):
            PackingRun(ctx, user, number).build()


class PackingQueue(TaskQueue[PackTask]):
    action = Action.PACK
    path = PATH
    marks = QueueMarks(queue="packing-queue", empty="no-packing", card="packing-task",
                       button="packing-take")  # fmt: skip
    taken_thing = "упаковку"
    nothing_to_do = ("Заказов на упаковку нет. Новые появятся здесь сами.",
                     "Nothing to pack. New orders appear here by themselves.")  # fmt: skip
    mine_first = True  # the queue comes oldest first, whoever has the task

    def above_cards(self) -> None:
        self.feedback = ScanFeedback(self.user)
        self.feedback.banner.classes("max-w-3xl")
        self.scan = (
            ScanField(
                tr("Сканируйте номер заказа", "Scan the order's number"),
                guarded(self.ctx, Action.PACK, self._scanned),
            )
            .props("enterkeyhint=go")
            .classes("w-full max-w-3xl")
            .mark("packing-scan")
        )

    # A packing table answers with the scan's colour and sound, a take's refusal too.
    def tell_no_executor(self) -> None:
        self.feedback.error(tr("Нет исполнителя", "No executor"))

    def tell_refusal(self, message: str) -> None:
        self.feedback.error(message)

    async def _scanned(self, _user: Identity, code: str) -> None:
        found = await run.io_bound(find_task, self.ctx.db.engine, code)
        if found is None:
            self.feedback.error(tr(f"Нет задания на упаковку для «{code}»",
                                   f"No packing task for “{code}”"))  # fmt: skip
            return
        self._open(found)

    def load(self) -> list[PackTask]:
        return queue(self.ctx.db.engine)

    def card(self, t: PackTask, mine: bool) -> QueueCard:
        def badges() -> None:
            queue_badge(PackingStatus(t.status).label(language()), "primary" if mine else "grey-7")

        units = sum(i.quantity for i in t.items)
        packed = sum(i.packed_quantity for i in t.items)
        if t.status == PackingStatus.PENDING:
            button, icon = tr("Взять", "Take"), "inventory_2"
        elif t.status == PackingStatus.PACKED:
            button, icon = tr("Отгрузить", "Ship"), "local_shipping"
        else:
            button, icon = tr("Продолжить", "Continue"), "inventory_2"
        return QueueCard(
            title=tr(f"Заказ {t.order_external_id}", f"Order {t.order_external_id}"),
            summary=tr(f"№{t.id} · {t.station_code} · товаров: {len(t.items)}, "
                       f"штук: {units}, упаковано: {packed}",
                       f"No. {t.id} · {t.station_code} · products: {len(t.items)}, "
                       f"units: {units}, packed: {packed}"),
            button=button,
            icon=icon,
            takes=t.status == PackingStatus.PENDING,
            badges=badges,
        )  # fmt: skip

    async def take(self, task_id: int, executor: int) -> None:
        await run.io_bound(start_task, self.ctx.db.unit_of_work(), task_id, executor,
                           self.user.id)  # fmt: skip
